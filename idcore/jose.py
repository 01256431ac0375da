"""Compact JWS (RFC 7515) signing and verification with an explicit algorithm allow-list.

Every verification names the algorithms it accepts and the ``typ`` it expects; the
algorithm is never taken from the token alone (RFC 8725 Sections 3.1 and 3.11). Refused
outright: ``alg: none`` and MAC algorithms (never in :data:`SUPPORTED_ALGS`), unknown
``crit`` parameters (RFC 7515 Section 4.1.11), a ``jwk`` header with private members,
duplicate JSON member names (RFC 7515 Section 5.2), non-canonical base64url, and inputs
over the size limits below (checked before anything is decoded). Only the Compact
Serialization is parsed here: it carries exactly one signature, which is all any profile in
Lintas needs (HAIP 1.0; the JWS JSON form of RFC 9901 Section 8 is handled, with one
signature only, in :mod:`idcore.sdjwt.serialization`).

ECDSA signatures use the fixed-size ``R || S`` form of RFC 7518 Section 3.4.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from idcore.b64 import b64u_decode, b64u_encode, json_dumps, json_loads
from idcore.errors import IdcoreError, JoseError, Reason
from idcore.jwk import PRIVATE_MEMBERS, PublicKey, public_jwk
from idcore.ports import Signer

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_HEADER_BYTES",
    "KeySigner",
    "ParsedJws",
    "normalize_typ",
    "parse_compact",
    "sign_compact",
    "verify_compact",
    "verify_parsed",
    "verify_signature",
]

#: The only algorithms idcore can ever verify. Callers narrow this per call.
SUPPORTED_ALGS = frozenset({"ES256", "ES384", "EdDSA", "Ed25519"})
#: Longest compact JWS accepted unless the caller says otherwise. An Issuer-signed SD-JWT VC
#: (PID with a portrait) is a few kB to ~100 kB; request objects, status list tokens and
#: KB-JWTs are smaller. Callers with larger needs pass ``max_bytes`` explicitly.
DEFAULT_MAX_BYTES = 256 * 1024
#: Longest encoded protected header. The largest legitimate header carries an ``x5c`` chain
#: (HAIP 1.0 Section 6.1.1: leaf and intermediates, never the anchor) of two or three ~1 kB
#: certificates; 16 KiB leaves room for five larger ones.
MAX_HEADER_BYTES = 16 * 1024
#: Headers up to this size are kept in the decode cache (an issuer's header repeats across
#: credentials); larger ones are decoded every time, so the cache holds at most
#: 512 x (8 KiB + its decoded form), a few MB, whatever an attacker sends.
_CACHED_HEADER_BYTES = 8 * 1024

_EC_ALGS: dict[str, tuple[str, int, ec.EllipticCurveSignatureAlgorithm]] = {
    "ES256": ("secp256r1", 32, ec.ECDSA(hashes.SHA256())),
    "ES384": ("secp384r1", 48, ec.ECDSA(hashes.SHA384())),
}


# The concrete class of cryptography's EC public keys (built from the P-256 generator point).
_P256_G = bytes.fromhex(
    "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
    "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"
)
_EC_PUBLIC_CLASS = type(ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _P256_G))


def normalize_typ(typ: str) -> str:
    """Normalise a ``typ`` media type: case-insensitive, ``application/`` prefix optional (RFC 7515 4.1.9)."""
    typ = typ.lower()
    return typ[len("application/") :] if typ.startswith("application/") else typ


class ParsedJws:
    """A compact JWS split and decoded, but not yet verified."""

    __slots__ = ("_claims", "header", "payload", "signature", "signing_input")

    def __init__(self, header: dict[str, Any], payload: bytes, signing_input: bytes, signature: bytes) -> None:
        self.header = header
        self.payload = payload
        self.signing_input = signing_input
        self.signature = signature
        self._claims: dict[str, Any] | None = None

    def claims(self) -> dict[str, Any]:
        """Decode the payload as a JSON object (strict); decoded once, then reused."""
        if self._claims is None:
            try:
                value = json_loads(self.payload)
            except IdcoreError as exc:
                raise JoseError(exc.reason, f"JWS payload: {exc.detail}") from None
            if not isinstance(value, dict):
                raise JoseError(Reason.MALFORMED, "JWS payload is not a JSON object")
            self._claims = value
        return self._claims


def parse_compact(token: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedJws:
    """Split a compact JWS and decode header, payload and signature; no signature check."""
    if not isinstance(token, str):
        raise JoseError(Reason.MALFORMED, "JWS is not a string")
    if len(token) > max_bytes:
        raise JoseError(Reason.TOO_LARGE, f"JWS longer than {max_bytes} bytes")
    if token.count(".") != 2:  # before splitting: "...." would become a list of pointers per byte
        raise JoseError(Reason.MALFORMED, "compact JWS must have three parts")
    h64, p64, s64 = token.split(".")
    if len(h64) > MAX_HEADER_BYTES:
        raise JoseError(Reason.TOO_LARGE, f"JWS protected header longer than {MAX_HEADER_BYTES} bytes")
    try:
        header = dict(_decode_header(h64) if len(h64) <= _CACHED_HEADER_BYTES else _decode_header_uncached(h64))
        payload = b64u_decode(p64)
        signature = b64u_decode(s64)
    except IdcoreError as exc:
        raise JoseError(exc.reason, f"JWS: {exc.detail}") from None
    return ParsedJws(header, payload, f"{h64}.{p64}".encode("ascii"), signature)


def _decode_header_uncached(h64: str) -> dict[str, Any]:
    header = json_loads(b64u_decode(h64))
    if not isinstance(header, dict):
        raise JoseError(Reason.MALFORMED, "JWS header is not a JSON object")
    return header


@lru_cache(maxsize=512)
def _decode_header(h64: str) -> dict[str, Any]:
    """Decode a protected header. Cached: an issuer's header (with its ``x5c`` chain) repeats
    across every credential it signs, and decoding is a measured part of the verify hot path.
    Callers get a shallow copy from :func:`parse_compact`; failures are never cached."""
    return _decode_header_uncached(h64)


@lru_cache(maxsize=64)
def _wanted_typs(typ: str | tuple[str, ...]) -> frozenset[str]:
    return frozenset({normalize_typ(typ)} if isinstance(typ, str) else {normalize_typ(t) for t in typ})


def _check_header(
    header: Mapping[str, Any],
    algorithms: Collection[str],
    typ: str | Collection[str] | None,
    understood_crit: Collection[str],
) -> str:
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in SUPPORTED_ALGS or alg not in algorithms:
        raise JoseError(Reason.ALG_NOT_ALLOWED, f"alg {alg!r} not allowed")
    if typ is not None:
        got = header.get("typ")
        wanted = _wanted_typs(typ if isinstance(typ, str) else tuple(typ))
        if not isinstance(got, str) or normalize_typ(got) not in wanted:
            raise JoseError(Reason.TYP_MISMATCH, f"typ {got!r} not in {sorted(wanted)}")
    if "crit" in header:
        crit = header["crit"]
        if (
            not isinstance(crit, list)
            or not crit
            or not all(isinstance(c, str) and c in understood_crit and c in header for c in crit)
        ):
            raise JoseError(Reason.UNKNOWN_CRIT, "crit names a parameter we do not understand")
    jwk = header.get("jwk")
    if jwk is not None and (not isinstance(jwk, dict) or PRIVATE_MEMBERS.intersection(jwk)):
        raise JoseError(Reason.PRIVATE_KEY_IN_HEADER, "jwk header carries private key members")
    if header.get("b64", True) is not True:
        raise JoseError(Reason.MALFORMED, "unencoded payloads are not supported")
    return alg


def verify_signature(alg: str, key: PublicKey, signing_input: bytes, signature: bytes) -> None:
    """Verify one JWS signature value; raise ``bad_signature`` or ``bad_key``."""
    spec = _EC_ALGS.get(alg)
    if spec is not None:
        curve_name, size, algorithm = spec
        # The concrete-class test skips the slower ABC isinstance on the common path.
        if (key.__class__ is not _EC_PUBLIC_CLASS and not isinstance(key, ec.EllipticCurvePublicKey)) or (
            key.curve.name != curve_name
        ):
            raise JoseError(Reason.BAD_KEY, f"key does not fit {alg}")
        if len(signature) != 2 * size:
            raise JoseError(Reason.BAD_SIGNATURE, "ECDSA signature has the wrong length")
        der = encode_dss_signature(int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big"))
        try:
            key.verify(der, signing_input, algorithm)
        except InvalidSignature:
            raise JoseError(Reason.BAD_SIGNATURE, "signature does not verify") from None
        return
    if alg in ("EdDSA", "Ed25519"):
        if not isinstance(key, ed25519.Ed25519PublicKey):
            raise JoseError(Reason.BAD_KEY, f"key does not fit {alg}")
        try:
            key.verify(signature, signing_input)
        except InvalidSignature:
            raise JoseError(Reason.BAD_SIGNATURE, "signature does not verify") from None
        return
    raise JoseError(Reason.ALG_NOT_ALLOWED, f"alg {alg!r} not supported")  # pragma: no cover


def verify_parsed(
    jws: ParsedJws,
    key: PublicKey,
    *,
    algorithms: Collection[str],
    typ: str | Collection[str] | None,
    understood_crit: Collection[str] = (),
) -> dict[str, Any]:
    """Check header policy and signature of a parsed JWS; return its JSON payload.

    ``typ=None`` means the caller explicitly accepts any ``typ`` (generic SD-JWT, RFC 9901
    leaves ``typ`` to the application); every profile in Lintas passes a value.
    """
    alg = _check_header(jws.header, algorithms, typ, understood_crit)
    verify_signature(alg, key, jws.signing_input, jws.signature)
    return jws.claims()


def verify_compact(
    token: str,
    key: PublicKey,
    *,
    algorithms: Collection[str],
    typ: str | Collection[str] | None,
    understood_crit: Collection[str] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify a compact JWS; return ``(header, payload)``. Raises :class:`JoseError`."""
    jws = parse_compact(token, max_bytes=max_bytes)
    return jws.header, verify_parsed(jws, key, algorithms=algorithms, typ=typ, understood_crit=understood_crit)


