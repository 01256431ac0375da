"""The signed trust list: a compact JWS (RFC 7515) with ``x5c``, and its pinned verification.

Profile (issue #3, in the manner of HAIP Section "Requirements for Digital Signatures"):
``alg`` ES256 only, ``typ`` :data:`TRUST_LIST_TYP`, the registry's signing certificate first
in ``x5c`` (RFC 7515 Section 4.1.6: standard base64 DER, not base64url).

A verifier does not validate the registry's certificate against a CA: it *pins* it, either
by the SHA-256 of the signing certificate's DER or by the public key itself
(:class:`TrustListPin`). The pin is the only root of trust; a list signed by anything else,
however well formed, is ``trust_list_invalid``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from idcore.errors import IdcoreError, Reason, TrustError
from idcore.jose import parse_compact, sign_compact, verify_parsed
from idcore.ports import Signer
from idcore.trust.model import TrustList
from idcore.x509 import load_der_certificate

__all__ = [
    "MAX_TRUST_LIST_BYTES",
    "TRUST_LIST_ALGS",
    "TRUST_LIST_TYP",
    "TrustListPin",
    "VerifiedTrustList",
    "certificate_sha256_hex",
    "sign_trust_list",
    "verify_trust_list",
]

TRUST_LIST_TYP = "lintas-trust-list+jwt"
TRUST_LIST_ALGS = frozenset({"ES256"})
#: A list of eleven countries is ~30 kB; anything far larger is refused before parsing.
MAX_TRUST_LIST_BYTES = 2 * 1024 * 1024


def certificate_sha256_hex(cert: x509.Certificate) -> str:
    """Lower-case hex SHA-256 of the certificate's DER encoding (the pin format)."""
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def _spki(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True, slots=True)
class TrustListPin:
    """What a verifier trusts to sign lists: a certificate hash or a public key (exactly one)."""

    certificate_sha256: str | None = None
    public_key: ec.EllipticCurvePublicKey | None = None

    def __post_init__(self) -> None:
        if (self.certificate_sha256 is None) == (self.public_key is None):
            raise TrustError(Reason.BAD_KEY, "pin exactly one of certificate_sha256 or public_key")

    def check(self, cert: x509.Certificate) -> ec.EllipticCurvePublicKey:
        """Return the certificate's key if the certificate matches the pin; else raise."""
        key = cert.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise TrustError(Reason.TRUST_LIST_INVALID, "list signing key is not an EC key")
        if self.certificate_sha256 is not None:
            ok = hmac.compare_digest(certificate_sha256_hex(cert), self.certificate_sha256.lower())
        else:
            assert self.public_key is not None  # noqa: S101 - guaranteed by __post_init__
            ok = hmac.compare_digest(_spki(key), _spki(self.public_key))
        if not ok:
            raise TrustError(Reason.TRUST_LIST_INVALID, "list not signed by the pinned registry key")
        return key


@dataclass(frozen=True, slots=True)
class VerifiedTrustList:
    """A list whose signature checked out against the pin."""

    trust_list: TrustList
    token: str
    #: SHA-256 (hex) of the JWS payload bytes: two tokens with equal hashes carry the same list.
    payload_sha256: str


def sign_trust_list(trust_list: TrustList, signer: Signer, chain: Sequence[x509.Certificate]) -> str:
    """Sign the list as a compact JWS with ``x5c`` = ``chain`` (signing certificate first)."""
    if signer.alg not in TRUST_LIST_ALGS:
        raise TrustError(Reason.ALG_NOT_ALLOWED, f"trust lists are signed with ES256, not {signer.alg}")
    x5c = [base64.b64encode(c.public_bytes(Encoding.DER)).decode("ascii") for c in chain]
    return sign_compact({"typ": TRUST_LIST_TYP, "x5c": x5c}, trust_list.to_json(), signer)


def _leaf_certificate(header: dict[str, object]) -> x509.Certificate:
    x5c = header.get("x5c")
    if not isinstance(x5c, list) or not x5c or not isinstance(x5c[0], str):
        raise TrustError(Reason.TRUST_LIST_INVALID, "x5c header missing")
    try:
        return load_der_certificate(base64.b64decode(x5c[0], validate=True))
    except (ValueError, binascii.Error):
        raise TrustError(Reason.TRUST_LIST_INVALID, "x5c certificate does not parse") from None


def verify_trust_list(token: str | bytes, pin: TrustListPin) -> VerifiedTrustList:
    """Verify a signed list against ``pin`` and parse it.

    Raises :class:`TrustError`: ``trust_list_invalid`` for anything wrong with the list or its
    signature (JOSE failures keep their detail but share this one reason, so a caller
    answers every bad list the same way).
    """
    try:
        text = token.decode("ascii") if isinstance(token, bytes) else token
        jws = parse_compact(text.strip(), max_bytes=MAX_TRUST_LIST_BYTES)
        key = pin.check(_leaf_certificate(jws.header))
        claims = verify_parsed(jws, key, algorithms=TRUST_LIST_ALGS, typ=TRUST_LIST_TYP)
    except TrustError:
        raise
    except IdcoreError as exc:
        raise TrustError(Reason.TRUST_LIST_INVALID, f"{exc.reason.value}: {exc.detail}") from None
    except UnicodeDecodeError:
        raise TrustError(Reason.TRUST_LIST_INVALID, "trust list is not ASCII") from None
    trust_list = TrustList.from_json(claims)
    digest = hashlib.sha256(jws.payload).hexdigest()
    return VerifiedTrustList(trust_list, text.strip(), digest)
