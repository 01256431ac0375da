"""Private and public keys for the algorithms idcore signs with: PEM (PKCS#8 / SPKI) and JWK forms.

Key types follow the JOSE algorithms idcore allows (RFC 7518 Section 3.4 for ``ES256``/``ES384``,
RFC 8037 Section 3.1 for ``EdDSA`` with Ed25519). Private JWKs carry ``d`` as RFC 7518
Section 6.2.2.1 (EC) and RFC 8037 Section 2 (OKP) define it. Every other key type (RSA, other
curves, X25519, ...) is refused with :class:`~idcore.errors.KeyStoreError` ``bad_key``, and every
parsing or decryption failure comes out as a :class:`~idcore.errors.KeyStoreError`, never as a raw
``ValueError`` from the crypto library.

Public JWKs are produced and read by :mod:`idcore.jwk` (``public_jwk``, ``public_key_from_jwk``,
``jwk_thumbprint``); this module adds only the private members.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from idcore.b64 import b64u_decode, b64u_encode
from idcore.errors import IdcoreError, KeyStoreError, Reason
from idcore.jwk import PublicKey, public_jwk, public_key_from_jwk

__all__ = [
    "KEY_ALGS",
    "PrivateKey",
    "alg_for_key",
    "generate_private_key",
    "private_jwk",
    "private_key_from_jwk",
    "private_key_from_pem",
    "private_key_to_pem",
    "public_key_from_pem",
    "public_key_to_pem",
]

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

#: JWS algorithms for which idcore can generate and hold keys.
KEY_ALGS = frozenset({"ES256", "ES384", "EdDSA"})

_EC_CURVES: dict[str, tuple[type[ec.EllipticCurve], int]] = {
    "ES256": (ec.SECP256R1, 32),
    "ES384": (ec.SECP384R1, 48),
}
_ALG_BY_CURVE = {"secp256r1": "ES256", "secp384r1": "ES384"}
_ALG_BY_JWK_CRV = {"P-256": "ES256", "P-384": "ES384"}


def _check_bytes(data: object, passphrase: object) -> None:
    # cryptography reports a str here as a TypeError that reads like a passphrase problem.
    if not isinstance(data, bytes):
        raise KeyStoreError(Reason.MALFORMED, "PEM data must be bytes")
    if passphrase is not None and not isinstance(passphrase, bytes):
        raise KeyStoreError(Reason.MALFORMED, "passphrase must be bytes")


def generate_private_key(alg: str = "ES256") -> PrivateKey:
    """Generate a fresh private key for ``alg``: ES256 → P-256, ES384 → P-384, EdDSA → Ed25519."""
    if alg in _EC_CURVES:
        return ec.generate_private_key(_EC_CURVES[alg][0]())
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    raise KeyStoreError(Reason.ALG_NOT_ALLOWED, f"cannot generate keys for alg {alg!r}")


def alg_for_key(key: PrivateKey | PublicKey) -> str:
    """Return the JWS ``alg`` a key signs or verifies with (``ES256``, ``ES384`` or ``EdDSA``)."""
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        alg = _ALG_BY_CURVE.get(key.curve.name)
        if alg is None:
            raise KeyStoreError(Reason.BAD_KEY, f"unsupported EC curve {key.curve.name}")
        return alg
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return "EdDSA"
    raise KeyStoreError(Reason.BAD_KEY, f"unsupported key type {type(key).__name__}")


def private_key_to_pem(key: PrivateKey, passphrase: bytes | None = None) -> bytes:
    """Serialise a private key as PKCS#8 PEM, encrypted with the best available scheme if a passphrase is given."""
    alg_for_key(key)  # refuse unsupported key types before writing anything
    _check_bytes(b"", passphrase)
    if passphrase is None:
        encryption: serialization.KeySerializationEncryption = serialization.NoEncryption()
    elif not passphrase:
        # An empty passphrase would look encrypted while protecting nothing.
        raise KeyStoreError(Reason.KEY_STORE, "empty passphrase")
    else:
        encryption = serialization.BestAvailableEncryption(passphrase)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def private_key_from_pem(data: bytes, passphrase: bytes | None = None) -> PrivateKey:
    """Load a PEM private key; refuse unsupported key types and report any failure as KeyStoreError.

    A passphrase given for an unencrypted key is refused too: a store that expects encrypted
    keys must not silently accept a plaintext one.
    """
    _check_bytes(data, passphrase)
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except TypeError:
        # cryptography signals a passphrase given/missing mismatch with TypeError.
        wanted = "no passphrase was given" if passphrase is None else "the key is not encrypted"
        raise KeyStoreError(Reason.KEY_STORE, f"cannot load private key: {wanted}") from None
    except (ValueError, UnsupportedAlgorithm):
        # Wrong passphrase and corrupt data are indistinguishable here, on purpose.
        raise KeyStoreError(Reason.KEY_STORE, "cannot load private key (wrong passphrase or bad PEM)") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise KeyStoreError(Reason.BAD_KEY, f"unsupported private key type {type(key).__name__}")
    alg_for_key(key)
    return key


