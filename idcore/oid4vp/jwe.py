"""Compact JWE with ECDH-ES on P-256 and AES-GCM, for ``direct_post.jwt`` responses.

OpenID4VP 1.0 Section 8.3 ("Encrypted Responses") and HAIP Section 5 ("OpenID for Verifiable
Presentations"): the response is an unsigned, encrypted JWT; ``alg`` ``ECDH-ES`` with P-256 keys
must be supported, and Verifiers must accept ``enc`` ``A128GCM`` and ``A256GCM``.

Implemented on ``cryptography`` rather than authlib's JOSE so that the accepted algorithms are
an explicit closed set in ~150 reviewable lines and errors map onto idcore reason codes:

* RFC 7518 Section 4.6 — ECDH-ES in Direct Key Agreement mode: the Content Encryption Key is
  Concat KDF (NIST SP 800-56A, SHA-256) of the shared secret with ``AlgorithmID`` = the ``enc``
  value, ``PartyUInfo``/``PartyVInfo`` from ``apu``/``apv``, ``SuppPubInfo`` = key length in bits;
  the JWE Encrypted Key is empty.
* RFC 7518 Section 5.3 — AES GCM with a 96-bit IV and a 128-bit tag; the Additional
  Authenticated Data is the ASCII of the encoded Protected Header (RFC 7516 Section 5.1 step 14).
* RFC 7516 Section 7.1 — compact serialisation ``header.key.iv.ciphertext.tag``.

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

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash

from idcore.b64 import b64u_decode, b64u_encode, json_dumps, json_loads
from idcore.errors import IdcoreError, Reason
from idcore.jwk import public_jwk, public_key_from_jwk
from idcore.ports import RandomSource

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
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class JweError(IdcoreError):
    """A JWE could not be produced or was refused; always ``decryption_failed`` or a shape reason."""


def _length_prefixed(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def _derive_cek(shared: bytes, enc: str, apu: bytes, apv: bytes) -> bytes:
    """Concat KDF of RFC 7518 Section 4.6.2 for Direct Key Agreement (AlgorithmID = ``enc``)."""
    size = ENC_ALGS[enc]
    other_info = (
        _length_prefixed(enc.encode("ascii"))
        + _length_prefixed(apu)
        + _length_prefixed(apv)
        + (size * 8).to_bytes(4, "big")
    )
    return ConcatKDFHash(algorithm=hashes.SHA256(), length=size, otherinfo=other_info).derive(shared)


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
    random: RandomSource,
    kid: str | None = None,
    extra_header: Mapping[str, Any] | None = None,
) -> str:
    """Encrypt ``plaintext`` to a P-256 public JWK with ECDH-ES + ``enc`` (the Wallet's side)."""
    if enc not in ENC_ALGS:
        raise JweError(Reason.ALG_NOT_ALLOWED, f"enc {enc!r} not supported")
    recipient = _p256_key_from(recipient_jwk)
    # The ephemeral key comes from the injected randomness, so tests stay reproducible.
    scalar = int.from_bytes(random.token_bytes(40), "big") % (_P256_ORDER - 1) + 1
    ephemeral = ec.derive_private_key(scalar, ec.SECP256R1())
    header: dict[str, Any] = {**(extra_header or {}), "alg": ALG_ECDH_ES, "enc": enc, "epk": public_jwk(ephemeral)}
    if kid is not None:
        header["kid"] = kid
    apu = b64u_decode(header["apu"]) if isinstance(header.get("apu"), str) else b""
    apv = b64u_decode(header["apv"]) if isinstance(header.get("apv"), str) else b""
    cek = _derive_cek(ephemeral.exchange(ec.ECDH(), recipient), enc, apu, apv)
    protected = b64u_encode(json_dumps(header))
    iv = random.token_bytes(12)
    sealed = AESGCM(cek).encrypt(iv, plaintext, protected.encode("ascii"))
    ciphertext, tag = sealed[:-16], sealed[-16:]
    return f"{protected}..{b64u_encode(iv)}.{b64u_encode(ciphertext)}.{b64u_encode(tag)}"


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


def _parse(token: str, max_bytes: int) -> tuple[str, dict[str, Any], bytes, bytes, bytes]:
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
    return protected, header, decoded[1], decoded[2], decoded[3]


def _check_header(header: Mapping[str, Any], encs: Collection[str]) -> tuple[str, bytes, bytes]:
    if header.get("alg") != ALG_ECDH_ES:
        raise JweError(Reason.ALG_NOT_ALLOWED, f"JWE alg {header.get('alg')!r} not allowed")
    enc = header.get("enc")
    if not isinstance(enc, str) or enc not in ENC_ALGS or enc not in encs:
        raise JweError(Reason.ALG_NOT_ALLOWED, f"JWE enc {enc!r} not allowed")
    if "zip" in header or "crit" in header:
        raise JweError(Reason.UNKNOWN_CRIT, "JWE zip and crit are not supported")
    party: list[bytes] = []
    for name in ("apu", "apv"):
        value = header.get(name, "")
        if not isinstance(value, str):
            raise JweError(Reason.MALFORMED, f"JWE {name} is not a string")
        try:
            party.append(b64u_decode(value))
        except IdcoreError as exc:
            raise JweError(exc.reason, f"JWE {name}") from None
    return enc, party[0], party[1]


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
    protected, header, iv, ciphertext, tag = _parse(token, max_bytes)
    enc, apu, apv = _check_header(header, encs)
    if expected_kid is not None and header.get("kid") != expected_kid:
        raise JweError(Reason.DECRYPTION_FAILED, "JWE kid does not name this transaction's key")
    try:
        epk = _p256_key_from(header.get("epk"))
    except IdcoreError as exc:
        raise JweError(Reason.DECRYPTION_FAILED, f"JWE epk: {exc.detail}") from None
    if len(iv) != 12 or len(tag) != 16:
        raise JweError(Reason.DECRYPTION_FAILED, "AES-GCM needs a 96-bit IV and a 128-bit tag")
    cek = _derive_cek(private_key.exchange(ec.ECDH(), epk), enc, apu, apv)
    try:
        plaintext = AESGCM(cek).decrypt(iv, ciphertext + tag, protected.encode("ascii"))
    except InvalidTag:
        raise JweError(Reason.DECRYPTION_FAILED, "JWE authentication failed") from None
    return header, plaintext
