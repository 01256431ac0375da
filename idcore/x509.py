"""X.509 certificates for issuer keys: a small CA, ``x5c`` handling and chain validation.

* Certificate profile: RFC 5280 Section 4.2.1 — BasicConstraints (4.2.1.9), KeyUsage (4.2.1.3),
  SubjectKeyIdentifier / AuthorityKeyIdentifier (4.2.1.2 / 4.2.1.1), SubjectAltName (4.2.1.6).
* ``x5c``: RFC 7515 Section 4.1.6 — an array of *standard* base64 (not base64url) DER
  certificates, leaf first. SD-JWT VC (draft-ietf-oauth-sd-jwt-vc Section 3.5, "Inline X.509
  Certificates") and HAIP 1.0 Section 6.1.1 resolve the issuer key from it.
* ``x509_hash`` Client Identifiers: OpenID4VP 1.0 Section 5.9.3 — SHA-256 of the leaf's DER.

:func:`validate_chain` is RFC 5280 Section 6 path validation for short, leaf-first chains by
``cryptography``'s verifier (``x509.verification.PolicyBuilder``: path building, signatures,
BasicConstraints with pathLenConstraint, CA KeyUsage, validity), under this profile: signatures
ECDSA P-256/P-384 with SHA-256/384 only, every certificate valid at the time including the
anchor, unknown critical extensions refused, the leaf not a CA and allowed digitalSignature, an
anchor matched by subject *and* public key. An empty anchor list trusts nobody. It does not do
revocation (status is the Token Status List's job). Certificates with Ed25519 keys are outside
the profile: cryptography's verifier follows the Web PKI algorithm set, which has no Ed25519,
and HAIP 1.0 Section "Requirements for Digital Signatures" makes ECDSA P-256 the one suite every
party supports; JWS and COSE signatures by holder keys may still be EdDSA. HAIP's "the trust
anchor MUST NOT be included in x5c" and "MUST NOT be self-signed" are profile rules for callers;
:func:`is_self_signed` helps them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import re
from collections.abc import Sequence
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtensionOID, NameOID, SignatureAlgorithmOID
from cryptography.x509.verification import Criticality, ExtensionPolicy, Policy, PolicyBuilder, Store, VerificationError

from idcore.errors import Reason, X509Error
from idcore.jwk import PublicKey

__all__ = [
    "MAX_CERTIFICATE_B64",
    "MAX_CHAIN_LENGTH",
    "certificate_from_pem",
    "certificate_sha256",
    "certificate_to_pem",
    "certificates_from_pem",
    "create_intermediate_ca",
    "create_issuer_certificate",
    "create_root_ca",
    "is_self_signed",
    "load_der_certificate",
    "parse_x5c",
    "san_dns_names",
    "san_uris",
    "validate_chain",
    "validate_path",
    "x5c_from_certificates",
]

#: Most certificates in an ``x5c`` or a chain. HAIP 1.0 Section 6.1.1 chains are a leaf plus one
#: or two intermediates (the anchor is left out); five bounds the signature checks per chain.
MAX_CHAIN_LENGTH = 5
#: Longest ``x5c`` entry in base64 characters, refused before decoding. Issuer certificates with
#: P-256/P-384 keys are under 1 KiB of DER; 16 Ki characters (12 KiB DER) leave room for long
#: names and extensions. A whole chain is further capped by the JWS header limit (16 KiB).
MAX_CERTIFICATE_B64 = 16 * 1024
_B64_RE = re.compile(r"[A-Za-z0-9+/]*={0,2}")

SigningKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

_ALLOWED_SIG_OIDS = frozenset({SignatureAlgorithmOID.ECDSA_WITH_SHA256, SignatureAlgorithmOID.ECDSA_WITH_SHA384})
_EC_CURVES = frozenset({"secp256r1", "secp384r1"})
#: What cryptography raises for bytes that are not a certificate it can read: a flipped version
#: byte raises ``InvalidVersion``, which is not a ``ValueError``.
_DECODE_ERRORS = (ValueError, x509.InvalidVersion, x509.DuplicateExtension, UnsupportedAlgorithm)
# Critical extensions this validator understands; any other critical extension fails the chain
# (RFC 5280 Section 4.2: "MUST reject the certificate if it encounters a critical extension it
# does not recognize").
_HANDLED_CRITICAL = frozenset(
    {
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
        ExtensionOID.SUBJECT_KEY_IDENTIFIER,
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
    }
)


# ---- building certificates --------------------------------------------------------------


def load_der_certificate(der: bytes) -> x509.Certificate:
    """Parse one DER certificate; every way cryptography can refuse it becomes ``ValueError``."""
    try:
        return x509.load_der_x509_certificate(der)
    except _DECODE_ERRORS as exc:
        raise ValueError(f"not a DER certificate: {type(exc).__name__}") from None


def _name(common_name: str, country: str, organization: str) -> x509.Name:
    if len(country) != 2 or not country.isascii() or not country.isalpha() or not country.isupper():
        raise X509Error(Reason.MALFORMED, "country must be an ISO 3166-1 alpha-2 code such as 'SG'")
    # RFC 5280 Appendix A upper bounds: ub-common-name and ub-organization-name are 64.
    if not 1 <= len(common_name) <= 64 or not 1 <= len(organization) <= 64:
        raise X509Error(Reason.MALFORMED, "common name and organization must be 1 to 64 characters")
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _spki(key: PublicKey | SigningKey) -> bytes:
    if isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _cert_spki(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _supported_key(key: object) -> bool:
    # The certificate profile (module docstring): EC P-256/P-384 keys only.
    return isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey) and key.curve.name in _EC_CURVES


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: PublicKey,
    not_before: datetime,
    not_after: datetime,
    serial_number: int | None,
) -> x509.CertificateBuilder:
    if not _supported_key(public_key):
        raise X509Error(Reason.BAD_KEY, "subject key must be EC P-256/P-384")
    if not_after <= not_before:
        raise X509Error(Reason.MALFORMED, "not_after must be later than not_before")
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(serial_number if serial_number is not None else x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _sign(builder: x509.CertificateBuilder, key: SigningKey) -> x509.Certificate:
    if not _supported_key(key):
        raise X509Error(Reason.BAD_KEY, "signing key must be EC P-256/P-384")
    assert isinstance(key, ec.EllipticCurvePrivateKey)  # noqa: S101 - _supported_key admits EC keys only
    algorithm = hashes.SHA384() if key.curve.name == "secp384r1" else hashes.SHA256()
    return builder.sign(key, algorithm)


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    """CA: keyCertSign + cRLSign only; end entity: digitalSignature only (RFC 5280 4.2.1.3)."""
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _profile(builder: x509.CertificateBuilder, *, ca: bool, path_length: int | None) -> x509.CertificateBuilder:
    constraints = x509.BasicConstraints(ca=ca, path_length=path_length if ca else None)
    return builder.add_extension(constraints, critical=True).add_extension(_key_usage(ca=ca), critical=True)


def _subordinate(
    ca_key: SigningKey,
    ca_cert: x509.Certificate,
    subject_public_key: PublicKey,
    subject: x509.Name,
    not_before: datetime,
    not_after: datetime,
    serial_number: int | None,
) -> x509.CertificateBuilder:
    """A builder for a certificate issued by ``ca_cert``, with the AKI of the CA's key."""
    if _spki(ca_key) != _cert_spki(ca_cert):
        raise X509Error(Reason.BAD_KEY, "ca_key does not belong to ca_cert")
    builder = _builder(subject, ca_cert.subject, subject_public_key, not_before, not_after, serial_number)
    try:
        ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
    except x509.ExtensionNotFound:
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())
    return builder.add_extension(aki, critical=False)


