"""Embedded key-value adapter: one SQLite file (stdlib ``sqlite3``) in WAL mode.

The zero-set-up default of every service (``open_store(None, ...)``). The table is
``kv(key TEXT PRIMARY KEY, value BLOB, expires_at REAL NULL)``; expired rows are invisible to
every read and deleted lazily. ``synchronous=FULL`` makes each commit durable across a crash.
``secure_delete=ON`` overwrites deleted content with zeros (SQLite "PRAGMA secure_delete"), so a
consumed code, a deleted result or an expired record is not left readable in free pages of the
file; the WAL is checkpointed (truncated) on close so no old page images outlive the store either.
Semantics match :class:`lintas.kv.KeyValueStore`; see that module for the spec references.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from lintas.kv.port import Entry, StoreUnavailable, as_counter, check_entry

__all__ = ["SqliteStore"]

# Expired rows are deleted in bulk at most this often; until then reads simply filter them out.
_PURGE_INTERVAL_S = 30.0
_SELECT_LIVE = "SELECT value FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)"
_SCAN_LIVE = "SELECT key FROM kv WHERE substr(key, 1, ?) = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY key"
_UPSERT = "INSERT OR REPLACE INTO kv VALUES (?, ?, ?)"
_PURGE = "DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?"


class SqliteStore:
    """Embedded store: one SQLite file in WAL mode, durable (synchronous=FULL), thread-safe.

    One connection guarded by a lock serialises threads of this process; ``BEGIN IMMEDIATE``
    and single-statement upserts keep several processes on the same file correct too.
    """

    def __init__(self, path: Path, *, busy_timeout: float = 5.0) -> None:
        self._lock = threading.Lock()
        self._last_purge = 0.0
        try:
            self._conn = sqlite3.connect(str(path), timeout=busy_timeout, isolation_level=None, check_same_thread=False)
            # Before any table is touched: overwrite deleted rows and freed pages with zeros.
            self._conn.execute("PRAGMA secure_delete=ON")
            self._conn.execute("PRAGMA journal_mode=WAL")
            # A checkpoint truncates the WAL, so page images of deleted rows do not linger in it either.
            self._conn.execute("PRAGMA journal_size_limit=0")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires_at REAL NULL)"
            )
        except sqlite3.DatabaseError as exc:
            raise StoreUnavailable(f"sqlite: {type(exc).__name__}") from exc

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._conn
            except sqlite3.DatabaseError as exc:  # locked beyond the timeout, I/O error, closed
                raise StoreUnavailable(f"sqlite: {type(exc).__name__}") from exc

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._db() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                with suppress(sqlite3.Error):  # keep the original error if rollback fails too
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            self._maybe_purge(conn)

    def _maybe_purge(self, conn: sqlite3.Connection) -> None:
        now = time.time()
        if now - self._last_purge >= _PURGE_INTERVAL_S:
            self._last_purge = now
            conn.execute(_PURGE, (now,))

    @staticmethod
    def _expiry(ttl: int | None) -> float | None:
        return None if ttl is None else time.time() + ttl

    def purge_expired(self) -> int:
        """Delete expired rows now and return how many were removed."""
        with self._db() as conn:
            cur = conn.execute(_PURGE, (time.time(),))
            return cur.rowcount

    def get(self, key: str) -> bytes | None:
        """Return the live value of ``key`` or ``None``."""
        check_entry(key)
        with self._db() as conn:
            row = conn.execute(_SELECT_LIVE, (key, time.time())).fetchone()
        return None if row is None else bytes(row[0])

    def set(self, key: str, value: bytes, ttl: int | None = None) -> None:
        """Store ``value``, replacing any previous value and TTL."""
        check_entry(key, value, ttl)
        with self._tx() as conn:
            conn.execute(_UPSERT, (key, value, self._expiry(ttl)))

    def set_if_absent(self, key: str, value: bytes, ttl: int | None = None) -> bool:
        """Store ``value`` unless a live value exists (an expired row is overwritten)."""
        check_entry(key, value, ttl)
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO kv VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value,"
                " expires_at = excluded.expires_at WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= ?",
                (key, value, self._expiry(ttl), time.time()),
            )
            return cur.rowcount == 1

    def consume(self, key: str) -> bytes | None:
        """Delete ``key`` and return its value if it was live; one statement, so one winner."""
        check_entry(key)
        with self._db() as conn:
            rows = conn.execute("DELETE FROM kv WHERE key = ? RETURNING value, expires_at", (key,)).fetchall()
        if not rows or (rows[0][1] is not None and rows[0][1] <= time.time()):
            return None
        return bytes(rows[0][0])

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        check_entry(key)
        with self._db() as conn:
            conn.execute("DELETE FROM kv WHERE key = ?", (key,))

    def incr(self, key: str, ttl: int | None = None) -> int:
        """Increment the counter at ``key``; a new counter starts at 1 with ``ttl``."""
        check_entry(key, ttl=ttl)
        with self._tx() as conn:
            row = conn.execute(_SELECT_LIVE, (key, time.time())).fetchone()
            if row is None:
                conn.execute(_UPSERT, (key, b"1", self._expiry(ttl)))
                return 1
            count = as_counter(bytes(row[0])) + 1
            conn.execute("UPDATE kv SET value = ? WHERE key = ?", (str(count).encode("ascii"), key))
            return count

    def atomic_write(self, guard_key: str, expected: bytes | None, writes: Mapping[str, bytes]) -> bool:
        """Apply ``writes`` in one transaction iff ``guard_key`` currently holds ``expected``."""
        check_entry(guard_key, expected)
        for key, value in writes.items():
            check_entry(key, value)
        with self._tx() as conn:
            row = conn.execute(_SELECT_LIVE, (guard_key, time.time())).fetchone()
            if (None if row is None else bytes(row[0])) != expected:
                return False
            conn.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?, NULL)", list(writes.items()))
            return True

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The live values of ``keys`` in order, in one query."""
        for key in keys:
            check_entry(key)
        if not keys:
            return []
        marks = ",".join("?" * len(keys))
        query = f"SELECT key, value FROM kv WHERE key IN ({marks}) AND (expires_at IS NULL OR expires_at > ?)"  # noqa: S608 - placeholders only
        with self._db() as conn:
            found = {str(k): bytes(v) for k, v in conn.execute(query, (*keys, time.time())).fetchall()}
        return [found.get(key) for key in keys]

    def put_if_absent(self, entries: Sequence[Entry]) -> bool:
        """Store every entry iff the first entry's key has no live value, in one transaction."""
        for key, value, ttl in entries:
            check_entry(key, value, ttl)
        if not entries:
            raise ValueError("put_if_absent needs at least one entry")
        with self._tx() as conn:
            if conn.execute(_SELECT_LIVE, (entries[0][0], time.time())).fetchone() is not None:
                return False
            conn.executemany(_UPSERT, [(k, v, self._expiry(t)) for k, v, t in entries])
            return True

    def take_all(self, required: Sequence[str], delete: Sequence[str] = (), writes: Sequence[Entry] = ()) -> bool:
        """Iff every ``required`` key is live, delete them and ``delete`` and store ``writes``, in one transaction."""
        for key in (*required, *delete):
            check_entry(key)
        for key, value, ttl in writes:
            check_entry(key, value, ttl)
        with self._tx() as conn:
            now = time.time()
            if any(conn.execute(_SELECT_LIVE, (key, now)).fetchone() is None for key in required):
                return False
            conn.executemany("DELETE FROM kv WHERE key = ?", [(key,) for key in (*required, *delete)])
            conn.executemany(_UPSERT, [(k, v, self._expiry(t)) for k, v, t in writes])
            return True

    def scan_prefix(self, prefix: str) -> list[str]:
        """Return the sorted live keys that start with ``prefix``."""
        with self._db() as conn:
            rows = conn.execute(_SCAN_LIVE, (len(prefix), prefix, time.time())).fetchall()
        return [str(r[0]) for r in rows]

    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` if the database cannot be queried."""
        with self._db() as conn:
            conn.execute("SELECT 1").fetchone()

    def close(self) -> None:
        """Close the connection (idempotent), checkpointing the WAL into the zeroed database file first."""
        with self._lock:
            with suppress(sqlite3.Error):  # closed already, or another process holds the file
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()
