"""The registry's list-signing key in a PKCS#11 token (SoftHSM2), certified by the scheme's CA.

``lintas keys generate list-signing`` makes the key on the token, ``lintas keys csr`` its CSR, a
test CA issues the signing certificate, and a registry with ``list_key_backend=pkcs11`` publishes
lists that verify against that certificate's pin. Twins: the same certificate with the file
backend refuses start-up (it would sign with a key nobody pinned); pkcs11 without a PIN is refused.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from idcore.ports import FixedClock
from idcore.trust import certificate_sha256_hex, verify_trust_list
from idcore.x509 import certificate_to_pem, create_root_ca
from lintas.kv import open_store
from lintas.pins import pin_set
from lintas.testing import UvicornServer, free_port
from lintas_cli.main import main
from tests.softhsm import SoftHsmToken, softhsm_token  # noqa: F401 - pytest fixture
from tests.verifier.world import new_key
from trust_registry.app import create_app
from trust_registry.settings import RegistrySettings


def _issue(csr_pem: bytes) -> tuple[bytes, bytes]:
    """A stand-in scheme CA signs the CSR (made now, never committed): (CA PEM, certificate PEM)."""
    csr = x509.load_pem_x509_csr(csr_pem)
    ca_key, now = new_key(), datetime.now(UTC)
    ca = create_root_ca(
        ca_key,
        common_name="Scheme CA",
        country="ID",
        organization="ASEAN",
        not_before=now,
        not_after=now + timedelta(days=9),
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(ca.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=9))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return certificate_to_pem(ca), certificate_to_pem(cert)


@pytest.fixture
def data(tmp_path: Path, softhsm_token: SoftHsmToken, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: F811
    monkeypatch.setenv("LINTAS_PKCS11_PIN", softhsm_token.user_pin)
    hsm = ["--pkcs11-library", softhsm_token.library_path, "--token-label", softhsm_token.token_label]
    main(["keys", "generate", "list-signing", *hsm])  # exit 1 when an earlier test made it: the same key serves
    csr = tmp_path / "list-signing.csr"
    assert main(["keys", "csr", "list-signing", *hsm, "--dns", "registry.example.org", "--out", str(csr)]) == 0
    ca_pem, cert_pem = _issue(csr.read_bytes())
    (tmp_path / "data" / "registry").mkdir(parents=True)
    (tmp_path / "data" / "registry" / "registry-ca.pem").write_bytes(ca_pem)
    (tmp_path / "data" / "registry" / "signing-cert.pem").write_bytes(cert_pem)
    return tmp_path / "data"


def test_lists_are_signed_on_the_token(data: Path, softhsm_token: SoftHsmToken) -> None:  # noqa: F811
    settings = RegistrySettings(
        data_dir=data,
        list_key_backend="pkcs11",
        pkcs11_library=softhsm_token.library_path,
        pkcs11_token_label=softhsm_token.token_label,
        pkcs11_user_pin=softhsm_token.user_pin,  # type: ignore[arg-type]
    )
    store = open_store(None, data, "registry")
    app = create_app(settings, store=store, clock=FixedClock(int(time.time())))
    port = free_port()
    with UvicornServer(app, port=port) as server:
        token = httpx.get(f"{server.base_url}/v1/trust-list", timeout=10).text
    store.close()
    cert = x509.load_pem_x509_certificate((data / "registry" / "signing-cert.pem").read_bytes())
    verified = verify_trust_list(token, pin_set([certificate_sha256_hex(cert)]))
    assert verified.trust_list.sequence_number >= 1
    assert not (data / "registry" / "keys" / "list-signing.pem").exists()  # no file key was made instead
    assert (data / "registry" / "pin.txt").read_text().strip() == certificate_sha256_hex(cert)


def test_the_file_backend_is_refused_with_that_certificate(data: Path) -> None:
    store = open_store(None, data, "registry")
    try:
        with pytest.raises(ValueError, match="does not certify the list-signing key"):
            create_app(RegistrySettings(data_dir=data), store=store)
    finally:
        store.close()


def test_pkcs11_needs_a_pin(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PKCS11_USER_PIN"):
        RegistrySettings(data_dir=tmp_path, list_key_backend="pkcs11").list_key_store()
