"""``lintas registry`` as an operator starts it: a real process on a loopback port."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from lintas import __version__
from lintas.testing import free_port


def test_lintas_registry_serves_docs_and_health(tmp_path: Path) -> None:
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "lintas_cli.main",
        "registry",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data",
        str(tmp_path / "data"),
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else b""
            try:
                health = httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert health.json() == {"status": "ok", "version": __version__, "sequence_number": 1}
        assert httpx.get(f"{base}/docs").status_code == 404  # production mode: no public API docs (lintas.devmode)
        assert httpx.get(f"{base}/v1/trust-list").headers["content-type"] == "application/jwt"
        assert (tmp_path / "data" / "registry.sqlite3").exists()
        big = httpx.post(
            f"{base}/v1/authorization",
            content=b"{" + b" " * (300 * 1024) + b"}",
            headers={"Content-Type": "application/json"},
        )
        assert big.status_code == 413
        assert big.headers["content-type"] == "application/problem+json"
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stderr is not None:
            proc.stderr.close()


def test_lintas_registry_refuses_insecure_configuration(tmp_path: Path) -> None:
    """The twin of the start above: a non-https public URL outside development exits 2."""
    args = [
        sys.executable,
        "-m",
        "lintas_cli.main",
        "registry",
        "--data",
        str(tmp_path),
        "--public-url",
        "http://registry.example",
    ]
    result = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "https" in result.stderr
