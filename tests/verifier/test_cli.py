"""``lintas verify`` (offline, same pipeline) and ``lintas verifier`` (the service on the embedded store)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from idcore.jose import KeySigner
from idcore.sdjwt import HolderCredential
from idcore.trust import certificate_sha256_hex
from lintas.testing import free_port
from lintas_cli.main import main
from tests.verifier.world import PID_CLAIMS, T0, World, new_key

AUD = "x509_san_dns:verifier.example"


def _presentation(world: World, nonce: str) -> str:
    holder_key = KeySigner(new_key())
    holder = HolderCredential.parse(world.issue("sg-pid", PID_CLAIMS, dict(holder_key.public_jwk)))
    return holder.present(holder.select([["age_over_18"]]), signer=holder_key, aud=AUD, nonce=nonce, iat=T0)


def _verify(world: World, tmp_path: Path, text: str, *extra: str) -> int:
    path = tmp_path / "presentation.txt"
    path.write_text(text)
    registry = world.status_base
    pin = certificate_sha256_hex(world.registry_cert)
    return main(
        [
            "verify",
            str(path),
            "--policy",
            "age-check",
            "--registry-url",
            registry,
            "--registry-pin",
            pin,
            "--development",
            "--now",
            str(T0),
            *extra,
        ]
    )


def test_lintas_verify_accepts_and_rejects(world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = _presentation(world, "nonce-1")
    assert _verify(world, tmp_path, text, "--nonce", "nonce-1", "--aud", AUD) == 0
    assert '"issuing_country": "SG"' in capsys.readouterr().out
    assert _verify(world, tmp_path, text, "--nonce", "nonce-2", "--aud", AUD) == 1
    assert capsys.readouterr().out.startswith("rejected: nonce_mismatch (check: holder_binding)")


def test_lintas_verify_bad_usage_exits_2(world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _verify(world, tmp_path, '{"pid": "not an array"}', "--nonce", "n", "--aud", AUD) == 2
    assert main(["verify", str(tmp_path / "missing.txt"), "--policy", "age-check"]) == 2
    assert main(["verify", str(tmp_path / "presentation.txt"), "--policy", "no-such-policy"]) == 2
    # Garbage that parses as a presentation is a rejection, not a usage error.
    assert _verify(world, tmp_path, "garbage~", "--nonce", "n", "--aud", AUD) == 1
    assert "rejected: malformed (check: parsing)" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(["verify"])
    assert info.value.code == 2


def test_lintas_verifier_starts_on_the_embedded_store(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINTAS_") and k != "REDIS_URL"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lintas_cli.main",
            "verifier",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data",
            str(tmp_path),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "verifier did not start"
            assert process.poll() is None, "verifier exited"
            time.sleep(0.1)
        assert (tmp_path / "rp-clients.json").exists()
        assert (tmp_path / "verifier.sqlite3").exists()
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()  # type: ignore[union-attr]
