"""Every list setting reads a JSON array or a comma list from the environment (issue #14 item 2),
through the one shared type (lintas.settings_lists.StrList); a broken JSON array is refused, not
half-read."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from issuer.settings import IssuerSettings
from verifier.settings import VerifierSettings
from wallet_demo.settings import WalletSettings

PIN_A, PIN_B = "a" * 64, "b" * 64
HINT = "http://127.0.0.1:8100/federation/TH"


@pytest.mark.parametrize("value", [f"{PIN_A},{PIN_B}", f" {PIN_A} , {PIN_B} ", f'["{PIN_A}", "{PIN_B}"]'])
def test_pins_as_comma_list_or_json(value: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LINTAS_MODE", "development")
    monkeypatch.setenv("LINTAS_VERIFIER_REGISTRY_URL", "http://127.0.0.1:8100")
    monkeypatch.setenv("LINTAS_VERIFIER_REGISTRY_PIN_SHA256", value)
    monkeypatch.setenv("LINTAS_WALLET_REGISTRY_PIN_SHA256", value)
    monkeypatch.setenv("LINTAS_WALLET_REGISTRY_URL", "http://127.0.0.1:8100")
    assert VerifierSettings(data_dir=tmp_path).registry_pin_sha256 == [PIN_A, PIN_B]
    assert WalletSettings(data_dir=tmp_path).registry_pin_sha256 == [PIN_A, PIN_B]


@pytest.mark.parametrize("value", [HINT, f'["{HINT}"]'])
def test_issuer_authority_hints_as_comma_list_or_json(
    value: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LINTAS_MODE", "development")
    monkeypatch.setenv("LINTAS_ISSUER_FEDERATION_AUTHORITY_HINTS", value)
    settings = IssuerSettings(country="TH", public_url="http://127.0.0.1:8201", data_dir=tmp_path)
    assert settings.federation_authority_hints == [HINT]


def test_a_broken_json_array_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LINTAS_MODE", "development")
    monkeypatch.setenv("LINTAS_VERIFIER_REGISTRY_URL", "http://127.0.0.1:8100")
    monkeypatch.setenv("LINTAS_VERIFIER_REGISTRY_PIN_SHA256", f'["{PIN_A}",')
    with pytest.raises(ValidationError, match="not a JSON array"):
        VerifierSettings(data_dir=tmp_path)
