"""Per-country configuration and signing keys: every member state, PKCS#11 (SoftHSM2), registry material."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from idcore.errors import IdcoreError
from idcore.trust.vct import ASEAN_COUNTRIES
from idcore.x509 import certificates_from_pem, san_uris
from issuer.catalog import load_country
from issuer.settings import IssuerSettings
from tests.issuer.conftest import Harness, make_settings
from tests.issuer.helpers import national_root, verify_credential
from tests.softhsm import SoftHsmToken, softhsm_token  # noqa: F401  (pytest fixture)


@pytest.mark.parametrize("country", sorted(ASEAN_COUNTRIES))
def test_every_member_state_is_configured(tmp_path: Path, country: str) -> None:
    info = load_country(make_settings(tmp_path, country=country))
    kinds = sorted(t.kind for t in info.tenants)
    expected = ["business", "pid"] if country in {"SG", "MY", "TH", "VN"} else ["pid"]
    assert kinds == (["business", "mandate", "pid"] if country == "VN" else expected)
    pid = next(t for t in info.tenants if t.kind == "pid")
    assert pid.identifier == f"http://127.0.0.1:8101/{country.lower()}"
    assert "en" in pid.names
    assert len(pid.names) >= 2  # English and the local language


def test_identifier_comes_from_the_registrys_issuer_json(tmp_path: Path) -> None:
    material = tmp_path / "issuers" / "th-pid"
    material.mkdir(parents=True)
    (material / "issuer.json").write_text(json.dumps({"id": "http://127.0.0.1:8101/thailand"}))
    info = load_country(make_settings(tmp_path, country="TH"))
    assert next(t for t in info.tenants if t.kind == "pid").identifier == "http://127.0.0.1:8101/thailand"
    (material / "issuer.json").write_text(json.dumps({"id": "http://127.0.0.1:9999/th"}))
    with pytest.raises(ValueError, match="not served under public_url"):
        load_country(make_settings(tmp_path, country="TH"))


def test_missing_certificate_is_an_error_without_generate_pki(make_harness: Any) -> None:
    with pytest.raises(ValueError, match="no certificate"):
        make_harness(generate_pki=False)


def test_existing_material_is_used_not_replaced(make_harness: Any) -> None:
    first: Harness = make_harness()
    chain = (first.settings.data_dir / "issuers" / "sg-pid" / "chain.pem").read_bytes()
    again: Harness = make_harness(generate_pki=False)
    assert (again.settings.data_dir / "issuers" / "sg-pid" / "chain.pem").read_bytes() == chain


def test_settings_refuse_bad_values(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="country"):
        make_settings(tmp_path, country="XX")
    with pytest.raises(ValueError, match="must use https"):
        make_settings(tmp_path, public_url="http://issuer.example")  # plain http off loopback
    with pytest.raises(ValueError, match="must use https"):
        make_settings(tmp_path, public_url="http://127.0.0.1:8101", development=False)
    with pytest.raises(ValueError, match="pkcs11_user_pin"):
        make_settings(tmp_path, key_backend="pkcs11")


def test_pkcs11_document_signer(make_harness: Any, softhsm_token: SoftHsmToken) -> None:  # noqa: F811
    library, label, pin = softhsm_token.store_args()
    harness: Harness = make_harness(
        key_backend="pkcs11", pkcs11_library=library, pkcs11_token_label=label, pkcs11_user_pin=pin
    )
    assert not (harness.settings.data_dir / "issuers" / "sg-pid" / "document-signer.pem").exists()
    created = harness.offer("sg-tan-wei-ling")
    wallet = harness.wallet()
    issued = wallet.obtain(wallet.resolve_offer(created["offer_link_by_value"]), created["tx_code"])
    verified = verify_credential(issued.credentials[0], [national_root(harness.settings.data_dir)], harness.clock)
    assert verified.iss == harness.pid


def test_pkcs11_wrong_pin_refuses_to_start(make_harness: Any, softhsm_token: SoftHsmToken) -> None:  # noqa: F811
    library, label, _ = softhsm_token.store_args()
    with pytest.raises(IdcoreError):
        make_harness(
            key_backend="pkcs11", pkcs11_library=library, pkcs11_token_label=label, pkcs11_user_pin="wrong-pin"
        )


def test_environment_configures_the_issuer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6390/0")
    monkeypatch.setenv("LINTAS_ISSUER_COUNTRY", "vn")
    monkeypatch.setenv("LINTAS_ISSUER_DPOP_REQUIRED", "true")
    settings = IssuerSettings()
    assert (settings.redis_url, settings.country, settings.dpop_required) == ("redis://127.0.0.1:6390/0", "VN", True)
    monkeypatch.setenv("LINTAS_ISSUER_COUNTRY", "FR")
    with pytest.raises(ValueError, match="country"):
        IssuerSettings()


def test_standalone_restart_on_another_port_reissues_for_the_new_identifier(make_harness: Any) -> None:
    first: Harness = make_harness(public_url="http://127.0.0.1:8101")
    moved: Harness = make_harness(public_url="http://127.0.0.1:8102")
    assert moved.pid == "http://127.0.0.1:8102/sg"
    chain = certificates_from_pem((moved.settings.data_dir / "issuers" / "sg-pid" / "chain.pem").read_bytes())
    assert san_uris(chain[0]) == [moved.pid]
    assert first.settings.data_dir == moved.settings.data_dir
    created = moved.offer("sg-tan-wei-ling")
    wallet = moved.wallet()
    issued = wallet.obtain(wallet.resolve_offer(created["offer_link_by_value"]), created["tx_code"])
    verified = verify_credential(issued.credentials[0], [national_root(moved.settings.data_dir)], moved.clock)
    assert verified.iss == moved.pid
