"""``lintas demo`` as a new user runs it: a real process on loopback, every URL it prints answers, Ctrl-C stops it."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from idcore.keystore.file import FileKeyStore
from idcore.trust.federation import VERIFIER_ENTITY_TYPE, TrustAnchor, resolve_chain
from idcore.trust.federation_marks import RECOGNISED_PID_ISSUER, REGISTERED_RELYING_PARTY
from lintas.testing import RedisServer, free_port
from lintas_cli.demo import plan_stack
from trust_registry.federation import keyed_jwk

RELEASE = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]["version"]
URL = re.compile(r"https?://(?:127\.0\.0\.1|localhost):\d+[^\s]*")


def _start(data: Path, base_port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    return subprocess.Popen(
        [sys.executable, "-m", "lintas_cli.main", "demo", "--data", str(data), "--base-port", str(base_port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_banner(process: subprocess.Popen[str], timeout: float = 90) -> str:
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "stack.json" in line:
            return "".join(lines)
    process.kill()
    raise AssertionError(f"no banner; stderr: {process.stderr.read() if process.stderr else ''}")


def _stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()


def _free_block() -> int:
    """A base port whose +0..+10, +300 and +400 are free right now."""
    for _ in range(50):
        base = free_port()
        if base + 400 >= 65535:
            continue
        with contextlib.ExitStack() as sockets:
            try:
                for port in [base + i for i in range(11)] + [base + 300, base + 400]:
                    sock = sockets.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return base
    pytest.skip("no free block of loopback ports")


@pytest.mark.slow
def _carried_marks(client: httpx.Client, entity: str, anchor: TrustAnchor, fetch: Any) -> frozenset[str]:
    """The valid trust marks ``entity``'s chain carries, waiting up to 20 s for its keeper's first mark."""
    deadline = time.monotonic() + 20
    while True:
        marks = resolve_chain(entity, anchor, fetch, int(time.time())).trust_marks
        if marks or time.monotonic() > deadline:
            return marks
        time.sleep(0.5)


def _assert_federation_wired(client: httpx.Client, stack: dict[str, Any], data: Path) -> None:
    """Every demo issuer resolves through its member state's intermediate to the anchor (issue #16)."""
    registry = stack["services"][0]["url"]
    anchor_key = FileKeyStore(data / "registry" / "keys").signer("list-signing")
    anchor = TrustAnchor(registry, (keyed_jwk(dict(anchor_key.public_jwk)),))

    def fetch(url: str) -> bytes | None:
        answer = client.get(url)
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        return answer.content

    resolved = 0
    for service in stack["services"]:
        if not service["name"].startswith("issuer-"):
            continue
        cc = service["name"].removeprefix("issuer-").upper()
        issuers = {"entity_type": "openid_credential_issuer"}
        subordinates = client.get(f"{registry}/federation/{cc}/list", params=issuers).json()
        assert subordinates, cc  # every issuer's federation key is registered
        for entity_id in subordinates:
            chain = resolve_chain(entity_id, anchor, fetch, int(time.time()))
            assert chain.metadata["openid_credential_issuer"]["lintas_country"] == cc
            resolved += 1
    assert resolved >= 5
    # The verifier is a leaf entity of each country whose relying parties it serves, and registered.
    verifier = next(s["url"] for s in stack["services"] if s["name"] == "verifier")
    chain = resolve_chain(verifier, anchor, fetch, int(time.time()))
    assert chain.metadata[VERIFIER_ENTITY_TYPE]["lintas_country"] in {"MY", "TH", "SG"}
    for cc in ("MY", "TH", "SG"):
        assert verifier in client.get(f"{registry}/federation/{cc}/list").json(), cc
    mark = client.get(
        f"{registry}/federation/trust-mark", params={"trust_mark_type": REGISTERED_RELYING_PARTY, "sub": verifier}
    )
    assert mark.status_code == 200
    # Both kinds of leaf carry their mark once the registry answers (the keepers retry within seconds).
    th_pid = next(s["url"] for s in stack["services"] if s["name"] == "issuer-th") + "/th"
    for entity, mark_type in ((verifier, REGISTERED_RELYING_PARTY), (th_pid, RECOGNISED_PID_ISSUER)):
        assert mark_type in _carried_marks(client, entity, anchor, fetch), entity
    resolved_by_anchor = client.get(
        f"{registry}/federation/resolve", params={"sub": verifier, "trust_anchor": registry}
    )
    assert resolved_by_anchor.status_code == 200
    assert resolved_by_anchor.headers["content-type"].startswith("application/resolve-response+jwt")