def create_root_ca(
    key: SigningKey,
    *,
    common_name: str,
    country: str,
    organization: str,
    not_before: datetime,
    not_after: datetime,
    path_length: int | None = 0,
    serial_number: int | None = None,
) -> x509.Certificate:
    """Self-signed root: BasicConstraints CA (critical, pathlen ``path_length``), keyCertSign+cRLSign, SKI."""
    name = _name(common_name, country, organization)
    builder = _builder(name, name, key.public_key(), not_before, not_after, serial_number)
    return _sign(_profile(builder, ca=True, path_length=path_length), key)


def create_intermediate_ca(
    ca_key: SigningKey,
    ca_cert: x509.Certificate,
    subject_public_key: PublicKey,
    *,
    common_name: str,
    country: str,
    organization: str,
    not_before: datetime,
    not_after: datetime,
    path_length: int | None = 0,
    serial_number: int | None = None,
) -> x509.Certificate:
    """A CA certificate issued by ``ca_cert`` (CA:true critical, keyCertSign+cRLSign, AKI/SKI)."""
    builder = _subordinate(
        ca_key,
        ca_cert,
        subject_public_key,
        _name(common_name, country, organization),
        not_before,
        not_after,
        serial_number,
    )
    return _sign(_profile(builder, ca=True, path_length=path_length), ca_key)


