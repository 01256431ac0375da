"""SD-JWT serializations: Compact (RFC 9901 Section 4) and JWS JSON (Section 8).

Both parse into :class:`SdJwtParts`: the one Issuer-signed JWT in compact form, the
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

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_DISCLOSURES",
    "MAX_DISCLOSURE_BYTES",
    "SdJwtParts",
    "parse_presentation",
]

#: Longest presentation (all components together, in either serialization). A PID SD-JWT VC
#: with a portrait Disclosure is well under 100 kB; the verifier's form cap is 1 MiB for up to
#: 16 presentations.
DEFAULT_MAX_BYTES = 512 * 1024
#: Most Disclosures in one presentation. A PID has ~30 disclosable claims and HAIP credentials
#: rarely more than 100; every Disclosure costs a digest and a JSON parse, so the count is capped.
MAX_DISCLOSURES = 512
#: Longest single Disclosure: a portrait (JPEG, base64url, tens of kB) is the largest claim
#: value a credential here carries.
MAX_DISCLOSURE_BYTES = 128 * 1024


@dataclass(slots=True)
class SdJwtParts:
    """A split SD-JWT or SD-JWT+KB (nothing verified yet).

    ``issuer_jwts`` holds exactly one compact JWS (a tuple for API stability): JWS JSON with
    more than one signature is refused before anything is copied.
    """

    issuer_jwts: tuple[str, ...]
    disclosures: tuple[str, ...]
    kb_jwt: str | None
    sd_jwt: str

    @property
    def issuer_jwt(self) -> str:
        """The Issuer-signed JWT in compact form."""
        return self.issuer_jwts[0]


def _split_compact(text: str) -> SdJwtParts:
    if not text.isascii():  # O(1) in CPython; every component must be base64url anyway
        raise SdJwtError(Reason.MALFORMED, "an SD-JWT is ASCII only")
    # Counted before splitting: "~~~...~" would otherwise become a list of 8-byte pointers per byte.
    if text.count("~") > MAX_DISCLOSURES + 1:
        raise SdJwtError(Reason.TOO_MANY, f"more than {MAX_DISCLOSURES} disclosures")
    parts = text.split("~")
    if len(parts) < 2 or not parts[0]:
        raise SdJwtError(Reason.MALFORMED, "an SD-JWT is <JWT>~<Disclosures>~[<KB-JWT>]")
    disclosures = tuple(parts[1:-1])
    if "" in disclosures:
        raise SdJwtError(Reason.MALFORMED, "empty disclosure between '~' separators")
    if disclosures and max(map(len, disclosures)) > MAX_DISCLOSURE_BYTES:
        raise SdJwtError(Reason.TOO_LARGE, f"a disclosure longer than {MAX_DISCLOSURE_BYTES} bytes")
    kb = parts[-1] or None
    return SdJwtParts((parts[0],), disclosures, kb, text[: len(text) - len(parts[-1])])


def _disclosure_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise SdJwtError(Reason.MALFORMED, "disclosures must be an array of non-empty strings")
    if len(value) > MAX_DISCLOSURES:
        raise SdJwtError(Reason.TOO_MANY, f"more than {MAX_DISCLOSURES} disclosures")
    if not all(isinstance(v, str) and v for v in value):
        raise SdJwtError(Reason.MALFORMED, "disclosures must be an array of non-empty strings")
    if value and max(map(len, value)) > MAX_DISCLOSURE_BYTES:
        raise SdJwtError(Reason.TOO_LARGE, f"a disclosure longer than {MAX_DISCLOSURE_BYTES} bytes")
    return tuple(value)


def _the_signature(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """The one signature entry: Flattened (RFC 7515 7.2.2), or General (7.2.1) with exactly one.

    RFC 9901 Section 8 allows both; an SD-JWT has one Issuer and HAIP one key, so a second
    signature only costs work (each would need its own copy of the payload) and is refused
    before anything is copied or decoded.
    """
    if "signatures" not in obj:
        return obj
    entries = obj["signatures"]
    if not isinstance(entries, list) or not entries or not {"protected", "signature", "header"}.isdisjoint(obj):
        raise SdJwtError(Reason.MALFORMED, "JWS JSON signatures must be a non-empty array")
    if len(entries) != 1:
        raise SdJwtError(Reason.TOO_MANY, "JWS JSON must carry exactly one signature")
    entry = entries[0]
    if not isinstance(entry, dict):
        raise SdJwtError(Reason.MALFORMED, "JWS JSON signature entry is not an object")
    return entry


def _parse_json(obj: Mapping[str, Any], max_bytes: int) -> SdJwtParts:
    payload = obj.get("payload")
    entry = _the_signature(obj)
    protected, signature = entry.get("protected"), entry.get("signature")
    header = entry.get("header", {})
    if (
        not isinstance(payload, str)
        or not isinstance(protected, str)
        or not isinstance(signature, str)
        or not isinstance(header, dict)
    ):
        raise SdJwtError(Reason.MALFORMED, "JWS JSON needs payload, protected, signature and an object header")
    disclosures = _disclosure_list(header.get("disclosures", []))
    kb = header.get("kb_jwt")
    if kb is not None and (not isinstance(kb, str) or not kb):
        raise SdJwtError(Reason.MALFORMED, "kb_jwt must be a non-empty string")
    size = len(payload) + len(protected) + len(signature) + sum(map(len, disclosures)) + len(kb or "")
    if size > max_bytes:
        raise SdJwtError(Reason.TOO_LARGE, f"presentation longer than {max_bytes} bytes")
    compact = f"{protected}.{payload}.{signature}"
    sd_jwt = "~".join((compact, *disclosures)) + "~"
    if not sd_jwt.isascii() or (kb is not None and not kb.isascii()):
        raise SdJwtError(Reason.MALFORMED, "an SD-JWT is ASCII only")
    return SdJwtParts((compact,), disclosures, kb, sd_jwt)


def parse_presentation(presentation: str | Mapping[str, Any], *, max_bytes: int = DEFAULT_MAX_BYTES) -> SdJwtParts:
    """Split an SD-JWT / SD-JWT+KB given in Compact or JWS JSON Serialization.

    A string starting with ``{`` is read as JWS JSON; a mapping is taken as already parsed JSON.
    Limits (checked before any component is copied or decoded): ``max_bytes`` over all
    components, :data:`MAX_DISCLOSURES`, :data:`MAX_DISCLOSURE_BYTES`, one signature.
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
    return _parse_json(presentation, max_bytes)
