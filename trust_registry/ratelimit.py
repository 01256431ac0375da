"""Per-address token buckets for the registry's public and governance endpoints (issue #12).

Each client address gets a bucket of ``burst`` tokens refilled at ``per_minute / 60`` per
second; a request takes one token or is answered 429 problem+json with ``Retry-After`` (RFC
6585 Section 4, RFC 9110 Section 10.2.3). The table of buckets is bounded (least recently
used addresses are dropped first), so many addresses cannot grow memory. Buckets live in the
process: with N replicas an address gets N times the rate, which is the point of the bound
rather than a quota. The address is the TCP peer; behind a reverse proxy, rate-limit at the
proxy as well.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from fastapi import HTTPException, Request

__all__ = ["RateLimiter"]


class RateLimiter:
    """Token buckets keyed by client address; :meth:`dependency` plugs it into a route."""

    def __init__(
        self,
        per_minute: int,
        *,
        burst: int | None = None,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``per_minute`` sustained, ``burst`` at once (default: ``per_minute``)."""
        self._rate = per_minute / 60.0
        self._burst = float(burst if burst is not None else per_minute)
        self._max = max_clients
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str) -> float:
        """Take a token for ``key``: 0.0 if allowed, else the seconds until one is available."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (self._burst, now))
            tokens = min(self._burst, tokens + (now - last) * self._rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self._rate
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self._max:
                self._buckets.popitem(last=False)
            return wait

    def dependency(self) -> Callable[[Request], None]:
        """A FastAPI dependency raising 429 with ``Retry-After`` when the caller's bucket is empty."""

        def check(request: Request) -> None:
            address = request.client.host if request.client is not None else "unknown"
            wait = self.take(address)
            if wait > 0:
                raise HTTPException(429, "Too many requests; retry later.", {"Retry-After": str(math.ceil(wait))})

        return check