def create_issuer_certificate(
    ca_key: SigningKey,
    ca_cert: x509.Certificate,
    subject_public_key: PublicKey,
    *,
    common_name: str,
    country: str,
    organization: str,
    not_before: datetime,
    not_after: datetime,
    san_uris: Sequence[str] = (),
    san_dns: Sequence[str] = (),
    serial_number: int | None = None,
) -> x509.Certificate:
    """An end-entity signing certificate: CA:false critical, digitalSignature critical, AKI/SKI, SAN."""
    builder = _subordinate(
        ca_key,
        ca_cert,
        subject_public_key,
        _name(common_name, country, organization),
        not_before,
        not_after,
        serial_number,
    )
    builder = _profile(builder, ca=False, path_length=None)
    try:
        names: list[x509.GeneralName] = [x509.UniformResourceIdentifier(u) for u in san_uris]
        names += [x509.DNSName(d) for d in san_dns]
    except ValueError:
        raise X509Error(Reason.MALFORMED, "SAN URIs and DNS names must be ASCII (IDNA A-labels)") from None
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return _sign(builder, ca_key)


# ---- encodings --------------------------------------------------------------------------


def parse_x5c(x5c: Sequence[str]) -> list[x509.Certificate]:
    """Decode an ``x5c`` array (RFC 7515 4.1.6: standard base64 DER, leaf first); refuse anything else."""
    if isinstance(x5c, str | bytes) or not isinstance(x5c, Sequence) or not x5c:
        raise X509Error(Reason.MALFORMED, "x5c must be a non-empty array of strings")
    if len(x5c) > MAX_CHAIN_LENGTH:
        raise X509Error(Reason.TOO_MANY, f"x5c has more than {MAX_CHAIN_LENGTH} certificates")
    certificates = []
    for entry in x5c:
        if not isinstance(entry, str):
            raise X509Error(Reason.MALFORMED, "x5c entry is not a string")
        if len(entry) > MAX_CERTIFICATE_B64:
            raise X509Error(Reason.TOO_LARGE, "x5c entry is too long")
        # Only the canonical standard-base64 form: base64url, whitespace, missing padding and
        # non-zero padding bits are all refused, so one certificate has exactly one encoding.
        if len(entry) % 4 or _B64_RE.fullmatch(entry) is None:
            raise X509Error(Reason.MALFORMED, "x5c entry is not standard base64 (RFC 7515 4.1.6)")
        try:
            der = base64.b64decode(entry, validate=True)
        except (binascii.Error, ValueError):
            raise X509Error(Reason.MALFORMED, "x5c entry is not standard base64") from None
        if base64.b64encode(der).decode("ascii") != entry:
            raise X509Error(Reason.MALFORMED, "x5c entry is not canonical base64")
        try:
            cert = x509.load_der_x509_certificate(der)
            # Decode the lazily parsed parts now, so junk is refused here as malformed.
            _ = (cert.subject, cert.issuer, list(cert.extensions))
        except _DECODE_ERRORS:
            raise X509Error(Reason.MALFORMED, "x5c entry is not a well-formed DER X.509 certificate") from None
        certificates.append(cert)
    return certificates


def x5c_from_certificates(certs: Sequence[x509.Certificate]) -> list[str]:
    """Encode certificates as an ``x5c`` array (standard base64 of DER), in the given order."""
    return [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii") for c in certs]


def certificate_to_pem(cert: x509.Certificate) -> bytes:
    """PEM encoding of one certificate (RFC 7468 Section 5)."""
    return cert.public_bytes(serialization.Encoding.PEM)


def certificate_from_pem(data: bytes) -> x509.Certificate:
    """Load exactly one PEM certificate; X509Error ``malformed`` for junk."""
    certs = certificates_from_pem(data)
    if len(certs) != 1:
        raise X509Error(Reason.MALFORMED, f"expected one PEM certificate, found {len(certs)}")
    return certs[0]


def certificates_from_pem(data: bytes) -> list[x509.Certificate]:
    """Load one or more concatenated PEM certificates (e.g. a trust anchor bundle)."""
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        raise X509Error(Reason.MALFORMED, "not PEM X.509 certificates") from None


def _san_values(cert: x509.Certificate, kind: type[x509.UniformResourceIdentifier | x509.DNSName]) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(v) for v in san.get_values_for_type(kind)]


def san_uris(cert: x509.Certificate) -> list[str]:
    """The URI entries of the SubjectAlternativeName extension (empty if there is none)."""
    return _san_values(cert, x509.UniformResourceIdentifier)


def san_dns_names(cert: x509.Certificate) -> list[str]:
    """The dNSName entries of the SubjectAlternativeName extension (empty if there is none)."""
    return _san_values(cert, x509.DNSName)


