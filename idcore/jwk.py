"""JSON Web Keys (RFC 7517/7518) for the public keys idcore verifies with, and RFC 7638 thumbprints.

Only the key types the algorithm allow-list can use are accepted: EC P-256 and P-384
(RFC 7518 Section 6.2) and OKP Ed25519 (RFC 8037). A JWK carrying private members is refused
wherever a public key is expected, so a private key that leaked into a header or a ``cnf``
claim is never silently accepted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from idcore.b64 import b64u_decode, b64u_encode, json_dumps
from idcore.errors import JoseError, Reason

__all__ = [
    "PRIVATE_MEMBERS",
    "PublicKey",
    "jwk_thumbprint",
    "public_jwk",
    "public_key_from_jwk",
]

PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

# Private key members of RSA, EC, OKP and symmetric JWKs (RFC 7518 Section 6, RFC 8037).
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})

_CURVES: dict[str, tuple[ec.EllipticCurve, int]] = {
    "P-256": (ec.SECP256R1(), 32),
    "P-384": (ec.SECP384R1(), 48),
}
_P256 = ec.SECP256R1()
_CURVE_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384"}


def _member(jwk: Mapping[str, Any], name: str) -> str:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise JoseError(Reason.BAD_KEY, f"JWK member {name!r} missing or not a string")
    return value


def public_key_from_jwk(jwk: Mapping[str, Any]) -> PublicKey:
    """Import a public JWK, validating the point; refuse private members and unknown types."""
    if not isinstance(jwk, Mapping):
        raise JoseError(Reason.BAD_KEY, "JWK is not a JSON object")
    if PRIVATE_MEMBERS.intersection(jwk):
        raise JoseError(Reason.PRIVATE_KEY_IN_HEADER, "JWK carries private key members")
    kty = jwk.get("kty")
    try:
        if kty == "EC" and jwk.get("crv") == "P-256":  # the hot path: every KB-JWT verification
            x, y = jwk.get("x"), jwk.get("y")
            if x.__class__ is str and y.__class__ is str and len(x) == 43 and len(y) == 43:
                return ec.EllipticCurvePublicKey.from_encoded_point(_P256, b"\x04" + b64u_decode(x) + b64u_decode(y))
        if kty == "EC":
            crv = _member(jwk, "crv")
            if crv not in _CURVES:
                raise JoseError(Reason.BAD_KEY, f"unsupported EC curve {crv!r}")
            curve, size = _CURVES[crv]
            x, y = b64u_decode(_member(jwk, "x")), b64u_decode(_member(jwk, "y"))
            if len(x) != size or len(y) != size:
                raise JoseError(Reason.BAD_KEY, "EC coordinate has the wrong length")
            # from_encoded_point checks that the point is on the curve.
            return ec.EllipticCurvePublicKey.from_encoded_point(curve, b"\x04" + x + y)
        if kty == "OKP":
            if _member(jwk, "crv") != "Ed25519":
                raise JoseError(Reason.BAD_KEY, "unsupported OKP curve")
            raw = b64u_decode(_member(jwk, "x"))
            if len(raw) != 32:
                raise JoseError(Reason.BAD_KEY, "Ed25519 key has the wrong length")
            return ed25519.Ed25519PublicKey.from_public_bytes(raw)
    except JoseError:
        raise
    except Exception as exc:  # invalid point, bad base64, ...
        reason = getattr(exc, "reason", Reason.BAD_KEY)
        raise JoseError(reason if isinstance(reason, Reason) else Reason.BAD_KEY, "invalid JWK") from None
    raise JoseError(Reason.BAD_KEY, f"unsupported key type {kty!r}")


def public_jwk(key: PublicKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey) -> dict[str, str]:
    """Export the public part of a key as a JWK with only the required members."""
    if isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        key = key.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        crv = _CURVE_NAMES.get(key.curve.name)
        if crv is None:
            raise JoseError(Reason.BAD_KEY, f"unsupported curve {key.curve.name}")
        size = _CURVES[crv][1]
        nums = key.public_numbers()
        return {
            "kty": "EC",
            "crv": crv,
            "x": b64u_encode(nums.x.to_bytes(size, "big")),
            "y": b64u_encode(nums.y.to_bytes(size, "big")),
        }
    if isinstance(key, ed25519.Ed25519PublicKey):
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64u_encode(raw)}
    raise JoseError(Reason.BAD_KEY, "unsupported key type")


_THUMBPRINT_MEMBERS = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x"), "RSA": ("e", "kty", "n")}


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 JWK SHA-256 thumbprint (base64url) over the required members in lexical order."""
    kty = jwk.get("kty")
    members = _THUMBPRINT_MEMBERS.get(kty) if isinstance(kty, str) else None
    if members is None:
        raise JoseError(Reason.BAD_KEY, f"unsupported key type {kty!r}")
    required = {m: _member(jwk, m) for m in members}
    return b64u_encode(hashlib.sha256(json_dumps(required)).digest())
