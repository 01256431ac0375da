"""Rate limits shared by every replica of a service: a sliding window counted in the key-value store.

Issue #12 class 9 (fixed windows let a client spend twice its budget across a window edge, and
per-process buckets give N replicas N times the rate). The count is the sliding-window estimate
of two fixed windows kept in the shared store (:class:`lintas.kv.KeyValueStore`):

    estimate = previous_window_count x (1 - elapsed / window) + current_window_count

Each request increments the current window's counter atomically (``incr``, created with a TTL
of two windows, so nothing outlives its use) and is refused when the estimate exceeds the limit;
the refusal says when the estimate falls back under it, as ``Retry-After`` (RFC 6585 Section 4,
RFC 9110 Section 10.2.3). Refused requests count too, so hammering does not earn a retry.

Keys are hashed, so an attacker-chosen client id or address cannot make long keys. The caller
names what is limited: a relying party's client id, or the TCP peer address (behind a reverse
proxy that is the proxy's: limit at the proxy as well).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import HTTPException, Request

from lintas.kv import KeyValueStore

__all__ = ["SlidingWindowLimiter"]


def client_address(request: Request) -> str:
    """The TCP peer of ``request`` (the proxy's address behind a reverse proxy)."""
    return request.client.host if request.client is not None else "unknown"


def _retry_after(previous: int, current: int, limit: int, elapsed: float, window: int) -> float:
    """Seconds until one more request fits: ``previous x (1 - t / window) + current + 1 <= limit``.

    ``current`` already counts the refused request; the retry counts once more.
    """
    room = limit - 1
    if previous > 0 and current <= room:
        wait = window * (1.0 - (room - current) / previous) - elapsed
        if wait <= window - elapsed:  # still inside this window
            return max(wait, 0.001)
    # In the next window this window's count is the previous one: current x (1 - e / window) + 1 <= limit.
    return (window - elapsed) + max(0.0, window * (1.0 - room / current)) + 0.001


@dataclass
class SlidingWindowLimiter:
    """At most ``limit`` requests per ``window`` seconds per key, shared through ``store``."""

    store: KeyValueStore
    name: str
    limit: int
    clock: Callable[[], float]
    window: int = 60

    def take(self, key: str, limit: int | None = None) -> float:
        """Count one request for ``key``: 0.0 when allowed, else the seconds until it would be.

        ``limit`` overrides the limiter's own for this key (a relying party's configured budget).
        """
        limit = self.limit if limit is None else limit
        now = self.clock()
        index, elapsed = divmod(now, self.window)
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        base = f"rl:{self.name}:{digest}:"
        current = self.store.incr(f"{base}{int(index)}", 2 * self.window)
        raw = self.store.get(f"{base}{int(index) - 1}")
        previous = int(raw) if raw is not None else 0
        weight = 1.0 - elapsed / self.window
        if previous * weight + current <= limit:
            return 0.0
        return _retry_after(previous, current, limit, elapsed, self.window)

    def check(self, key: str, limit: int | None = None) -> None:
        """Raise HTTP 429 with ``Retry-After`` when ``key`` is over its limit."""
        wait = self.take(key, limit)
        if wait > 0:
            raise HTTPException(429, "Too many requests; retry later.", {"Retry-After": str(max(1, math.ceil(wait)))})

    def dependency(self) -> Callable[[Request], None]:
        """A FastAPI dependency limiting by client address."""

        def limit_by_address(request: Request) -> None:
            self.check(client_address(request))

        return limit_by_address
