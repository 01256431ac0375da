"""National trust anchors: what may be listed as a root, and how an issuer's ``x5c`` is tied to one.

HAIP Section "Issuer identification and key resolution to validate an issued Credential"
requires X.509 key resolution for SD-JWT VCs: the credential carries its signing certificate
and chain in ``x5c`` without the trust anchor. draft-ietf-oauth-sd-jwt-vc Section "Issuer
Verification Key Discovery and Validation" then makes the issuer "the subject of the
end-entity certificate"; Section "Ecosystem-specific Public Key Verification Methods" asks
that an attacker cannot choose the verification path for a given ``iss``.

So :func:`find_issuer_for_certificate` starts from ``iss``: it looks the issuer up in the
list, takes the anchors of *that issuer's country only*, validates the chain to them, and
requires the leaf certificate to name ``iss`` as a URI subject alternative name. An issuer of
one country can therefore never be vouched for by another country's root.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.errors import Reason, TrustError, X509Error
from idcore.trust.decision import TrustSnapshot
from idcore.trust.model import IssuerEntry
from idcore.x509 import san_uris, validate_chain

__all__ = ["IssuerMatch", "check_anchor_certificate", "find_issuer_for_certificate"]

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


@dataclass(frozen=True, slots=True)
class IssuerMatch:
    """An issuer certificate chain tied to a listed issuer and its country's anchors."""

    issuer: IssuerEntry
    leaf: x509.Certificate

    @property
    def country(self) -> str:
        """The issuer's country (ISO 3166-1 alpha-2)."""
        return self.issuer.country


def find_issuer_for_certificate(
    snapshot: TrustSnapshot, issuer_id: str, chain: Sequence[x509.Certificate], at: int
) -> IssuerMatch:
    """Tie ``iss`` and its ``x5c`` chain (leaf first, anchor excluded) to a listed issuer.

    Raises :class:`TrustError` ``untrusted_issuer`` (not listed, or its country has no
    anchors), ``issuer_mismatch`` (the leaf does not name ``iss``), or the
    :class:`X509Error` of the chain validation against that country's anchors at ``at``.
    """
    issuer = snapshot.issuer(issuer_id)
    if issuer is None:
        raise TrustError(Reason.UNTRUSTED_ISSUER, f"{issuer_id} is not in trust list {snapshot.sequence_number}")
    anchors = snapshot.anchors(issuer.country)
    if not anchors:
        raise TrustError(Reason.UNTRUSTED_ISSUER, f"{issuer.country} lists no trust anchor")
    leaf = validate_chain(list(chain), list(anchors), datetime.fromtimestamp(at, UTC))
    if issuer_id not in san_uris(leaf):
        raise TrustError(Reason.ISSUER_MISMATCH, f"certificate does not name {issuer_id}")
    return IssuerMatch(issuer, leaf)
