"""National trust anchors: what the registry may list as a member state's root (RFC 5280 Section
4.2.1.9 BasicConstraints, 4.2.1.3 KeyUsage; HAIP 1.0 Section 6.1.1 "trust anchor").

How an issuer's ``x5c`` is tied to one of these roots is the trust framework's job
(:class:`idcore.trust.asean_list.AseanTrustList`, through the one chain rule
:func:`idcore.x509.validate_path`); this module only admits roots into the list.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.errors import Reason, X509Error

__all__ = ["check_anchor_certificate"]

_CURVES = frozenset({"secp256r1", "secp384r1"})


def _extension(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> x509.ExtensionType | None:
    try:
        return cert.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None


def check_anchor_certificate(cert: x509.Certificate, now: int) -> None:
    """Refuse a certificate that cannot serve as a national root at ``now``.

    A root must be a self-signed EC (P-256/P-384) CA certificate (basic constraints
    ``cA=TRUE``, key usage ``keyCertSign``) valid at ``now``. Raises :class:`X509Error`
    (``cert_usage``, ``cert_expired``, ``cert_not_yet_valid``, ``chain_invalid``).
    """
    constraints = _extension(cert, x509.oid.ExtensionOID.BASIC_CONSTRAINTS)
    if not isinstance(constraints, x509.BasicConstraints) or not constraints.ca:
        raise X509Error(Reason.CERT_USAGE, "anchor is not a CA certificate")
    usage = _extension(cert, x509.oid.ExtensionOID.KEY_USAGE)
    if not isinstance(usage, x509.KeyUsage) or not usage.key_cert_sign:
        raise X509Error(Reason.CERT_USAGE, "anchor may not sign certificates")
    at = datetime.fromtimestamp(now, UTC)
    if at > cert.not_valid_after_utc:
        raise X509Error(Reason.CERT_EXPIRED, "anchor has expired")
    if at < cert.not_valid_before_utc:
        raise X509Error(Reason.CERT_NOT_YET_VALID, "anchor is not valid yet")
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name not in _CURVES:
        raise X509Error(Reason.BAD_KEY, "anchor key must be EC P-256 or P-384")
    if cert.issuer != cert.subject:
        raise X509Error(Reason.CHAIN_INVALID, "anchor is not self-signed")
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        raise X509Error(Reason.CHAIN_INVALID, "anchor's self-signature does not verify") from None