def certificate_sha256(cert: x509.Certificate) -> bytes:
    """SHA-256 over the DER certificate (the ``x509_hash`` of OpenID4VP 1.0 Section 5.9.3, before base64url)."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).digest()


def is_self_signed(cert: x509.Certificate) -> bool:
    """Whether ``cert`` names itself as issuer and its own key verifies its signature."""
    try:
        return cert.issuer == cert.subject and _signature_ok(cert, cert.public_key())
    except _DECODE_ERRORS:
        return False


# ---- validation -------------------------------------------------------------------------


def _signature_ok(cert: x509.Certificate, issuer_key: object) -> bool:
    """Verify ``cert``'s signature with ``issuer_key`` under the algorithm allow-list."""
    if cert.signature_algorithm_oid not in _ALLOWED_SIG_OIDS or not _supported_key(issuer_key):
        return False
    try:
        if not isinstance(issuer_key, ec.EllipticCurvePublicKey):
            return False
        algorithm = cert.signature_hash_algorithm
        if not isinstance(algorithm, hashes.SHA256 | hashes.SHA384):
            return False
        issuer_key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(algorithm))
        return True
    except InvalidSignature:
        return False


def _check_links(certs: Sequence[x509.Certificate]) -> None:
    """The profile's signature algorithms and name chaining; the verifier checks the signatures themselves."""
    for child, parent in itertools.pairwise(certs):
        if child.signature_algorithm_oid not in _ALLOWED_SIG_OIDS:
            raise X509Error(Reason.CHAIN_INVALID, "certificate signature algorithm is outside the profile")
        if child.issuer != parent.subject:
            raise X509Error(Reason.CHAIN_INVALID, "certificate issuer does not name the next certificate")


def _find_anchor(
    certs: Sequence[x509.Certificate], anchors: Sequence[x509.Certificate]
) -> tuple[list[x509.Certificate], x509.Certificate]:
    """Return (path below the anchor, the trusted anchor); the anchor is matched by name and key."""
    top = certs[-1]
    for anchor in anchors:
        if anchor.subject == top.subject and _cert_spki(anchor) == _cert_spki(top):
            return list(certs[:-1]), anchor
    for anchor in anchors:
        if anchor.subject == top.issuer and _signature_ok(top, anchor.public_key()):
            return list(certs), anchor
    raise X509Error(Reason.UNTRUSTED_ISSUER, "the chain does not end at a trusted anchor")


def _check_validity(cert: x509.Certificate, at: datetime) -> None:
    if at < cert.not_valid_before_utc:
        raise X509Error(Reason.CERT_NOT_YET_VALID, f"certificate {cert.subject.rfc4514_string()} not yet valid")
    if at > cert.not_valid_after_utc:
        raise X509Error(Reason.CERT_EXPIRED, f"certificate {cert.subject.rfc4514_string()} expired")


