"""Authorization Responses: OpenID4VP 1.0 Sections 8.1, 8.2, 8.3.1 and 8.5.

* ``direct_post`` (8.2): form fields ``vp_token`` (a JSON-encoded object), ``state``; or an error
  response with ``error``, ``error_description``, ``state``.
* ``direct_post.jwt`` (8.3.1): one form field ``response`` holding a JWE (8.3) whose payload carries
  the response parameters as top-level members; ``vp_token`` is then an object, not a string.
* ``vp_token`` (8.1): keys are Credential Query ids, each value a non-empty array of
  Presentations; for ``dc+sd-jwt`` a Presentation is a string (compact) — the JWS JSON form is an
  object (RFC 9901 Section 8) and is accepted too.

Parsing only checks shape; every cryptographic check happens in the Verifier's pipeline.

The form body (``application/x-www-form-urlencoded``, WHATWG URL Standard Section 5.1) is decoded
here rather than with ``urllib.parse.parse_qsl``: its percent-decoding splits the text at every
``%`` and built ~70 MB of small objects in ~1 s for a 1 MB body of escapes. Here each field is
decoded in C (see :func:`_form_text`), after :data:`MAX_FORM_BYTES` and :data:`MAX_FORM_FIELDS`
are checked.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from idcore.b64 import json_loads
from idcore.errors import IdcoreError, Reason
from idcore.oid4vp.errors import INVALID_REQUEST, SPEC_ERRORS, AuthorizationError
from idcore.oid4vp.jwe import decrypt_compact

__all__ = [
    "MAX_FORM_BYTES",
    "MAX_FORM_FIELDS",
    "AuthorizationResponse",
    "decrypt_response",
    "parse_form",
    "parse_response_params",
]

#: Largest response body: a ``direct_post.jwt`` JWE (:data:`idcore.oid4vp.jwe.MAX_JWE_BYTES`)
#: or a ``vp_token`` of up to :data:`MAX_PRESENTATIONS` SD-JWT VCs of tens of kB each.
MAX_FORM_BYTES = 1024 * 1024
#: Most form fields: a response has ``vp_token``/``state`` or ``response`` or ``error``/
#: ``error_description``/``state``; a Request URI post ``wallet_nonce``/``wallet_metadata``.
MAX_FORM_FIELDS = 32
#: Most presentations in one ``vp_token``: HAIP batches ask for a handful of credentials at once.
MAX_PRESENTATIONS = 16
_MAX_QUERY_ID = 128

Presentation = str | dict[str, Any]


@dataclass(frozen=True, slots=True)
class AuthorizationResponse:
    """A parsed response: either ``vp_token`` or ``error`` is set; ``state`` as sent."""

    state: str | None
    vp_token: dict[str, list[Presentation]] | None = None
    error: str | None = None
    error_description: str | None = None


def _bad(detail: str, reason: Reason = Reason.MALFORMED) -> AuthorizationError:
    return AuthorizationError(INVALID_REQUEST, reason, detail)


# "%" not followed by two hex digits: not a percent-encoded byte (refused, never guessed).
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def _form_text(raw: bytes) -> str:
    """One name or value: '+' is a space, "%xy" a byte, the result strict UTF-8.

    The escapes are decoded in C by ``binascii.a2b_qp`` after '%' becomes '=' (quoted-printable
    writes bytes as "=XY"); so that every '=' it sees is an escape, a field holding both a raw '='
    (serializers always encode it as %3D) and escapes is refused, as is an invalid escape.
    """
    raw = raw.replace(b"+", b" ")
    if b"%" in raw:
        if b"=" in raw or _BAD_ESCAPE.search(raw):
            raise _bad("body is not a UTF-8 form")
        raw = binascii.a2b_qp(raw.replace(b"%", b"="))
    return raw.decode("utf-8")


def parse_form(body: bytes) -> dict[str, str]:
    """Parse ``application/x-www-form-urlencoded`` UTF-8; refuse oversize, malformed or repeated fields."""
    if len(body) > MAX_FORM_BYTES:
        raise _bad("response body too large", Reason.TOO_LARGE)
    if not body:
        return {}
    if body.count(b"&") >= MAX_FORM_FIELDS:
        raise _bad(f"more than {MAX_FORM_FIELDS} form fields", Reason.TOO_MANY)
    form: dict[str, str] = {}
    for field in body.split(b"&"):
        name, equals, value = field.partition(b"=")
        if not equals:  # strict: every field is name=value (an empty field too is refused)
            raise _bad("body is not a UTF-8 form")
        try:
            key = _form_text(name)
            if key in form:
                raise _bad("a form parameter is repeated", Reason.DUPLICATE_MEMBER)
            form[key] = _form_text(value)
        except UnicodeDecodeError:
            raise _bad("body is not a UTF-8 form") from None
    return form


def _presentation(value: Any) -> Presentation:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, dict):
        return value
    raise _bad("a Presentation must be a non-empty string or a JSON object")


def _vp_token(value: Any) -> dict[str, list[Presentation]]:
    if isinstance(value, str):
        try:
            value = json_loads(value)
        except IdcoreError as exc:
            raise _bad(f"vp_token: {exc.detail}", exc.reason) from None
    if not isinstance(value, dict) or not value:
        raise _bad("vp_token must be a non-empty JSON object keyed by credential query id")
    token: dict[str, list[Presentation]] = {}
    count = 0
    for query_id, presentations in value.items():
        if not query_id or len(query_id) > _MAX_QUERY_ID:
            raise _bad("vp_token key is not a credential query id")
        if not isinstance(presentations, list) or not presentations:
            raise _bad("each vp_token entry must be a non-empty array")
        count += len(presentations)
        if count > MAX_PRESENTATIONS:
            raise _bad("too many presentations", Reason.TOO_LARGE)
        token[query_id] = [_presentation(p) for p in presentations]
    return token


def _optional_str(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is not None and not isinstance(value, str):
        raise _bad(f"{name} must be a string")
    return value


def parse_response_params(params: Mapping[str, Any]) -> AuthorizationResponse:
    """Read ``vp_token``/``state`` or ``error``/``error_description``/``state`` (8.1, 8.2, 8.5)."""
    state = _optional_str(params, "state")
    error = _optional_str(params, "error")
    if error is not None:
        if "vp_token" in params:
            raise _bad("a response carries either vp_token or error")
        if error not in SPEC_ERRORS:
            error = "unknown_error"  # never reflect arbitrary strings to the relying party
        description = _optional_str(params, "error_description")
        return AuthorizationResponse(state, error=error, error_description=(description or "")[:256] or None)
    if "vp_token" not in params:
        raise _bad("response without vp_token or error")
    return AuthorizationResponse(state, vp_token=_vp_token(params["vp_token"]))


def decrypt_response(
    jwe: str, private_key: ec.EllipticCurvePrivateKey, *, kid: str, encs: tuple[str, ...] = ("A128GCM", "A256GCM")
) -> AuthorizationResponse:
    """Decrypt a ``direct_post.jwt`` ``response`` (8.3.1) and parse its payload's parameters."""
    _, plaintext = decrypt_compact(jwe, private_key, encs=encs, expected_kid=kid)
    try:
        payload = json_loads(plaintext)
    except IdcoreError as exc:
        raise _bad(f"encrypted response payload: {exc.detail}", exc.reason) from None
    if not isinstance(payload, dict):
        raise _bad("encrypted response payload is not a JSON object")
    return parse_response_params(payload)
