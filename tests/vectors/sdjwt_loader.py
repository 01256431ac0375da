"""Loads the SD-JWT and SD-JWT VC spec vectors (see README.md in this folder) and builds tampered twins.

Vectors are data; this module is the one helper that turns them into test cases.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from idcore.b64 import b64u_decode, b64u_encode, json_dumps
from idcore.jwk import public_key_from_jwk
from idcore.ports import FixedClock
from idcore.sdjwt import KeyBindingPolicy, VerifyOptions

HERE = Path(__file__).parent
SD_JWT_DIRS = ("sd_jwt_rfc9901", "sd_jwt_vc")


@dataclass(frozen=True)
class SdJwtCase:
    """One verification case: inputs plus the expected payload or reason code."""

    name: str
    presentation: str | dict[str, Any]
    issuer_jwk: dict[str, Any]
    options: VerifyOptions
    expected_payload: dict[str, Any] | None = None
    expected_reason: str | None = None

    @property
    def issuer_key(self) -> Any:
        return public_key_from_jwk(self.issuer_jwk)


def vector_files() -> list[Path]:
    return sorted(p for d in SD_JWT_DIRS for p in (HERE / d).glob("*.json"))


def load_case(path: Path) -> tuple[SdJwtCase, dict[str, Any]]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    kb = None
    if raw["kb_required"]:
        kb = KeyBindingPolicy(nonce=raw["key_binding"]["nonce"], aud=raw["key_binding"]["aud"])
    options = VerifyOptions(clock=FixedClock(raw["now"]), typ=raw.get("expected_typ"), key_binding=kb)
    case = SdJwtCase(
        raw["name"],
        _first_signature_only(raw["sd_jwt_presentation"]),
        raw["issuer_public_jwk"],
        options,
        raw["expected_verified_payload"],
    )
    return case, raw


def _first_signature_only(presentation: str | dict[str, Any]) -> str | dict[str, Any]:
    """General JSON with several signatures is refused (one issuer, one signature); the first one
    alone is the same SD-JWT (RFC 9901 Section 8.3 puts Disclosures and KB-JWT in its header)."""
    if isinstance(presentation, dict) and len(presentation.get("signatures", [])) > 1:
        return {**presentation, "signatures": presentation["signatures"][:1]}
    return presentation


# --- tampering helpers: each returns a presentation that must be rejected -------------------


def _swap_char(text: str, index: int) -> str:
    """Replace one base64url character with another that keeps the string canonical."""
    c = text[index]
    return text[:index] + ("A" if c != "A" else "B") + text[index + 1 :]


def _compact_parts(presentation: str) -> list[str]:
    return presentation.split("~")


def _resign_free_payload_edit(jwt: str) -> str:
    """Change a claim in the Issuer-signed JWT payload without re-signing it."""
    h, p, s = jwt.split(".")
    payload = json.loads(b64u_decode(p))
    payload["iss"] = "https://attacker.example"
    return f"{h}.{b64u_encode(json_dumps(payload))}.{s}"


def _digest(encoded: str) -> str:
    return b64u_encode(hashlib.sha256(encoded.encode("ascii")).digest())


def _forged_disclosure(encoded: str) -> str:
    content = json.loads(b64u_decode(encoded))
    content[-1] = "forged value"
    return b64u_encode(json_dumps(content))


def _with_issuer_jwt(case: SdJwtCase, fn: Any) -> str | dict[str, Any]:
    p = case.presentation
    if isinstance(p, str):
        parts = _compact_parts(p)
        parts[0] = fn(parts[0])
        return "~".join(parts)
    p = copy.deepcopy(p)
    entry = p["signatures"][0] if "signatures" in p else p
    compact = fn(f"{entry['protected']}.{p['payload']}.{entry['signature']}")
    entry["protected"], p["payload"], entry["signature"] = compact.split(".")
    if "signatures" in p:  # the other signatures cover the old payload; drop them
        p["signatures"] = p["signatures"][:1]
    return p


def _disclosures(case: SdJwtCase) -> list[str]:
    p = case.presentation
    if isinstance(p, str):
        return _compact_parts(p)[1:-1]
    entry = p["signatures"][0] if "signatures" in p else p
    return list(entry.get("header", {}).get("disclosures", []))


def _with_disclosures(case: SdJwtCase, disclosures: list[str]) -> str | dict[str, Any]:
    p = case.presentation
    if isinstance(p, str):
        parts = _compact_parts(p)
        return "~".join([parts[0], *disclosures, parts[-1]])
    p = copy.deepcopy(p)
    entry = p["signatures"][0] if "signatures" in p else p
    entry["header"]["disclosures"] = disclosures
    return p


def _kb_jwt(case: SdJwtCase) -> str | None:
    p = case.presentation
    if isinstance(p, str):
        return _compact_parts(p)[-1] or None
    entry = p["signatures"][0] if "signatures" in p else p
    kb = entry.get("header", {}).get("kb_jwt")
    return kb if isinstance(kb, str) else None


def _without_kb(case: SdJwtCase) -> str | dict[str, Any]:
    p = case.presentation
    if isinstance(p, str):
        return p[: p.rindex("~") + 1]
    p = copy.deepcopy(p)
    entry = p["signatures"][0] if "signatures" in p else p
    del entry["header"]["kb_jwt"]
    return p


def tampered_twins(case: SdJwtCase) -> Iterator[SdJwtCase]:
    """Every way we tamper with a positive vector, each with the reason code it must produce."""

    def twin(suffix: str, reason: str, **changes: Any) -> SdJwtCase:
        return replace(case, name=f"{case.name}/{suffix}", expected_payload=None, expected_reason=reason, **changes)

    sig_index = lambda jwt: jwt.rindex(".") + 10  # noqa: E731 - a char well inside the signature
    yield twin(
        "issuer-signature", "bad_signature", presentation=_with_issuer_jwt(case, lambda j: _swap_char(j, sig_index(j)))
    )
    yield twin("issuer-payload", "bad_signature", presentation=_with_issuer_jwt(case, _resign_free_payload_edit))
    yield twin("alg-not-allowed", "alg_not_allowed", options=replace(case.options, algorithms=frozenset({"ES384"})))
    yield twin("typ-mismatch", "typ_mismatch", options=replace(case.options, typ="other+sd-jwt"))
    exp = (case.expected_payload or {}).get("exp")
    if isinstance(exp, int):
        yield twin("expired", "expired", options=replace(case.options, clock=FixedClock(exp + 3600)))
    disclosures = _disclosures(case)
    if disclosures:
        forged = [_forged_disclosure(disclosures[0]), *disclosures[1:]]
        yield twin("forged-disclosure", "unreferenced_disclosure", presentation=_with_disclosures(case, forged))
        yield twin(
            "duplicate-disclosure",
            "duplicate_disclosure",
            presentation=_with_disclosures(case, [*disclosures, disclosures[0]]),
        )
    if isinstance(case.presentation, dict) and "signatures" in case.presentation:
        entry = case.presentation["signatures"][0]
        second = {"protected": entry["protected"], "signature": entry["signature"]}
        yield twin("second-signature", "too_many", presentation={**case.presentation, "signatures": [entry, second]})
    kb = case.options.key_binding
    if kb is None:
        return
    yield twin("kb-missing", "kb_missing", presentation=_without_kb(case))
    yield twin("nonce", "nonce_mismatch", options=replace(case.options, key_binding=replace(kb, nonce="other")))
    yield twin(
        "aud", "aud_mismatch", options=replace(case.options, key_binding=replace(kb, aud="https://other.example"))
    )
    late = FixedClock(case.options.clock.now() + 3600)
    yield twin("kb-stale", "iat_out_of_window", options=replace(case.options, clock=late))
    leaves = [d for d in disclosures if not any(_digest(o) in b64u_decode(d).decode() for o in disclosures)]
    if leaves:  # dropping a leaf Disclosure keeps every digest valid but breaks sd_hash
        kept = [d for d in disclosures if d != leaves[0]]
        yield twin("dropped-disclosure", "sd_hash_mismatch", presentation=_with_disclosures(case, kept))
    kb_jwt = _kb_jwt(case)
    if kb_jwt is not None and isinstance(case.presentation, str):
        bad_kb = _swap_char(kb_jwt, sig_index(kb_jwt))
        yield twin("kb-signature", "bad_signature", presentation=case.presentation[: -len(kb_jwt)] + bad_kb)
