"""Benchmark: ``direct_post`` throughput and latency of the verifier over HTTP, Redis-backed.

Starts a real ``redis-server`` and a trust-list + status-list server on loopback, then the verifier
under uvicorn with one and then two worker processes sharing that Redis. For each run it prepares
``--requests`` transactions (relying-party API, request object fetched with ``wallet_nonce``,
presentation signed by a scripted wallet; not timed), then posts all responses from
``--concurrency`` client threads and reports throughput and p50/p99 latency of the Response URI
(session claim in Redis, full validation pipeline, result write).

    python benchmarks/verifier_http.py [--requests 300] [--concurrency 16] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

import tests.verifier.world as world_module
from idcore.jose import KeySigner
from idcore.ports import SystemClock
from idcore.trust import certificate_sha256_hex
from idcore.x509 import certificate_from_pem
from lintas.server import ServerSettings
from lintas.testing import RedisServer, UvicornServer, free_port
from tests.verifier.wallet_client import ScriptedWallet
from verifier.app import create_app
from verifier.settings import VerifierSettings

ROOT = Path(__file__).resolve().parents[1]


def app_factory() -> Any:
    """The app uvicorn workers build (settings from ``LINTAS_VERIFIER_*``)."""
    return create_app(VerifierSettings())


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("verifier exited during start-up")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("verifier did not become ready")


def _prepare(base: str, world: Any, n: int) -> list[tuple[str, dict[str, str]]]:
    data = Path(os.environ["LINTAS_VERIFIER_DATA_DIR"])
    secret = json.loads((data / "rp-clients.json").read_text())["my-bank"]
    with httpx.Client(timeout=10) as http:
        token = http.post(
            f"{base}/oauth/token", data={"grant_type": "client_credentials"}, auth=("my-bank", secret)
        ).json()["access_token"]
        anchors = [certificate_from_pem(http.get(f"{base}/.well-known/lintas/rp-ca.pem").content)]
        wallet = ScriptedWallet(http, anchors, SystemClock(), KeySigner(world_module.new_key()))
        now = int(time.time())
        credential = world.issue(
            "sg-pid", dict(world_module.PID_CLAIMS), dict(wallet.holder.public_jwk), iat=now - 3600, exp=now + 86400
        )
        prepared = []
        for _ in range(n):
            created = http.post(
                f"{base}/v1/presentations",
                headers={"Authorization": f"Bearer {token}"},
                json={"policy": "pid-onboarding", "response_mode": "direct_post"},
            ).json()
            request = wallet.fetch(created["request_link"])
            form = wallet.response_form(request, {"pid": [wallet.present(request, credential)]})
            prepared.append((request.claims["response_uri"], form))
    return prepared


def _post_all(prepared: list[tuple[str, dict[str, str]]], concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    failures = 0
    with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=concurrency)) as http:

        def post(item: tuple[str, dict[str, str]]) -> tuple[float, int]:
            start = time.perf_counter()
            status = http.post(item[0], data=item[1]).status_code
            return time.perf_counter() - start, status

        start = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            for latency, status in pool.map(post, prepared):
                latencies.append(latency)
                failures += status != 200
        wall = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(prepared),
        "failures": failures,
        "per_s": round(len(prepared) / wall, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 2),
    }


def start_verifier(
    workers: int,
    redis_url: str,
    *,
    cpus: str | None = None,
    factory: str = "benchmarks.verifier_http:app_factory",
    log_level: str = "warning",
    stderr: Any = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the verifier under uvicorn (``taskset -c cpus`` when given) and wait until it is ready."""
    port = free_port()
    base = f"http://localhost:{port}"
    env = dict(os.environ, LINTAS_VERIFIER_PUBLIC_URL=base, LINTAS_VERIFIER_REDIS_URL=redis_url)
    os.environ.update(env)
    create_app(VerifierSettings())  # create keys and secrets once, before the workers race for them
    pin = ["taskset", "-c", cpus] if cpus is not None else []
    command = [
        *pin,
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        log_level,
        "--no-server-header",
        # as lintas.server.run serves: uvloop, httptools, access log only with LINTAS_ACCESS_LOG=true
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        *([] if ServerSettings().access_log else ["--no-access-log"]),
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)  # noqa: S603
    try:
        _wait(f"{base}/readyz", process)
    except BaseException:
        stop_verifier(process)
        raise
    return process, base


def stop_verifier(process: subprocess.Popen[bytes]) -> None:
    """Terminate uvicorn (and its workers) and wait for it."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=20)


def run(workers: int, world: Any, redis_url: str, args: argparse.Namespace) -> dict[str, Any]:
    """One measurement with ``workers`` uvicorn processes."""
    process, base = start_verifier(workers, redis_url)
    try:
        prepared = _prepare(base, world, args.requests)
        return {"workers": workers, **_post_all(prepared, args.concurrency)}
    finally:
        stop_verifier(process)


@contextmanager
def served_world() -> Iterator[tuple[Any, RedisServer]]:
    """A real ``redis-server``, the trust list + status list server and the verifier's environment.

    Yields the :class:`tests.verifier.world.World` (issuers, credentials) and the Redis server;
    ``LINTAS_VERIFIER_*`` variables point a verifier at both (rate limit lifted for load).
    """
    world_module.T0 = int(time.time())  # the benchmark runs on the real clock
    status_port = free_port()
    world = world_module.World(f"http://127.0.0.1:{status_port}")
    with (
        tempfile.TemporaryDirectory() as data,
        RedisServer() as redis,
        UvicornServer(world_module.status_app(world), port=status_port),
    ):
        os.environ.update(
            {
                "LINTAS_VERIFIER_DATA_DIR": data,
                "LINTAS_MODE": "development",
                "LINTAS_VERIFIER_REGISTRY_URL": f"http://127.0.0.1:{status_port}",
                "LINTAS_VERIFIER_REGISTRY_PIN_SHA256": certificate_sha256_hex(world.registry_cert),
                "LINTAS_VERIFIER_RATE_LIMIT_PER_MINUTE": "100000",
                "LINTAS_VERIFIER_WALLET_RATE_LIMIT_PER_MINUTE": "10000000",
            }
        )
        yield world, redis


def main() -> int:
    """Run with one and two workers; print a table (or one JSON line)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with served_world() as (world, redis):
        results = [run(workers, world, redis.url, args) for workers in (1, 2)]
    if args.json:
        print(json.dumps({"direct_post": results}))
        return 0
    print(f"direct_post over HTTP, Redis-backed ({args.requests} requests, {args.concurrency} client threads)")
    print(f"{'workers':>8}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'failures':>10}")
    for r in results:
        print(f"{r['workers']:>8}{r['per_s']:>10.1f}{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}{r['failures']:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
