"""Shared builders for SD-JWT unit tests: real keys, a fixed clock, hand-made payloads."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from idcore.b64 import b64u_encode, json_dumps
from idcore.jose import KeySigner, sign_compact
from idcore.ports import FixedClock, SystemRandom
from idcore.sdjwt import KeyBindingPolicy, VerifyOptions
from idcore.sdjwt.disclosure import digest

NOW = 1_800_000_000
NONCE = "n-0S6_WzA2Mj"
AUD = "x509_san_dns:verifier.example.org"


@dataclass
class Keys:
    issuer: KeySigner
    holder: KeySigner

    @classmethod
    def generate(cls) -> Keys:
        new = lambda: KeySigner(ec.generate_private_key(ec.SECP256R1()))  # noqa: E731
        return cls(new(), new())


def random() -> SystemRandom:
    return SystemRandom()


def options(kb: bool = True, now: int = NOW, typ: str | None = "example+sd-jwt") -> VerifyOptions:
    policy = KeyBindingPolicy(nonce=NONCE, aud=AUD) if kb else None
    return VerifyOptions(clock=FixedClock(now), typ=typ, key_binding=policy)


def disclosure(*content: Any) -> str:
    """Encode any JSON array (well-formed or not) as a Disclosure string."""
    return b64u_encode(json_dumps(list(content)))


def raw_disclosure(value: Any) -> str:
    return b64u_encode(json_dumps(value))


def sd(encoded: str) -> str:
    return digest(encoded)


def signed(payload: dict[str, Any], keys: Keys, typ: str = "example+sd-jwt") -> str:
    body = {
        "iss": "https://issuer.example",
        "iat": NOW - 100,
        "exp": NOW + 10_000,
        "cnf": {"jwk": dict(keys.holder.public_jwk)},
        **payload,
    }
    return sign_compact({"typ": typ}, body, keys.issuer)


def kb_jwt(sd_jwt: str, keys: Keys, **overrides: Any) -> str:
    claims = {"iat": NOW - 5, "aud": AUD, "nonce": NONCE, "sd_hash": digest(sd_jwt), **overrides}
    claims = {k: v for k, v in claims.items() if v is not None}
    return sign_compact({"typ": overrides.pop("typ", "kb+jwt")}, claims, keys.holder)


def present(jwt: str, disclosures: Sequence[str], keys: Keys | None = None) -> str:
    sd_jwt = "~".join((jwt, *disclosures)) + "~"
    return sd_jwt + kb_jwt(sd_jwt, keys) if keys is not None else sd_jwt


def salt() -> str:
    return secrets.token_urlsafe(16)
