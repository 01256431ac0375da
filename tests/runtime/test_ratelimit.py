"""lintas.ratelimit: a sliding window in the shared store, the same on SQLite and Redis, shared by replicas."""

from __future__ import annotations

import httpx
import pytest
from fastapi import Depends, FastAPI

from lintas.kv import KeyValueStore
from lintas.problem import install_error_handlers
from lintas.ratelimit import SlidingWindowLimiter
from tests.issuer.conftest import PortalTransport


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_limit_per_key_and_retry_after(kv_store: KeyValueStore) -> None:
    clock = Clock(6000.0)  # the start of a window
    limiter = SlidingWindowLimiter(kv_store, "t", 5, clock)
    assert [limiter.take("client-a") for _ in range(5)] == [0.0] * 5
    wait = limiter.take("client-a")
    assert 0 < wait <= 120
    assert limiter.take("client-b") == 0.0  # twin: another client has its own budget
    # After the promised wait the client is allowed again (the window slid far enough).
    clock.now += wait + 0.01
    assert limiter.take("client-a") == 0.0


def test_the_window_slides_instead_of_resetting(kv_store: KeyValueStore) -> None:
    clock = Clock(6000.0 + 50)  # late in a window
    limiter = SlidingWindowLimiter(kv_store, "slide", 10, clock)
    for _ in range(10):
        assert limiter.take("k") == 0.0
    # A fixed window would hand out 10 more right after the edge; the sliding estimate does not.
    clock.now = 6000.0 + 60 + 1  # 1 s into the next window: 10 x 59/60 still count
    assert limiter.take("k") > 0
    # Twin: most of a window later the old requests have slid out.
    clock.now = 6000.0 + 60 + 55
    assert limiter.take("k") == 0.0


def test_replicas_share_one_budget(kv_store: KeyValueStore) -> None:
    clock = Clock(6000.0)
    replica_a = SlidingWindowLimiter(kv_store, "shared", 4, clock)
    replica_b = SlidingWindowLimiter(kv_store, "shared", 4, clock)
    assert [replica_a.take("rp"), replica_b.take("rp"), replica_a.take("rp"), replica_b.take("rp")] == [0.0] * 4
    assert replica_b.take("rp") > 0
    assert SlidingWindowLimiter(kv_store, "other-limiter", 4, clock).take("rp") == 0.0  # twin: separate names


def test_a_per_call_limit_overrides_the_default(kv_store: KeyValueStore) -> None:
    limiter = SlidingWindowLimiter(kv_store, "override", 100, Clock(6000.0))
    assert [limiter.take("small", limit=2) for _ in range(2)] == [0.0, 0.0]
    assert limiter.take("small", limit=2) > 0
    assert limiter.take("big") == 0.0


def test_http_answer_is_429_with_retry_after(kv_store: KeyValueStore) -> None:
    limiter = SlidingWindowLimiter(kv_store, "http", 2, Clock(6000.0))
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/x", dependencies=[Depends(limiter.dependency())])
    def x() -> dict[str, bool]:
        return {"ok": True}

    with httpx.Client(transport=PortalTransport(app), base_url="http://127.0.0.1") as client:
        assert [client.get("/x").status_code for _ in range(2)] == [200, 200]
        refused = client.get("/x")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("key", ["x" * 10_000, "\ud800", ""])
def test_hostile_keys_make_bounded_store_keys(kv_store: KeyValueStore, key: str) -> None:
    limiter = SlidingWindowLimiter(kv_store, "keys", 1, Clock(6000.0))
    assert limiter.take(key) == 0.0
    assert all(len(k) < 80 for k in kv_store.scan_prefix("rl:keys:"))
