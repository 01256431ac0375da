"""Keys and certificates the registry generates into its data directory on first start.

Layout (private keys are PKCS#8 PEM files, mode 0600, written by
:class:`idcore.keystore.FileKeyStore`; nothing here is ever committed)::

    <data>/registry/keys/registry-ca.pem      the registry's own root key
    <data>/registry/keys/list-signing.pem     signs every trust list and audit record
    <data>/registry/keys/oauth.pem            signs governance access tokens (RFC 9068)
    <data>/registry/keys/checkpoint.pem       Ed25519: signs the audit-log checkpoints (C2SP signed note)
    <data>/registry/registry-ca.pem           root certificate of the registry
    <data>/registry/signing-cert.pem          the list-signing certificate (``x5c`` of each list)
    <data>/registry/pin.txt                   hex SHA-256 of signing-cert.pem's DER (verifiers pin it)
    <data>/countries/<cc>/keys/root.pem       national root key (demo: the registry holds it)
    <data>/countries/<cc>/root-cert.pem       national root certificate (the listed anchor)
    <data>/issuers/<slug>/document-signer.pem the issuer's document-signer key (FileKeyStore id
                                              "document-signer" in that directory)
    <data>/issuers/<slug>/certificate.pem     its certificate, SAN URI = the issuer identifier
    <data>/issuers/<slug>/chain.pem           certificate.pem followed by the national root
    <data>/issuers/<slug>/issuer.json         identifier, country, vcts, names

National roots and document-signer certificates are built by the runtime's one demo-PKI builder
(:mod:`lintas.demo_pki`), which a standalone issuer uses too. The issuer service loads
``FileKeyStore(<data>/issuers/<slug>).signer("document-signer")``
and puts ``certificate.pem`` (without the root, HAIP Section "Issuer identification and key
resolution") into the ``x5c`` of its credentials.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from idcore.jose import KeySigner
from idcore.jwk import public_key_from_jwk
from idcore.keystore import FileKeyStore, KeyStore
from idcore.ports import Signer
from idcore.trust.signed import certificate_sha256_hex
from idcore.x509 import (
    certificate_from_pem,
    certificate_to_pem,
    certificates_from_pem,
    create_issuer_certificate,
    create_root_ca,
)
from lintas.demo_pki import (
    Validity,
    ensure_national_root,
    issue_document_signer,
    issue_mdoc_document_signer,
    write_atomic,
)

__all__ = [
    "RegistryKeys",
    "ensure_country_root",
    "ensure_ed25519_key",
    "ensure_issuer",
    "ensure_registry_keys",
    "issuer_material_dir",
    "load_checkpoint_key",
]

# The ASEAN Secretariat sits in Jakarta; an X.509 Name needs some country.
_REGISTRY_COUNTRY = "ID"


def _validity(now: int, days: int) -> tuple[datetime, datetime]:
    start = datetime.fromtimestamp(now, UTC) - timedelta(hours=1)  # tolerate small clock skew
    return start, start + timedelta(days=days)


def ensure_ed25519_key(path: Path) -> Ed25519PrivateKey:
    """Load an Ed25519 key (PKCS#8 PEM, mode 0600), creating it on first start."""
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another replica created it first: use theirs
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 key")
    return key


def load_checkpoint_key(data_dir: Path) -> Ed25519PrivateKey:
    """The registry's checkpoint key, created on first start (``<data>/registry/keys/checkpoint.pem``)."""
    return ensure_ed25519_key(data_dir / "registry" / "keys" / "checkpoint.pem")


def _signing_key(signer: KeySigner) -> Any:
    return signer.private_key


@dataclass(frozen=True, slots=True)
class RegistryKeys:
    """The registry's signers and the ``x5c`` chain of its lists."""

    list_signer: Signer
    oauth_signer: KeySigner
    signing_cert: x509.Certificate
    ca_cert: x509.Certificate
    #: Ed25519 key of the audit-log checkpoints (C2SP signed-note type 0x01, issue #12).
    checkpoint_key: Ed25519PrivateKey

    @property
    def pin(self) -> str:
        """Hex SHA-256 of the signing certificate: what verifiers pin."""
        return certificate_sha256_hex(self.signing_cert)


def _same_key(cert: x509.Certificate, signer: Signer) -> None:
    der = (Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    if cert.public_key().public_bytes(*der) != public_key_from_jwk(signer.public_jwk).public_bytes(*der):
        raise ValueError(
            "registry/signing-cert.pem does not certify the list-signing key: import the certificate "
            "your CA issued for the CSR of that key (`lintas keys csr list-signing ...`)"
        )


def ensure_registry_keys(
    data_dir: Path, *, now: int, days: int, public_url: str, list_store: KeyStore | None = None
) -> RegistryKeys:
    """Load the registry's keys and certificates, creating them on first start.

    ``list_store`` holds the list-signing key when it is not in the data directory (a PKCS#11
    token). A signing certificate that does not certify the list-signing key refuses start-up
    (``ValueError`` saying what to fix): verifiers pin that certificate, nothing is replaced.
    """
    base = data_dir / "registry"
    keys = FileKeyStore(base / "keys")
    list_signer = (list_store or keys).get_or_create("list-signing")
    oauth_signer = keys.get_or_create("oauth")
    ca_path, cert_path = base / "registry-ca.pem", base / "signing-cert.pem"
    if not ca_path.exists() or not cert_path.exists():
        ca_signer = keys.get_or_create("registry-ca")
        not_before, not_after = _validity(now, days)
        ca_cert = create_root_ca(
            _signing_key(ca_signer),
            common_name="Lintas Trust Registry Root (demo)",
            country=_REGISTRY_COUNTRY,
            organization="Lintas ASEAN Identity Trust Scheme",
            not_before=not_before,
            not_after=not_after,
        )
        signing_cert = create_issuer_certificate(
            _signing_key(ca_signer),
            ca_cert,
            public_key_from_jwk(list_signer.public_jwk),
            common_name="Lintas Trust List Signer",
            country=_REGISTRY_COUNTRY,
            organization="Lintas ASEAN Identity Trust Scheme",
            not_before=not_before,
            not_after=not_after,
            san_uris=[public_url],
        )
        write_atomic(ca_path, certificate_to_pem(ca_cert))
        write_atomic(cert_path, certificate_to_pem(signing_cert))
    ca_cert = certificate_from_pem(ca_path.read_bytes())
    signing_cert = certificate_from_pem(cert_path.read_bytes())
    _same_key(signing_cert, list_signer)
    checkpoint_key = load_checkpoint_key(data_dir)
    result = RegistryKeys(list_signer, oauth_signer, signing_cert, ca_cert, checkpoint_key)
    write_atomic(base / "pin.txt", (result.pin + "\n").encode())
    return result


def ensure_country_root(
    data_dir: Path, code: str, *, common_name: str, organization: str, now: int, days: int
) -> tuple[KeySigner, x509.Certificate]:
    """Load or create the national root key and certificate of ``code`` (:mod:`lintas.demo_pki`)."""
    not_before, not_after = _validity(now, days)
    return ensure_national_root(
        data_dir, code, common_name=common_name, organization=organization, validity=Validity(not_before, not_after)
    )


@dataclass(frozen=True, slots=True)
class IssuerMaterial:
    """Where a seeded issuer's key lives and its certificate chain (leaf, national root)."""

    directory: Path
    chain: list[x509.Certificate]


def ensure_issuer(
    data_dir: Path,
    slug: str,
    *,
    issuer: dict[str, Any],
    root: tuple[KeySigner, x509.Certificate],
    now: int,
    days: int,
) -> IssuerMaterial:
    """Load or create a seeded issuer's document-signer key and certificate under its national root.

    An issuer listed for mdoc doctypes (any listed type that is not a URL, e.g.
    ``org.iso.18013.5.1.mDL``) also gets its mdoc Document Signer key and certificate.
    """
    base = data_dir / "issuers" / slug
    if any(not str(v).startswith(("https://", "http://")) for v in issuer.get("vcts", ())):
        mdoc_signer = FileKeyStore(base).get_or_create("mdoc-document-signer")
        if not (base / "mdoc-ds-certificate.pem").exists():
            issue_mdoc_document_signer(
                data_dir,
                slug,
                root=root,
                public_key=mdoc_signer.private_key.public_key(),
                info=issuer,
                validity=Validity(*_validity(now, days)),
            )
    signer = FileKeyStore(base).get_or_create("document-signer")
    chain_path = base / "chain.pem"
    if not chain_path.exists():  # chain.pem is written last: its presence means the rest is there
        org = root[1].subject.get_attributes_for_oid(x509.oid.NameOID.ORGANIZATION_NAME)[0].value
        issue_document_signer(
            data_dir,
            slug,
            root=root,
            public_key=signer.private_key.public_key(),
            info=issuer,
            common_name=str(issuer["names"]["en"]),
            organization=str(org),
            validity=Validity(*_validity(now, days)),
        )
    return IssuerMaterial(base, certificates_from_pem(chain_path.read_bytes()))


def issuer_material_dir(data_dir: Path, issuer_id: str) -> Path | None:
    """The ``<data>/issuers/<slug>`` directory holding ``issuer_id``'s key and chain, if seeded here."""
    for meta in sorted((data_dir / "issuers").glob("*/issuer.json")):
        if json.loads(meta.read_text(encoding="utf-8")).get("id") == issuer_id:
            return meta.parent
    return None
