"""COSE for mdoc: COSE_Sign1, COSE_Key and x5chain (RFC 9052, RFC 9053, RFC 9360).

* COSE_Sign1 (RFC 9052 Section 4.2) and its ``Sig_structure`` (Section 4.4) with an empty
  ``external_aad``, as ISO/IEC 18013-5:2021 Section 9.1.2.4 (issuerAuth) and 9.1.3.6
  (deviceSignature, detached payload) use it. ``alg`` must sit in the protected header
  (18013-5 9.1.2.4 / 9.1.3.6); a label in both buckets and any ``crit`` are refused (RFC 9052
  Section 3, 3.1).
* Algorithms: an explicit allow-list of COSE ids mapped to the JOSE names of
  :func:`idcore.jose.verify_signature`, which does the ECDSA ``r || s`` to DER conversion and the
  curve check once for both formats (ES512/P-521 is not supported by idcore).
* COSE_Key (RFC 9053 Section 7.1, 7.2): EC2 P-256/P-384 with both coordinates, OKP Ed25519.
* x5chain (RFC 9360 Section 2, label 33): one bstr or an array of bstr, leaf first.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from idcore.errors import JoseError, MdocError, Reason
from idcore.jose import verify_signature
from idcore.jwk import PublicKey
from idcore.mdoc.cbor import TAG_COSE_SIGN1, decode, encode
from idcore.ports import Signer
from idcore.x509 import MAX_CHAIN_LENGTH, load_der_certificate

__all__ = [
    "ALG_BY_NAME",
    "COSE_ALGS",
    "HEADER_ALG",
    "HEADER_X5CHAIN",
    "Sign1",
    "cose_key_from_public",
    "parse_sign1",
    "public_key_from_cose",
    "sign1",
    "verify_sign1",
    "x5chain_certificates",
]

HEADER_ALG = 1
HEADER_CRIT = 2
HEADER_X5CHAIN = 33
#: COSE algorithm id -> JOSE name (RFC 9053 Section 2.1, 2.2; RFC 8812 for ES256K is not allowed).
COSE_ALGS: dict[int, str] = {-7: "ES256", -35: "ES384", -8: "EdDSA"}
ALG_BY_NAME = {name: alg for alg, name in COSE_ALGS.items()}
_MAX_HEADER_BYTES = 64 * 1024  # an x5chain of five ~2 KiB certificates fits many times over
_MAX_CERT_BYTES = 16 * 1024
_CURVES = {1: ("secp256r1", ec.SECP256R1(), 32), 2: ("secp384r1", ec.SECP384R1(), 48)}
_CRV_BY_NAME = {name: crv for crv, (name, _, _) in _CURVES.items()}


class Sign1:
    """A parsed COSE_Sign1: the protected header bytes and map, the unprotected map, payload, signature."""

    __slots__ = ("payload", "protected", "protected_bytes", "signature", "unprotected")

    def __init__(
        self,
        protected_bytes: bytes,
        protected: dict[Any, Any],
        unprotected: dict[Any, Any],
        payload: bytes | None,
        signature: bytes,
    ) -> None:
        self.protected_bytes = protected_bytes
        self.protected = protected
        self.unprotected = unprotected
        self.payload = payload
        self.signature = signature

    @property
    def alg(self) -> int:
        """The protected ``alg`` (checked present by :func:`parse_sign1`)."""
        alg: int = self.protected[HEADER_ALG]
        return alg


def _protected(raw: Any, what: str) -> dict[Any, Any]:
    if not isinstance(raw, bytes):
        raise MdocError(Reason.MALFORMED, f"{what}: protected header must be a byte string")
    header = decode(raw, f"{what} protected header", max_bytes=_MAX_HEADER_BYTES) if raw else {}
    if not isinstance(header, dict):
        raise MdocError(Reason.MALFORMED, f"{what}: protected header must be a map")
    return header


def parse_sign1(item: Any, what: str) -> Sign1:
    """Shape-check a COSE_Sign1 array (tagged 18 or not) and its headers; verify nothing yet."""
    if isinstance(item, cbor2.CBORTag) and item.tag == TAG_COSE_SIGN1:
        item = item.value
    if not isinstance(item, list) or len(item) != 4:
        raise MdocError(Reason.MALFORMED, f"{what} must be a COSE_Sign1 array of four")
    raw_protected, unprotected, payload, signature = item
    protected = _protected(raw_protected, what)
    if not isinstance(unprotected, dict):
        raise MdocError(Reason.MALFORMED, f"{what}: unprotected header must be a map")
    if payload is not None and not isinstance(payload, bytes):
        raise MdocError(Reason.MALFORMED, f"{what}: payload must be a byte string or null")
    if not isinstance(signature, bytes):
        raise MdocError(Reason.MALFORMED, f"{what}: signature must be a byte string")
    if set(protected) & set(unprotected):
        raise MdocError(Reason.MALFORMED, f"{what}: a header label is both protected and unprotected")
    if HEADER_CRIT in protected or HEADER_CRIT in unprotected:
        raise MdocError(Reason.UNKNOWN_CRIT, f"{what}: crit headers are not understood")
    if not isinstance(protected.get(HEADER_ALG), int) or isinstance(protected.get(HEADER_ALG), bool):
        raise MdocError(Reason.MALFORMED, f"{what}: alg must be an integer in the protected header")
    return Sign1(raw_protected, protected, unprotected, payload, signature)


def _sig_structure(protected_bytes: bytes, payload: bytes) -> bytes:
    """RFC 9052 Section 4.4: ["Signature1", body_protected, external_aad = h'', payload]."""
    return encode(["Signature1", protected_bytes, b"", payload])


def verify_sign1(
    message: Sign1,
    key: PublicKey,
    *,
    algorithms: Collection[int],
    reason: Reason,
    detached_payload: bytes | None = None,
) -> None:
    """Verify ``message`` with ``key``; a bad signature raises ``reason``, a refused alg ``alg_not_allowed``."""
    if message.alg not in algorithms or message.alg not in COSE_ALGS:
        raise MdocError(Reason.ALG_NOT_ALLOWED, f"COSE alg {message.alg} is not allowed")
    payload = message.payload if detached_payload is None else detached_payload
    if payload is None or (message.payload is not None and detached_payload is not None):
        raise MdocError(Reason.MALFORMED, "payload must be either attached or detached, not both or neither")
    try:
        verify_signature(
            COSE_ALGS[message.alg], key, _sig_structure(message.protected_bytes, payload), message.signature
        )
    except JoseError as exc:
        raise MdocError(exc.reason if exc.reason is Reason.BAD_KEY else reason, exc.detail) from None


def sign1(
    signer: Signer, payload: bytes, *, unprotected: Mapping[int, Any] | None = None, detached: bool = False
) -> list[Any]:
    """Build a COSE_Sign1 array with ``alg`` from the signer (ES256, ES384 or EdDSA)."""
    alg = ALG_BY_NAME.get(signer.alg)
    if alg is None:
        raise MdocError(Reason.ALG_NOT_ALLOWED, f"signer alg {signer.alg} has no COSE mapping here")
    protected_bytes = encode({HEADER_ALG: alg})
    signature = signer.sign(_sig_structure(protected_bytes, payload))
    return [protected_bytes, dict(unprotected or {}), None if detached else payload, signature]


def x5chain_certificates(unprotected: Mapping[Any, Any], what: str) -> list[x509.Certificate]:
    """The certificates of label 33 (leaf first); missing, empty or too long is refused."""
    raw = unprotected.get(HEADER_X5CHAIN)
    entries = [raw] if isinstance(raw, bytes) else raw
    if not isinstance(entries, list) or not entries:
        raise MdocError(Reason.MALFORMED, f"{what}: x5chain (label 33) is missing")
    if len(entries) > MAX_CHAIN_LENGTH:
        raise MdocError(Reason.TOO_LARGE, f"{what}: x5chain longer than {MAX_CHAIN_LENGTH}")
    certificates = []
    for entry in entries:
        if not isinstance(entry, bytes) or len(entry) > _MAX_CERT_BYTES:
            raise MdocError(Reason.MALFORMED, f"{what}: x5chain entry is not a DER certificate")
        try:
            certificates.append(load_der_certificate(entry))
        except ValueError:
            raise MdocError(Reason.MALFORMED, f"{what}: x5chain entry is not a DER certificate") from None
    return certificates


def _coordinate(key: Mapping[Any, Any], label: int, size: int) -> int:
    value = key.get(label)
    if not isinstance(value, bytes) or len(value) != size:
        raise MdocError(Reason.BAD_KEY, "COSE_Key coordinate missing or of the wrong length")
    return int.from_bytes(value, "big")


def public_key_from_cose(key: Any) -> PublicKey:
    """RFC 9053 Section 7.1/7.2: EC2 (kty 2) P-256/P-384 with x and y; OKP (kty 1) Ed25519 (crv 6)."""
    if not isinstance(key, dict):
        raise MdocError(Reason.BAD_KEY, "COSE_Key must be a map")
    if -4 in key:
        raise MdocError(Reason.PRIVATE_KEY_IN_HEADER, "COSE_Key carries a private key (d)")
    kty, crv = key.get(1), key.get(-1)
    try:
        if kty == 2 and crv in _CURVES:
            _, curve, size = _CURVES[crv]
            numbers = ec.EllipticCurvePublicNumbers(_coordinate(key, -2, size), _coordinate(key, -3, size), curve)
            return numbers.public_key()
        if kty == 1 and crv == 6:
            x = key.get(-2)
            if not isinstance(x, bytes) or len(x) != 32:
                raise MdocError(Reason.BAD_KEY, "Ed25519 COSE_Key x must be 32 bytes")
            return ed25519.Ed25519PublicKey.from_public_bytes(x)
    except ValueError:
        raise MdocError(Reason.BAD_KEY, "COSE_Key is not a point on its curve") from None
    raise MdocError(Reason.BAD_KEY, "COSE_Key must be EC2 P-256/P-384 or OKP Ed25519")


def cose_key_from_public(key: PublicKey) -> dict[int, Any]:
    """The COSE_Key of a public key (the inverse of :func:`public_key_from_cose`)."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {1: 1, -1: 6, -2: raw}
    crv = _CRV_BY_NAME.get(key.curve.name)
    if crv is None:
        raise MdocError(Reason.BAD_KEY, f"unsupported curve {key.curve.name}")
    size = _CURVES[crv][2]
    numbers = key.public_numbers()
    return {1: 2, -1: crv, -2: numbers.x.to_bytes(size, "big"), -3: numbers.y.to_bytes(size, "big")}