def public_key_to_pem(key: PublicKey | PrivateKey) -> bytes:
    """Serialise the public part of a key as SubjectPublicKeyInfo PEM (RFC 5280 Section 4.1.2.7)."""
    if isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        key = key.public_key()
    alg_for_key(key)
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_key_from_pem(data: bytes) -> PublicKey:
    """Load a SubjectPublicKeyInfo PEM public key of a supported type."""
    _check_bytes(data, None)
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise KeyStoreError(Reason.BAD_KEY, "cannot load public key PEM") from None
    if not isinstance(key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        raise KeyStoreError(Reason.BAD_KEY, f"unsupported public key type {type(key).__name__}")
    alg_for_key(key)
    return key


def private_jwk(key: PrivateKey) -> dict[str, str]:
    """Export a private key as a JWK including ``d`` (RFC 7518 6.2.2.1, RFC 8037 Section 2).

    Handle the result like the key itself: never log it, never put it in a header.
    """
    jwk = public_jwk(key)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        size = _EC_CURVES[alg_for_key(key)][1]
        jwk["d"] = b64u_encode(key.private_numbers().private_value.to_bytes(size, "big"))
    else:
        raw = key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        jwk["d"] = b64u_encode(raw)
    return jwk


def _private_d(jwk: Mapping[str, Any], size: int) -> bytes:
    d = jwk.get("d")
    if not isinstance(d, str):
        raise KeyStoreError(Reason.BAD_KEY, "private JWK has no 'd'")
    try:
        raw = b64u_decode(d)
    except IdcoreError:
        raise KeyStoreError(Reason.BAD_KEY, "private JWK 'd' is not base64url") from None
    if len(raw) != size:
        raise KeyStoreError(Reason.BAD_KEY, "private JWK 'd' has the wrong length")
    return raw


def private_key_from_jwk(jwk: Mapping[str, Any]) -> PrivateKey:
    """Import a private JWK (EC P-256/P-384 or OKP Ed25519) and check ``d`` matches its public members."""
    if not isinstance(jwk, Mapping):
        raise KeyStoreError(Reason.BAD_KEY, "JWK is not a JSON object")
    public_members = {k: v for k, v in jwk.items() if k != "d"}
    try:
        claimed_public = public_key_from_jwk(public_members)
    except IdcoreError as exc:
        raise KeyStoreError(Reason.BAD_KEY, f"private JWK: {exc.detail}") from None
    key: PrivateKey
    if isinstance(claimed_public, ec.EllipticCurvePublicKey):
        alg = _ALG_BY_JWK_CRV[str(jwk["crv"])]
        curve, size = _EC_CURVES[alg]
        scalar = int.from_bytes(_private_d(jwk, size), "big")
        try:
            key = ec.derive_private_key(scalar, curve())
        except ValueError:
            raise KeyStoreError(Reason.BAD_KEY, "private JWK 'd' is out of range") from None
    else:
        key = ed25519.Ed25519PrivateKey.from_private_bytes(_private_d(jwk, 32))
    # A JWK whose d and x/y disagree would sign with one key and advertise another.
    if not hmac.compare_digest(public_key_to_pem(key), public_key_to_pem(claimed_public)):
        raise KeyStoreError(Reason.BAD_KEY, "private JWK 'd' does not match its public members")
    return key