def _extension(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> x509.ExtensionType | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _check_ca_usage(cert: x509.Certificate) -> None:
    """A certificate that signed others needs keyCertSign (RFC 5280 4.2.1.3): named before the verifier's turn."""
    constraints = _extension(cert, x509.BasicConstraints)
    if not isinstance(constraints, x509.BasicConstraints) or not constraints.ca:
        raise X509Error(Reason.CHAIN_INVALID, "an issuing certificate is not a CA")
    usage = _extension(cert, x509.KeyUsage)
    if not isinstance(usage, x509.KeyUsage) or not usage.key_cert_sign:
        raise X509Error(Reason.CERT_USAGE, "CA certificate lacks keyCertSign")


def _check_leaf(cert: x509.Certificate) -> None:
    """The end-entity certificate: not a CA, digitalSignature, a key JOSE can verify with."""
    constraints = _extension(cert, x509.BasicConstraints)
    if isinstance(constraints, x509.BasicConstraints) and constraints.ca:
        raise X509Error(Reason.CERT_USAGE, "a CA certificate cannot be the signing (leaf) certificate")
    usage = _extension(cert, x509.KeyUsage)
    if not isinstance(usage, x509.KeyUsage) or not usage.digital_signature:
        raise X509Error(Reason.CERT_USAGE, "leaf certificate lacks digitalSignature")
    if not _supported_key(cert.public_key()):
        raise X509Error(Reason.BAD_KEY, "leaf key must be EC P-256/P-384")


def _check_critical(cert: x509.Certificate, understood: frozenset[x509.ObjectIdentifier]) -> None:
    for extension in cert.extensions:
        if extension.critical and extension.oid not in understood:
            raise X509Error(Reason.CHAIN_INVALID, f"unhandled critical extension {extension.oid.dotted_string}")


def validate_chain(
    chain: Sequence[x509.Certificate], anchors: Sequence[x509.Certificate], at: datetime
) -> x509.Certificate:
    """Validate a leaf-first chain against trust anchors at time ``at``; return the leaf (see :func:`validate_path`)."""
    return validate_path(chain, anchors, at)[0]


def validate_path(
    chain: Sequence[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    at: datetime,
    *,
    leaf_profile: ExtensionPolicy | None = None,
    leaf_critical: frozenset[x509.ObjectIdentifier] = frozenset(),
) -> list[x509.Certificate]:
    """Validate a leaf-first chain against trust anchors at time ``at``; return the path, anchor last.

    The chain may end with the anchor itself or with the certificate the anchor issued. Path
    building, signatures, BasicConstraints, pathLenConstraint and KeyUsage of the CAs are
    ``cryptography``'s RFC 5280 verifier (``x509.verification.PolicyBuilder``, web PKI CA
    defaults); the checks before it only name the precise reason. ``leaf_profile`` replaces the
    end-entity extension policy (the mdoc Document Signer profile adds a critical EKU) and
    ``leaf_critical`` the critical extensions it understands beyond this module's.

    Raises :class:`X509Error`: ``untrusted_issuer`` (no anchors, or no anchor reached),
    ``chain_invalid`` (bad signature, broken names, issuer not a CA, pathlen, unknown critical
    extension, too long), ``cert_expired`` / ``cert_not_yet_valid`` (any certificate, the anchor
    included), ``cert_usage`` (KeyUsage, or a CA certificate as leaf), ``malformed`` (empty chain,
    undecodable certificate fields). ``at`` must be timezone-aware.
    """
    if at.tzinfo is None:
        raise ValueError("validate_chain needs a timezone-aware datetime")
    if not anchors:
        raise X509Error(Reason.UNTRUSTED_ISSUER, "no trust anchors configured: nothing is trusted")
    certs = list(chain)
    if not certs:
        raise X509Error(Reason.MALFORMED, "empty certificate chain")
    # One chain rule for every profile: a profile may only add to what the leaf must carry.
    if len(certs) > MAX_CHAIN_LENGTH:
        raise X509Error(Reason.CHAIN_INVALID, f"chain longer than {MAX_CHAIN_LENGTH}")
    try:
        return _validate(certs, anchors, at, leaf_profile, _HANDLED_CRITICAL | leaf_critical)
    except _DECODE_ERRORS:
        # cryptography decodes names, keys and extensions lazily; a bad one must not become a 500.
        raise X509Error(Reason.MALFORMED, "a certificate has an undecodable field") from None


def _leaf_policy() -> ExtensionPolicy:
    """The JOSE issuer / request-signer profile: KeyUsage digitalSignature; any EKU; not a CA."""
    return ExtensionPolicy.permit_all().require_present(x509.KeyUsage, Criticality.AGNOSTIC, _leaf_usage)


def _leaf_usage(policy: Policy, cert: x509.Certificate, usage: x509.KeyUsage) -> None:
    if not usage.digital_signature:
        raise ValueError("leaf certificate lacks digitalSignature")


def _validate(
    certs: list[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    at: datetime,
    leaf_profile: ExtensionPolicy | None,
    understood: frozenset[x509.ObjectIdentifier],
) -> list[x509.Certificate]:
    # Reasons first, cheaply and in a fixed order, so that a caller learns *why* (the RFC 5280
    # verifier below answers one opaque VerificationError); it then decides the path itself.
    _check_links(certs)
    path, anchor = _find_anchor(certs, anchors)
    full = [*path, anchor]
    for cert in full:
        _check_validity(cert, at)
        _check_critical(cert, understood)
    _check_leaf(full[0])
    for cert in full[1:]:
        _check_ca_usage(cert)
    if not path:
        return full  # the leaf itself is the trust anchor (a pinned signer): nothing to build
    verifier = (
        PolicyBuilder()
        .store(Store([anchor]))
        .time(at)
        .max_chain_depth(MAX_CHAIN_LENGTH)
        .extension_policies(ca_policy=_CA_POLICY, ee_policy=leaf_profile or _LEAF_POLICY)
        .build_client_verifier()
    )
    try:
        verifier.verify(full[0], full[1:-1])
    except VerificationError as exc:
        raise X509Error(Reason.CHAIN_INVALID, f"certificate path does not validate: {exc}") from None
    return full


_CA_POLICY = ExtensionPolicy.webpki_defaults_ca()
_LEAF_POLICY = _leaf_policy()
