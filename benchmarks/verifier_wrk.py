"""Benchmark: the served ``direct_post`` path under wrk, beside its HTTP ceiling and the in-process pipeline.

A real ``redis-server`` and the trust list + status list server (``verifier_http.served_world``);
the verifier under uvicorn as ``lintas verifier`` runs it (JSON logs at ``--log-level``, uvloop and
httptools, access log off unless ``LINTAS_ACCESS_LOG=true``), pinned with ``taskset -c 0`` (one
worker), then two workers on cores 0-1 (the load generator then shares core 1 with a worker). wrk
runs pinned to core 1 with ``wrk_pool.lua``:

* ``GET /healthz`` closed loop: the HTTP ceiling of the same server;
* a probe run sizes the pool; then ``direct_post`` closed loop at ``--connections`` (maximum
  throughput), each request taking the next unused prepared response (its own transaction and
  nonce: every request does the full verification and Redis work, OpenID4VP 1.0 Section 8.2);
* an approximate fixed-rate run at half that maximum, p50/p90/p99 from wrk's distribution.

In the same run: the in-process pipeline rate (``verifier_pipeline.measure``) pinned to core 0,
Redis bytes per pending transaction and the verifier's RSS before/after load. Correctness under
load: status codes counted by the Lua script, verified transactions counted in Redis, and a
sample of used responses replayed (none may be accepted). Exits 1 on any 5xx, any accepted
replay, or a control post of fresh items not accepted (the replay check would be void).

    python benchmarks/verifier_wrk.py [--seconds 5] [--connections 16] [--workers 1,2] [--json]
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)  # benchmarks/issuer.py would shadow the issuer package
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import json
import math
import os
import platform
import statistics
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from benchmarks._served import (
    PoolItem,
    PoolMaker,
    pending_key_bytes,
    post_bodies,
    redis_used_memory,
    replay,
    run_wrk,
    tree_cpu,
    tree_rss,
    used_items,
    write_pool,
)
from benchmarks.verifier_http import served_world, start_verifier, stop_verifier
from benchmarks.verifier_pipeline import measure
from lintas.server import configure_logging
from verifier.app import create_app
from verifier.settings import VerifierSettings

GIB = 1024**3
CONTROL = 5  # fresh items posted by the replayer first: proves a refused replay means something


def app_factory() -> Any:
    """The app each uvicorn worker builds: JSON logging as ``lintas verifier`` sets it up."""
    configure_logging(os.environ.get("LINTAS_BENCH_LOG_LEVEL", "info"))
    return create_app(VerifierSettings())


class Served:
    """One verifier configuration: its base URL, pinning, pool maker and the runs' bookkeeping."""

    def __init__(self, args: argparse.Namespace, workers: int, base: str, maker: PoolMaker, redis_url: str) -> None:
        self.args, self.workers, self.maker, self.redis_url = args, workers, maker, redis_url
        self.base = base
        self.wrk_base = base.replace("localhost", "127.0.0.1")  # wrk takes the first address; uvicorn binds IPv4
        self.pool_path = Path(tempfile.mkdtemp(prefix="lintas-wrk-")) / "pool.txt"
        self.used: list[PoolItem] = []
        self.checks: list[dict[str, Any]] = []
        self.memory: dict[str, float] = {}

    def wrk(self, seconds: float, pool: list[PoolItem] | None = None, rate: float = 0) -> dict[str, Any]:
        """Run wrk on core 1 (the healthz ceiling when ``pool`` is None)."""
        if pool is None:
            return run_wrk(
                f"{self.wrk_base}/healthz",
                seconds=seconds,
                connections=self.args.connections,
                threads=self.args.threads,
                cpus=self.args.wrk_cpus,
            )
        write_pool(pool, self.pool_path)
        return run_wrk(
            f"{self.wrk_base}/wallet/response",
            seconds=seconds,
            connections=self.args.connections,
            threads=self.args.threads,
            cpus=self.args.wrk_cpus,
            pool=self.pool_path,
            rate=rate,
        )

    def prepare(self, n: int) -> list[PoolItem]:
        """``n`` fresh items; the largest preparation so far gives the Redis bytes per pending transaction."""
        before = redis_used_memory(self.redis_url)
        items = self.maker.make(n)
        grown = redis_used_memory(self.redis_url) - before
        if n >= self.memory.get("transactions", 0):
            self.memory = {"transactions": n, "bytes_per_pending": grown / n}
            if items:
                self.memory["memory_usage"] = sum(pending_key_bytes(self.redis_url, items[0].tid).values())
        return items

    def pool_run(
        self,
        name: str,
        size: int,
        seconds: float,
        rate: float = 0,
        *,
        may_run_out: bool = False,
        on_start: Callable[[], None] | None = None,
    ) -> dict[str, Any]:
        """A direct_post run; when a thread ran out of items, say so and rerun with twice the pool.

        ``may_run_out``: the probe, whose only use is a rate estimate, ends when its pool is used up.
        ``on_start`` runs once the pool is ready, just before wrk (the profiler starts there).
        """
        for _ in range(3):
            pool = self.prepare(size)
            if on_start is not None:
                on_start()
            result = self.wrk(seconds, pool, rate)
            used = used_items(pool, result["taken"])
            self.used += used
            self.checks.append({"run": name, **result_counts(result), **self.maker.verified(used)})
            if may_run_out or not result["exhausted"]:
                return result
            print(f"  {name}: pool of {size} ran out before {seconds:g} s; sizing up to {size * 2} and rerunning")
            size *= 2
        raise RuntimeError(f"{name}: the pool still ran out at {size // 2} items")


