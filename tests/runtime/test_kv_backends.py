"""Backend-specific behaviour: SQLite durability and sharing, Redis outage and recovery, URLs."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
import redis

from lintas.kv import StoreUnavailable, open_store
from lintas.kv.redis_store import SentinelConfig, parse_sentinel_url
from lintas.kv.sqlite_store import SqliteStore
from lintas.testing import RedisServer, free_port, race


def test_sqlite_restart_keeps_data(tmp_path: Path) -> None:
    store = open_store(None, tmp_path, "registry")
    store.set("durable", b"yes")
    store.set("short", b"gone", ttl=1)
    store.close()
    reopened = open_store(None, tmp_path, "registry")
    try:
        assert reopened.get("durable") == b"yes"
        assert (tmp_path / "registry.sqlite3").exists()
    finally:
        reopened.close()
    other = open_store(None, tmp_path, "issuer")  # another namespace is another file
    try:
        assert other.get("durable") is None
    finally:
        other.close()


def test_sqlite_uses_wal_and_purges_expired_rows(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.sqlite3")
    try:
        store.set("old", b"x", ttl=1)
        store.set("keep", b"y")
        time.sleep(1.1)
        assert store.purge_expired() == 1
        assert store.purge_expired() == 0
    finally:
        store.close()
    with sqlite3.connect(tmp_path / "s.sqlite3") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("SELECT key FROM kv").fetchall() == [("keep",)]
    raw.close()


def test_sqlite_two_connections_to_one_file_have_one_winner(tmp_path: Path) -> None:
    # Separate stores stand in for separate processes: atomicity must come from SQLite, not our lock.
    stores = [SqliteStore(tmp_path / "shared.sqlite3") for _ in range(10)]
    try:
        stores[0].set("nonce", b"n")
        assert race(10, lambda i: stores[i].set_if_absent("once", b"x")).count(True) == 1
        assert race(10, lambda i: stores[i].consume("nonce")).count(b"n") == 1
        stores[0].set("seq", b"0")
        wins = race(10, lambda i: stores[i].atomic_write("seq", b"0", {"seq": b"1"}))
        assert wins.count(True) == 1
    finally:
        for s in stores:
            s.close()


def test_sqlite_closed_store_is_unavailable(tmp_path: Path) -> None:
    store = open_store(None, tmp_path, "x")
    store.ping()
    store.close()
    with pytest.raises(StoreUnavailable):
        store.ping()
    with pytest.raises(StoreUnavailable):
        store.get("k")


def test_open_store_refuses_path_like_namespaces_and_unknown_schemes(tmp_path: Path) -> None:
    for namespace in ("../escape", "a/b", "", ".hidden"):
        with pytest.raises(ValueError, match="namespace"):
            open_store(None, tmp_path, namespace)
    with pytest.raises(ValueError, match="scheme") as info:
        open_store("memcached://user:s3cret@127.0.0.1:1", tmp_path, "ok")
    assert "s3cret" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_redis_keys_are_namespaced(redis_server: RedisServer, tmp_path: Path) -> None:
    a = open_store(redis_server.url, tmp_path, "nsa")
    b = open_store(redis_server.url, tmp_path, "nsb")
    raw = redis.Redis.from_url(redis_server.url)
    try:
        a.set("k", b"a-value")
        assert raw.get("nsa:k") == b"a-value"
        assert b.get("k") is None
        assert b.scan_prefix("") == []
    finally:
        raw.close()
        a.close()
        b.close()


def test_redis_down_is_unavailable_fast_and_recovers_on_same_port(tmp_path: Path) -> None:
    with RedisServer() as server:
        store = open_store(server.url, tmp_path, "svc", timeout=1.0)
        try:
            store.set("before", b"1")
            assert store.incr("n") == 1
            server.stop()
            for op in (
                store.ping,
                lambda: store.get("before"),
                lambda: store.incr("n"),
                lambda: store.atomic_write("g", None, {"g": b"1"}),
                lambda: store.consume("x"),
            ):
                started = time.monotonic()
                with pytest.raises(StoreUnavailable):
                    op()
                assert time.monotonic() - started < 3.0
            server.start()
            store.ping()
            # Without persistence the data is gone, but the same client object works again,
            # scripts included (Redis forgot them; they are reloaded).
            assert store.get("before") is None
            assert store.incr("n") == 1
            assert store.atomic_write("g", None, {"g": b"1"}) is True
        finally:
            store.close()


def test_redis_restart_between_calls_is_invisible_to_the_caller(tmp_path: Path) -> None:
    # The pooled socket died with the old server; redis-py notices on checkout and reconnects.
    with RedisServer() as server:
        store = open_store(server.url, tmp_path, "svc")
        try:
            store.set("a", b"1")
            server.stop()
            server.start()
            assert store.get("a") is None  # no persistence, but no StoreUnavailable either
            assert store.set_if_absent("a", b"2") is True
        finally:
            store.close()


def test_redis_with_appendonly_keeps_data_across_restart(tmp_path: Path) -> None:
    with RedisServer(appendonly=True) as server:
        store = open_store(server.url, tmp_path, "svc")
        try:
            store.set("durable", b"yes")
            store.set("gone", b"no")
            store.delete("gone")
            server.stop()
            server.start()
            assert store.get("durable") == b"yes"
            assert store.get("gone") is None
        finally:
            store.close()


def test_redis_over_unix_socket(redis_server: RedisServer, tmp_path: Path) -> None:
    store = open_store(redis_server.unix_url, tmp_path, "unix")
    tcp = open_store(redis_server.url, tmp_path, "unix")
    try:
        store.set("k", b"via-unix")
        assert tcp.get("k") == b"via-unix"
        assert tcp.get("other") is None
    finally:
        store.close()
        tcp.close()


def test_redis_nothing_listening_is_unavailable(tmp_path: Path) -> None:
    store = open_store(f"redis://127.0.0.1:{free_port()}/0", tmp_path, "svc")
    try:
        with pytest.raises(StoreUnavailable):
            store.set("k", b"v")
    finally:
        store.close()


def test_redis_cluster_url_builds_a_cluster_client_lazily(redis_server: RedisServer, tmp_path: Path) -> None:
    # Constructing must not connect; the first command reports the outage as StoreUnavailable.
    dead = open_store(f"redis+cluster://127.0.0.1:{free_port()}", tmp_path, "svc")
    try:
        with pytest.raises(StoreUnavailable):
            dead.ping()
    finally:
        dead.close()
    # A standalone server refuses cluster mode: still a clear StoreUnavailable, not a crash.
    plain = open_store(f"redis+cluster://127.0.0.1:{redis_server.port}", tmp_path, "svc")
    try:
        with pytest.raises(StoreUnavailable):
            plain.get("k")
    finally:
        plain.close()


def test_parse_sentinel_url() -> None:
    assert parse_sentinel_url("redis+sentinel://10.0.0.1:26380,10.0.0.2/mymaster/2") == SentinelConfig(
        hosts=(("10.0.0.1", 26380), ("10.0.0.2", 26379)), service_name="mymaster", db=2
    )
    config = parse_sentinel_url("redis+sentinel://app:p%40ss@[::1]:5000/svc")
    assert config.hosts == (("::1", 5000),)
    assert (config.username, config.password, config.db) == ("app", "p@ss", 0)
    assert parse_sentinel_url("redis+sentinel://:pw@h:1/svc").password == "pw"


@pytest.mark.parametrize(
    "url",
    [
        "redis://h:1/svc",
        "redis+sentinel://h:1",
        "redis+sentinel://h:1/",
        "redis+sentinel://h:notaport/svc",
        "redis+sentinel://h:70000/svc",
        "redis+sentinel://:secret@/svc",
        "redis+sentinel://h:1/svc/db",
        "redis+sentinel://h:1/svc/0/extra",
    ],
)
def test_parse_sentinel_url_rejects_malformed(url: str) -> None:
    with pytest.raises(ValueError, match="URL") as info:
        parse_sentinel_url(url)
    assert "secret" not in str(info.value)


def test_sentinel_store_constructs_without_connecting(tmp_path: Path) -> None:
    store = open_store(f"redis+sentinel://127.0.0.1:{free_port()}/mymaster", tmp_path, "svc", timeout=0.5)
    try:
        with pytest.raises(StoreUnavailable):  # no sentinel answers: MasterNotFoundError
            store.ping()
    finally:
        store.close()


def test_sentinel_url_wait_replicas() -> None:
    assert parse_sentinel_url("redis+sentinel://h:1/svc").wait_replicas == 1
    assert parse_sentinel_url("redis+sentinel://h:1/svc/2?wait_replicas=0").wait_replicas == 0
    assert parse_sentinel_url("redis+sentinel://h:1/svc?wait_replicas=2").db == 0
    for bad in ("?wait_replicas=-1", "?wait_replicas=x", "?wait_replicas=17", "?other=1"):
        with pytest.raises(ValueError, match="sentinel URL"):
            parse_sentinel_url(f"redis+sentinel://h:1/svc{bad}")


def test_writes_wait_until_a_replica_holds_them() -> None:
    """WAIT: no replica means no write counts (fail closed); with one, it holds the write on return."""
    import redis

    from lintas.kv.redis_store import RedisStore

    with RedisServer() as primary:
        waiting = RedisStore(lambda: redis.Redis(port=primary.port), "svc:", wait_replicas=1, wait_timeout_ms=200)
        plain = RedisStore(lambda: redis.Redis(port=primary.port), "svc:")
        try:
            with pytest.raises(StoreUnavailable, match="0 of 1 replicas"):
                waiting.set("k", b"v")
            plain.set("k2", b"v")  # the twin: without wait_replicas nothing waits
            with RedisServer(extra_args=("--replicaof", "127.0.0.1", str(primary.port))) as replica:
                with redis.Redis(port=primary.port) as admin:
                    deadline = time.monotonic() + 30
                    while admin.info("replication").get("slave0", {}).get("state") != "online":
                        assert time.monotonic() < deadline
                        time.sleep(0.05)
                waiting.set("nonce", b"fresh")
                assert waiting.consume("nonce") == b"fresh"
                with redis.Redis(port=replica.port) as copy:
                    assert copy.get("svc:nonce") is None  # the consumption reached the replica before consume returned
        finally:
            waiting.close()
            plain.close()
