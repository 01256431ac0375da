"""SD-JWT serializations: Compact (RFC 9901 Section 4) and JWS JSON (Section 8).

Both parse into :class:`SdJwtParts`: the Issuer-signed JWT candidates in compact form, the
Disclosure strings, the optional Key Binding JWT, and ``sd_jwt`` — the compact
``<Issuer-signed JWT>~<D1>~...~<DN>~`` over which ``sd_hash`` is computed (Section 4.3.1;
for JSON, Section 8.1 says the compact form is built temporarily for the digest).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from idcore.b64 import json_loads
from idcore.errors import IdcoreError, Reason, SdJwtError

__all__ = ["DEFAULT_MAX_BYTES", "MAX_DISCLOSURES", "SdJwtParts", "parse_presentation"]

DEFAULT_MAX_BYTES = 512 * 1024
MAX_DISCLOSURES = 512


@dataclass(slots=True)
class SdJwtParts:
    """A split SD-JWT or SD-JWT+KB (nothing verified yet).

    ``issuer_jwts`` holds one compact JWS, or for General JSON Serialization one per
    signature (same payload); the first one forms ``sd_jwt``.
    """

    issuer_jwts: tuple[str, ...]
    disclosures: tuple[str, ...]
    kb_jwt: str | None
    sd_jwt: str

    @property
    def issuer_jwt(self) -> str:
        """The (first) Issuer-signed JWT in compact form."""
        return self.issuer_jwts[0]


def _split_compact(text: str) -> SdJwtParts:
    if not text.isascii():  # O(1) in CPython; every component must be base64url anyway
        raise SdJwtError(Reason.MALFORMED, "an SD-JWT is ASCII only")
    parts = text.split("~")
    if len(parts) < 2 or not parts[0]:
        raise SdJwtError(Reason.MALFORMED, "an SD-JWT is <JWT>~<Disclosures>~[<KB-JWT>]")
    disclosures = tuple(parts[1:-1])
    if len(disclosures) > MAX_DISCLOSURES:
        raise SdJwtError(Reason.TOO_LARGE, "too many disclosures")
    if "" in disclosures:
        raise SdJwtError(Reason.MALFORMED, "empty disclosure between '~' separators")
    kb = parts[-1] or None
    return SdJwtParts((parts[0],), disclosures, kb, text[: len(text) - len(parts[-1])])


def _string_list(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SdJwtError(Reason.MALFORMED, f"{what} must be an array of non-empty strings")
    return tuple(value)


def _compact_of(signature_entry: Any, payload: str) -> tuple[str, Mapping[str, Any]]:
    if not isinstance(signature_entry, dict):
        raise SdJwtError(Reason.MALFORMED, "JWS JSON signature entry is not an object")
    protected, signature = signature_entry.get("protected"), signature_entry.get("signature")
    header = signature_entry.get("header", {})
    if not isinstance(protected, str) or not isinstance(signature, str) or not isinstance(header, dict):
        raise SdJwtError(Reason.MALFORMED, "JWS JSON needs protected, signature and an object header")
    return f"{protected}.{payload}.{signature}", header


def _parse_json(obj: Mapping[str, Any]) -> SdJwtParts:
    payload = obj.get("payload")
    if not isinstance(payload, str):
        raise SdJwtError(Reason.MALFORMED, "JWS JSON payload must be a string")
    if "signatures" in obj:  # General JSON Serialization (RFC 7515 Section 7.2.1)
        entries = obj["signatures"]
        if not isinstance(entries, list) or not entries or "signature" in obj:
            raise SdJwtError(Reason.MALFORMED, "JWS JSON signatures must be a non-empty array")
    else:  # Flattened (RFC 7515 Section 7.2.2)
        entries = [{k: obj[k] for k in ("protected", "signature", "header") if k in obj}]
    compacts, headers = zip(*(_compact_of(e, payload) for e in entries), strict=True)
    first = headers[0]
    # RFC 9901 Section 8.1: disclosures and kb_jwt only in the first unprotected header.
    if any("disclosures" in h or "kb_jwt" in h for h in headers[1:]):
        raise SdJwtError(Reason.MALFORMED, "disclosures/kb_jwt allowed only in the first header")
    disclosures = _string_list(first.get("disclosures", []), "disclosures")
    if len(disclosures) > MAX_DISCLOSURES:
        raise SdJwtError(Reason.TOO_LARGE, "too many disclosures")
    kb = first.get("kb_jwt")
    if kb is not None and (not isinstance(kb, str) or not kb):
        raise SdJwtError(Reason.MALFORMED, "kb_jwt must be a non-empty string")
    sd_jwt = "~".join((compacts[0], *disclosures)) + "~"
    if not sd_jwt.isascii() or (kb is not None and not kb.isascii()):
        raise SdJwtError(Reason.MALFORMED, "an SD-JWT is ASCII only")
    return SdJwtParts(tuple(compacts), disclosures, kb, sd_jwt)


def parse_presentation(
    presentation: str | Mapping[str, Any], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> SdJwtParts:
    """Split an SD-JWT / SD-JWT+KB given in Compact or JWS JSON Serialization.

    A string starting with ``{`` is read as JWS JSON; a mapping is taken as already parsed JSON.
    """
    if isinstance(presentation, str):
        if len(presentation) > max_bytes:
            raise SdJwtError(Reason.TOO_LARGE, f"presentation longer than {max_bytes} bytes")
        first = presentation[:1]
        if first != "{" and not first.isspace():  # no lstrip(): it would copy the whole string
            return _split_compact(presentation)
        try:
            presentation = json_loads(presentation)
        except IdcoreError as exc:
            raise SdJwtError(exc.reason, f"JWS JSON: {exc.detail}") from None
    if not isinstance(presentation, Mapping):
        raise SdJwtError(Reason.MALFORMED, "presentation is neither compact nor a JWS JSON object")
    return _parse_json(presentation)