def result_counts(result: dict[str, Any]) -> dict[str, int]:
    """Status code counts of one wrk run."""
    statuses: dict[int, int] = result["statuses"]
    errors = result["errors"]
    return {
        "requests": result["requests"],
        "ok": statuses.get(200, 0),
        "non_200": sum(n for code, n in statuses.items() if code != 200),
        "5xx": sum(n for code, n in statuses.items() if code >= 500),
        "socket_errors": errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        "unanswered": unanswered(result),
    }


def unanswered(result: dict[str, Any]) -> int:
    """Pool items wrk took but never saw answered: in flight when ``-d`` ended and wrk closed its sockets.

    The server may not have read such a request yet (uvicorn then reports the client gone, the body
    unread), so its transaction rightly stays open; an open transaction beyond these is a lost answer.
    """
    answered: int = sum(result["statuses"].values())
    if result["exhausted"]:
        answered -= result["statuses"].get(404, 0)  # the placeholder request of a thread that ran out
    taken: int = sum(result.get("taken", []))
    return max(0, taken - answered)


def latency_ms(result: dict[str, Any]) -> dict[str, float]:
    """p50/p90/p99 (ms) from wrk's latency distribution."""
    lat = result["latency_us"]
    return {"p50_ms": lat["50"] / 1000, "p90_ms": lat["90"] / 1000, "p99_ms": lat["99"] / 1000}


