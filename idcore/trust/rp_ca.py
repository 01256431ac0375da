"""Relying-party access CAs in the trust list (issue #14 item 3): which CA each member state
accepts as the issuer of its relying parties' access certificates.

A relying party signs its OpenID4VP Request Objects with an access certificate (OpenID4VP 1.0
Section 5.9.3, ``x509_san_dns``/``x509_hash``; HAIP 1.0 Section 5) issued under a relying-party
access CA. Each member state's operator lists the CAs it vouches for under its own country
(``relying_party_cas`` of a :class:`~idcore.trust.model.CountryEntry`), so a wallet from one
country can judge a relying party from another: the chain must end at a listed CA, and the
country the relying party declares must be one that lists it.

Each entry ``{"certificate": <base64 DER>, "from": <epoch>, "status": "granted"}`` becomes
``{"certificate", "from", "until": <epoch>, "status": "withdrawn"}`` when withdrawn: the CA is
trusted on ``[from, until)`` only, in the manner of ETSI TS 119 612 clause 5.5.4
``StatusStartingTime`` and 5.5.10 ``ServiceHistory`` (the withdrawn entry stays listed, so the
history is in the list itself and the audit log holds who changed it). A withdrawal is final:
the same certificate cannot be listed again by that country.

Admission (governance, :func:`check_rp_ca_certificate`): a CA certificate (RFC 5280 Section
4.2.1.9 ``cA=TRUE``, 4.2.1.3 ``keyCertSign``), an EC P-256/P-384 or RSA >= 2048-bit key,
valid at the time it is listed. It need not be self-signed (a ministry may run it under its
national root). Parsing a list only checks the shape (:func:`parse_relying_party_cas`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from idcore.errors import Reason, TrustError, X509Error

__all__ = [
    "MAX_RP_CAS_PER_COUNTRY",
    "MAX_RP_CA_DER_BYTES",
    "RelyingPartyCA",
    "RelyingPartyCAStatus",
    "check_rp_ca_certificate",
    "der_sha256",
    "parse_relying_party_cas",
]

#: Entries per member state, withdrawn ones included (two during a rollover, history kept).
MAX_RP_CAS_PER_COUNTRY = 6
#: DER size of one CA certificate (an EC root is 400-800 bytes, an RSA-4096 one about 1.5 kB).
MAX_RP_CA_DER_BYTES = 2048
_MAX_INT = 2**53
_CURVES = frozenset({"secp256r1", "secp384r1"})
_MIN_RSA_BITS = 2048


class RelyingPartyCAStatus(StrEnum):
    """Whether the country still vouches for the CA."""

    GRANTED = "granted"
    WITHDRAWN = "withdrawn"


def _invalid(detail: str) -> TrustError:
    return TrustError(Reason.TRUST_LIST_INVALID, detail)


def der_sha256(certificate_b64: str) -> str:
    """Hex SHA-256 of a base64 DER certificate (how governance calls name a CA)."""
    return hashlib.sha256(base64.b64decode(certificate_b64)).hexdigest()


@dataclass(frozen=True, slots=True)
class RelyingPartyCA:
    """One listed relying-party access CA of one country, trusted on ``[since, until)``."""

    certificate: str
    since: int
    status: RelyingPartyCAStatus = RelyingPartyCAStatus.GRANTED
    until: int | None = None

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the certificate's DER."""
        return der_sha256(self.certificate)

    def trusted_at(self, at: int) -> bool:
        """Whether the country vouches for this CA at ``at`` (epoch seconds)."""
        return self.since <= at and (self.until is None or at < self.until)

    def to_json(self) -> dict[str, Any]:
        """JSON form; ``until`` only once withdrawn."""
        out: dict[str, Any] = {"certificate": self.certificate, "from": self.since, "status": self.status.value}
        if self.until is not None:
            out["until"] = self.until
        return out

    @classmethod
    def from_json(cls, value: Any, country: str) -> RelyingPartyCA:
        """Parse one entry; ``trust_list_invalid`` on any other shape."""
        if not isinstance(value, dict) or not set(value) <= {"certificate", "from", "until", "status"}:
            raise _invalid(f"{country}: a relying-party CA is an object of certificate, from, until, status")
        cert = value.get("certificate")
        if not isinstance(cert, str) or not cert or len(cert) > 4 * MAX_RP_CA_DER_BYTES // 3 + 4:
            raise _invalid(f"{country}: a relying-party CA certificate must be base64 DER of at most 2048 bytes")
        try:
            base64.b64decode(cert, validate=True)
        except (binascii.Error, ValueError):
            raise _invalid(f"{country}: a relying-party CA certificate is not base64") from None
        try:
            status = RelyingPartyCAStatus(str(value.get("status")))
        except ValueError:
            raise _invalid(f"{country}: unknown relying-party CA status") from None
        since, until = _epoch(value.get("from"), country), value.get("until")
        if status is RelyingPartyCAStatus.GRANTED and until is not None:
            raise _invalid(f"{country}: a granted relying-party CA has no 'until'")
        if status is RelyingPartyCAStatus.WITHDRAWN and (until is None or _epoch(until, country) < since):
            raise _invalid(f"{country}: a withdrawn relying-party CA needs an 'until' not before 'from'")
        return cls(cert, since, status, until)


