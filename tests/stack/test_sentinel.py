"""Failover under load: a verifier on Redis Sentinel recovers without restart and accepts no replay.

Real processes on loopback: a Redis primary and two replicas, three ``redis-server --sentinel``
watching them, a registry and one ``lintas verifier`` whose store URL names only the sentinels.
Flows run back to back while the primary is killed with SIGKILL; the sentinels promote the
replica with the most data; flows succeed again on the same verifier process; every response accepted before or
after the failover is then replayed and refused. The store waits (``WAIT``) until the replica
holds each write, so a consumed nonce cannot come back to life in the failover; two replicas,
as Redis recommends, leave the promoted primary one replica to acknowledge writes to.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import redis
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.jose import KeySigner
from idcore.ports import SystemClock
from idcore.x509 import certificate_from_pem
from lintas.testing import RedisServer, free_port
from tests.stack import test_replicas as stack
from tests.verifier.wallet_client import ScriptedWallet

SERVICE = "lintas"


@dataclass
class SentinelGroup:
    """A primary, two replicas and three sentinels on loopback."""

    primary: RedisServer
    replicas: list[RedisServer]
    sentinel_ports: list[int]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{SERVICE}"

    def master_port(self) -> int:
        with redis.Redis(port=self.sentinel_ports[0], socket_timeout=1) as sentinel:
            return int(sentinel.sentinel_get_master_addr_by_name(SERVICE)[1])

    def ready(self) -> bool:
        try:
            with redis.Redis(port=self.sentinel_ports[0], socket_timeout=1) as sentinel:
                master = sentinel.sentinel_master(SERVICE)
                replicas = sentinel.sentinel_slaves(SERVICE)
        except redis.RedisError:
            return False
        return int(master.get("num-other-sentinels", 0)) == 2 and sum(bool(r.get("is_slave")) for r in replicas) == 2


@pytest.fixture
def sentinels(tmp_path: Path) -> Iterator[SentinelGroup]:
    primary = RedisServer()
    primary.start()
    replicas = [RedisServer(extra_args=("--replicaof", "127.0.0.1", str(primary.port))) for _ in range(2)]
    for replica in replicas:
        replica.start()
    group = SentinelGroup(primary, replicas, [free_port() for _ in range(3)])
    try:
        for number, port in enumerate(group.sentinel_ports):
            config = tmp_path / f"sentinel-{number}.conf"  # sentinels rewrite their own config
            config.write_text(
                f"port {port}\nbind 127.0.0.1\ndaemonize no\ndir {tmp_path}\n"
                f"sentinel monitor {SERVICE} 127.0.0.1 {primary.port} 2\n"
                f"sentinel down-after-milliseconds {SERVICE} 1000\n"
                f"sentinel failover-timeout {SERVICE} 10000\n"
            )
            with (tmp_path / f"sentinel-{number}.log").open("wb") as log:
                group.processes.append(
                    subprocess.Popen(["redis-server", str(config), "--sentinel"], stdout=log, stderr=subprocess.STDOUT)
                )
        deadline = time.monotonic() + 60
        while not group.ready():
            assert time.monotonic() < deadline, "sentinels never saw the primary, each other and the replica"
            time.sleep(0.2)
        yield group
    finally:
        for process in group.processes:
            process.terminate()
        for process in group.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(10)
        for replica in replicas:
            replica.stop()
        primary.stop()


@dataclass
class Stack:
    verifier: str
    data: Path
    headers: dict[str, str]


@pytest.fixture
def stack_on_sentinel(tmp_path: Path, sentinels: SentinelGroup) -> Iterator[Stack]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("LINTAS_")}
    ports = {name: free_port() for name in ("registry", "sg", "verifier")}
    registry = f"http://127.0.0.1:{ports['registry']}"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        reg_env = dict(env, LINTAS_REGISTRY_ISSUER_BASES=json.dumps({"SG": f"http://127.0.0.1:{ports['sg']}"}))
        processes.append(
            stack._spawn(
                [
                    "registry",
                    "--port",
                    str(ports["registry"]),
                    "--data",
                    str(tmp_path),
                    "--public-url",
                    registry,
                    "--development",
                ],
                reg_env,
                tmp_path / "registry.log",
            )
        )
        stack._wait(f"{registry}/healthz", processes[-1], tmp_path / "registry.log")
        pin = (tmp_path / "registry" / "pin.txt").read_text().strip()
        verifier = f"http://localhost:{ports['verifier']}"
        args = [
            "verifier",
            "--port",
            str(ports["verifier"]),
            "--data",
            str(tmp_path / "verifier"),
            "--redis-url",
            sentinels.url,
            "--public-url",
            verifier,
            "--development",
            "--registry-url",
            registry,
            "--registry-pin",
            pin,
        ]
        processes.append(stack._spawn(args, env, tmp_path / "verifier.log"))
        stack._wait(f"{verifier}/readyz", processes[-1], tmp_path / "verifier.log")
        secret = json.loads((tmp_path / "verifier" / "rp-clients.json").read_text())["my-bank"]
        token = httpx.post(
            f"{verifier}/oauth/token", data={"grant_type": "client_credentials"}, auth=("my-bank", secret), timeout=15
        ).json()["access_token"]
        yield Stack(verifier, tmp_path, {"Authorization": f"Bearer {token}"})
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(15)


def _flow(http: httpx.Client, stack_: Stack, wallet: ScriptedWallet) -> tuple[str, dict[str, str]] | None:
    """One presentation flow; the accepted response form, or None when the store was unavailable."""
    created = http.post(f"{stack_.verifier}/v1/presentations", json={"policy": "age-check"}, headers=stack_.headers)
    if created.status_code == 503:
        return None
    assert created.status_code == 201, created.text
    body = created.json()
    request = wallet.fetch(body["request_link"])  # raises httpx.HTTPStatusError on a 503
    credential = stack._credential(stack_.data, wallet.holder)
    form = wallet.response_form(request, {"pid": [wallet.present(request, credential)]})
    answer = http.post(f"{stack_.verifier}/wallet/response", data=form)
    if answer.status_code == 503:
        return None
    assert answer.status_code == 200, answer.text
    return body["transaction_id"], form


@pytest.mark.slow
def test_failover_under_load_recovers_without_restart_and_refuses_replays(
    stack_on_sentinel: Stack, sentinels: SentinelGroup
) -> None:
    first_primary = sentinels.master_port()
    assert first_primary == sentinels.primary.port
    accepted: list[tuple[str, dict[str, str]]] = []
    unavailable = 0
    with httpx.Client(timeout=15) as http:
        anchors = [certificate_from_pem(http.get(f"{stack_on_sentinel.verifier}/.well-known/lintas/rp-ca.pem").content)]
        wallet = ScriptedWallet(http, anchors, SystemClock(), KeySigner(ec.generate_private_key(ec.SECP256R1())))
        while len(accepted) < 5:
            outcome = _flow(http, stack_on_sentinel, wallet)
            assert outcome is not None, "the store was unavailable before any failover"
            accepted.append(outcome)
        sentinels.primary.kill()  # a crash under load: no shutdown, no final flush
        killed_at = time.monotonic()
        after_failover = 0
        deadline = killed_at + 90
        while after_failover < 5:
            assert time.monotonic() < deadline, f"no recovery within 90 s ({unavailable} refusals while failing over)"
            try:
                outcome = _flow(http, stack_on_sentinel, wallet)
            except httpx.HTTPError:
                outcome = None
            if outcome is None:
                unavailable += 1
                time.sleep(0.2)
                continue
            accepted.append(outcome)
            if sentinels.master_port() != first_primary:
                after_failover += 1
        assert sentinels.master_port() in {replica.port for replica in sentinels.replicas}
        # Every accepted response, from before and after the failover, is refused when replayed,
        # and each transaction was verified exactly once.
        for transaction_id, form in accepted:
            replay = http.post(f"{stack_on_sentinel.verifier}/wallet/response", data=form)
            assert replay.status_code == 400, (transaction_id, replay.text)
        for transaction_id, _ in accepted:
            result = http.get(
                f"{stack_on_sentinel.verifier}/v1/presentations/{transaction_id}", headers=stack_on_sentinel.headers
            )
            assert result.status_code in (200, 404), result.text  # 404: a result already fetched may be gone
    print(f"failover: {unavailable} refused flows while failing over, {len(accepted)} accepted, 0 replays accepted")
