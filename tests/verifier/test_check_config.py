"""Configuration that refuses to be wrong: list settings, pins, the certificate/URL rule, check-config.

Each positive test has a twin that must fail: a certificate for another host refuses start-up
(and is not replaced), a wrong pin, an unreachable Redis and a skewed clock each fail
``check-config``, a malformed pin is refused by the settings.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from idcore.errors import TrustError
from idcore.keystore.file import FileKeyStore
from idcore.trust import certificate_sha256_hex, verify_trust_list
from idcore.x509 import certificate_to_pem, create_issuer_certificate, create_root_ca
from lintas.pins import pin_set
from lintas.testing import RedisServer, UvicornServer, free_port
from lintas_cli.main import main
from tests.verifier.world import World, new_key
from verifier.app import create_app
from verifier.checkconfig import Finding, effective_config, run_checks
from verifier.cli import _service_settings, register
from verifier.keys import CertificateMismatch
from verifier.settings import VerifierSettings

HOST = "verifier.example.gov"
TEN_YEARS = 10 * 365 * 86400


def provision(data: Path, dns_name: str) -> bytes:
    """What a ministry CA hands back: rp-ca.pem and an access certificate for ``dns_name`` on the access key."""
    access = FileKeyStore(data / "keys").get_or_create("access")
    ca_key = new_key()
    now = datetime.now(UTC)
    start, end = now - timedelta(hours=1), now + timedelta(days=365)
    ca = create_root_ca(
        ca_key, common_name="Ministry RP CA", country="MY", organization="Ministry", not_before=start, not_after=end
    )
    cert = create_issuer_certificate(
        ca_key,
        ca,
        access.private_key.public_key(),
        common_name=f"verifier {dns_name}",
        country="MY",
        organization="Ministry",
        not_before=start,
        not_after=end,
        san_dns=[dns_name],
    )
    (data / "rp-ca.pem").write_bytes(certificate_to_pem(ca))
    (data / "access-cert.pem").write_bytes(certificate_to_pem(cert))
    return certificate_to_pem(cert)


def settings(data: Path, **extra: object) -> VerifierSettings:
    return VerifierSettings(public_url=f"https://{HOST}", data_dir=data, **extra)  # type: ignore[arg-type]


def test_list_settings_take_comma_lists_and_json(monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = "a" * 64, "B" * 64
    monkeypatch.setenv("LINTAS_VERIFIER_REGISTRY_PIN_SHA256", f"{a}, {b}")
    monkeypatch.setenv("LINTAS_VERIFIER_CORS_ALLOW_ORIGINS", '["https://wallet.example"]')
    loaded = VerifierSettings(public_url=f"https://{HOST}", registry_url="https://registry.example")
    assert loaded.registry_pin_sha256 == [a, b.lower()]
    assert loaded.cors_allow_origins == ["https://wallet.example"]
    monkeypatch.delenv("LINTAS_VERIFIER_REGISTRY_PIN_SHA256")
    monkeypatch.setenv("LINTAS_VERIFIER_CORS_ALLOW_ORIGINS", "https://a.example,https://b.example")
    assert VerifierSettings(public_url=f"https://{HOST}").cors_allow_origins == [
        "https://a.example",
        "https://b.example",
    ]


def test_a_malformed_pin_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINTAS_VERIFIER_REGISTRY_PIN_SHA256", "a" * 64 + ",not-a-hash")
    with pytest.raises(ValidationError, match="not a SHA-256"):
        VerifierSettings(public_url=f"https://{HOST}", registry_url="https://registry.example")


def test_any_of_several_pins_verifies_the_list(world: World) -> None:
    token = world.sign_list()
    current = certificate_sha256_hex(world.registry_cert)
    assert verify_trust_list(token, pin_set(["0" * 64, current])).trust_list.sequence_number == 7
    with pytest.raises(TrustError):
        verify_trust_list(token, pin_set(["0" * 64, "1" * 64]))
    with pytest.raises(TrustError):
        pin_set([])


def test_start_up_refuses_a_certificate_for_another_host(tmp_path: Path) -> None:
    pem = provision(tmp_path, "other.example.gov")
    with pytest.raises(CertificateMismatch, match=f"no dNSName SAN '{HOST}'.*lintas keys csr"):
        create_app(settings(tmp_path))
    assert (tmp_path / "access-cert.pem").read_bytes() == pem  # refused, never silently replaced
    assert not (tmp_path / "keys" / "rp-ca.pem").exists()  # and no CA of its own was minted


def test_start_up_accepts_the_matching_certificate(tmp_path: Path) -> None:
    pem = provision(tmp_path, HOST)
    app = create_app(settings(tmp_path))
    with UvicornServer(app, port=free_port()):  # runs the lifespan, which closes what the app opened
        assert certificate_to_pem(app.state.keys.access_cert) == pem


def test_start_up_refuses_a_certificate_on_another_key(tmp_path: Path) -> None:
    provision(tmp_path, HOST)
    (tmp_path / "keys" / "access.pem").unlink()
    with pytest.raises(CertificateMismatch, match=r"no request-signing key 'access'.*lintas keys generate access"):
        create_app(settings(tmp_path))  # a missing key is not silently made anew
    assert not (tmp_path / "keys" / "access.pem").exists()
    FileKeyStore(tmp_path / "keys").create("access")  # another key: the certificate no longer certifies it
    with pytest.raises(CertificateMismatch, match="does not certify the request-signing key"):
        create_app(settings(tmp_path))


def test_lintas_verifier_refuses_to_start_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    provision(tmp_path, "other.example.gov")
    monkeypatch.setenv("LINTAS_VERIFIER_PUBLIC_URL", f"https://{HOST}")  # honoured: no --public-url
    assert main(["verifier", "--data", str(tmp_path), "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert "refusing to start" in err
    assert HOST in err
    assert "development mode" not in err


def test_no_public_url_anywhere_is_the_local_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    monkeypatch.delenv("LINTAS_VERIFIER_PUBLIC_URL", raising=False)
    monkeypatch.delenv("LINTAS_MODE", raising=False)
    demo = _service_settings(parser.parse_args(["verifier", "--port", "8499"]))
    assert demo.development
    assert demo.public_url == "http://localhost:8499"
    monkeypatch.setenv("LINTAS_VERIFIER_PUBLIC_URL", f"https://{HOST}")
    configured = _service_settings(parser.parse_args(["verifier", "--port", "8499"]))
    assert not configured.development
    assert configured.public_url == f"https://{HOST}"


def test_effective_config_masks_secrets(tmp_path: Path) -> None:
    shown = effective_config(
        settings(tmp_path, redis_url="rediss://verifier:s3cret-pass@redis.internal:6380/0", admin_token="t" * 40)
    )
    text = repr(shown)
    assert "s3cret-pass" not in text
    assert "t" * 40 not in text
    assert shown["redis_url"] == "rediss://verifier:***@redis.internal:6380/0"
    assert shown["public_url"] == f"https://{HOST}"


def _levels(findings: list[Finding]) -> dict[str, str]:
    worst: dict[str, str] = {}
    for f in findings:
        if worst.get(f.check) != "FAIL":
            worst[f.check] = f.level
    return worst


def test_check_config_passes_a_good_deployment(tmp_path: Path, world: World, redis_server: RedisServer) -> None:
    provision(tmp_path, HOST)
    pins = ["0" * 64, certificate_sha256_hex(world.registry_cert)]  # current and next
    good = settings(
        tmp_path,
        redis_url=redis_server.url,
        registry_url=world.status_base,
        registry_pin_sha256=pins,
        trust_max_staleness=TEN_YEARS,  # the test world's list is dated at T0
    )
    with httpx.Client(timeout=3) as http:
        findings = run_checks(good, http, lambda: int(time.time()))
    assert _levels(findings) == {
        "certificate": "ok",
        "policies": "ok",
        "redis": "ok",
        "trust": "ok",  # trust_mode=list (federation mode: tests/stack/test_federation_journey.py)
        "registry": "ok",
        "clock": "ok",
        "pins": "ok",
    }, findings


def test_check_config_fails_what_is_wrong(tmp_path: Path, world: World) -> None:
    provision(tmp_path, "other.example.gov")
    bad = settings(
        tmp_path,
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
        registry_url=world.status_base,
        registry_pin_sha256=["1" * 64],
    )
    with httpx.Client(timeout=3) as http:
        findings = run_checks(bad, http, lambda: int(time.time()) + 3600)  # an hour fast
    levels = _levels(findings)
    assert levels["certificate"] == levels["redis"] == levels["pins"] == levels["clock"] == "FAIL", findings
    messages = " ".join(f.message for f in findings)
    assert "lintas keys csr" in messages
    assert "fix NTP" in messages


def test_check_config_command_exit_codes(
    tmp_path: Path, world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    provision(tmp_path, HOST)
    monkeypatch.setenv("LINTAS_VERIFIER_TRUST_MAX_STALENESS", str(TEN_YEARS))
    args = ["verifier", "check-config", "--data", str(tmp_path), "--public-url", f"https://{HOST}"]
    registry = ["--registry-url", world.status_base, "--registry-pin"]
    assert main([*args, *registry, certificate_sha256_hex(world.registry_cert)]) == 0
    out = capsys.readouterr().out
    assert '"public_url": "https://verifier.example.gov"' in out
    assert "ok   registry" in out
    assert main([*args, *registry, "2" * 64]) == 1
    assert "FAIL pins" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["verifier", "--data", "/srv/v", "check-config"],
        ["verifier", "check-config", "--data", "/srv/v"],
        ["verifier", "--data", "/srv/v", "rp", "list"],
        ["verifier", "rp", "list", "--data", "/srv/v"],
    ],
)
def test_options_before_or_after_the_action_are_kept(argv: list[str]) -> None:
    from lintas_cli.main import build_parser

    args = build_parser().parse_args(argv)
    assert args.data_dir == Path("/srv/v")
    assert args.handler.__name__ in ("run_check_config", "run_list")