def measure_config(served: Served, args: argparse.Namespace, rss_before: int, pid: int) -> dict[str, Any]:
    """healthz ceiling, probe, max throughput, fixed rate at half of it, replay check, RSS."""
    conns, seconds = args.connections, args.seconds
    healthz = served.wrk(seconds)
    probe = served.pool_run("probe", args.probe, min(seconds, 2.0), may_run_out=True)
    # The probe includes the warm-up and the machine is shared: leave room (a shortfall is rerun).
    size = math.ceil(probe["per_s"] * seconds * 2.5) + 4 * conns
    cpu_before = tree_cpu(pid)
    top = served.pool_run("max", size, seconds)
    user, system = (after - before for after, before in zip(tree_cpu(pid), cpu_before, strict=True))
    # CPU used by the server over the run / (run time x its cores): below 1, the worker waited (I/O, GIL
    # hand-offs, a core taken by someone else) instead of computing. Pool preparation leaves it idle.
    busy = {"cpu_user": user / top["wall_s"] / served.workers, "cpu_system": system / top["wall_s"] / served.workers}
    target = top["per_s"] / 2
    fixed = served.pool_run("fixed", math.ceil(target * seconds * 1.3) + 4 * conns, seconds, rate=target)
    rss_after = sum(tree_rss(pid).values())
    control = post_bodies(served.base, served.prepare(CONTROL))
    replays = replay(served.base, served.used, args.replays)
    return {
        "workers": served.workers,
        "healthz_per_s": healthz["per_s"],
        "healthz": latency_ms(healthz),
        "max_per_s": top["per_s"],
        "max": latency_ms(top),
        "fixed_target_per_s": target,
        "fixed_per_s": fixed["per_s"],
        "fixed": latency_ms(fixed),
        "checks": served.checks,
        "control_accepted": control["accepted"],
        "control_posted": CONTROL,
        **replays,
        "rss_before_mib": rss_before / 2**20,
        "rss_after_mib": rss_after / 2**20,
        **served.memory,
        **busy,
    }


def run_config(workers: int, world: Any, redis_url: str, args: argparse.Namespace, log: Path) -> dict[str, Any]:
    """Start the verifier pinned to cores 0..workers-1, measure, stop it; count ERROR log lines."""
    cpus = "0" if workers == 1 else f"0-{workers - 1}"
    os.environ["LINTAS_BENCH_LOG_LEVEL"] = args.log_level
    with log.open("wb") as stderr:
        process, base = start_verifier(
            workers,
            redis_url,
            cpus=cpus,
            factory="benchmarks.verifier_wrk:app_factory",
            log_level=args.log_level,
            stderr=stderr,
        )
        try:
            rss_before = sum(tree_rss(process.pid).values())
            served = Served(args, workers, base, PoolMaker(world), redis_url)
            row = measure_config(served, args, rss_before, process.pid)
        finally:
            stop_verifier(process)
    row["log_errors"] = log_errors(log)
    return row


def log_errors(log: Path) -> dict[str, int]:
    """The ERROR lines of a server log, by cause (message, exception type and its last line), with counts."""
    causes: dict[str, int] = {}
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            entry = {"level": "ERROR", "message": line[:200]} if "Traceback" in line else {}
        if not isinstance(entry, dict) or entry.get("level") not in ("ERROR", "CRITICAL"):
            continue
        last = str(entry.get("exc", "")).strip().splitlines()[-1:] or [""]
        cause = f"{entry.get('message', '')} [{entry.get('exc_type', '')}: {last[0][:160]}]"
        causes[cause] = causes.get(cause, 0) + 1
    return causes


def failures(rows: list[dict[str, Any]]) -> list[str]:
    """Why this run must exit non-zero (empty when correct)."""
    found = []
    for row in rows:
        w = row["workers"]
        if any(check["5xx"] for check in row["checks"]):
            found.append(f"{w} worker(s): 5xx answers under load")
        if row["accepted"]:
            found.append(f"{w} worker(s): {row['accepted']} replayed responses accepted")
        if row["control_accepted"] != row["control_posted"]:
            found.append(f"{w} worker(s): fresh control items not accepted: the replay check is void")
        if any(check["rejected"] for check in row["checks"]):
            found.append(f"{w} worker(s): valid presentations rejected under load")
        if any(check["verified"] < check["ok"] for check in row["checks"]):
            found.append(f"{w} worker(s): more 200 answers than transactions verified in Redis")
        if any(check["open"] > check["unanswered"] for check in row["checks"]):
            found.append(f"{w} worker(s): transactions left open although their responses were answered")
        if row["log_errors"]:
            found.append(f"{w} worker(s): ERROR lines in the verifier log")
    return found


