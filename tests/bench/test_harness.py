"""The benchmark harness measures what it claims: wrk_pool.lua's pool bookkeeping and the checks that fail a run.

No test here asserts a time. The wrk tests run the real wrk (Debian package) against a real
uvicorn server on loopback that records every body it receives.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from benchmarks._served import PoolItem, run_wrk, used_items, write_pool
from benchmarks.verifier_profile import category
from benchmarks.verifier_wrk import failures, log_errors, unanswered
from lintas.testing import UvicornServer

needs_wrk = pytest.mark.skipif(
    shutil.which("wrk") is None or shutil.which("taskset") is None,
    reason="wrk and taskset are needed (scripts/bench installs wrk)",
)


def _items(n: int) -> list[PoolItem]:
    return [PoolItem(f"t{i}", f"vp_token=item{i}&state=s{i}") for i in range(n)]


def test_used_items_follows_the_thread_interleave() -> None:
    items = _items(6)
    # Thread 0 takes lines 0, 2, 4...; thread 1 takes 1, 3, 5...
    assert [i.tid for i in used_items(items, [2, 1])] == ["t0", "t1", "t2"]
    assert [i.tid for i in used_items(items, [3, 3])] == [f"t{i}" for i in range(6)]


def test_used_items_nothing_taken_is_nothing_used() -> None:
    assert used_items(_items(6), [0, 0]) == []


class _Recorder:
    """A server that answers 200 to each body seen first and 400 to a repeat (a replay)."""

    def __init__(self) -> None:
        self.bodies: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.app = FastAPI()

        @self.app.post("/wallet/response")
        async def response(request: Request) -> JSONResponse:
            body = (await request.body()).decode()
            with self.lock:
                self.bodies[body] += 1
                seen = self.bodies[body]
            return JSONResponse({}, status_code=200 if seen == 1 else 400)

        @self.app.get("/healthz")
        def healthz() -> dict[str, str]:
            return {"status": "ok"}


def _run(server: UvicornServer, tmp_path: Path, items: list[PoolItem], seconds: float, **kw: Any) -> dict[str, Any]:
    pool = tmp_path / "pool.txt"
    write_pool(items, pool)
    return run_wrk(
        f"{server.base_url}/wallet/response", seconds=seconds, connections=4, threads=2, cpus="0-1", pool=pool, **kw
    )


@needs_wrk
def test_each_pool_item_is_posted_once_and_a_short_pool_is_reported(tmp_path: Path) -> None:
    recorder = _Recorder()
    items = _items(30)
    with UvicornServer(recorder.app) as server:
        result = _run(server, tmp_path, items, 2)
    assert result["exhausted"] == 1
    assert sum(result["taken"]) == 30
    assert set(recorder.bodies) == {i.body for i in items}
    assert max(recorder.bodies.values()) == 1  # no item posted twice: every request did fresh work
    # Answers still in flight when a thread stops are not counted by wrk (at most one per connection).
    assert set(result["statuses"]) == {200}
    assert 30 - 4 <= result["statuses"][200] == result["requests"] <= 30
    assert result["per_s"] > 0  # timed by its active span, not wrk's fixed -d


@needs_wrk
def test_a_pool_that_lasts_is_not_reported_short_and_only_taken_items_were_sent(tmp_path: Path) -> None:
    recorder = _Recorder()
    items = _items(200_000)
    with UvicornServer(recorder.app) as server:
        result = _run(server, tmp_path, items, 1, rate=50)
    assert result["exhausted"] == 0
    taken = {i.body for i in used_items(items, result["taken"])}
    assert set(recorder.bodies) <= taken
    assert result["requests"] <= len(taken) < 1000  # the fixed rate held the run far below the pool
    assert max(recorder.bodies.values()) == 1


@needs_wrk
def test_get_mode_counts_status_codes_of_the_ceiling_endpoint() -> None:
    recorder = _Recorder()
    with UvicornServer(recorder.app) as server:
        result = run_wrk(f"{server.base_url}/healthz", seconds=1, connections=2, threads=1, cpus="0-1")
    assert result["requests"] > 0
    assert result["statuses"] == {200: result["requests"]}
    assert not recorder.bodies


def _row(**changes: Any) -> dict[str, Any]:
    check = {
        "run": "max",
        "requests": 10,
        "ok": 10,
        "non_200": 0,
        "5xx": 0,
        "socket_errors": 0,
        "verified": 10,
        "rejected": 0,
        "open": 0,
        "unanswered": 0,
    }
    row = {
        "workers": 1,
        "checks": [check],
        "accepted": 0,
        "control_accepted": 5,
        "control_posted": 5,
        "log_errors": {},
    }
    check.update({k: v for k, v in changes.items() if k in check})
    row.update({k: v for k, v in changes.items() if k in row and k != "checks"})
    return row


def test_a_clean_run_has_no_failures() -> None:
    assert failures([_row()]) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"accepted": 1}, "replayed responses accepted"),
        ({"5xx": 2}, "5xx"),
        ({"control_accepted": 4}, "replay check is void"),
        ({"rejected": 1}, "rejected under load"),
        ({"verified": 9}, "more 200 answers than transactions verified"),
        ({"open": 2, "unanswered": 1}, "left open although their responses were answered"),
        ({"log_errors": {"unhandled error on POST /wallet/response [ValueError: x]": 1}}, "ERROR lines"),
    ],
)
def test_each_broken_invariant_fails_the_run(changes: dict[str, Any], expected: str) -> None:
    found = failures([_row(**changes)])
    assert len(found) == 1
    assert expected in found[0]


def test_open_transactions_within_the_requests_in_flight_are_no_failure() -> None:
    """The twin of the open-beyond-unanswered failure: wrk stopped with requests the server never read."""
    assert failures([_row(open=3, unanswered=3)]) == []


def test_unanswered_counts_taken_items_without_a_response() -> None:
    result = {"statuses": {200: 7}, "exhausted": 0, "taken": [5, 4]}
    assert unanswered(result) == 2
    ran_out = {"statuses": {200: 9, 404: 2}, "exhausted": 1, "taken": [5, 4]}  # 404: the placeholder request
    assert unanswered(ran_out) == 0


def test_log_errors_are_named_by_cause(tmp_path: Path) -> None:
    log = tmp_path / "verifier.log"
    lines = [
        {"level": "INFO", "message": "presentation verified"},
        {"level": "ERROR", "message": "unhandled error on POST /wallet/response", "exc_type": "ClientDisconnect"},
        {"level": "ERROR", "message": "unhandled error on POST /wallet/response", "exc_type": "ClientDisconnect"},
    ]
    log.write_text("\n".join(json.dumps(line) for line in lines) + "\nTraceback (most recent call last):\n")
    causes = log_errors(log)
    assert causes == {
        "unhandled error on POST /wallet/response [ClientDisconnect: ]": 2,
        "Traceback (most recent call last): [: ]": 1,
    }


def test_profile_charges_anyio_to_the_hop_it_serves() -> None:
    task_group = "create_task_group (anyio/_core/_tasks.py:247)"
    middleware = ["Server.run (uvicorn/server.py:86)", "call_next (starlette/middleware/base.py:149)", task_group]
    threadpool = [
        "post_response (verifier/routes_wallet.py:80)",
        "run_in_threadpool (starlette/concurrency.py:3)",
        task_group,
    ]
    assert category(middleware).startswith("middleware hop")
    assert category(threadpool).startswith("thread-pool hop")


def test_profile_charges_native_signature_work_to_crypto_and_unknown_frames_to_other() -> None:
    verify = ["verify (verifier/pipeline.py:160)", "verify_signature (idcore/jose.py:173)"]
    assert category(verify).startswith("crypto")
    assert category(["<module> (somewhere/else.py:1)"]) == "other"
