"""Benchmark the trust registry client path (issue #3 acceptance).

1. A trust decision (issuer, vct, issuance time) from the cached list: ``is_authorised`` on
   the indexed snapshot, and ``TrustListCache.decide`` (lock, freshness check, decision).
   Target < 5 µs.
2. Fetching and verifying the seeded list: HTTP GET over loopback from a real registry
   (``lintas registry`` in a subprocess, embedded store), pinned signature check, parsing
   and indexing. Target < 10 ms.

Usage: ``.venv/bin/python benchmarks/trust.py [--json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

import httpx

from idcore.ports import SystemClock
from idcore.trust import VCT_PID, TrustListCache, TrustListPin, TrustSnapshot, is_authorised, verify_trust_list
from lintas.testing import free_port

ISSUER = "https://issuers.lintas.asean.example/sg"


def start_registry(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Run ``lintas registry`` on a free loopback port and wait until it answers."""
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
        str(data_dir),
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.terminate()
    raise SystemExit("registry did not start")


def per_call_us(func: object, number: int) -> float:
    """Best of five runs, in microseconds per call."""
    runs = timeit.repeat(func, number=number, repeat=5)  # type: ignore[arg-type]
    return min(runs) / number * 1e6


def bench_fetch_verify(base: str, pin: TrustListPin, rounds: int) -> tuple[list[float], int]:
    """Milliseconds per full fetch (200, no ETag) + verify + index."""
    timings = []
    size = 0
    with httpx.Client(timeout=5) as http:
        http.get(f"{base}/v1/trust-list")  # open the keep-alive connection
        for _ in range(rounds):
            start = time.perf_counter()
            body = http.get(f"{base}/v1/trust-list").content
            TrustSnapshot(verify_trust_list(body, pin).trust_list)
            timings.append((time.perf_counter() - start) * 1e3)
            size = len(body)
    return timings, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lintas-bench-") as tmp:
        proc, base = start_registry(Path(tmp))
        try:
            pin = TrustListPin(certificate_sha256=(Path(tmp) / "registry" / "pin.txt").read_text().strip())
            fetch_ms, size = bench_fetch_verify(base, pin, args.rounds)
            with httpx.Client(timeout=5) as http:
                cache = TrustListCache(
                    fetch=lambda: http.get(f"{base}/v1/trust-list").content, pin=pin, clock=SystemClock()
                )
                snapshot = cache.snapshot()
        finally:
            proc.terminate()
            proc.wait(10)
    now = int(time.time())
    assert is_authorised(snapshot, ISSUER, VCT_PID, now, now).authorised
    decision_us = per_call_us(lambda: is_authorised(snapshot, ISSUER, VCT_PID, now, now), 200_000)
    cached_us = per_call_us(lambda: cache.decide(ISSUER, VCT_PID, now), 100_000)
    result = {
        "decision_us": round(decision_us, 3),
        "cached_decide_us": round(cached_us, 3),
        "fetch_verify_ms_median": round(statistics.median(fetch_ms), 3),
        "fetch_verify_ms_p95": round(sorted(fetch_ms)[int(0.95 * len(fetch_ms)) - 1], 3),
        "list_bytes": size,
    }
    if args.json:
        print(json.dumps(result))
        return 0
    rows = [
        ("trust decision, is_authorised on snapshot", f"{decision_us:.2f} µs", "< 5 µs"),
        ("trust decision, TrustListCache.decide", f"{cached_us:.2f} µs", "< 5 µs"),
        ("fetch + verify + index seeded list (median)", f"{result['fetch_verify_ms_median']:.2f} ms", "< 10 ms"),
        ("fetch + verify + index seeded list (p95)", f"{result['fetch_verify_ms_p95']:.2f} ms", ""),
        ("signed list size", f"{size} bytes", ""),
    ]
    print(f"{'measurement':<46} {'result':>12} {'target':>8}")
    for name, value, target in rows:
        print(f"{name:<46} {value:>12} {target:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
