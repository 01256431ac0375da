"""Key-value port for the services; adapters in :mod:`lintas.kv_sqlite` (embedded) and :mod:`lintas.kv_redis`.

Services keep nonces, sessions, transaction codes, counters and logs here. Both adapters give
the same semantics, so one behavioural test suite runs on both (``tests/conftest.py``):

* values are ``bytes``; a TTL is whole seconds and an expired key is invisible at once;
* :meth:`KeyValueStore.consume` is an atomic get-and-delete, so a nonce is used at most once
  (OpenID4VP 1.0 Section 14.1 replay prevention; OpenID4VCI 1.0 Section 7 nonces, Section 13.8);
* :meth:`KeyValueStore.set_if_absent` has ``SET NX`` semantics: exactly one concurrent caller wins;
* :meth:`KeyValueStore.atomic_write` is optimistic concurrency on a guard key.

A backend that cannot answer raises :class:`StoreUnavailable`; services answer 503 (never 500).
Redis runs with short socket timeouts so a dead server fails fast, and redis-py reconnects by
itself when the server comes back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

__all__ = ["KeyValueStore", "StoreUnavailable", "open_store"]

_NAMESPACE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_INTEGER_RE = re.compile(rb"-?[0-9]{1,19}")


class StoreUnavailable(Exception):
    """The storage backend cannot be reached or cannot answer; services answer 503."""


class KeyValueStore(Protocol):
    """Bytes values under string keys, with optional TTL in seconds."""

    def get(self, key: str) -> bytes | None:
        """Return the live value of ``key`` or ``None``."""
        ...

    def set(self, key: str, value: bytes, ttl: int | None = None) -> None:
        """Store ``value`` (replacing any previous value and TTL)."""
        ...

    def set_if_absent(self, key: str, value: bytes, ttl: int | None = None) -> bool:
        """Store ``value`` only if ``key`` has no live value; return whether this call stored it."""
        ...

    def consume(self, key: str) -> bytes | None:
        """Atomically return and delete the live value of ``key`` (single use)."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        ...

    def incr(self, key: str, ttl: int | None = None) -> int:
        """Increment an integer counter and return it; ``ttl`` applies when the counter is created."""
        ...

    def atomic_write(self, guard_key: str, expected: bytes | None, writes: Mapping[str, bytes]) -> bool:
        """Apply all ``writes`` (without TTL) iff ``guard_key``'s value equals ``expected``."""
        ...

    def scan_prefix(self, prefix: str) -> list[str]:
        """Return the sorted live keys starting with ``prefix`` (admin and listing only)."""
        ...

    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the backend answers."""
        ...

    def close(self) -> None:
        """Release connections; the store must not be used afterwards."""
        ...


def _check(key: str, value: bytes | None = None, ttl: int | None = None) -> None:
    # Both adapters validate identically, so a caller bug shows up the same way on both.
    if not isinstance(key, str) or not key:
        raise TypeError("key must be a non-empty str")
    if value is not None and not isinstance(value, bytes):
        raise TypeError("value must be bytes")
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0):
        raise ValueError("ttl must be a positive number of seconds")


def _as_counter(value: bytes) -> int:
    if _INTEGER_RE.fullmatch(value) is None:
        raise ValueError("value is not an integer counter")
    return int(value)




def open_store(redis_url: str | None, data_dir: Path, namespace: str, *, timeout: float = 2.0) -> KeyValueStore:
    """Open the store a service is configured for.

    ``None`` (or ``""``) gives the embedded SQLite store at ``data_dir/<namespace>.sqlite3``;
    ``redis://``, ``rediss://``, ``unix://``, ``redis+sentinel://`` and ``redis+cluster://`` URLs
    give a Redis store whose keys are prefixed ``<namespace>:``. ``timeout`` bounds every Redis
    connect and reply, so a dead server fails fast with :class:`StoreUnavailable`.
    """
    if not isinstance(namespace, str) or _NAMESPACE_RE.fullmatch(namespace) is None:
        # The namespace becomes a file name: no path separators, no traversal.
        raise ValueError("namespace must be 1-64 characters of [A-Za-z0-9_.-], not starting with '.'")
    if not redis_url:
        from lintas.kv_sqlite import SqliteStore

        data_dir.mkdir(parents=True, exist_ok=True)
        return SqliteStore(data_dir / f"{namespace}.sqlite3")
    from lintas.kv_redis import open_redis_store

    return open_redis_store(redis_url, namespace, timeout=timeout)
