"""Profile: where one verifier worker spends its time serving ``direct_post`` under wrk (py-spy).

The served set-up of ``verifier_wrk.py`` (one worker pinned to core 0, JSON logs at info, wrk
with a prepared single-use pool on core 1). A probe sizes the pool, then ``py-spy record
--format raw`` samples the worker (``--nonblocking``, from core 1) during a closed-loop wrk run.
The collapsed stacks are summarised: each sample is charged to the innermost frame that belongs
to a known cost (cryptography, JSON, pydantic, Redis, logging, the thread-pool hop, middleware,
the HTTP server, routing, the verification code), plus inclusive shares of the key functions and
the top self-time frames.

py-spy is not in the project lock: ``scripts/bench --profile`` installs it into a throwaway venv
under /tmp; or give ``--py-spy PATH``. Without it this prints SKIPPED and exits 0. The same
correctness checks as ``verifier_wrk.py`` apply (exit 1 on a 5xx or an accepted replay).

    python benchmarks/verifier_profile.py [--seconds 8] [--py-spy PATH] [--out FILE] [--json]
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
import shutil
import subprocess
import tempfile
from collections import Counter
from typing import Any

from benchmarks._served import PoolMaker, replay
from benchmarks.verifier_http import served_world, start_verifier, stop_verifier
from benchmarks.verifier_wrk import Served

#: (category, substrings of a frame) in priority order: a sample goes to the innermost frame that
#: matches any category; within one frame the first category listed wins. Native code shows as
#: its Python caller (cryptography's Rust ECDSA as ``verify_signature (idcore/jose.py)``).
CATEGORIES: list[tuple[str, tuple[str, ...]]] = [
    (
        "crypto (signatures, hashes)",
        (
            "cryptography/",
            "hashlib",
            "hmac.py",
            "verify_signature (idcore/jose.py",
            "sign (idcore/jose.py",
            "idcore/x509",
        ),
    ),
    ("JSON (json, orjson, idcore.b64)", ("json/", "orjson", "idcore/b64.py", "lintas/jsonresponse.py")),
    ("pydantic / FastAPI encoding", ("pydantic", "fastapi/encoders.py", "fastapi/_compat")),
    ("Redis round trips (redis-py, lintas.kv)", ("redis/", "lintas/kv/")),
    (
        "logging (stdlib, JSON formatter, request id filter)",
        ("logging/", "format (lintas/server.py", "filter (lintas/server.py", "filter (lintas/requestid.py"),
    ),
    (
        ANYIO := "anyio (task groups, streams, thread hand-off)",
        ("anyio/", "threading.py", "queue.py", "concurrent/futures"),
    ),
    (
        "middleware (metrics, request id, security headers, body limit, errors)",
        (
            "starlette/middleware",
            "verifier/metrics.py",
            "prometheus_client",
            "lintas/cors.py",
            "lintas/problem.py",
            "lintas/requestid.py",
            "lintas/server.py",
        ),
    ),
    ("route matching (FastAPI)", ("matches (fastapi/routing.py", "_match (fastapi/routing.py")),
    (
        "HTTP server (uvicorn, httptools, uvloop, asyncio)",
        ("uvicorn/", "h11/", "httptools", "uvloop", "asyncio/", "selectors.py", "socket.py"),
    ),
    ("routing, request/response (FastAPI, Starlette)", ("fastapi/", "starlette/")),
    ("trust / status list (idcore)", ("idcore/trust", "idcore/status_list")),
    ("SD-JWT / JOSE / DCQL (idcore)", ("idcore/",)),
    ("verifier service code", ("verifier/",)),
]
#: Who an anyio frame works for: the per-request task group of ``BaseHTTPMiddleware.call_next``
#: or the thread-pool hop of ``run_in_threadpool``.
ANYIO_OWNERS = (
    ("starlette/middleware/base.py", "middleware hop: BaseHTTPMiddleware task group + streams"),
    ("run_in_threadpool", "thread-pool hop: run_in_threadpool"),
    ("to_thread", "thread-pool hop: run_in_threadpool"),
    ("WorkerThread.run", "thread-pool hop: run_in_threadpool"),
)
#: Functions whose inclusive share is reported (substring of the frame).
KEY_FRAMES = {
    "ResponseHandler.handle (whole direct_post work)": "handle (verifier/responses.py",
    "Pipeline.verify (validation)": "verify (verifier/pipeline.py",
    "TransactionStore (every Redis use)": "verifier/store.py",
    "run_in_threadpool (hand-off to the worker thread)": "run_in_threadpool",
    "BaseHTTPMiddleware (metrics middleware wrapper)": "BaseHTTPMiddleware",
    "route matching": "matches (fastapi/routing.py",
    "h11 (HTTP/1.1 parsing and writing)": "h11/",
    "httptools protocol (uvicorn)": "httptools_impl",
    "stdlib logging (access log and ours)": "logging/__init__.py",
}


def find_py_spy(given: str | None) -> str | None:
    """``--py-spy``, ``$PY_SPY``, ``py-spy`` on PATH, or the throwaway venv ``scripts/bench`` makes."""
    for candidate in (given, os.environ.get("PY_SPY"), shutil.which("py-spy"), "/tmp/lintas-bench-tools/bin/py-spy"):  # noqa: S108
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def read_raw(path: Path) -> list[tuple[list[str], int]]:
    """py-spy's collapsed stacks: (frames outermost first, sample count) per line."""
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def category(frames: list[str]) -> str:
    """The category of the innermost frame that has one (anyio: by the hop it serves)."""
    for depth in range(len(frames) - 1, -1, -1):
        for name, needles in CATEGORIES:
            if any(needle in frames[depth] for needle in needles):
                return _anyio_owner(frames[:depth]) if name == ANYIO else name
    return "other"