def print_tables(rows: list[dict[str, Any]], pipeline: dict[str, float], args: argparse.Namespace) -> None:
    """The throughput, latency, correctness and memory tables."""
    load = os.getloadavg()
    print(
        f"served direct_post vs HTTP ceiling vs in-process pipeline — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} cores, load average {load[0]:.1f}, Python {platform.python_version()}"
    )
    print(
        "NOTE: on a shared or loaded machine (see the load average) absolute rates are noise and are not the "
        "README's figures: compare the ratios of this run only."
    )
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.seconds:g}s on core(s) {args.wrk_cpus}; verifier 1 "
        f"worker on core 0, 2 workers on cores 0-1 (wrk then shares core 1); log level {args.log_level}"
    )
    print(
        f"in-process pipeline on core 0: median {pipeline['pipeline_per_s']:.0f}/s of {pipeline['rounds']:.0f} "
        f"rounds between the configurations (spread {pipeline['pipeline_min']:.0f}-{pipeline['pipeline_max']:.0f}); "
        f"core verify {pipeline['core_verify_per_s']:.0f}/s, pipeline / core {pipeline['ratio']:.2f}"
    )
    print()
    print(
        "| workers | healthz/s | direct_post max/s | p50 ms | p99 ms | per worker / pipeline "
        "| direct_post / healthz | vs 1 worker |"
    )
    print(
        "|--------:|----------:|------------------:|-------:|-------:|----------------------:"
        "|----------------------:|------------:|"
    )
    one = rows[0]["max_per_s"]
    for r in rows:
        per_worker = r["max_per_s"] / r["workers"] / pipeline["pipeline_per_s"]
        top = r["max"]
        print(
            f"| {r['workers']:>7} | {r['healthz_per_s']:>9.0f} | {r['max_per_s']:>17.0f} | {top['p50_ms']:>6.1f} "
            f"| {top['p99_ms']:>6.1f} | {per_worker:>21.2f} | {r['max_per_s'] / r['healthz_per_s']:>21.2f} "
            f"| {r['max_per_s'] / one:>11.2f} |"
        )
    for r in rows:
        print(
            f"{r['workers']} worker(s) during the max run: {r['cpu_user'] + r['cpu_system']:.0%} of their core(s) "
            f"busy (user {r['cpu_user']:.0%}, system {r['cpu_system']:.0%}; below 100%: waiting, not computing)"
        )
    print()
    print("fixed rate at half the maximum (wrk delay() schedule per thread: wrk stays closed-loop per connection,")
    print("latency counts from the actual send, so waiting for a free connection is omitted: coordinated omission)")
    print("| workers | target/s | achieved/s | p50 ms | p90 ms | p99 ms |")
    print("|--------:|---------:|-----------:|-------:|-------:|-------:|")
    for r in rows:
        f = r["fixed"]
        print(
            f"| {r['workers']:>7} | {r['fixed_target_per_s']:>8.0f} | {r['fixed_per_s']:>10.0f} | "
            f"{f['p50_ms']:>6.1f} | {f['p90_ms']:>6.1f} | {f['p99_ms']:>6.1f} |"
        )
    print_correctness(rows)
    print_memory(rows)


def print_correctness(rows: list[dict[str, Any]]) -> None:
    """Status codes per run, Redis verdicts of the used items, replays."""
    print()
    print("correctness under load (status codes counted by wrk_pool.lua; verdicts read back from Redis)")
    print("(unanswered: taken by wrk but in flight when it stopped; open must not exceed it)")
    print(
        "| workers | run   | requests |    200 | non-200 | 5xx | socket errors | unanswered "
        "| verified | rejected | open |"
    )
    print(
        "|--------:|:------|---------:|-------:|--------:|----:|--------------:|-----------:"
        "|---------:|---------:|-----:|"
    )
    for r in rows:
        for c in r["checks"]:
            print(
                f"| {r['workers']:>7} | {c['run']:<5} | {c['requests']:>8} | {c['ok']:>6} | {c['non_200']:>7} "
                f"| {c['5xx']:>3} | {c['socket_errors']:>13} | {c['unanswered']:>10} | {c['verified']:>8} "
                f"| {c['rejected']:>8} | {c['open']:>4} |"
            )
    for r in rows:
        print(
            f"{r['workers']} worker(s): control {r['control_accepted']}/{r['control_posted']} fresh items accepted; "
            f"replayed {r['replayed']} used items, accepted {r['accepted']} (must be 0), 5xx {r['server_errors']}; "
            f"ERROR log lines {sum(r['log_errors'].values())}"
        )
        for cause, count in r["log_errors"].items():
            print(f"  {count} x {cause}")


