"""The verifier's own key material, created in the data directory on first start.

* a demo relying-party CA (``rp-ca.pem``; published at ``/.well-known/lintas/rp-ca.pem`` so the demo
  wallet can pin it) and, under it, the verifier's access certificate (``access-cert.pem``) with a
  ``dNSName`` SAN for ``x509_san_dns`` (OpenID4VP 1.0 Section 5.9.3) — the request signing key;
* a separate key for the relying parties' OAuth access tokens and webhooks;
* the OpenID Federation entity key (``federation-entity``, :func:`federation_signer`), which signs
  the verifier's entity configuration only;
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
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from idcore.errors import IdcoreError
from idcore.jwk import public_key_from_jwk
from idcore.keystore import KeyStore, Pkcs11KeyStore
from idcore.keystore.file import FileKeyStore
from idcore.oid4vp import ClientId
from idcore.ports import Signer
from idcore.x509 import certificate_from_pem, certificate_to_pem, create_issuer_certificate, create_root_ca

__all__ = [
    "CLIENTS_FILE",
    "STANDBY_CERT",
    "CertificateMismatch",
    "Operator",
    "VerifierKeys",
    "certificate_problems",
    "ensure_client_secrets",
    "ensure_verifier_keys",
    "federation_signer",
    "request_key_store",
]

CLIENTS_FILE = "rp-clients.json"
#: The OpenID Federation entity key (:mod:`verifier.leaf`): FileKeyStore id and PKCS#11 label.
FEDERATION_KEY = "federation-entity"
#: The standby access certificate of a rotation (its key is ``access-standby`` in the same store).
STANDBY_CERT = "access-standby-cert.pem"


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

    request_signer: Signer
    oauth_signer: Signer
    access_cert: x509.Certificate
    rp_ca_cert: x509.Certificate

    #: During a rotation, the other access key and its certificate (``access-standby``): requests
    #: of transactions created under it are still signed with it, so both keys serve at once.
    standby: tuple[Signer, x509.Certificate] | None = None

    @property
    def chain(self) -> list[x509.Certificate]:
        """The ``x5c`` of request objects: the access certificate only (HAIP: no trust anchor)."""
        return [self.access_cert]

    def pair_for(self, client_id: str, dns_name: str) -> tuple[Signer, list[x509.Certificate]] | None:
        """The signer and ``x5c`` whose certificate gives ``client_id`` (current first, then standby).

        ``x509_san_dns`` names the host, which both certificates carry; ``x509_hash`` names one
        certificate (OpenID4VP 1.0 Section 5.9.3), so a transaction keeps the key it began with.
        """
        pairs = [(self.request_signer, self.access_cert), *([self.standby] if self.standby else [])]
        for signer, cert in pairs:
            prefix = client_id.split(":", 1)[0]
            try:
                if ClientId.for_certificate(prefix, cert, dns_name).value == client_id:
                    return signer, [cert]
            except IdcoreError:
                return None
        return None


class CertificateMismatch(ValueError):
    """The provisioned access certificate does not fit this verifier; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class Operator:
    """Who runs the verifier, named in a *generated* (development) certificate only."""

    name: str = "Lintas demo verifier"
    #: ISO 3166-1 alpha-2; ``XX`` (user-assigned: unknown) until the operator says which country it is.
    country: str = "XX"


def certificate_problems(cert: x509.Certificate, signer: Signer, dns_name: str, now: int) -> list[str]:
    """What is wrong with ``cert`` as this verifier's access certificate, each with what to do; empty: fine.

    OpenID4VP 1.0 Section 5.9.3: for ``x509_san_dns`` the host of the public URL is a dNSName SAN;
    for both X.509 prefixes the request is signed with the certificate's key.
    """
    problems = []
    if not _names_match(cert, dns_name):
        problems.append(
            f"access-cert.pem has no dNSName SAN {dns_name!r} (the host of LINTAS_VERIFIER_PUBLIC_URL): "
            f"request a certificate for {dns_name} (`lintas keys csr access --dns {dns_name}`) or fix the public URL"
        )
    if _spki(cert.public_key()) != _spki(public_key_from_jwk(signer.public_jwk)):
        problems.append(
            "access-cert.pem does not certify the request-signing key (access): "
            "import the certificate issued for the CSR made from that key"
        )
    when = datetime.fromtimestamp(now, UTC)
    if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
        problems.append(
            f"access-cert.pem is valid from {cert.not_valid_before_utc:%Y-%m-%d} to "
            f"{cert.not_valid_after_utc:%Y-%m-%d}, not now: have it renewed (or check the clock)"
        )
    return problems


