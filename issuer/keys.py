"""Signing keys and X.509 document-signer certificates of the Credential Issuers in one process.

Layout shared with the trust registry (``trust_registry/pki.py``), so an issuer given the
registry's data directory signs with the key and certificate the registry listed::

    <data>/issuers/<slug>/document-signer.pem   the document-signer key (FileKeyStore id)
    <data>/issuers/<slug>/certificate.pem       its certificate (SAN URI = issuer identifier)
    <data>/issuers/<slug>/chain.pem             certificate.pem followed by the national root
    <data>/countries/<cc>/root-cert.pem         the national root (trust anchor)
    <data>/countries/<cc>/keys/root.pem         the national root key (demo only)
    <data>/issuer-keys/oauth.pem                signs this process's access tokens
    <data>/issuers/<slug>/mdoc-document-signer.pem  the mdoc Document Signer key (FileKeyStore id)
    <data>/issuers/<slug>/federation-entity.pem     the OpenID Federation entity key (issuer.federation)
    <data>/issuers/<slug>/mdoc-ds-certificate.pem   its certificate (ISO/IEC 18013-5 Annex B.1.4),
                                                    issued by the national root acting as IACA,
                                                    SAN URI = issuer identifier

With ``key_backend = "pkcs11"`` the document-signer key lives in a PKCS#11 token (SoftHSM2)
under the label ``<slug>-document-signer``. When no certificate matches the key and
``generate_pki`` is on (standalone runs, tests), the national root (created if absent) issues
one, through the runtime's one demo-PKI builder (:mod:`lintas.demo_pki`, which the trust registry
uses too). HAIP Section 6.1.1: the ``x5c`` of every credential and status list carries the chain
without the trust anchor.

The mdoc Document Signer is a key of its own (a certificate profile per key: the SD-JWT signer's
certificate names the issuer URL, the DS certificate carries ``id-mdl-kp-mdlDS``), in the same
key store (PKCS#11 label ``<slug>-mdoc-document-signer``). Without a matching DS certificate and
without ``generate_pki``, :func:`load_mdoc_keys` returns ``None`` and the tenant offers no mdoc.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from idcore.jose import KeySigner
from idcore.jwk import public_key_from_jwk
from idcore.keystore import FileKeyStore, Pkcs11KeyStore
from idcore.mdoc.pki import create_document_signer_certificate
from idcore.ports import Signer
from idcore.x509 import (
    certificate_to_pem,
    certificates_from_pem,
    is_self_signed,
    san_uris,
    x5c_from_certificates,
)
from issuer.catalog import GENERATED_BY, CountryInfo, TenantSpec
from issuer.settings import IssuerSettings
from lintas.demo_pki import Validity, ensure_national_root, issue_document_signer, write_atomic

__all__ = [
    "MdocKeys",
    "TenantKeys",
    "load_federation_signer",
    "load_mdoc_keys",
    "load_oauth_signer",
    "load_tenant_keys",
]


@dataclass(frozen=True)
class TenantKeys:
    """A tenant's document signer and its certificate chain (leaf first, anchor last if present)."""

    signer: Signer
    chain: list[x509.Certificate]

    @property
    def x5c(self) -> list[str]:
        """The ``x5c`` header value: the chain without a self-signed trust anchor."""
        return x5c_from_certificates([c for c in self.chain if not is_self_signed(c)])


@dataclass(frozen=True)
class MdocKeys:
    """A tenant's mdoc Document Signer and its certificate (the MSO ``x5chain`` holds only this one)."""

    signer: Signer
    certificate: x509.Certificate


def _spki(key: Any) -> bytes:
    return bytes(key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))


def _signer(settings: IssuerSettings, tenant: TenantSpec, name: str = "document-signer") -> Signer:
    if settings.key_backend == "pkcs11":
        store = Pkcs11KeyStore(settings.pkcs11_library, settings.pkcs11_token_label, settings.pkcs11_user_pin)
        return store.get_or_create(f"{tenant.slug}-{name}")
    return FileKeyStore(settings.data_dir / "issuers" / tenant.slug).get_or_create(name)


def _root(settings: IssuerSettings, country: CountryInfo, now: datetime) -> tuple[KeySigner, x509.Certificate]:
    validity = Validity(now - timedelta(hours=1), now + timedelta(days=settings.certificate_days * 2))
    return ensure_national_root(
        settings.data_dir,
        country.code,
        common_name=country.root_common_name,
        organization=country.root_organization,
        validity=validity,
    )


