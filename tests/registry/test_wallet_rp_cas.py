"""The wallet demo server judges relying-party CAs by the registry's signed list (issue #14 item 3).

A real registry on a loopback port; the wallet demo app fetches its list over HTTP, verifies it
against the pinned registry certificate and serves the browser the CAs some country lists now.
Also: the demo relying parties get their client secrets by configuration only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from idcore.ports import FixedClock
from idcore.trust import certificate_sha256_hex
from lintas.kv import open_store
from lintas.testing import UvicornServer, free_port
from wallet_demo.app import create_app
from wallet_demo.settings import WalletSettings

from .helpers import Registry, make_settings, start_registry
from .test_rp_cas import PATH, der_b64, pem, rp_ca

REFRESH = 60


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    """One seeded registry on the embedded store (the wallet side is what these tests vary)."""
    store = open_store(None, tmp_path / "store", "registry")
    reg = start_registry(make_settings(tmp_path / "data"), store, FixedClock(int(time.time())))
    try:
        yield reg
    finally:
        reg.http.close()
        reg.server.stop()
        store.close()


@contextmanager
def serve(app: FastAPI) -> Iterator[httpx.Client]:
    """The wallet demo app on a loopback port (its lifespan runs), and a client for it."""
    with UvicornServer(app) as server, httpx.Client(base_url=server.base_url, timeout=10) as client:
        yield client


def wallet(registry: Registry, tmp_path: Path, *, pin: str | None = None) -> FastAPI:
    pinned = pin if pin is not None else str(registry.pin.certificate_sha256)
    settings = WalletSettings(
        data_dir=tmp_path / "wallet",
        development=True,
        registry_url=registry.server.base_url,
        registry_pin_sha256=[pinned],
        trust_refresh_seconds=REFRESH,
    )
    # The same clock as the registry: a withdrawal's time and the wallet's "now" are comparable.
    return create_app(settings, clock=registry.clock)


def test_wallet_serves_the_listed_cas_and_drops_a_withdrawn_one_after_refresh(
    registry: Registry, tmp_path: Path
) -> None:
    cert = rp_ca(registry.clock.now())
    assert registry.post(PATH.format(cc="MY"), "operator-my", {"certificate": pem(cert)}).status_code == 201
    assert registry.post(PATH.format(cc="SG"), "operator-sg", {"certificate": pem(cert)}).status_code == 201
    with serve(wallet(registry, tmp_path)) as client:
        served = client.get("/trust/relying-party-cas.json").json()
        expected = {"certificate": der_b64(cert), "sha256": certificate_sha256_hex(cert), "countries": ["MY", "SG"]}
        assert served["source"] == "registry"
        assert served["relying_party_cas"] == [expected]
        assert client.get("/config.json").json()["rp_anchors"] == [expected]
        # Malaysia withdraws: the wallet's cache still holds the earlier list until it refreshes ...
        registry.clock.advance(5)
        withdraw = f"{PATH.format(cc='MY')}/{certificate_sha256_hex(cert)}/withdraw"
        assert registry.post(withdraw, "operator-my", {}).status_code == 200
        assert client.get("/trust/relying-party-cas.json").json()["relying_party_cas"] == [expected]
        # ... and after it, only Singapore vouches for the CA.
        registry.clock.advance(REFRESH)
        after = client.get("/trust/relying-party-cas.json").json()
        assert after["relying_party_cas"] == [{**expected, "countries": ["SG"]}]
        assert after["sequence_number"] > served["sequence_number"]
        # Singapore withdraws too: the CA is gone.
        sg_withdraw = f"{PATH.format(cc='SG')}/{certificate_sha256_hex(cert)}/withdraw"
        assert registry.post(sg_withdraw, "operator-sg", {}).status_code == 200
        registry.clock.advance(REFRESH)
        assert client.get("/config.json").json()["rp_anchors"] == []


def test_a_list_under_another_key_is_not_believed(registry: Registry, tmp_path: Path) -> None:
    cert = rp_ca(registry.clock.now())
    assert registry.post(PATH.format(cc="MY"), "operator-my", {"certificate": pem(cert)}).status_code == 201
    with serve(wallet(registry, tmp_path, pin="ab" * 32)) as client:
        served = client.get("/trust/relying-party-cas.json").json()
    assert served == {"source": "registry", "sequence_number": None, "relying_party_cas": []}


def test_an_unreachable_registry_trusts_nobody(tmp_path: Path) -> None:
    settings = WalletSettings(
        data_dir=tmp_path,
        development=True,
        registry_url=f"http://127.0.0.1:{free_port()}",
        registry_pin_sha256=["ab" * 32],
    )
    with serve(create_app(settings)) as client:
        assert client.get("/config.json").json()["rp_anchors"] == []


def test_development_fallback_file_only_without_pins(tmp_path: Path) -> None:
    cert = rp_ca(int(time.time()))
    ca_file = tmp_path / "rp-ca.pem"
    ca_file.write_text(pem(cert))
    with serve(create_app(WalletSettings(data_dir=tmp_path, development=True, rp_ca_file=ca_file))) as client:
        served = client.get("/trust/relying-party-cas.json").json()
    assert served["source"] == "pinned-file"
    assert served["relying_party_cas"] == [
        {"certificate": der_b64(cert), "sha256": certificate_sha256_hex(cert), "countries": []}
    ]
    # The twin: with a registry pin the file is ignored (nothing is fetched here: the port is closed).
    pinned = WalletSettings(
        data_dir=tmp_path,
        development=True,
        rp_ca_file=ca_file,
        registry_url=f"http://127.0.0.1:{free_port()}",
        registry_pin_sha256=["ab" * 32],
    )
    assert pinned.ca_file is None
    # Nor in production: there the registry is the only source, and without pins the wallet trusts no RP.
    production = WalletSettings(data_dir=tmp_path, rp_ca_file=ca_file, public_url="https://wallet.example.org")
    assert production.ca_file is None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"registry_url": "http://127.0.0.1:1", "registry_pin_sha256": "xyz"}, "SHA-256"),
        ({"registry_pin_sha256": "ab" * 32}, "REGISTRY_URL"),
    ],
)
def test_bad_pin_settings_are_refused(tmp_path: Path, values: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WalletSettings(data_dir=tmp_path, development=True, **values)  # type: ignore[arg-type]


def test_pins_read_as_comma_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINTAS_WALLET_REGISTRY_PIN_SHA256", f"{'AB' * 32}, {'cd' * 32}")
    settings = WalletSettings(data_dir=tmp_path, development=True, registry_url="http://127.0.0.1:1")
    assert settings.registry_pin_sha256 == ["ab" * 32, "cd" * 32]


def test_relying_party_without_a_secret_is_not_configured(tmp_path: Path) -> None:
    dead_verifier = f"http://127.0.0.1:{free_port()}"
    bare = WalletSettings(data_dir=tmp_path, development=True, verifier_url=dead_verifier)
    with serve(create_app(bare)) as client:
        answer = client.post("/rp/api/my-bank/transactions")
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert "not configured" in answer.json()["detail"]
    # The twin: with the secret handed over, the page goes on to call the verifier (unreachable here: 502).
    configured = WalletSettings(
        data_dir=tmp_path, development=True, verifier_url=dead_verifier, rp_clients={"my-bank": SecretStr("s" * 32)}
    )
    with serve(create_app(configured)) as client:
        answer = client.post("/rp/api/my-bank/transactions")
    assert answer.status_code == 502
    assert "unreachable" in answer.json()["detail"]
