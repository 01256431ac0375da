"""Client Identifier Prefixes: OpenID4VP 1.0 Section 5.9 (5.9.1 syntax, 5.9.3 defined prefixes).

Lintas Verifiers use three prefixes:

* ``x509_san_dns:<dns name>`` — the name must be a ``dNSName`` SAN of the leaf certificate in the
  Request Object's ``x5c``; without other trust in the Client Identifier, the host of the
  ``response_uri``/``redirect_uri`` must equal it;
* ``x509_hash:<b64url SHA-256 of the leaf DER>`` — HAIP's mandatory prefix for signed requests;
* ``redirect_uri:<uri>`` — unsigned requests; Lintas allows it in development only.

The Key Binding JWT ``aud`` must be the *full* Client Identifier, prefix included (Section 14.1.2,
B.3.6 "Presentation Response"); :attr:`ClientId.value` is that string.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from idcore.b64 import b64u_encode
from idcore.errors import IdcoreError, Reason

__all__ = ["PREFIX_REDIRECT_URI", "PREFIX_X509_SAN_DNS", "ClientId", "ClientIdError", "check_certificate_binding"]

PREFIX_X509_SAN_DNS = "x509_san_dns"
PREFIX_X509_HASH = "x509_hash"
PREFIX_REDIRECT_URI = "redirect_uri"
SIGNED_PREFIXES = frozenset({PREFIX_X509_SAN_DNS, PREFIX_X509_HASH})
_KNOWN = SIGNED_PREFIXES | {PREFIX_REDIRECT_URI}
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DNS_RE = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")
_HASH_RE = re.compile(r"[A-Za-z0-9_-]{43}")


class ClientIdError(IdcoreError):
    """A Client Identifier is malformed, of an unsupported prefix, or not bound to the request."""


def x509_hash(cert: x509.Certificate) -> str:
    """The ``x509_hash`` value: base64url SHA-256 of the DER certificate (Section 5.9.3)."""
    return b64u_encode(hashlib.sha256(cert.public_bytes(Encoding.DER)).digest())


@dataclass(frozen=True, slots=True)
class ClientId:
    """A prefixed Client Identifier, split into ``prefix`` and ``original``."""

    prefix: str
    original: str

    @property
    def value(self) -> str:
        """The full Client Identifier, as sent in ``client_id`` and expected in KB-JWT ``aud``."""
        return f"{self.prefix}:{self.original}"

    @property
    def signed(self) -> bool:
        """True when this prefix requires a signed Request Object."""
        return self.prefix in SIGNED_PREFIXES

    @classmethod
    def parse(cls, value: object) -> ClientId:
        """Split at the first ``:`` (Section 5.9.1) and check the original part for its prefix."""
        if not isinstance(value, str) or ":" not in value or len(value) > 2048:
            raise ClientIdError(Reason.MALFORMED, "client_id must carry a supported prefix")
        prefix, original = value.split(":", 1)
        if prefix not in _KNOWN:
            raise ClientIdError(Reason.MALFORMED, f"unsupported client identifier prefix {prefix!r}")
        if prefix == PREFIX_X509_SAN_DNS and _DNS_RE.fullmatch(original) is None:
            raise ClientIdError(Reason.MALFORMED, "x509_san_dns needs a DNS name")
        if prefix == PREFIX_X509_HASH and _HASH_RE.fullmatch(original) is None:
            raise ClientIdError(Reason.MALFORMED, "x509_hash needs a base64url SHA-256 value")
        if prefix == PREFIX_REDIRECT_URI:
            parts = urlsplit(original)
            if parts.scheme not in ("https", "http") or not parts.netloc or parts.fragment:
                raise ClientIdError(Reason.MALFORMED, "redirect_uri needs an absolute http(s) URI")
        return cls(prefix, original)

    @classmethod
    def for_certificate(cls, prefix: str, cert: x509.Certificate, dns_name: str | None = None) -> ClientId:
        """Build the Client Identifier a Verifier with ``cert`` uses under ``prefix``."""
        if prefix == PREFIX_X509_HASH:
            return cls(prefix, x509_hash(cert))
        if prefix == PREFIX_X509_SAN_DNS and dns_name is not None:
            return cls.parse(f"{prefix}:{dns_name}")
        raise ClientIdError(Reason.MALFORMED, f"cannot derive a {prefix!r} client identifier")


def _dns_names(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [name.lower() for name in san.get_values_for_type(x509.DNSName)]


def check_certificate_binding(client_id: ClientId, chain: Sequence[x509.Certificate], response_uri: str) -> None:
    """Section 5.9.3: the leaf certificate must carry the Client Identifier.

    ``x509_san_dns``: a ``dNSName`` SAN equals the name, and (no list of trusted Client Identifiers
    here) the ``response_uri`` host equals it too. ``x509_hash``: the leaf hash equals it. The
    caller validates the chain and the JWS signature with the leaf key.
    """
    if not chain:
        raise ClientIdError(Reason.MALFORMED, "signed request without x5c")
    leaf = chain[0]
    if client_id.prefix == PREFIX_X509_SAN_DNS:
        name = client_id.original.lower()
        if name not in _dns_names(leaf):
            raise ClientIdError(Reason.ISSUER_MISMATCH, "client_id is not a dNSName SAN of the certificate")
        if (urlsplit(response_uri).hostname or "").lower() != name:
            raise ClientIdError(Reason.ISSUER_MISMATCH, "response_uri host differs from the client_id")
        return
    if client_id.prefix == PREFIX_X509_HASH:
        if x509_hash(leaf) != client_id.original:
            raise ClientIdError(Reason.ISSUER_MISMATCH, "client_id is not the hash of the certificate")
        return
    raise ClientIdError(Reason.MALFORMED, f"{client_id.prefix!r} requests cannot be signed")
