"""The one development mode (lintas.devmode): each demo convenience refused in production with the
setting named, development refused off loopback, the banner, and ``LINTAS_MODE`` read by every service.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from idcore.trust import TrustSnapshot
from issuer.settings import IssuerSettings
from lintas.cors import check_origins
from lintas.devmode import (
    Convenience,
    announce,
    is_loopback_host,
    parse_mode,
    refuse_in_production,
    require_loopback_bind,
)
from lintas.server import run
from trust_registry.settings import RegistrySettings
from verifier.settings import VerifierSettings
from wallet_demo.settings import WalletSettings

HTTPS = "https://issuers.example.org"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("development", True), ("production", False), (" Development ", True), (True, True), (False, False)],
)
def test_mode_words(value: object, expected: bool) -> None:
    assert parse_mode(value) is expected


@pytest.mark.parametrize("value", ["dev", "prod", "true", "1", "", None, 1])
def test_other_mode_values_are_refused_not_guessed(value: object) -> None:
    with pytest.raises(ValueError, match="LINTAS_MODE must be"):
        parse_mode(value)


def test_production_names_every_enabled_convenience_and_its_setting() -> None:
    conveniences = [
        Convenience("demo login", "X_DEMO_LOGIN", True),
        Convenience("docs", "X_DOCS", False),
        Convenience("pki", "X_PKI", True),
    ]
    with pytest.raises(ValueError, match="production mode refuses") as refused:
        refuse_in_production(False, conveniences)
    assert "X_DEMO_LOGIN" in str(refused.value)
    assert "X_PKI" in str(refused.value)
    assert "X_DOCS" not in str(refused.value)
    refuse_in_production(True, conveniences)  # the twin: development accepts them
    refuse_in_production(False, [Convenience("docs", "X_DOCS", False)])  # and production accepts them all off


_HOSTS = [
    ("127.0.0.1", True),
    ("127.8.9.1", True),
    ("::1", True),
    ("[::1]", True),
    ("localhost", True),
    ("LOCALHOST", True),
    ("0.0.0.0", False),  # noqa: S104
    ("10.0.0.1", False),
    ("example.org", False),
    ("localhost.example.org", False),
    ("", False),
    (None, False),
]


@pytest.mark.parametrize(("host", "loopback"), _HOSTS)
def test_loopback_hosts(host: str | None, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_development_refuses_a_non_loopback_bind_address() -> None:
    with pytest.raises(ValueError, match="loopback only"):
        require_loopback_bind("0.0.0.0", True)  # noqa: S104
    require_loopback_bind("127.0.0.1", True)
    require_loopback_bind("0.0.0.0", False)  # noqa: S104 - production binds where the deployment says


def test_run_refuses_to_serve_a_development_app_off_loopback(tmp_path: Path) -> None:
    from wallet_demo.app import create_app

    app = create_app(WalletSettings(data_dir=tmp_path, development=True))
    with pytest.raises(ValueError, match="loopback only"):
        run(app, host="0.0.0.0", port=1)  # noqa: S104 - refused before anything listens


def test_banner_lists_the_conveniences_that_are_on() -> None:
    out = io.StringIO()
    announce("Svc", True, [Convenience("demo login", "X_DEMO_LOGIN", True), Convenience("d", "X_OFF", False)], out)
    text = out.getvalue()
    assert "DEVELOPMENT MODE" in text
    assert "LINTAS_MODE=development" in text
    assert "X_DEMO_LOGIN" in text
    assert "X_OFF" not in text
    quiet = io.StringIO()
    announce("Svc", False, [Convenience("demo login", "X_DEMO_LOGIN", True)], quiet)
    assert quiet.getvalue() == ""


@pytest.mark.parametrize(
    ("origins", "development", "message"),
    [
        (["*"], True, "explicitly"),
        (["http://wallet.example.org"], False, "production mode refuses plain-http CORS origins"),
        (["https://wallet.example.org"], True, "loopback only"),
        (["https://wallet.example.org/path"], False, "is not an origin"),
        (["wallet.example.org"], False, "is not an origin"),
    ],
)
def test_open_or_plain_http_cors_is_refused(origins: list[str], development: bool, message: str) -> None:
    with pytest.raises(ValueError, match=message) as refused:
        check_origins(origins, "X_CORS", development=development)
    assert "X_CORS" in str(refused.value)


def test_cors_twins_are_accepted() -> None:
    check_origins(["https://wallet.example.org"], "X_CORS", development=False)
    check_origins(["http://127.0.0.1:8500", "http://localhost:1"], "X_CORS", development=True)


# --- every service reads the one setting ------------------------------------------------------------------
def _issuer(tmp_path: Path, **values: Any) -> IssuerSettings:
    return IssuerSettings(country="SG", data_dir=tmp_path, **values)


@pytest.mark.parametrize(
    ("values", "setting"),
    [
        ({"public_url": HTTPS, "demo_login": True}, "LINTAS_ISSUER_DEMO_LOGIN"),
        ({"public_url": HTTPS, "generate_pki": True}, "LINTAS_ISSUER_GENERATE_PKI"),
        ({"public_url": HTTPS, "api_docs": True}, "LINTAS_ISSUER_API_DOCS"),
        ({"public_url": HTTPS, "cors_allow_origins": ["http://127.0.0.1:8500"]}, "LINTAS_ISSUER_CORS_ALLOW_ORIGINS"),
    ],
)
def test_issuer_refuses_each_convenience_in_production(tmp_path: Path, values: dict[str, Any], setting: str) -> None:
    with pytest.raises(ValidationError, match="production mode refuses") as refused:
        _issuer(tmp_path, **values)
    assert setting in str(refused.value)


def test_issuer_production_defaults_have_every_convenience_off(tmp_path: Path) -> None:
    settings = _issuer(tmp_path, public_url=HTTPS)
    assert not settings.development
    assert not any(c.enabled for c in settings.conveniences())


def test_issuer_refuses_plain_http_in_production_and_public_urls_in_development(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="https"):
        _issuer(tmp_path, public_url="http://127.0.0.1:8101")
    with pytest.raises(ValidationError, match="loopback only"):
        _issuer(tmp_path, public_url=HTTPS, development=True)
    dev = _issuer(tmp_path, public_url="http://127.0.0.1:8101", development=True)  # the twin
    assert all(c.enabled for c in dev.conveniences())


def test_lintas_mode_environment_variable_selects_the_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINTAS_MODE", "development")
    assert _issuer(tmp_path, public_url="http://127.0.0.1:8101").development
    assert WalletSettings(data_dir=tmp_path).development
    assert VerifierSettings(data_dir=tmp_path).development
    assert RegistrySettings(data_dir=tmp_path, public_url="http://127.0.0.1:8100").development
    monkeypatch.setenv("LINTAS_MODE", "production")
    with pytest.raises(ValidationError, match="https"):
        WalletSettings(data_dir=tmp_path)
    monkeypatch.setenv("LINTAS_MODE", "staging")
    with pytest.raises(ValidationError, match="LINTAS_MODE must be"):
        WalletSettings(data_dir=tmp_path)


@pytest.mark.parametrize(
    ("values", "setting"),
    [({"demo_desk": True}, "LINTAS_WALLET_DEMO_DESK"), ({"api_docs": True}, "LINTAS_WALLET_API_DOCS")],
)
def test_wallet_refuses_each_convenience_in_production(tmp_path: Path, values: dict[str, Any], setting: str) -> None:
    with pytest.raises(ValidationError, match="production mode refuses") as refused:
        WalletSettings(data_dir=tmp_path, public_url="https://wallet.example.org", **values)
    assert setting in str(refused.value)


def test_wallet_urls_follow_the_mode(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="LINTAS_WALLET_VERIFIER_URL"):
        WalletSettings(data_dir=tmp_path, public_url="https://wallet.example.org", verifier_url="http://localhost:8400")
    with pytest.raises(ValidationError, match="loopback only"):
        WalletSettings(data_dir=tmp_path, development=True, issuers={"SG": "https://issuers.example.org"})
    assert WalletSettings(data_dir=tmp_path, public_url="https://wallet.example.org").demo_desk is False


def test_verifier_and_registry_refuse_their_conveniences_in_production(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="LINTAS_VERIFIER_API_DOCS"):
        VerifierSettings(data_dir=tmp_path, public_url="https://verifier.example.org", api_docs=True)
    with pytest.raises(ValidationError, match="LINTAS_VERIFIER_CLIENT_ID_PREFIX"):
        VerifierSettings(data_dir=tmp_path, public_url="https://verifier.example.org", client_id_prefix="redirect_uri")
    with pytest.raises(ValidationError, match="loopback only"):
        VerifierSettings(data_dir=tmp_path, public_url="https://verifier.example.org", development=True)
    with pytest.raises(ValidationError, match="LINTAS_REGISTRY_API_DOCS"):
        RegistrySettings(data_dir=tmp_path, api_docs=True)
    with pytest.raises(ValidationError, match="LINTAS_REGISTRY_CORS_ALLOW_ORIGINS"):
        RegistrySettings(data_dir=tmp_path, cors_allow_origins=["http://127.0.0.1:8500"])
    assert RegistrySettings(data_dir=tmp_path).api_docs is False  # the twin: production defaults start


def test_production_verifier_refuses_to_mint_its_own_certificates(tmp_path: Path) -> None:
    from verifier.app import create_app

    settings = VerifierSettings(data_dir=tmp_path, public_url="https://verifier.example.org")
    with pytest.raises(ValueError, match="LINTAS_VERIFIER_GENERATE_CERTIFICATES"):
        create_app(settings, trust=TrustSnapshot.empty)
    assert not (tmp_path / "access-cert.pem").exists()  # refused before anything was written
    with pytest.raises(ValidationError, match="production mode refuses"):
        VerifierSettings(data_dir=tmp_path, public_url="https://verifier.example.org", generate_certificates=True)
    # The twin: provisioned certificates (here made by a development run on the same data directory) start.
    create_app(
        VerifierSettings(data_dir=tmp_path, public_url="http://localhost:8400", development=True),
        trust=TrustSnapshot.empty,
    )
    production = VerifierSettings(data_dir=tmp_path, public_url="https://localhost")
    create_app(production, trust=TrustSnapshot.empty)


@pytest.mark.parametrize(
    "variable",
    [
        "LINTAS_ISSUER_DEVELOPMENT",
        "LINTAS_WALLET_DEVELOPMENT",
        "LINTAS_VERIFIER_DEVELOPMENT",
        "LINTAS_REGISTRY_DEVELOPMENT",
    ],
)
def test_the_old_per_service_switch_is_refused_not_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    build = {
        "LINTAS_ISSUER_DEVELOPMENT": lambda: _issuer(tmp_path, public_url=HTTPS),
        "LINTAS_WALLET_DEVELOPMENT": lambda: WalletSettings(data_dir=tmp_path, public_url="https://w.example.org"),
        "LINTAS_VERIFIER_DEVELOPMENT": lambda: VerifierSettings(data_dir=tmp_path, public_url="https://v.example.org"),
        "LINTAS_REGISTRY_DEVELOPMENT": lambda: RegistrySettings(data_dir=tmp_path),
    }[variable]
    build()  # the twin: without the stale variable the same settings load
    monkeypatch.setenv(variable, "true")
    with pytest.raises(ValidationError, match=f"{variable} is no longer read: set LINTAS_MODE"):
        build()


@pytest.mark.parametrize("variable", ["MODE", "DEVELOPMENT", "LINTAS_ISSUER_MODE"])
def test_only_lintas_mode_selects_the_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.delenv("LINTAS_MODE", raising=False)
    monkeypatch.setenv(variable, "development")
    assert not _issuer(tmp_path, public_url=HTTPS).development
    monkeypatch.setenv("LINTAS_MODE", "development")  # the twin
    assert _issuer(tmp_path, public_url="http://127.0.0.1:8101").development