def _issue_certificate(
    settings: IssuerSettings, country: CountryInfo, tenant: TenantSpec, signer: Signer
) -> list[x509.Certificate]:
    now = datetime.now(UTC)
    info = {
        "id": tenant.identifier,
        "country": country.code,
        "vcts": list(tenant.vcts),
        "names": tenant.names,
        "generated_by": GENERATED_BY,
    }
    return issue_document_signer(
        settings.data_dir,
        tenant.slug,
        root=_root(settings, country, now),
        public_key=public_key_from_jwk(signer.public_jwk),
        info=info,
        common_name=tenant.names["en"],
        organization=country.root_organization,
        validity=Validity(now - timedelta(hours=1), now + timedelta(days=settings.certificate_days)),
    )


def load_tenant_keys(settings: IssuerSettings, country: CountryInfo, tenant: TenantSpec) -> TenantKeys:
    """Load the tenant's signer and chain; issue a certificate if none matches (``generate_pki``)."""
    signer = _signer(settings, tenant)
    chain_path = settings.data_dir / "issuers" / tenant.slug / "chain.pem"
    chain = certificates_from_pem(chain_path.read_bytes()) if chain_path.is_file() else []
    key_spki = _spki(public_key_from_jwk(signer.public_jwk))
    # Re-issue when the certificate is for another key, or names another identifier (the public URL
    # of a standalone run changed): a credential's iss must match its certificate's SAN URI.
    if not chain or _spki(chain[0].public_key()) != key_spki or tenant.identifier not in san_uris(chain[0]):
        if not settings.generate_pki:
            raise ValueError(
                f"no certificate for the {tenant.slug} document-signer key in {chain_path.parent}: "
                "provision chain.pem (LINTAS_ISSUER_GENERATE_PKI generates one in development only)"
            )
        chain = _issue_certificate(settings, country, tenant, signer)
    return TenantKeys(signer, chain)


def load_mdoc_keys(settings: IssuerSettings, country: CountryInfo, tenant: TenantSpec) -> MdocKeys | None:
    """The tenant's mdoc Document Signer and its certificate; ``None`` when none is provisioned.

    Without ``generate_pki`` a provisioned certificate for another key or another identifier
    refuses start-up (``ValueError``); an expiring one makes the tenant offer no mdoc.

    With ``generate_pki`` a missing, expired-soon or mismatched certificate (another key, or not
    naming the tenant's identifier as a URI SAN) is (re)issued by the national root (ISO/IEC
    18013-5 Annex B.1.4 profile); the SAN is how the trust list binds the Document Signer to the
    listed issuer (:mod:`idcore.trust.asean_list`).
    """
    signer = _signer(settings, tenant, "mdoc-document-signer")
    path = settings.data_dir / "issuers" / tenant.slug / "mdoc-ds-certificate.pem"
    found = certificates_from_pem(path.read_bytes()) if path.is_file() else []
    now = datetime.now(UTC)
    key_spki = _spki(public_key_from_jwk(signer.public_jwk))
    # The certificate must be for this key and name this tenant's identifier (as load_tenant_keys
    # checks): verifiers bind a Document Signer to a listed issuer by its URI SAN.
    matches = bool(found) and _spki(found[0].public_key()) == key_spki and tenant.identifier in san_uris(found[0])
    if matches and found[0].not_valid_after_utc > now + timedelta(days=1):
        return MdocKeys(signer, found[0])
    if not settings.generate_pki:
        if found and not matches:  # provisioned for another key or issuer: every mdoc would be refused
            raise ValueError(
                f"{path} is not for the {tenant.slug} mdoc Document Signer key or does not name "
                f"{tenant.identifier} as a URI SAN: provision a matching certificate"
            )
        return None
    root_signer, root_cert = _root(settings, country, now)
    certificate = create_document_signer_certificate(
        root_signer.private_key,
        root_cert,
        public_key_from_jwk(signer.public_jwk),
        common_name=f"{tenant.names['en'][:50]} mDoc DS",
        country=country.code,
        not_before=now - timedelta(hours=1),
        not_after=min(now + timedelta(days=settings.certificate_days), root_cert.not_valid_after_utc),
        san_uris=[tenant.identifier],
    )
    write_atomic(path, certificate_to_pem(certificate))
    return MdocKeys(signer, certificate)


def load_federation_signer(settings: IssuerSettings, tenant: TenantSpec) -> Signer:
    """The tenant's OpenID Federation entity key (ES256; never the document signer, :mod:`issuer.federation`)."""
    return _signer(settings, tenant, "federation-entity")


def load_oauth_signer(settings: IssuerSettings) -> Signer:
    """The key that signs this process's access tokens (never the document signer)."""
    return FileKeyStore(settings.data_dir / "issuer-keys" / settings.country.lower()).get_or_create("oauth")
