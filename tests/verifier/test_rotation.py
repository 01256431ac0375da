"""Rotating the verifier's access key with overlap: old and new key both serve during the window.

Under ``x509_hash`` a transaction's client identifier names one certificate, so its Request
Object must be signed with the key it began with. The rotation: (1) the new key and certificate
go in as ``access-standby``, every replica can now sign with both; (2) current and standby swap,
new transactions use the new key while transactions begun under the old one are still served
with it; (3) after the transaction lifetime the standby is removed. Twins: after (3) an old
transaction's request is refused (no other key answers for its client id), and a standby
certificate that does not certify the standby key refuses start-up.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from idcore.keystore.file import FileKeyStore
from idcore.oid4vp import parse_request_link, verify_request_object
from idcore.ports import SystemClock
from idcore.x509 import certificate_to_pem, create_issuer_certificate, create_root_ca
from lintas.kv import KeyValueStore, open_store
from lintas.testing import UvicornServer, free_port
from tests.verifier.world import new_key
from verifier.app import create_app
from verifier.keys import STANDBY_CERT, CertificateMismatch
from verifier.settings import VerifierSettings

HOST = "verifier.example.gov"
NOW = datetime.now(UTC)


class MinistryCa:
    """A stand-in relying-party CA (made now, never committed)."""

    def __init__(self) -> None:
        self.key = new_key()
        self.cert = create_root_ca(
            self.key,
            common_name="RP CA",
            country="MY",
            organization="Ministry",
            not_before=NOW,
            not_after=NOW + timedelta(days=9),
        )

    def issue(self, public_key: Any) -> bytes:
        cert = create_issuer_certificate(
            self.key,
            self.cert,
            public_key,
            common_name=HOST,
            country="MY",
            organization="Ministry",
            not_before=NOW - timedelta(minutes=5),
            not_after=NOW + timedelta(days=9),
            san_dns=[HOST],
        )
        return certificate_to_pem(cert)


def _swap(data: Path) -> None:
    """Step (2): the standby pair becomes current and the current one standby."""
    keys = data / "keys"
    (keys / "access.pem").rename(keys / "tmp.pem")
    (keys / "access-standby.pem").rename(keys / "access.pem")
    (keys / "tmp.pem").rename(keys / "access-standby.pem")
    (data / "access-cert.pem").rename(data / "tmp.pem")
    (data / STANDBY_CERT).rename(data / "access-cert.pem")
    (data / "tmp.pem").rename(data / STANDBY_CERT)


class Replica:
    """One verifier process generation on the shared store; ``create`` and ``fetch`` as RP and wallet."""

    def __init__(self, data: Path, kv: KeyValueStore) -> None:
        self.app = create_app(VerifierSettings(public_url=f"https://{HOST}", data_dir=data), store=kv)
        self.port = free_port()
        self.server = UvicornServer(self.app, port=self.port)
        self.base = f"http://127.0.0.1:{self.port}"
        self.secrets = json.loads((data / "rp-clients.json").read_text())

    def create(self, http: httpx.Client) -> dict[str, Any]:
        token = http.post(
            f"{self.base}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("my-bank", self.secrets["my-bank"]),
        ).json()["access_token"]
        created = http.post(
            f"{self.base}/v1/presentations",
            json={"policy": "age-check", "client_id_prefix": "x509_hash"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status_code == 201, created.text
        return dict(created.json())

    def fetch(self, http: httpx.Client, created: dict[str, Any]) -> httpx.Response:
        link = parse_request_link(created["request_link"])
        return http.post(self.base + link["request_uri"].removeprefix(f"https://{HOST}"), data={"wallet_nonce": "n"})


def _wallet_accepts(response: httpx.Response, created: dict[str, Any], ca: MinistryCa) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    link = parse_request_link(created["request_link"])
    return verify_request_object(
        response.text, client_id=link["client_id"], anchors=[ca.cert], now=SystemClock().now(), wallet_nonce="n"
    )


def test_rotation_with_overlap(tmp_path: Path) -> None:
    ca, data = MinistryCa(), tmp_path / "data"
    store = FileKeyStore(data / "keys")
    (data / "access-cert.pem").write_bytes(ca.issue(store.get_or_create("access").private_key.public_key()))
    (data / "rp-ca.pem").write_bytes(certificate_to_pem(ca.cert))
    kv = open_store(None, tmp_path, "shared")
    with httpx.Client(timeout=10) as http:
        old = Replica(data, kv)
        with old.server:
            before = old.create(http)
        # (1) the new key and its certificate as standby: still issuing under the old key
        (data / STANDBY_CERT).write_bytes(ca.issue(store.get_or_create("access-standby").private_key.public_key()))
        both = Replica(data, kv)
        with both.server:
            during = both.create(http)
            assert during["client_id"] == before["client_id"]
        # (2) swap: new transactions under the new key, the old ones still served with the old key
        _swap(data)
        swapped = Replica(data, kv)
        with swapped.server:
            after = swapped.create(http)
            assert after["client_id"] != before["client_id"]
            for created in (before, during, after):
                _wallet_accepts(swapped.fetch(http, created), created, ca)
        # (3) standby removed after the transaction lifetime: an old transaction is refused, not re-signed
        (data / STANDBY_CERT).unlink()
        final = Replica(data, kv)
        with final.server:
            refused = final.fetch(http, before)
            assert refused.status_code == 400
            assert refused.json()["error"] == "invalid_request"
            _wallet_accepts(final.fetch(http, after), after, ca)
    kv.close()


def test_a_standby_certificate_for_another_key_refuses_start_up(tmp_path: Path) -> None:
    ca, data = MinistryCa(), tmp_path / "data"
    store = FileKeyStore(data / "keys")
    (data / "access-cert.pem").write_bytes(ca.issue(store.get_or_create("access").private_key.public_key()))
    (data / "rp-ca.pem").write_bytes(certificate_to_pem(ca.cert))
    store.get_or_create("access-standby")
    (data / STANDBY_CERT).write_bytes(ca.issue(new_key().public_key()))
    with pytest.raises(CertificateMismatch, match=f"{STANDBY_CERT}: .*does not certify"):
        create_app(VerifierSettings(public_url=f"https://{HOST}", data_dir=data))
