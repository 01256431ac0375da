"""``lintas verifier`` in production mode, configured from the environment only, serving TLS itself.

The process is started as a deployer would (no ``--public-url``: ``LINTAS_VERIFIER_PUBLIC_URL``
is honoured), with a provisioned access certificate, a TLS certificate from a test CA and an
admin token. Over https: ``/healthz`` answers with HSTS, ``/metrics`` and the admin API refuse
a missing token and answer the right one, ``/docs`` is not served. Twin: plain http to the TLS
port gets no answer.
"""

from __future__ import annotations

import os
import secrets
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from idcore.x509 import certificate_to_pem, create_root_ca
from lintas.testing import free_port
from tests.verifier.test_check_config import provision
from tests.verifier.world import new_key

TOKEN = secrets.token_urlsafe(32)


def _tls_pair(directory: Path) -> Path:
    """A test CA and a server certificate for localhost (made now, never committed); returns the CA file."""
    ca_key, server_key, now = new_key(), new_key(), datetime.now(UTC)
    ca = create_root_ca(
        ca_key,
        common_name="TLS CA",
        country="MY",
        organization="Test",
        not_before=now,
        not_after=now + timedelta(days=1),
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    (directory / "tls.crt").write_bytes(certificate_to_pem(cert))
    key_pem = server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (directory / "tls.key").write_bytes(key_pem)
    (directory / "tls.key").chmod(0o600)
    (directory / "ca.pem").write_bytes(certificate_to_pem(ca))
    return directory / "ca.pem"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The verifier process on https://localhost:PORT; yields (base URL, CA file)."""
    work = tmp_path_factory.mktemp("tls")
    data = work / "data"
    data.mkdir()
    provision(data, "localhost")
    ca = _tls_pair(work)
    port = free_port()
    url = f"https://localhost:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINTAS_")}
    env |= {
        "LINTAS_MODE": "production",
        "LINTAS_VERIFIER_PUBLIC_URL": url,
        "LINTAS_VERIFIER_DATA_DIR": str(data),
        "LINTAS_VERIFIER_TLS_CERTFILE": str(work / "tls.crt"),
        "LINTAS_VERIFIER_TLS_KEYFILE": str(work / "tls.key"),
        "LINTAS_VERIFIER_ADMIN_TOKEN": TOKEN,
    }
    command = [sys.executable, "-m", "lintas_cli", "verifier", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/healthz", verify=ssl.create_default_context(cafile=str(ca)), timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read() if process.stdout else ""
                    pytest.fail(f"the verifier did not come up over TLS:\n{output}")
                time.sleep(0.2)
        yield url, ca
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


def test_tls_with_hsts_and_no_docs(service: tuple[str, Path]) -> None:
    url, ca = service
    with httpx.Client(verify=ssl.create_default_context(cafile=str(ca)), timeout=5) as http:
        health = http.get(f"{url}/healthz")
        assert health.status_code == 200
        assert health.headers["strict-transport-security"] == "max-age=31536000"
        assert http.get(f"{url}/docs").status_code == 404
        assert http.get(f"{url}/openapi.json").status_code == 404


def test_operator_endpoints_need_the_token(service: tuple[str, Path]) -> None:
    url, ca = service
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(verify=ssl.create_default_context(cafile=str(ca)), timeout=5) as http:
        assert http.get(f"{url}/metrics").status_code == 401
        assert http.get(f"{url}/v1/admin/relying-parties").status_code == 401
        assert http.get(f"{url}/metrics", headers=bearer).status_code == 200
        parties = http.get(f"{url}/v1/admin/relying-parties", headers=bearer).json()["relying_parties"]
        assert {p["client_id"] for p in parties} == {"my-bank", "th-procurement", "age-check", "my-car-rental"}


def test_plain_http_gets_no_answer(service: tuple[str, Path]) -> None:
    url, _ = service
    with pytest.raises(httpx.HTTPError):
        httpx.get(url.replace("https://", "http://") + "/healthz", timeout=3).raise_for_status()
