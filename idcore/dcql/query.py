"""Parse and validate a DCQL query: OpenID4VP 1.0 Section 6.

Validation is strict about everything the spec defines and fails with
``DcqlError(Reason.INVALID_QUERY, detail)``:

* Section 6: ``credentials`` is a non-empty array; ``credential_sets``, if present, a
  non-empty array. Unknown members are ignored, as Section 6 requires.
* Section 6.1: ``id`` is a non-empty ``[A-Za-z0-9_-]`` string, unique in the query; ``format``
  a non-empty string; ``meta`` an object (B.3.5: ``vct_values`` a non-empty array of strings for
  ``dc+sd-jwt``; B.2.3: ``doctype_value`` a string for ``mso_mdoc``); ``multiple`` and
  ``require_cryptographic_holder_binding`` booleans (defaults false and true); ``claims`` and
  ``claim_sets`` non-empty arrays, ``claim_sets`` only with ``claims``.
* Section 6.1.1: ``trusted_authorities`` entries have a string ``type`` and non-empty string
  ``values``; ``aki`` values must be canonical base64url.
* Section 6.2: ``options`` is a non-empty array of non-empty arrays of existing credential ids.
* Section 6.3: ``path`` is a claims path pointer (Section 7; exactly two strings for mdoc, 7.2.1);
  ``id`` as above and unique within ``claims``, required when ``claim_sets`` is present;
  ``values`` a non-empty array of strings, integers or booleans.

Deliberately stricter than the Wallet rule of 6.1 ("Wallets SHOULD ignore duplicate claim
queries"): the same claims path twice in one Credential Query is rejected, since a Verifier
"MUST NOT" send it and a query we build or accept should say exactly one thing.
Unknown formats parse (their ``meta`` must be an object) but never match a credential.

Limits (``invalid_query`` naming the limit; OpenID4VP leaves sizes to implementations): every
array has its own named maximum below, identifiers are at most :data:`MAX_ID_LENGTH`
characters, claims paths at most :data:`~idcore.dcql.claims_path.MAX_PATH_LENGTH` components,
and a JSON-encoded query at most :data:`MAX_QUERY_BYTES`. With them, parsing and matching a
query costs at most a few thousand steps, whoever wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from idcore.b64 import b64u_decode, json_loads
from idcore.dcql.claims_path import validate_path
from idcore.dcql.model import (
    FORMAT_MSO_MDOC,
    FORMAT_SD_JWT_VC,
    ClaimsQuery,
    ClaimValue,
    CredentialQuery,
    CredentialSetQuery,
    DcqlQuery,
    TrustedAuthoritiesQuery,
)
from idcore.errors import DcqlError, IdcoreError, Reason

__all__ = [
    "MAX_CLAIMS",
    "MAX_CLAIM_SETS",
    "MAX_CREDENTIALS",
    "MAX_CREDENTIAL_SETS",
    "MAX_ID_LENGTH",
    "MAX_OPTIONS",
    "MAX_QUERY_BYTES",
    "MAX_VALUES",
    "parse_query",
    "parse_query_json",
]

#: Credential Queries per query: a response carries at most 16 presentations
#: (:data:`idcore.oid4vp.response.MAX_PRESENTATIONS`); twice that leaves room for alternatives.
MAX_CREDENTIALS = 32
#: Claims Queries per Credential Query: a PID has ~30 claims, business credentials fewer.
MAX_CLAIMS = 64
#: ``claim_sets`` options per Credential Query; real queries offer two or three.
MAX_CLAIM_SETS = 16
#: Credential Set Queries per query, and options per Credential Set Query.
MAX_CREDENTIAL_SETS = 16
MAX_OPTIONS = 16
#: ``values``, ``vct_values`` and ``trusted_authorities`` entries: a handful in practice.
MAX_VALUES = 64
#: The upper bound of every other array, and the historical name of the common limit.
MAX_ITEMS = 64
#: Credential and claim identifiers: OpenID4VP ids are short; the verifier also caps ``vp_token`` keys at 128.
MAX_ID_LENGTH = 128
#: A JSON-encoded query (``dcql_query`` parameter): the largest query within the limits above
#: with sensible strings is a few kB.
MAX_QUERY_BYTES = 64 * 1024
_ID_RE = re.compile(r"[A-Za-z0-9_-]+")


def _invalid(detail: str) -> DcqlError:
    return DcqlError(Reason.INVALID_QUERY, detail)


def _array(value: object, what: str, limit: int = MAX_ITEMS) -> list[Any]:
    """A non-empty JSON array of at most ``limit`` elements (checked before any element is read)."""
    if not isinstance(value, list) or not value:
        raise _invalid(f"{what} must be a non-empty array")
    if len(value) > limit:
        raise _invalid(f"{what} has more than {limit} elements")
    return value


def _object(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _invalid(f"{what} must be an object")
    return value


def _identifier(value: object, what: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_ID_LENGTH or _ID_RE.fullmatch(value) is None:
        raise _invalid(f"{what} must be a non-empty string of A-Z, a-z, 0-9, '_' or '-'")
    return value


def _string(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise _invalid(f"{what} must be a non-empty string")
    return value


def _boolean(obj: Mapping[str, Any], key: str, default: bool) -> bool:
    value = obj.get(key, default)
    if not isinstance(value, bool):
        raise _invalid(f"{key} must be a boolean")
    return value


def _strings(value: object, what: str) -> tuple[str, ...]:
    return tuple(_string(item, f"element of {what}") for item in _array(value, what, MAX_VALUES))


def _claim_values(value: object) -> tuple[ClaimValue, ...]:
    items = _array(value, "claims[].values", MAX_VALUES)
    for item in items:
        # Floats, null, objects and arrays are not among "strings, integers or boolean values".
        if not isinstance(item, str | int | bool):
            raise _invalid("claims[].values may hold only strings, integers and booleans")
    return tuple(items)


def _parse_claim(raw: object, fmt: str) -> ClaimsQuery:
    obj = _object(raw, "claims[]")
    path = validate_path(obj.get("path"))
    if fmt == FORMAT_MSO_MDOC and (len(path) != 2 or not all(isinstance(c, str) for c in path)):
        raise _invalid("mso_mdoc claims path must be [namespace, element identifier]")
    claim_id = _identifier(obj["id"], "claims[].id") if "id" in obj else None
    values = _claim_values(obj["values"]) if "values" in obj else None
    intent = obj.get("intent_to_retain") if fmt == FORMAT_MSO_MDOC else None
    if intent is not None and not isinstance(intent, bool):
        raise _invalid("intent_to_retain must be a boolean")
    return ClaimsQuery(path=path, id=claim_id, values=values, intent_to_retain=intent)


def _parse_claims(raw: object, fmt: str) -> tuple[ClaimsQuery, ...]:
    claims = tuple(_parse_claim(item, fmt) for item in _array(raw, "claims", MAX_CLAIMS))
    paths = [claim.path for claim in claims]
    if len(set(paths)) != len(paths):
        raise _invalid("claims points to the same claim more than once")
    ids = [claim.id for claim in claims if claim.id is not None]
    if len(set(ids)) != len(ids):
        raise _invalid("claims[].id must be unique within claims")
    return claims


def _parse_claim_sets(raw: object, claims: tuple[ClaimsQuery, ...] | None) -> tuple[tuple[str, ...], ...]:
    if claims is None:
        raise _invalid("claim_sets must not be present without claims")
    if any(claim.id is None for claim in claims):
        raise _invalid("every claims[] entry needs an id when claim_sets is present")
    known = {claim.id for claim in claims}
    sets: list[tuple[str, ...]] = []
    for option in _array(raw, "claim_sets", MAX_CLAIM_SETS):
        ids = tuple(_identifier(item, "claim_sets id") for item in _array(option, "claim_sets[]", MAX_CLAIMS))
        if len(set(ids)) != len(ids):
            raise _invalid("a claim_sets option lists the same claim id twice")
        if not set(ids) <= known:
            raise _invalid("claim_sets references an unknown claim id")
        sets.append(ids)
    return tuple(sets)


def _parse_trusted_authority(raw: object) -> TrustedAuthoritiesQuery:
    obj = _object(raw, "trusted_authorities[]")
    kind = _string(obj.get("type"), "trusted_authorities[].type")
    values = _strings(obj.get("values"), "trusted_authorities[].values")
    if kind == "aki":
        try:
            for value in values:
                b64u_decode(value)
        except IdcoreError:
            raise _invalid("aki values must be base64url key identifiers") from None
    return TrustedAuthoritiesQuery(type=kind, values=values)


def _parse_meta(raw: object, fmt: str) -> tuple[tuple[str, ...] | None, str | None]:
    """Return ``(vct_values, doctype_value)`` from ``meta`` (Appendix B.3.5 and B.2.3)."""
    meta = _object(raw, "meta")
    if fmt == FORMAT_SD_JWT_VC:
        return _strings(meta.get("vct_values"), "meta.vct_values"), None
    if fmt == FORMAT_MSO_MDOC:
        return None, _string(meta.get("doctype_value"), "meta.doctype_value")
    return None, None


def _parse_credential(raw: object) -> CredentialQuery:
    obj = _object(raw, "credentials[]")
    query_id = _identifier(obj.get("id"), "credentials[].id")
    fmt = _string(obj.get("format"), "credentials[].format")
    vct_values, doctype_value = _parse_meta(obj.get("meta"), fmt)
    claims = _parse_claims(obj["claims"], fmt) if "claims" in obj else None
    claim_sets = _parse_claim_sets(obj["claim_sets"], claims) if "claim_sets" in obj else None
    authorities = None
    if "trusted_authorities" in obj:
        items = _array(obj["trusted_authorities"], "trusted_authorities", MAX_VALUES)
        authorities = tuple(_parse_trusted_authority(item) for item in items)
    return CredentialQuery(
        id=query_id,
        format=fmt,
        vct_values=vct_values,
        doctype_value=doctype_value,
        claims=claims,
        claim_sets=claim_sets,
        multiple=_boolean(obj, "multiple", False),
        require_cryptographic_holder_binding=_boolean(obj, "require_cryptographic_holder_binding", True),
        trusted_authorities=authorities,
    )


def _parse_credential_set(raw: object, known_ids: set[str]) -> CredentialSetQuery:
    obj = _object(raw, "credential_sets[]")
    options: list[tuple[str, ...]] = []
    for option in _array(obj.get("options"), "credential_sets[].options", MAX_OPTIONS):
        ids = tuple(
            _identifier(item, "credential_sets option id") for item in _array(option, "option", MAX_CREDENTIALS)
        )
        if len(set(ids)) != len(ids):
            raise _invalid("a credential_sets option lists the same credential id twice")
        if not set(ids) <= known_ids:
            raise _invalid("credential_sets references an unknown credential id")
        options.append(ids)
    return CredentialSetQuery(options=tuple(options), required=_boolean(obj, "required", True))


def parse_query(raw: object) -> DcqlQuery:
    """Validate a decoded DCQL query (a JSON object) and return it typed (Section 6).

    Raises ``DcqlError(Reason.INVALID_QUERY, detail)`` on the first rule it breaks.
    """
    obj = _object(raw, "DCQL query")
    items = _array(obj.get("credentials"), "credentials", MAX_CREDENTIALS)
    credentials = tuple(_parse_credential(item) for item in items)
    ids = [cq.id for cq in credentials]
    if len(set(ids)) != len(ids):
        raise _invalid("credentials[].id must be unique in the query")
    credential_sets = None
    if "credential_sets" in obj:
        items = _array(obj["credential_sets"], "credential_sets", MAX_CREDENTIAL_SETS)
        credential_sets = tuple(_parse_credential_set(item, set(ids)) for item in items)
    return DcqlQuery(credentials=credentials, credential_sets=credential_sets)


def parse_query_json(text: str | bytes) -> DcqlQuery:
    """Decode a JSON-encoded DCQL query (duplicate members refused, at most :data:`MAX_QUERY_BYTES`)
    and validate it."""
    if len(text) > MAX_QUERY_BYTES:
        raise _invalid(f"dcql_query longer than {MAX_QUERY_BYTES} bytes")
    try:
        raw = json_loads(text)
    except IdcoreError as exc:
        raise _invalid(f"dcql_query is not valid JSON ({exc.reason.value})") from None
    return parse_query(raw)
