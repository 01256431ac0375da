"""The verifier's own key material, created in the data directory on first start.

* a demo relying-party CA (``rp-ca.pem``; published at ``/.well-known/lintas/rp-ca.pem`` so the demo
  wallet can pin it) and, under it, the verifier's access certificate (``access-cert.pem``) with a
  ``dNSName`` SAN for ``x509_san_dns`` (OpenID4VP 1.0 Section 5.9.3) — the request signing key;
* a separate key for the relying parties' OAuth access tokens and webhooks;
* one client secret per configured relying party (``rp-clients.json``, mode 0600). The verifier keeps
  only their SHA-256 in memory; operators hand the file's secrets to the relying parties.

Private keys stay in the file key store (mode 0600) and are never logged.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509

from idcore.jose import KeySigner
from idcore.keystore.file import FileKeyStore
from idcore.x509 import certificate_from_pem, certificate_to_pem, create_issuer_certificate, create_root_ca

__all__ = ["CLIENTS_FILE", "VerifierKeys", "ensure_client_secrets", "ensure_verifier_keys"]

CLIENTS_FILE = "rp-clients.json"


def _write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write atomically so a crash never leaves half a certificate or secrets file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


@dataclass(frozen=True, slots=True)
class VerifierKeys:
    """Signers and certificates of one verifier installation."""

    request_signer: KeySigner
    oauth_signer: KeySigner
    access_cert: x509.Certificate
    rp_ca_cert: x509.Certificate

    @property
    def chain(self) -> list[x509.Certificate]:
        """The ``x5c`` of request objects: the access certificate only (HAIP: no trust anchor)."""
        return [self.access_cert]


def ensure_verifier_keys(data_dir: Path, *, dns_name: str, public_url: str, now: int, days: int) -> VerifierKeys:
    """Load the verifier's keys and certificates, creating them on first start."""
    store = FileKeyStore(data_dir / "keys")
    ca_signer = store.get_or_create("rp-ca")
    request_signer = store.get_or_create("access")
    oauth_signer = store.get_or_create("oauth")
    ca_path, cert_path = data_dir / "rp-ca.pem", data_dir / "access-cert.pem"
    current = certificate_from_pem(cert_path.read_bytes()) if cert_path.exists() else None
    if not ca_path.exists() or current is None or not _names_match(current, dns_name):
        start = datetime.fromtimestamp(now, UTC) - timedelta(hours=1)
        end = start + timedelta(days=days)
        ca_key = ca_signer.private_key
        if ca_path.exists():
            ca_cert = certificate_from_pem(ca_path.read_bytes())
        else:
            ca_cert = create_root_ca(
                ca_key,
                common_name="Lintas Relying Party CA (demo)",
                country="ID",
                organization="Lintas ASEAN Identity Trust Scheme",
                not_before=start,
                not_after=end,
            )
            _write(ca_path, certificate_to_pem(ca_cert))
        access = create_issuer_certificate(
            ca_key,
            ca_cert,
            request_signer.private_key.public_key(),
            common_name=f"Lintas verifier {dns_name}",
            country="ID",
            organization="Lintas demo verifier",
            not_before=start,
            not_after=end,
            san_dns=[dns_name],
            san_uris=[public_url],
        )
        _write(cert_path, certificate_to_pem(access))
    return VerifierKeys(
        request_signer,
        oauth_signer,
        certificate_from_pem(cert_path.read_bytes()),
        certificate_from_pem(ca_path.read_bytes()),
    )


def _names_match(cert: x509.Certificate, dns_name: str) -> bool:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    return dns_name in san.get_values_for_type(x509.DNSName)


def ensure_client_secrets(data_dir: Path, client_ids: Iterable[str]) -> dict[str, str]:
    """Return ``{client_id: secret}``, generating a secret for every client that has none yet."""
    path = data_dir / CLIENTS_FILE
    existing: dict[str, str] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    wanted = list(client_ids)
    missing = [cid for cid in wanted if cid not in existing]
    if missing:
        for cid in missing:
            existing[cid] = secrets.token_urlsafe(32)
        _write(path, json.dumps(existing, indent=2).encode(), mode=0o600)
    return {cid: existing[cid] for cid in wanted}
