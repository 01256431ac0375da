"""The mdoc PKI: IACA -> Document Signer (ISO/IEC 18013-5:2021 Section 9.1.2.4, 9.3.3, Annex B).

The MSO signer's certificate comes in the issuerAuth ``x5chain``; it must chain to an IACA the
verifier trusts. The path is validated by the one chain rule, :func:`idcore.x509.validate_path`
(``cryptography``'s RFC 5280 verifier), with the Document Signer profile of Annex B.1.4 for the
leaf: KeyUsage digitalSignature and ExtendedKeyUsage ``id-mdl-kp-mdlDS`` (1.0.18013.5.1.2),
both critical. An empty anchor list trusts nobody.

:func:`create_document_signer_certificate` issues that profile for tests and the demo issuer
(the IACA itself is :func:`idcore.x509.create_root_ca`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import ExtensionOID, NameOID
from cryptography.x509.verification import Criticality, ExtensionPolicy, Policy

from idcore.errors import MdocError, Reason, X509Error
from idcore.jwk import PublicKey
from idcore.x509 import SigningKey, validate_path

__all__ = ["MDL_DS_EKU", "create_document_signer_certificate", "validate_document_signer"]

#: id-mdl-kp-mdlDS, ISO/IEC 18013-5:2021 Annex B.1.4.
MDL_DS_EKU = x509.ObjectIdentifier("1.0.18013.5.1.2")


_DS_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


def _key_usage_ok(policy: Policy, cert: x509.Certificate, usage: x509.KeyUsage) -> None:
    if not usage.digital_signature:
        raise ValueError("Document Signer KeyUsage lacks digitalSignature")


def _eku_ok(policy: Policy, cert: x509.Certificate, eku: x509.ExtendedKeyUsage) -> None:
    if MDL_DS_EKU not in eku:
        raise ValueError("Document Signer ExtendedKeyUsage lacks id-mdl-kp-mdlDS")


_DS_POLICY = (
    ExtensionPolicy.permit_all()
    .require_present(x509.KeyUsage, Criticality.CRITICAL, _key_usage_ok)
    .require_present(x509.ExtendedKeyUsage, Criticality.CRITICAL, _eku_ok)
)
_DS_CRITICAL = frozenset({ExtensionOID.EXTENDED_KEY_USAGE})


def _has_mdl_ds_usage(cert: x509.Certificate) -> bool:
    try:
        return MDL_DS_EKU in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except (x509.ExtensionNotFound, ValueError):
        return False


def validate_document_signer(
    chain: Sequence[x509.Certificate], anchors: Sequence[x509.Certificate], at: datetime
) -> list[x509.Certificate]:
    """Validate a leaf-first x5chain to one of ``anchors`` at ``at``; return the path, anchor last.

    The one chain rule, :func:`idcore.x509.validate_path`, with the Document Signer profile for
    the leaf. Raises :class:`MdocError` with the chain's reason: ``untrusted_issuer`` (no anchors,
    or no anchor reached), ``cert_usage`` (no mdlDS ExtendedKeyUsage, or other KeyUsage),
    ``chain_invalid`` (no valid path, or the leaf otherwise outside the profile),
    ``cert_expired`` / ``cert_not_yet_valid``, ``malformed``. An anchor may be the
    Document Signer certificate itself (a pinned signer).
    """
    if at.tzinfo is None:
        raise ValueError("validate_document_signer needs a timezone-aware datetime")
    if chain and not _has_mdl_ds_usage(chain[0]):  # named here; the verifier's own refusal is opaque
        raise MdocError(Reason.CERT_USAGE, "x5chain: the Document Signer is not allowed id-mdl-kp-mdlDS")
    try:
        return validate_path(chain, anchors, at, leaf_profile=_DS_POLICY, leaf_critical=_DS_CRITICAL)
    except X509Error as exc:
        raise MdocError(exc.reason, f"x5chain: {exc.detail}") from None


def create_document_signer_certificate(
    iaca_key: SigningKey,
    iaca_cert: x509.Certificate,
    subject_public_key: PublicKey,
    *,
    common_name: str,
    country: str,
    not_before: datetime,
    not_after: datetime,
    san_uris: Sequence[str] = (),
) -> x509.Certificate:
    """A Document Signer certificate in the Annex B.1.4 shape, issued by the IACA ``iaca_cert``.

    KeyUsage digitalSignature (critical), ExtendedKeyUsage mdlDS (critical), SKI, AKI, and the
    country of the IACA. ``san_uris`` names the issuer (its trust-list identifier) as URI
    subjectAltNames, the way a trust framework ties the Document Signer to a listed issuer.
    Not the place for production issuance policy; enough for a conformant chain.
    """
    if len(country) != 2 or not country.isascii() or not country.isupper():
        raise X509Error(Reason.MALFORMED, "country must be an ISO 3166-1 alpha-2 code")
    subject = x509.Name(
        [x509.NameAttribute(NameOID.COUNTRY_NAME, country), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )
    ski = iaca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(iaca_cert.subject)
        .public_key(subject_public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_DS_KEY_USAGE, critical=True)
        .add_extension(x509.ExtendedKeyUsage([MDL_DS_EKU]), critical=True)
    )
    if san_uris:
        try:
            names = x509.SubjectAlternativeName([x509.UniformResourceIdentifier(uri) for uri in san_uris])
        except ValueError:
            raise X509Error(Reason.MALFORMED, "SAN URIs must be ASCII") from None
        builder = builder.add_extension(names, critical=False)
    if isinstance(iaca_key, ed25519.Ed25519PrivateKey):
        return builder.sign(iaca_key, None)
    return builder.sign(iaca_key, hashes.SHA384() if iaca_key.curve.name == "secp384r1" else hashes.SHA256())
