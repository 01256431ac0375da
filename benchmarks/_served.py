"""Helpers of the served-path benchmarks (not a benchmark itself: ``scripts/bench`` skips ``_*.py``).

* :class:`PoolMaker` prepares ``direct_post`` bodies, each bound to its own transaction and nonce
  (OpenID4VP 1.0 Section 8.2, 14.1): transactions are created in the served verifier's Redis by
  its own :class:`verifier.transactions.TransactionService` (same data directory, keys, settings
  and store; only the relying party's QR code is skipped), and the scripted wallet answers the
  Request Object claims the server would sign, with a fresh KB-JWT per transaction.
* :func:`run_wrk` runs wrk pinned with ``taskset`` and the Lua script ``wrk_pool.lua``.
* :func:`check_pool_run` counts, from Redis, how many items of a run were verified, and replays a
  sample of them (each must be refused: single-use nonce and session).
* :func:`tree_rss` and :func:`redis_used_memory` for the memory figures, :func:`tree_cpu` for how
  busy the verifier's cores were.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import redis

from idcore.jose import KeySigner
from idcore.ports import SystemClock, SystemRandom
from tests.verifier.wallet_client import AuthorizationRequest, ScriptedWallet
from tests.verifier.world import PID_CLAIMS, World, new_key
from verifier.app import create_app
from verifier.policy import load_config
from verifier.settings import VerifierSettings
from verifier.store import FLOW_CROSS, TransactionStore
from verifier.transactions import TransactionService

LUA = Path(__file__).resolve().parent / "wrk_pool.lua"
MARK = "LINTAS_WRK_JSON "


@dataclass(frozen=True)
class PoolItem:
    """One prepared response: its transaction id and the form-encoded ``direct_post`` body."""

    tid: str
    body: str


class _RecordOnly(TransactionService):
    """The service's own ``create`` (same records in the same store) without the QR code view."""

    def view(self, tx: dict[str, Any]) -> dict[str, Any]:
        return tx


class PoolMaker:
    """Creates pending transactions in the verifier's store and a wallet response for each."""

    def __init__(self, world: World) -> None:
        settings = VerifierSettings()  # the environment the served verifier was started with
        app = create_app(settings)  # same data directory: same keys and access certificate
        config = load_config(settings.config_file)
        self.store: TransactionStore = app.state.store
        self.rp = config.relying_parties["my-bank"]
        self.policy = config.policies["pid-onboarding"]
        self.service = _RecordOnly(settings, self.store, app.state.keys, SystemClock(), SystemRandom())
        holder = KeySigner(new_key())
        self.wallet = ScriptedWallet(httpx.Client(), [], SystemClock(), holder)  # never asked to fetch
        now = int(time.time())
        self.credential = world.issue(
            "sg-pid", dict(PID_CLAIMS), dict(holder.public_jwk), iat=now - 3600, exp=now + 86400
        )

    def make(self, n: int) -> list[PoolItem]:
        """``n`` fresh transactions, each answered by a presentation bound to its nonce and client_id."""
        items = []
        for _ in range(n):
            tx = self.service.create(self.rp, self.policy, response_mode="direct_post", prefix="x509_hash")
            rid = tx["requests"][FLOW_CROSS]
            request = AuthorizationRequest(self.service.request_claims(tx, rid, None), {})
            form = self.wallet.response_form(request, {"pid": [self.wallet.present(request, self.credential)]})
            items.append(PoolItem(tx["id"], urlencode(form)))
        return items

    def verified(self, items: list[PoolItem]) -> dict[str, int]:
        """How many of ``items`` Redis holds as verified, rejected, or still open."""
        counts = {"verified": 0, "rejected": 0, "open": 0}
        for item in items:
            record = self.store.status(item.tid) or {}
            state = record.get("status")
            counts[state if state in ("verified", "rejected") else "open"] += 1
        return counts


def write_pool(items: list[PoolItem], path: Path) -> None:
    """One form body per line, in order (thread t of wrk takes lines t, t+T, ...)."""
    path.write_text("".join(item.body + "\n" for item in items), encoding="ascii")


