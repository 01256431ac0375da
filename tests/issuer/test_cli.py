"""``lintas issuer``: registered, documented, and refusing bad configuration with exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from lintas import __version__
from lintas.testing import free_port
from lintas_cli.main import build_parser, main


def test_issuer_command_is_registered_with_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["issuer", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for option in ("--country", "--host", "--port", "--data", "--redis-url"):
        assert option in out
    args = build_parser().parse_args(["issuer", "--country", "SG", "--port", "8101", "--data", "d"])
    assert (args.country, args.port, args.data) == ("SG", 8101, "d")


def test_unknown_country_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["issuer", "--country", "XX", "--port", "8101", "--data", str(tmp_path)]) == 2
    assert "country" in capsys.readouterr().out


def test_public_http_url_off_loopback_exits_2(tmp_path: Path) -> None:
    code = main(["issuer", "--country", "SG", "--host", "0.0.0.0", "--data", str(tmp_path)])  # noqa: S104
    assert code == 2


def _wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> dict[str, object]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the issuer process exited"
        try:
            return dict(httpx.get(url, timeout=1).json())
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("issuer did not become healthy")


@pytest.mark.parametrize("backend", ["embedded", "redis"])
def test_lintas_issuer_serves_on_both_stores(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("LINTAS_ISSUER_")}
    env["LINTAS_MODE"] = "development"  # plain http on loopback is the development mode's (lintas.devmode)
    if backend == "redis":
        env["REDIS_URL"] = request.getfixturevalue("redis_server").url
    lintas = str(Path(sys.executable).with_name("lintas"))
    args = [lintas, "issuer", "--country", "VN", "--port", str(port), "--data", str(tmp_path), "--log-level", "warning"]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        health = _wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
        assert health == {"status": "ok", "version": __version__, "country": "VN"}
        metadata = httpx.get(f"http://127.0.0.1:{port}/.well-known/openid-credential-issuer/vn/business").json()
        assert metadata["credential_issuer"] == f"http://127.0.0.1:{port}/vn/business"
    finally:
        proc.terminate()
        proc.wait(10)
    assert (tmp_path / "issuer-vn.sqlite3").exists() == (backend == "embedded")


def test_lintas_issuer_refuses_plain_http_in_production(tmp_path: Path) -> None:
    """The twin: the same command without ``LINTAS_MODE=development`` exits 2 and names the mode."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINTAS_")}
    lintas = str(Path(sys.executable).with_name("lintas"))
    args = [lintas, "issuer", "--country", "VN", "--port", str(free_port()), "--data", str(tmp_path)]
    done = subprocess.run(args, env=env, capture_output=True, timeout=60, check=False)
    assert done.returncode == 2
    assert b"https" in done.stdout


def test_lintas_issuer_refuses_a_public_address_in_development(tmp_path: Path) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LINTAS_")}, "LINTAS_MODE": "development"}
    lintas = str(Path(sys.executable).with_name("lintas"))
    args = [
        lintas,
        "issuer",
        "--country",
        "VN",
        "--host",
        "0.0.0.0",  # noqa: S104
        "--public-url",
        "http://127.0.0.1:9",
        "--port",
        str(free_port()),
        "--data",
        str(tmp_path),
    ]
    done = subprocess.run(args, env=env, capture_output=True, timeout=60, check=False)
    assert done.returncode == 2
    assert b"loopback only" in done.stdout
