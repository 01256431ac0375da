"""The one builder of the demo PKI's files: national roots and issuers' document-signer certificates.

The trust registry generates them for every seeded issuer on first start (``trust_registry.pki``)
and a standalone issuer for itself when ``generate_pki`` is on (``issuer.keys``); both build
through these two functions, so the layout and the certificate profiles exist once::

    <data>/countries/<cc>/keys/root.pem       national root key (demo only; FileKeyStore, mode 0600)
    <data>/countries/<cc>/root-cert.pem       national root certificate (the trust anchor)
    <data>/issuers/<slug>/certificate.pem     the document signer's certificate (SAN URI = issuer id)
    <data>/issuers/<slug>/chain.pem           certificate.pem followed by the national root
    <data>/issuers/<slug>/issuer.json         identifier, country, vcts, names (and who wrote it)
    <data>/issuers/<slug>/mdoc-ds-certificate.pem  the mdoc Document Signer (ISO/IEC 18013-5 Annex
                                              B.1.4 profile, SAN URI = issuer id), when it issues mdocs

Certificates come from :mod:`idcore.x509` (``create_root_ca``, ``create_issuer_certificate``:
the HAIP profiles on pyca/cryptography; ``idcore.mdoc.pki`` for the mdoc Document Signer); files are
written atomically, so a crash never leaves
half a certificate behind. Nothing here is used outside development mode and tests.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509

from idcore.jose import KeySigner
from idcore.keystore import FileKeyStore
from idcore.mdoc.pki import create_document_signer_certificate
from idcore.x509 import certificate_from_pem, certificate_to_pem, create_issuer_certificate, create_root_ca

__all__ = ["Validity", "ensure_national_root", "issue_document_signer", "issue_mdoc_document_signer", "write_atomic"]


@dataclass(frozen=True, slots=True)
class Validity:
    """A certificate's validity window."""

    not_before: datetime
    not_after: datetime


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (parents created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def ensure_national_root(
    data_dir: Path, code: str, *, common_name: str, organization: str, validity: Validity
) -> tuple[KeySigner, x509.Certificate]:
    """Load or create the national root key and self-signed certificate of member state ``code``.

    An existing certificate is kept as it is (``validity`` applies only when one is created).
    """
    base = data_dir / "countries" / code.lower()
    signer = FileKeyStore(base / "keys").get_or_create("root")
    path = base / "root-cert.pem"
    if not path.exists():
        cert = create_root_ca(
            signer.private_key,
            common_name=common_name,
            country=code,
            organization=organization,
            not_before=validity.not_before,
            not_after=validity.not_after,
        )
        write_atomic(path, certificate_to_pem(cert))
    return signer, certificate_from_pem(path.read_bytes())


def issue_document_signer(
    data_dir: Path,
    slug: str,
    *,
    root: tuple[KeySigner, x509.Certificate],
    public_key: Any,
    info: Mapping[str, Any],
    common_name: str,
    organization: str,
    validity: Validity,
) -> list[x509.Certificate]:
    """Certify an issuer's document-signer ``public_key`` under ``root``; write its files; ``[leaf, root]``.

    ``info`` is written as ``issuer.json`` and must name the issuer ``id`` (the certificate's SAN
    URI, HAIP: a credential's ``iss`` must match it) and its ``country``.
    """
    root_signer, root_cert = root
    leaf = create_issuer_certificate(
        root_signer.private_key,
        root_cert,
        public_key,
        common_name=common_name[:64],
        country=str(info["country"]),
        organization=organization[:64],
        not_before=validity.not_before,
        not_after=validity.not_after,
        san_uris=[str(info["id"])],
    )
    base = data_dir / "issuers" / slug
    write_atomic(base / "certificate.pem", certificate_to_pem(leaf))
    write_atomic(base / "issuer.json", json.dumps(dict(info), ensure_ascii=False, indent=2).encode())
    write_atomic(base / "chain.pem", certificate_to_pem(leaf) + certificate_to_pem(root_cert))
    return [leaf, root_cert]


def issue_mdoc_document_signer(
    data_dir: Path,
    slug: str,
    *,
    root: tuple[KeySigner, x509.Certificate],
    public_key: Any,
    info: Mapping[str, Any],
    validity: Validity,
) -> x509.Certificate:
    """Certify an issuer's mdoc Document Signer ``public_key`` under ``root``; write ``mdoc-ds-certificate.pem``.

    The SAN URI is the issuer ``id`` of ``info``: verifiers bind a Document Signer to the listed
    issuer by it (:mod:`idcore.trust.asean_list`); the issuer checks the same on start-up.
    """
    root_signer, root_cert = root
    certificate = create_document_signer_certificate(
        root_signer.private_key,
        root_cert,
        public_key,
        common_name=f"{str(info['names']['en'])[:50]} mDoc DS",
        country=str(info["country"]),
        not_before=validity.not_before,
        not_after=min(validity.not_after, root_cert.not_valid_after_utc),
        san_uris=[str(info["id"])],
    )
    write_atomic(data_dir / "issuers" / slug / "mdoc-ds-certificate.pem", certificate_to_pem(certificate))
    return certificate