def print_memory(rows: list[dict[str, Any]]) -> None:
    """Redis bytes per pending transaction and the verifier's RSS."""
    print()
    print(
        "| workers | Redis bytes / pending tx | pending tx per GiB | MEMORY USAGE bytes / tx | per GiB "
        "| verifier RSS before MiB | after MiB |"
    )
    print(
        "|--------:|-------------------------:|-------------------:|------------------------:|--------:"
        "|------------------------:|----------:|"
    )
    for r in rows:
        per, usage = r["bytes_per_pending"], r.get("memory_usage", 0)
        print(
            f"| {r['workers']:>7} | {per:>24.0f} | {GIB / per:>18,.0f} | {usage:>23.0f} "
            f"| {GIB / usage if usage else 0:>7,.0f} | {r['rss_before_mib']:>23.1f} | {r['rss_after_mib']:>9.1f} |"
        )
    print("(Redis: used_memory growth over the largest pool / its transactions, each with tx, 2 request ids,")
    print(" nonce, status and open keys; MEMORY USAGE: the exact sum over one such transaction's keys, without")
    print(" Redis's own per-key dictionary overhead; RSS: VmRSS summed over the uvicorn process tree)")


def pipeline_summary(rounds: list[dict[str, float]]) -> dict[str, float]:
    """Median of the interleaved pipeline rounds, with their spread (min, max)."""
    rates = sorted(r["pipeline_per_s"] for r in rounds)
    return {
        "pipeline_per_s": statistics.median(rates),
        "pipeline_min": rates[0],
        "pipeline_max": rates[-1],
        "core_verify_per_s": statistics.median(r["core_verify_per_s"] for r in rounds),
        "ratio": statistics.median(r["ratio"] for r in rounds),
        "rounds": len(rounds),
    }


def parse_args() -> argparse.Namespace:
    """Command line; defaults keep the whole run under about a minute."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="each wrk run (default 3)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (one core: 1)")
    parser.add_argument("--workers", default="1,2", help="uvicorn worker counts, comma-separated")
    parser.add_argument("--probe", type=int, default=400, help="pool of the probe run that sizes the others")
    parser.add_argument("--replays", type=int, default=100, help="used responses posted again (each must fail)")
    parser.add_argument("--pipeline-seconds", type=float, default=0.5, help="per rate, per round")
    parser.add_argument("--log-level", default="info", help="verifier log level (lintas verifier: info)")
    parser.add_argument("--log-dir", help="keep the verifier logs here (default: a temporary directory)")
    parser.add_argument("--wrk-cpus", default="1", help="cores for wrk (taskset -c)")
    parser.add_argument("--json", action="store_true")
    return parser.parse_args()


def main() -> int:
    """Measure every configuration in one run; print the tables (or one JSON line)."""
    args = parse_args()
    rounds: list[dict[str, float]] = []
    rows = []
    with served_world() as (world, redis), tempfile.TemporaryDirectory() as scratch:
        logs = Path(args.log_dir or scratch)
        logs.mkdir(parents=True, exist_ok=True)
        for w in args.workers.split(","):
            rounds.append(measure(args.pipeline_seconds, cpu=0))  # between configurations: no server runs
            rows.append(run_config(int(w), world, redis.url, args, logs / f"verifier-{w}.log"))
        rounds.append(measure(args.pipeline_seconds, cpu=0))
    pipeline = pipeline_summary(rounds)
    if args.json:
        print(json.dumps({"pipeline": pipeline, "direct_post": rows}))
    else:
        print_tables(rows, pipeline, args)
    problems = failures(rows)
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