def _anyio_owner(outer: list[str]) -> str:
    for frame in reversed(outer):
        for needle, owner in ANYIO_OWNERS:
            if needle in frame:
                return owner
    return ANYIO


def summarise(stacks: list[tuple[list[str], int]]) -> dict[str, Any]:
    """Shares by category, inclusive shares of the key frames, top self-time frames."""
    total = sum(count for _, count in stacks) or 1
    by_category: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for frames, count in stacks:
        by_category[category(frames)] += count
        leaves[frames[-1]] += count
        for label, needle in KEY_FRAMES.items():
            if any(needle in frame for frame in frames):
                inclusive[label] += count
    return {
        "samples": total,
        "categories": {name: n / total for name, n in by_category.most_common()},
        "inclusive": {label: inclusive[label] / total for label in KEY_FRAMES},
        "top_self": {frame: n / total for frame, n in leaves.most_common(15)},
    }


def profile(served: Served, py_spy: str, pid: int, seconds: float, out: Path) -> dict[str, Any]:
    """Probe, then wrk for ``seconds`` while py-spy samples the worker; the wrk result."""
    probe = served.pool_run("probe", served.args.probe, 2.0, may_run_out=True)
    command = [
        "taskset",
        "-c",
        served.args.wrk_cpus,
        py_spy,
        "record",
        "--pid",
        str(pid),
        "--format",
        "raw",
        "--rate",
        str(served.args.rate),
        "--duration",
        f"{seconds:g}",
        "--nonblocking",
        "--output",
        str(out),
        *([] if served.args.all_threads else ["--gil"]),
    ]
    recorders: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        recorders.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))  # noqa: S603

    try:
        result = served.pool_run("profiled", math.ceil(probe["per_s"] * seconds * 2.5) + 64, seconds, on_start=start)
    finally:
        errors = [r.communicate(timeout=seconds + 60)[1] for r in recorders]
    if not recorders or recorders[-1].returncode != 0 or not out.exists():
        raise RuntimeError(f"py-spy failed: {b''.join(errors).decode(errors='replace')[-500:]}")
    return result


def main() -> int:
    """Serve, profile, summarise; print the tables (or one JSON line)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--py-spy", help="path of the py-spy binary")
    parser.add_argument(
        "--all-threads",
        action="store_true",
        help="sample every non-idle thread (wall view: threads waiting on Redis show), not only "
        "the one holding the GIL (the default: the worker's Python CPU time)",
    )
    parser.add_argument("--out", type=Path, help="keep the raw collapsed stacks here")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.threads, args.probe, args.wrk_cpus, args.log_level = 1, 400, "1", "info"
    py_spy = find_py_spy(args.py_spy)
    if py_spy is None:
        print("verifier profile: SKIPPED (py-spy not found; `scripts/bench --profile` installs it under /tmp)")
        return 0
    out = args.out or Path(tempfile.mkdtemp(prefix="lintas-profile-")) / "verifier.raw.txt"
    os.environ["LINTAS_BENCH_LOG_LEVEL"] = "info"
    with served_world() as (world, redis):
        process, base = start_verifier(
            1,
            redis.url,
            cpus="0",
            factory="benchmarks.verifier_wrk:app_factory",
            log_level="info",
            stderr=subprocess.DEVNULL,
        )
        try:
            served = Served(args, 1, base, PoolMaker(world), redis.url)
            result = profile(served, py_spy, process.pid, args.seconds, out)
            replays = replay(base, served.used, 100)
        finally:
            stop_verifier(process)
    summary = summarise(read_raw(out))
    five_xx = sum(c["5xx"] for c in served.checks)
    if args.json:
        print(json.dumps({"profile": summary, "raw": str(out), "per_s": result["per_s"], **replays, "5xx": five_xx}))
    else:
        print_summary(summary, out, result, args)
        print(f"correctness: 5xx {five_xx}; replayed {replays['replayed']}, accepted {replays['accepted']} (must be 0)")
    return 1 if five_xx or replays["accepted"] else 0


def print_summary(summary: dict[str, Any], out: Path, result: dict[str, Any], args: argparse.Namespace) -> None:
    """Category shares, key frames, top self-time frames."""
    print(
        f"py-spy profile of 1 verifier worker (core 0) serving direct_post under wrk -c{args.connections} "
        f"({result['per_s']:.0f} req/s while sampled at {args.rate}/s, {summary['samples']} samples = "
        f"{summary['samples'] / (args.rate * args.seconds):.0%} of the ticks; "
        f"load average {os.getloadavg()[0]:.1f})"
    )
    view = "every non-idle thread (wall view)" if args.all_threads else "the thread holding the GIL (Python CPU)"
    print(f"samples of {view}; NOTE: on a shared or loaded machine shares are indicative (py-spy --nonblocking)")
    print(f"raw collapsed stacks: {out}")
    print("| where the worker's samples end (innermost known frame)   | share |")
    print("|:---------------------------------------------------------|------:|")
    for name, share in summary["categories"].items():
        print(f"| {name:<56} | {share:>5.1%} |")
    print("| inclusive: samples with this function on the stack      | share |")
    print("|:---------------------------------------------------------|------:|")
    for name, share in summary["inclusive"].items():
        print(f"| {name:<56} | {share:>5.1%} |")
    print("top self-time frames:")
    for frame, share in summary["top_self"].items():
        print(f"  {share:>5.1%}  {frame[:150]}")


if __name__ == "__main__":
    sys.exit(main())
