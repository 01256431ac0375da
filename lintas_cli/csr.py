"""PKCS#10 certificate signing requests (RFC 2986) for keys held in a key store, file or HSM.

A national relying-party CA certifies the verifier's request-signing key: the access
certificate whose ``dNSName`` SAN is the verifier's host (OpenID4VP 1.0 Section 5.9.3,
``x509_san_dns``) or whose hash is the client identifier (``x509_hash``). The CSR is built by
``cryptography``'s :class:`~cryptography.x509.CertificateSigningRequestBuilder`. A PKCS#11 key
cannot be handed to it as a key object, so :class:`TokenBackedKey` presents the token key as
an :class:`~cryptography.hazmat.primitives.asymmetric.ec.EllipticCurvePrivateKey` whose only
working operation is ``sign``, delegated to the token: the private key never leaves the HSM.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID

from idcore.jose import KeySigner
from idcore.ports import Signer

__all__ = ["CsrRequest", "build_csr", "dns_name_from_url"]

#: JWS algorithm -> the hash the signer applies (RFC 7518 Section 3.4).
_HASHES: dict[str, type[hashes.SHA256] | type[hashes.SHA384]] = {"ES256": hashes.SHA256, "ES384": hashes.SHA384}


def _refuse(what: str) -> NoReturn:
    raise TypeError(f"the private key stays in the token: {what} is not available")


class TokenBackedKey(ec.EllipticCurvePrivateKey):
    """An EC private key whose ``sign`` runs on a PKCS#11 token (or any JWS :class:`Signer`).

    ``cryptography`` calls ``sign(data, ECDSA(hash))`` and expects a DER ``ECDSA-Sig-Value``; the
    signer returns JWS ``R || S`` over the same data hashed with its algorithm's hash, so the hash
    must match (checked) and the two integers are re-encoded as DER.
    """

    def __init__(self, signer: Signer, public_key: ec.EllipticCurvePublicKey) -> None:
        if signer.alg not in _HASHES:
            raise ValueError(f"cannot make a CSR with a {signer.alg} token key")
        self._signer = signer
        self._public_key = public_key

    def sign(
        self, data: bytes | bytearray | memoryview, signature_algorithm: ec.EllipticCurveSignatureAlgorithm
    ) -> bytes:
        """Sign ``data`` on the token; DER-encoded ECDSA signature."""
        expected = _HASHES[self._signer.alg]
        algorithm = getattr(signature_algorithm, "algorithm", None)
        if not isinstance(signature_algorithm, ec.ECDSA) or type(algorithm) is not expected:
            raise ValueError(f"a {self._signer.alg} key signs with ECDSA and {expected.name} only")
        raw = self._signer.sign(bytes(data))
        half = len(raw) // 2
        return encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))

    def public_key(self) -> ec.EllipticCurvePublicKey:
        """The public key read back from the token."""
        return self._public_key

    @property
    def curve(self) -> ec.EllipticCurve:
        """The key's curve."""
        return self._public_key.curve

    @property
    def key_size(self) -> int:
        """The curve's size in bits."""
        return self._public_key.key_size

    def exchange(self, algorithm: ec.ECDH, peer_public_key: ec.EllipticCurvePublicKey) -> bytes:
        """Not offered: the key is for signing only."""
        _refuse("key exchange")

    def private_numbers(self) -> ec.EllipticCurvePrivateNumbers:
        """Not offered: the key is not extractable."""
        _refuse("the private numbers")

    def private_bytes(self, *args: Any, **kwargs: Any) -> bytes:
        """Not offered: the key is not extractable."""
        _refuse("the private key bytes")

    def __copy__(self) -> TokenBackedKey:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> TokenBackedKey:
        return self


@dataclass(frozen=True)
class CsrRequest:
    """What the CSR asks the CA to certify: subject attributes and subject alternative names."""

    common_name: str
    dns_names: Sequence[str] = ()
    uris: Sequence[str] = ()
    organization: str | None = None
    organizational_unit: str | None = None
    locality: str | None = None
    country: str | None = None


def dns_name_from_url(url: str) -> str:
    """The host of an https base URL, as a DNS name; ValueError for http, IP literals or no host."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"{url!r} is not an https URL")
    try:
        ipaddress.ip_address(parts.hostname)
    except ValueError:
        return parts.hostname.rstrip(".").lower()
    raise ValueError(f"{url!r} names an IP address; x509_san_dns needs a DNS name")


def _subject(request: CsrRequest) -> x509.Name:
    if request.country is not None and (
        len(request.country) != 2 or not request.country.isalpha() or not request.country.isupper()
    ):
        raise ValueError("country must be an ISO 3166-1 alpha-2 code such as MY")
    attributes = [
        (NameOID.COUNTRY_NAME, request.country),
        (NameOID.LOCALITY_NAME, request.locality),
        (NameOID.ORGANIZATION_NAME, request.organization),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, request.organizational_unit),
        (NameOID.COMMON_NAME, request.common_name),
    ]
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes if value])


def _private_key(signer: Signer, public_key: Any) -> Any:
    """The key object cryptography signs with: the file key itself, or a token-backed stand-in."""
    if isinstance(signer, KeySigner):
        return signer.private_key
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise ValueError("only EC keys on a PKCS#11 token can sign a CSR")
    return TokenBackedKey(signer, public_key)


def build_csr(signer: Signer, public_key: Any, request: CsrRequest) -> x509.CertificateSigningRequest:
    """A CSR for the key behind ``signer``, signed by that key (proof of possession, RFC 2986 Section 3)."""
    if not request.dns_names and not request.uris:
        raise ValueError("a CSR needs at least one subject alternative name (DNS name or URI)")
    for uri in request.uris:
        parts = urlsplit(uri)
        if not parts.scheme or not (parts.netloc or parts.path):
            raise ValueError(f"{uri!r} is not an absolute URI")
    names: list[x509.GeneralName] = [x509.DNSName(d) for d in request.dns_names]
    names += [x509.UniformResourceIdentifier(u) for u in request.uris]
    key = _private_key(signer, public_key)
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else _HASHES.get(signer.alg, hashes.SHA256)()
    builder = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_subject(request))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    return builder.sign(key, algorithm)