def test_demo_starts_every_url_answers_and_ctrl_c_stops(tmp_path: Path) -> None:
    base = _free_block()
    process = _start(tmp_path, base)
    try:
        banner = _wait_banner(process)
        stack = json.loads((tmp_path / "stack.json").read_text())
        names = [s["name"] for s in stack["services"]]
        assert names == [
            "registry",
            "issuer-sg",
            "issuer-my",
            "issuer-th",
            "issuer-vn",
            "issuer-mm",
            "verifier",
            "wallet",
        ]
        urls = set(URL.findall(banner))
        assert {s["url"] for s in stack["services"]} <= urls
        with httpx.Client(timeout=10) as client:
            for url in sorted(urls):
                assert client.get(url).status_code == 200, url
            for service in stack["services"]:
                health = client.get(f"{service['url']}/healthz")
                assert health.status_code == 200
                # The one release version (pyproject.toml) is what every service reports.
                assert health.json()["version"] == RELEASE, service["name"]
                assert client.get(f"{service['url']}/openapi.json").json()["info"]["version"] == RELEASE
            assert (
                client.get(f"{stack['services'][0]['url']}/v1/trust-list")
                .headers["content-type"]
                .startswith("application/jwt")
            )
            _assert_federation_wired(client, stack, tmp_path)
    finally:
        code = _stop(process)
    assert code == 0
    # A second start reuses the generated keys: the registry's signing certificate is unchanged,
    # and registering what the registry already holds writes no new list.
    cert = (tmp_path / "registry" / "signing-cert.pem").read_bytes()
    again = _start(tmp_path, base)
    try:
        _wait_banner(again)
        assert (tmp_path / "registry" / "signing-cert.pem").read_bytes() == cert
        with httpx.Client(timeout=10) as client:
            records = client.get(f"{stack['services'][0]['url']}/v1/audit-log").json()["records"]
        first_start = {r["payload"]["action"] for r in records if r["payload"]["actor"] == "demo-launcher"}
        assert "register_federation_keys" in first_start
        assert sum(1 for r in records if r["payload"]["action"] == "register_federation_keys") == 1
        assert sum(1 for r in records if r["payload"]["action"] == "register_verifier_entity") == 3  # MY, SG, TH
    finally:
        assert _stop(again) == 0


def test_plan_assigns_ports_and_refuses_non_members(tmp_path: Path) -> None:
    plan = plan_stack(tmp_path, base_port=9000, countries=("SG", "TL"))
    assert plan.services() == {
        "registry": "http://127.0.0.1:9000",
        "issuer-sg": "http://127.0.0.1:9001",
        "issuer-tl": "http://127.0.0.1:9002",
        "verifier": "http://localhost:9300",
        "wallet": "http://127.0.0.1:9400",
    }
    with pytest.raises(ValueError, match="not ASEAN"):
        plan_stack(tmp_path, countries=("SG", "AU"))


def test_demo_with_redis_url_keeps_state_in_redis(tmp_path: Path, redis_server: RedisServer) -> None:
    base = _free_block()
    env = dict(os.environ, REDIS_URL=redis_server.url)
    process = subprocess.Popen(
        [sys.executable, "-m", "lintas_cli.main", "demo", "--data", str(tmp_path), "--base-port", str(base)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        _wait_banner(process)
        client = redis.Redis.from_url(redis_server.url)
        try:
            assert client.exists("registry:seq")
        finally:
            client.close()
        assert not list(tmp_path.glob("*.sqlite3")), "with REDIS_URL no embedded store is created"
    finally:
        assert _stop(process) == 0
