"""Deleted values leave no readable bytes in the embedded store's files (issue #12, class 8).

The embedded store runs ``PRAGMA secure_delete=ON`` and truncates its WAL at checkpoints and on
close. The twin opens a plain SQLite file the way the store did before (WAL, no secure_delete)
and finds the same deleted bytes still there: the check can fail.
"""

from __future__ import annotations

import secrets
import sqlite3
from pathlib import Path

import pytest

from lintas.kv.sqlite_store import SqliteStore


def _file_bytes(path: Path) -> bytes:
    """The database file and whatever WAL / shared-memory files sit next to it."""
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


def _marker() -> bytes:
    return b"SECRET-" + secrets.token_hex(24).encode()


@pytest.mark.parametrize("removal", ["delete", "consume", "overwrite"])
def test_deleted_values_are_not_in_the_files(tmp_path: Path, removal: str) -> None:
    path = tmp_path / "kv.sqlite3"
    store = SqliteStore(path)
    marker, keep = _marker(), _marker()
    store.set("keep", keep)
    store.set("gone", marker * 4)
    if removal == "delete":
        store.delete("gone")
    elif removal == "consume":
        assert store.consume("gone") == marker * 4
    else:
        store.set("gone", b"x")
    store.close()
    data = _file_bytes(path)
    assert keep in data  # the scan sees live values, so an absent marker means it was wiped
    assert marker not in data


def test_expired_values_purged_are_not_in_the_files(tmp_path: Path) -> None:
    path = tmp_path / "kv.sqlite3"
    store = SqliteStore(path)
    marker = _marker()
    store.set("short", marker, ttl=1)
    store._conn.execute("UPDATE kv SET expires_at = 0 WHERE key = 'short'")  # expired, without sleeping
    assert store.purge_expired() == 1
    store.close()
    assert marker not in _file_bytes(path)


def test_twin_without_secure_delete_leaves_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "plain.sqlite3"
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA secure_delete=OFF")  # SQLite's compile-time default on most builds
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires_at REAL NULL)")
    marker = _marker()
    conn.execute("INSERT INTO kv VALUES ('keep', x'00', NULL)")
    conn.execute("INSERT INTO kv VALUES ('gone', ?, NULL)", (marker * 4,))
    conn.execute("DELETE FROM kv WHERE key = 'gone'")
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    conn.close()
    assert marker in _file_bytes(path)
