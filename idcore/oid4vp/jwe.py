"""Compact JWE with ECDH-ES on P-256 and AES-GCM, for ``direct_post.jwt`` responses.

OpenID4VP 1.0 Section 8.3 ("Encrypted Responses") and HAIP Section 5 ("OpenID for Verifiable
Presentations"): the response is an unsigned, encrypted JWT; ``alg`` ``ECDH-ES`` with P-256 keys
must be supported, and Verifiers must accept ``enc`` ``A128GCM`` and ``A256GCM``.

The cryptography (RFC 7518 Section 4.6 ECDH-ES key agreement with the Concat KDF, Section 5.3
AES-GCM, RFC 7516 compact serialisation) is joserfc's, the JOSE library authlib itself builds on;
this module only adds what OpenID4VP and our threat model ask on top, before joserfc sees the token:
the closed set of algorithms, the size limits, the header shape, and one opaque reason code for
every failure after that. Cost, measured (``benchmarks/jwe.py``): ~180 µs per ~3 kB response,
~95 µs more than the hand-written version it replaced, ~6 % of a served ``direct_post``.

Refused: any other ``alg``/``enc``, ``zip`` (compressed plaintexts leak length, and nothing here
needs them, so no decompression ever runs and the plaintext is never larger than the
ciphertext), ``crit``, an ``epk`` that is not a public P-256 point, a non-empty encrypted key,
and every authentication failure (one opaque ``decryption_failed``).

Limits, checked before anything is decoded: the whole token (:data:`MAX_JWE_BYTES`, which
bounds ciphertext and plaintext) and the protected header (:data:`MAX_JWE_HEADER_BYTES`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from idcore.b64 import b64u_decode, json_dumps, json_loads
from idcore.errors import IdcoreError, Reason
from idcore.jwk import public_key_from_jwk

__all__ = [
    "ALG_ECDH_ES",
    "ENC_ALGS",
    "MAX_JWE_BYTES",
    "MAX_JWE_HEADER_BYTES",
    "JweError",
    "decrypt_compact",
    "encrypt_compact",
    "protected_header",
]

ALG_ECDH_ES = "ECDH-ES"
#: ``enc`` -> key length in bytes (RFC 7518 Section 5.3).
ENC_ALGS: Mapping[str, int] = {"A128GCM": 16, "A256GCM": 32}
#: Longest compact JWE: the Verifier's form cap (OpenID4VP ``direct_post.jwt``, up to 16
#: presentations). AES-GCM adds 16 bytes, so this also bounds the plaintext.
MAX_JWE_BYTES = 1024 * 1024
#: Longest encoded protected header: ``alg``, ``enc``, ``kid``, an ``epk`` P-256 JWK (~150 bytes)
#: and ``apu``/``apv`` (nonces, OpenID4VP Section 8.3) fit in well under 1 KiB.
MAX_JWE_HEADER_BYTES = 4 * 1024


class JweError(IdcoreError):
    """A JWE could not be produced or was refused; always ``decryption_failed`` or a shape reason."""


def _registry(enc: str, max_bytes: int = MAX_JWE_BYTES) -> jwe.JWERegistry:
    """joserfc limited to ECDH-ES and this ``enc``, with our size limits instead of its 64 KiB defaults.

    Other header names are ours to judge, and :func:`_check_header` did before this is used.
    """
    registry = jwe.JWERegistry(algorithms=[ALG_ECDH_ES, enc], strict_check_header=False)
    registry.max_protected_header_length = MAX_JWE_HEADER_BYTES
    registry.max_ciphertext_length = max_bytes
    return registry


def _p256_key_from(jwk: Any) -> ec.EllipticCurvePublicKey:
    if not isinstance(jwk, Mapping) or jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise JweError(Reason.BAD_KEY, "ECDH-ES key must be an EC P-256 JWK")
    key = public_key_from_jwk(jwk)
    if not isinstance(key, ec.EllipticCurvePublicKey):  # pragma: no cover - kty checked above
        raise JweError(Reason.BAD_KEY, "ECDH-ES key must be an EC P-256 JWK")
    return key


def encrypt_compact(
    plaintext: bytes,
    recipient_jwk: Mapping[str, Any],
    *,
    enc: str,
    kid: str | None = None,
    extra_header: Mapping[str, Any] | None = None,
) -> str:
    """Encrypt ``plaintext`` to a P-256 public JWK with ECDH-ES + ``enc`` (the Wallet's side).

    joserfc draws the ephemeral key and the IV from the operating system's CSPRNG.
    """
    if enc not in ENC_ALGS:
        raise JweError(Reason.ALG_NOT_ALLOWED, f"enc {enc!r} not supported")
    recipient = ECKey.import_key(_p256_key_from(recipient_jwk))
    header: dict[str, Any] = {**(extra_header or {}), "alg": ALG_ECDH_ES, "enc": enc}
    if kid is not None:
        header["kid"] = kid
    json_dumps(header)  # our JSON rules (no NaN, str keys) before joserfc serialises it
    return jwe.encrypt_compact(header, plaintext, recipient, registry=_registry(enc))


def _decode_header(protected: str) -> dict[str, Any]:
    if len(protected) > MAX_JWE_HEADER_BYTES:
        raise JweError(Reason.TOO_LARGE, f"JWE protected header longer than {MAX_JWE_HEADER_BYTES} bytes")
    try:
        header = json_loads(b64u_decode(protected))
    except IdcoreError as exc:
        raise JweError(exc.reason, f"JWE: {exc.detail}") from None
    if not isinstance(header, dict):
        raise JweError(Reason.MALFORMED, "JWE header is not a JSON object")
    return header


def protected_header(token: str) -> dict[str, Any]:
    """The decoded protected header of a compact JWE, unauthenticated (to find the key by ``kid``).

    Only the first part is read, and it is refused over :data:`MAX_JWE_HEADER_BYTES`.
    """
    if not isinstance(token, str):
        raise JweError(Reason.MALFORMED, "JWE is not a string")
    end = token.find(".", 0, MAX_JWE_HEADER_BYTES + 1)
    return _decode_header(token[: MAX_JWE_HEADER_BYTES + 1] if end < 0 else token[:end])


def _parse(token: str, max_bytes: int) -> tuple[dict[str, Any], bytes, bytes]:
    """Shape checks before joserfc sees the token: size, five parts, base64url, empty key; ``(header, iv, tag)``."""
    if not isinstance(token, str):
        raise JweError(Reason.MALFORMED, "JWE is not a string")
    if len(token) > max_bytes:
        raise JweError(Reason.TOO_LARGE, f"JWE longer than {max_bytes} bytes")
    if token.count(".") != 4:  # before splitting: "...." would become a list of pointers per byte
        raise JweError(Reason.MALFORMED, "compact JWE must have five parts")
    protected, encrypted_key, iv, ciphertext, tag = token.split(".")
    header = _decode_header(protected)
    try:
        decoded = [b64u_decode(p) for p in (encrypted_key, iv, ciphertext, tag)]
    except IdcoreError as exc:
        raise JweError(exc.reason, f"JWE: {exc.detail}") from None
    if decoded[0]:
        raise JweError(Reason.MALFORMED, "ECDH-ES direct key agreement has an empty encrypted key")
    return header, decoded[1], decoded[3]


def _check_header(header: Mapping[str, Any], encs: Collection[str]) -> str:
    """The closed set: ``alg`` ECDH-ES, an allowed ``enc``, no ``zip``/``crit``, base64url ``apu``/``apv``."""
    if header.get("alg") != ALG_ECDH_ES:
        raise JweError(Reason.ALG_NOT_ALLOWED, f"JWE alg {header.get('alg')!r} not allowed")
    enc = header.get("enc")
    if not isinstance(enc, str) or enc not in ENC_ALGS or enc not in encs:
        raise JweError(Reason.ALG_NOT_ALLOWED, f"JWE enc {enc!r} not allowed")
    if "zip" in header or "crit" in header:
        raise JweError(Reason.UNKNOWN_CRIT, "JWE zip and crit are not supported")
    for name in ("apu", "apv"):
        value = header.get(name, "")
        if not isinstance(value, str):
            raise JweError(Reason.MALFORMED, f"JWE {name} is not a string")
        try:
            b64u_decode(value)
        except IdcoreError as exc:
            raise JweError(exc.reason, f"JWE {name}") from None
    return enc


def decrypt_compact(
    token: str,
    private_key: ec.EllipticCurvePrivateKey,
    *,
    encs: Collection[str] = ("A128GCM", "A256GCM"),
    expected_kid: str | None = None,
    max_bytes: int = MAX_JWE_BYTES,
) -> tuple[dict[str, Any], bytes]:
    """Decrypt a compact ECDH-ES JWE with the Verifier's ephemeral P-256 key; return ``(header, plaintext)``."""
    if not isinstance(private_key.curve, ec.SECP256R1):
        raise JweError(Reason.BAD_KEY, "the decryption key must be P-256")
    header, iv, tag = _parse(token, max_bytes)
    enc = _check_header(header, encs)
    if expected_kid is not None and header.get("kid") != expected_kid:
        raise JweError(Reason.DECRYPTION_FAILED, "JWE kid does not name this transaction's key")
    try:
        _p256_key_from(header.get("epk"))  # a public P-256 point, whatever joserfc would take
    except IdcoreError as exc:
        raise JweError(Reason.DECRYPTION_FAILED, f"JWE epk: {exc.detail}") from None
    if len(iv) != 12 or len(tag) != 16:
        raise JweError(Reason.DECRYPTION_FAILED, "AES-GCM needs a 96-bit IV and a 128-bit tag")
    try:
        plaintext = jwe.decrypt_compact(
            token, ECKey.import_key(private_key), registry=_registry(enc, max_bytes)
        ).plaintext
    except (JoseError, ValueError):
        raise JweError(Reason.DECRYPTION_FAILED, "JWE authentication failed") from None
    if plaintext is None:  # pragma: no cover - joserfc sets it whenever decryption succeeds
        raise JweError(Reason.DECRYPTION_FAILED, "JWE had no plaintext")
    return header, plaintext