def used_items(items: list[PoolItem], taken: list[int]) -> list[PoolItem]:
    """The items wrk's threads took: thread t took its first ``taken[t]`` lines of t, t+T, t+2T..."""
    threads = len(taken)
    return [item for i, item in enumerate(items) if i // threads < taken[i % threads]]


def run_wrk(
    url: str, *, seconds: float, connections: int, threads: int, cpus: str, pool: Path | None = None, rate: float = 0
) -> dict[str, Any]:
    """One wrk run pinned to ``cpus``; the Lua summary as a dict plus ``per_s``."""
    mode = ["pool", str(pool)] if pool is not None else ["get", "-"]
    command = [
        "taskset",
        "-c",
        cpus,
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
        "--",
        *mode,
        str(threads),
    ]
    env = dict(os.environ, LINTAS_WRK_RATE=f"{rate:.3f}")
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=seconds + 60, check=False)  # noqa: S603
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-500:]} {done.stderr[-500:]}")
    result: dict[str, Any] = json.loads(lines[-1][len(MARK) :])
    result["statuses"] = {int(k): v for k, v in result["statuses"].items()}
    # wrk's duration is always -d; a run whose pool ran out is timed from first request to last response.
    seconds_used = result["active_ms"] / 1e3 if result["exhausted"] else result["duration_us"] / 1e6
    result["wall_s"] = seconds_used
    result["per_s"] = result["requests"] / seconds_used if seconds_used > 0 else 0.0
    return result


def replay(base: str, items: list[PoolItem], sample: int) -> dict[str, int]:
    """Post a random sample of already-used bodies again; count how many were accepted (must be 0)."""
    chosen = random.sample(items, min(sample, len(items)))
    return post_bodies(base, chosen) | {"replayed": len(chosen)}


def post_bodies(base: str, items: list[PoolItem]) -> dict[str, int]:
    """POST each body to the Response URI; ``accepted`` counts 200s, ``server_errors`` 5xx."""
    counts = {"accepted": 0, "server_errors": 0}
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    with httpx.Client(timeout=30) as http:
        for item in items:
            status = http.post(f"{base}/wallet/response", content=item.body, headers=headers).status_code
            counts["accepted"] += status == 200
            counts["server_errors"] += status >= 500
    return counts


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(p) for p in task.read_text().split()]
    return found


def tree_rss(pid: int) -> dict[int, int]:
    """Resident set size in bytes (VmRSS) of ``pid`` and every descendant, by pid."""
    sizes: dict[int, int] = {}
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            todo += _children(current)
        except OSError:
            continue  # exited meanwhile
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                sizes[current] = int(line.split()[1]) * 1024
    return sizes


def tree_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds (user, system) used so far by ``pid`` and every live descendant (/proc/<pid>/stat)."""
    tick = os.sysconf("SC_CLK_TCK")
    user = system = 0.0
    for each in tree_rss(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        user += int(fields[11]) / tick  # utime, field 14 of proc(5); fields[0] is field 3
        system += int(fields[12]) / tick
    return user, system


def pending_key_bytes(url: str, tid: str, namespace: str = "verifier") -> dict[str, int]:
    """``MEMORY USAGE`` (``SAMPLES 0``: exact) of each key a pending transaction holds, by key kind.

    The keys are those :meth:`verifier.store.TransactionStore.create` writes: ``tx``, one ``req`` per
    flow, ``nonce``, ``status``, ``open`` (and ``kid``/``key`` for ``direct_post.jwt``).
    """
    client = redis.Redis.from_url(url)
    try:
        raw = client.get(f"{namespace}:tx:{tid}")
        if raw is None:
            raise RuntimeError(f"transaction {tid} is not pending in Redis")
        tx = json.loads(raw)
        keys = {"tx": f"tx:{tid}", "nonce": f"nonce:{tx['nonce']}", "status": f"status:{tid}", "open": f"open:{tid}"}
        keys |= {f"req ({flow})": f"req:{rid}" for flow, rid in tx["requests"].items()}
        if "enc_kid" in tx:
            keys |= {"kid": f"kid:{tx['enc_kid']}", "key": f"key:{tid}"}
        sizes = {kind: client.memory_usage(f"{namespace}:{key}", samples=0) for kind, key in keys.items()}
    finally:
        client.close()
    return {kind: int(size or 0) for kind, size in sizes.items()}


def redis_used_memory(url: str) -> int:
    """``INFO memory`` ``used_memory`` in bytes."""
    client = redis.Redis.from_url(url)
    try:
        return int(client.info("memory")["used_memory"])
    finally:
        client.close()
