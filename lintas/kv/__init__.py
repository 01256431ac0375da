"""Key-value port for the services; adapters in :mod:`.sqlite_store` (embedded) and :mod:`.redis_store`.

Services keep nonces, sessions, transaction codes, counters and logs here. Both adapters give
the same semantics, so one behavioural test suite runs on both (``tests/conftest.py``):

* values are ``bytes``; a TTL is whole seconds and an expired key is invisible at once;
* :meth:`KeyValueStore.consume` is an atomic get-and-delete, so a nonce is used at most once
  (OpenID4VP 1.0 Section 14.1 replay prevention; OpenID4VCI 1.0 Section 7 nonces, Section 13.8);
* :meth:`KeyValueStore.set_if_absent` has ``SET NX`` semantics: exactly one concurrent caller wins;
* :meth:`KeyValueStore.atomic_write` is optimistic concurrency on a guard key;
* :meth:`KeyValueStore.get_many`, :meth:`KeyValueStore.put_if_absent` and :meth:`KeyValueStore.take_all`
  do a multi-key step in one round trip (``MGET`` or one Lua script; one SQLite transaction), the
  last two atomically: all of it or none of it.

A backend that cannot answer raises :class:`StoreUnavailable`; services answer 503 (never 500).
Redis runs with short socket timeouts so a dead server fails fast, and redis-py reconnects by
itself when the server comes back.
"""

from __future__ import annotations

import re
from pathlib import Path

from lintas.kv.port import Entry, KeyValueStore, StoreUnavailable

__all__ = ["Entry", "KeyValueStore", "StoreUnavailable", "open_store"]

_NAMESPACE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


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
        from lintas.kv.sqlite_store import SqliteStore

        data_dir.mkdir(parents=True, exist_ok=True)
        return SqliteStore(data_dir / f"{namespace}.sqlite3")
    from lintas.kv.redis_store import open_redis_store

    return open_redis_store(redis_url, namespace, timeout=timeout)