def _spki(key: CertificatePublicKeyTypes) -> bytes:
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def ensure_verifier_keys(
    data_dir: Path,
    *,
    dns_name: str,
    public_url: str,
    now: int,
    days: int,
    generate: bool = True,
    operator: Operator | None = None,
    request_store: KeyStore | None = None,
) -> VerifierKeys:
    """Load the verifier's keys and certificates; with ``generate`` (development) create what is missing.

    Without ``generate`` nothing is replaced: an access certificate that does not name the public
    URL's host, does not certify the request-signing key or is out of date raises
    :class:`CertificateMismatch` saying what to fix. ``request_store`` holds the request-signing
    and access-token (``oauth``) keys when they are not the data directory's file store (a PKCS#11
    token, :func:`request_key_store`).
    """
    store = FileKeyStore(data_dir / "keys")
    request_signer = _request_signer(request_store or store, create=generate)
    # The access-token key lives beside the request-signing key: in the PKCS#11 token when there is one.
    oauth_signer = (request_store or store).get_or_create("oauth")
    ca_path, cert_path = data_dir / "rp-ca.pem", data_dir / "access-cert.pem"
    current = certificate_from_pem(cert_path.read_bytes()) if cert_path.exists() else None
    if not generate:
        if current is None or not ca_path.exists():
            raise CertificateMismatch(f"no access-cert.pem or rp-ca.pem in {data_dir}: provision them")
        problems = certificate_problems(current, request_signer, dns_name, now)
        if problems:
            raise CertificateMismatch("refusing to start: " + "; ".join(problems))
    elif not ca_path.exists() or current is None or certificate_problems(current, request_signer, dns_name, now):
        _generate(store, data_dir, request_signer, dns_name, public_url, now, days, operator or Operator())
    return VerifierKeys(
        request_signer,
        oauth_signer,
        certificate_from_pem(cert_path.read_bytes()),
        certificate_from_pem(ca_path.read_bytes()),
        _standby(data_dir, request_store or store, dns_name, now),
    )


def _request_signer(store: KeyStore, *, create: bool) -> Signer:
    """The ``access`` key; outside development it must exist (a new one would certify nothing)."""
    if create:
        return store.get_or_create("access")
    if not store.exists("access"):
        raise CertificateMismatch(
            f"no request-signing key 'access' in {store!r}: make it with `lintas keys generate access` "
            "and have its CSR certified (docs/deploy-verifier.md, steps 2-5)"
        )
    return store.signer("access")


def _standby(data_dir: Path, store: KeyStore, dns_name: str, now: int) -> tuple[Signer, x509.Certificate] | None:
    """``access-standby-cert.pem`` and key ``access-standby``, checked like the current pair, when present."""
    path = data_dir / STANDBY_CERT
    if not path.exists():
        return None
    if not store.exists("access-standby"):
        raise CertificateMismatch(f"{STANDBY_CERT} is present but the key access-standby is not: add it or remove both")
    signer = store.signer("access-standby")
    cert = certificate_from_pem(path.read_bytes())
    problems = certificate_problems(cert, signer, dns_name, now)
    if problems:
        raise CertificateMismatch(f"refusing to start: {STANDBY_CERT}: " + "; ".join(problems))
    return signer, cert


def _generate(
    store: FileKeyStore,
    data_dir: Path,
    request_signer: Signer,
    dns_name: str,
    public_url: str,
    now: int,
    days: int,
    operator: Operator,
) -> None:
    """Development only: a relying-party CA of our own and an access certificate under it."""
    ca_signer = store.get_or_create("rp-ca")
    ca_path, cert_path = data_dir / "rp-ca.pem", data_dir / "access-cert.pem"
    start = datetime.fromtimestamp(now, UTC) - timedelta(hours=1)
    end = start + timedelta(days=days)
    ca_key = ca_signer.private_key
    if ca_path.exists():
        ca_cert = certificate_from_pem(ca_path.read_bytes())
    else:
        ca_cert = create_root_ca(
            ca_key,
            common_name="Lintas Relying Party CA (demo)",
            country=operator.country,
            organization="Lintas ASEAN Identity Trust Scheme",
            not_before=start,
            not_after=end,
        )
        _write(ca_path, certificate_to_pem(ca_cert))
    access = create_issuer_certificate(
        ca_key,
        ca_cert,
        public_key_from_jwk(request_signer.public_jwk),
        common_name=f"Lintas verifier {dns_name}"[:64],
        country=operator.country,
        organization=operator.name,
        not_before=start,
        not_after=end,
        san_dns=[dns_name],
        san_uris=[public_url],
    )
    _write(cert_path, certificate_to_pem(access))


def request_key_store(backend: str, library: str, token_label: str, user_pin: str | None) -> KeyStore | None:
    """The PKCS#11 token holding the request-signing key, or ``None`` for the data directory's files."""
    if backend != "pkcs11":
        return None
    if not user_pin:
        raise ValueError("key_backend=pkcs11 needs the token's user PIN")
    return Pkcs11KeyStore(library, token_label, user_pin)


def federation_signer(data_dir: Path, request_store: KeyStore | None = None, *, create: bool = True) -> Signer:
    """The verifier's OpenID Federation entity key (ES256), created on first use when ``create``.

    A key of its own beside the request-signing key (in the PKCS#11 token when there is one,
    label ``federation-entity``), never the access key: the member state's intermediate binds this
    key, which the operator registers with the registry (``lintas verifier federation-key``).
    Without ``create`` a missing key is a ``ValueError``: replicas that each made a key of their
    own would sign configurations the member state's statement does not bind.
    """
    store = request_store or FileKeyStore(data_dir / "keys")
    if not create and not store.exists(FEDERATION_KEY):
        raise ValueError(
            "no federation entity key in the key store: make it once with `lintas verifier federation-key`, "
            "have it registered, and give every replica the same key (docs/deploy-verifier.md, steps 5c and 8)"
        )
    return store.get_or_create(FEDERATION_KEY)


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