def _epoch(value: Any, country: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < _MAX_INT:
        raise _invalid(f"{country}: relying-party CA times must be non-negative integers below 2**53")
    return value


def parse_relying_party_cas(obj: Mapping[str, Any], country: str) -> tuple[RelyingPartyCA, ...]:
    """The ``relying_party_cas`` member of a country object; absent means none (older lists)."""
    items = obj.get("relying_party_cas", [])
    if not isinstance(items, list) or len(items) > MAX_RP_CAS_PER_COUNTRY:
        raise _invalid(f"{country}: 'relying_party_cas' must be an array of at most {MAX_RP_CAS_PER_COUNTRY}")
    entries = tuple(RelyingPartyCA.from_json(item, country) for item in items)
    if len({e.certificate for e in entries}) != len(entries):
        raise _invalid(f"{country}: a relying-party CA is listed twice")
    return entries


def check_rp_ca_certificate(cert: x509.Certificate, now: int) -> None:
    """Refuse a certificate that cannot serve as a relying-party access CA at ``now``.

    Raises :class:`X509Error` ``cert_usage`` (no CA, no ``keyCertSign``), ``bad_key``
    (not EC P-256/P-384 nor RSA >= 2048), ``cert_expired`` or ``cert_not_yet_valid``.
    """
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise X509Error(Reason.CERT_USAGE, "a CA certificate needs basic constraints and key usage") from None
    except ValueError:  # a duplicate or malformed extension
        raise X509Error(Reason.CERT_USAGE, "the certificate's extensions do not parse") from None
    if not constraints.ca:
        raise X509Error(Reason.CERT_USAGE, "not a CA certificate (basic constraints cA is false)")
    if not usage.key_cert_sign:
        raise X509Error(Reason.CERT_USAGE, "the CA may not sign certificates (no keyCertSign)")
    key = cert.public_key()
    ec_ok = isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in _CURVES
    rsa_ok = isinstance(key, rsa.RSAPublicKey) and key.key_size >= _MIN_RSA_BITS
    if not (ec_ok or rsa_ok):
        raise X509Error(Reason.BAD_KEY, "the CA key must be EC P-256/P-384 or RSA of at least 2048 bits")
    at = datetime.fromtimestamp(now, UTC)
    if at >= cert.not_valid_after_utc:
        raise X509Error(Reason.CERT_EXPIRED, "the CA certificate has expired")
    if at < cert.not_valid_before_utc:
        raise X509Error(Reason.CERT_NOT_YET_VALID, "the CA certificate is not valid yet")