def ecdsa_der_to_raw(der: bytes, size: int) -> bytes:
    """Convert a DER ECDSA signature to the JWS ``R || S`` form (RFC 7518 Section 3.4)."""
    r, s = decode_dss_signature(der)
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


class KeySigner:
    """A :class:`~idcore.ports.Signer` over an in-memory ``cryptography`` private key."""

    def __init__(self, key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey) -> None:
        self._key = key
        if isinstance(key, ec.EllipticCurvePrivateKey):
            algs = {"secp256r1": "ES256", "secp384r1": "ES384"}
            if key.curve.name not in algs:
                raise JoseError(Reason.BAD_KEY, f"unsupported curve {key.curve.name}")
            self._alg = algs[key.curve.name]
        else:
            self._alg = "EdDSA"
        self._jwk = public_jwk(key)

    @property
    def alg(self) -> str:
        """The JWS algorithm of this key."""
        return self._alg

    @property
    def public_jwk(self) -> Mapping[str, Any]:
        """The public JWK."""
        return self._jwk

    @property
    def private_key(self) -> ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey:
        """The underlying private key (for key stores and tests)."""
        return self._key

    def sign(self, signing_input: bytes) -> bytes:
        """Sign and return the JWS signature value."""
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            _, size, algorithm = _EC_ALGS[self._alg]
            return ecdsa_der_to_raw(self._key.sign(signing_input, algorithm), size)
        return self._key.sign(signing_input)


def sign_compact(header: Mapping[str, Any], payload: Mapping[str, Any] | bytes, signer: Signer) -> str:
    """Produce a compact JWS. ``alg`` is set from the signer; other header members are the caller's."""
    full_header = {"alg": signer.alg, **{k: v for k, v in header.items() if k != "alg"}}
    body = payload if isinstance(payload, bytes) else json_dumps(payload)
    signing_input = f"{b64u_encode(json_dumps(full_header))}.{b64u_encode(body)}"
    return f"{signing_input}.{b64u_encode(signer.sign(signing_input.encode('ascii')))}"
