"""The KeyValueStore contract, run on both backends through the ``kv_store`` fixture."""

from __future__ import annotations

import time

import pytest

from lintas.kv import KeyValueStore
from lintas.testing import race


def test_set_get_delete(kv_store: KeyValueStore) -> None:
    assert kv_store.get("k") is None
    kv_store.set("k", b"\x00v1")
    assert kv_store.get("k") == b"\x00v1"
    kv_store.set("k", b"v2")
    assert kv_store.get("k") == b"v2"
    kv_store.delete("k")
    assert kv_store.get("k") is None
    kv_store.delete("k")  # deleting a missing key is not an error


def test_set_if_absent_only_first_wins(kv_store: KeyValueStore) -> None:
    assert kv_store.set_if_absent("nx", b"first") is True
    assert kv_store.set_if_absent("nx", b"second") is False
    assert kv_store.get("nx") == b"first"


def test_consume_is_single_use(kv_store: KeyValueStore) -> None:
    kv_store.set("nonce", b"n-1", ttl=60)
    assert kv_store.consume("nonce") == b"n-1"
    assert kv_store.consume("nonce") is None
    assert kv_store.get("nonce") is None
    assert kv_store.consume("never-set") is None


def test_ttl_expiry_hides_keys_and_incr_ttl_is_set_on_create(kv_store: KeyValueStore) -> None:
    kv_store.set("short", b"x", ttl=1)
    assert kv_store.set_if_absent("nx", b"x", ttl=1) is True
    kv_store.set("consumable", b"x", ttl=1)
    kv_store.set("long", b"kept", ttl=60)
    kv_store.set("forever", b"kept")
    assert kv_store.incr("counter", ttl=1) == 1
    time.sleep(0.6)
    # A second incr must not extend the TTL given at creation.
    assert kv_store.incr("counter", ttl=1) == 2
    assert kv_store.get("short") == b"x"
    time.sleep(0.6)
    assert kv_store.get("short") is None
    assert kv_store.consume("consumable") is None
    assert kv_store.incr("counter", ttl=60) == 1
    assert kv_store.set_if_absent("nx", b"again", ttl=60) is True
    assert kv_store.get("nx") == b"again"
    assert "short" not in kv_store.scan_prefix("")
    # The tampered twin: keys without (or with a long) TTL survive the same wait.
    assert kv_store.get("long") == b"kept"
    assert kv_store.get("forever") == b"kept"


def test_incr_counts_and_rejects_non_integers(kv_store: KeyValueStore) -> None:
    assert [kv_store.incr("c") for _ in range(3)] == [1, 2, 3]
    assert kv_store.get("c") == b"3"
    kv_store.set("text", b"abc")
    with pytest.raises(ValueError, match="integer"):
        kv_store.incr("text")
    assert kv_store.get("text") == b"abc"


def test_set_if_absent_single_winner_under_10_threads(kv_store: KeyValueStore) -> None:
    results = race(10, lambda i: kv_store.set_if_absent("lock", f"owner-{i}".encode(), ttl=30))
    assert results.count(True) == 1
    assert kv_store.get("lock") == f"owner-{results.index(True)}".encode()


def test_consume_single_winner_under_10_threads(kv_store: KeyValueStore) -> None:
    kv_store.set("nonce", b"only-once", ttl=30)
    results = race(10, lambda i: kv_store.consume("nonce"))
    assert results.count(b"only-once") == 1
    assert results.count(None) == 9


def test_incr_under_10_threads_gives_distinct_values(kv_store: KeyValueStore) -> None:
    results = race(10, lambda i: kv_store.incr("seq"))
    assert sorted(results) == list(range(1, 11))


def test_atomic_write_applies_only_when_guard_matches(kv_store: KeyValueStore) -> None:
    assert kv_store.atomic_write("seq", None, {"seq": b"1", "log:1": b"a"}) is True
    assert kv_store.get("log:1") == b"a"
    # Stale expectations (absent, wrong value) write nothing.
    assert kv_store.atomic_write("seq", None, {"seq": b"1", "log:1": b"tampered"}) is False
    assert kv_store.atomic_write("seq", b"0", {"seq": b"1", "log:1": b"tampered"}) is False
    assert kv_store.get("log:1") == b"a"
    assert kv_store.atomic_write("seq", b"1", {"seq": b"2", "log:2": b"b"}) is True
    assert (kv_store.get("seq"), kv_store.get("log:2")) == (b"2", b"b")


def test_atomic_write_conflict_has_one_winner_under_10_threads(kv_store: KeyValueStore) -> None:
    kv_store.set("seq", b"7")
    results = race(10, lambda i: kv_store.atomic_write("seq", b"7", {"seq": b"8", "log:8": str(i).encode()}))
    assert results.count(True) == 1
    assert kv_store.get("log:8") == str(results.index(True)).encode()
    assert kv_store.get("seq") == b"8"


def test_atomic_write_guard_expires_like_any_key(kv_store: KeyValueStore) -> None:
    kv_store.set("guard", b"v", ttl=1)
    assert kv_store.atomic_write("guard", b"other", {"x": b"1"}) is False
    time.sleep(1.1)
    assert kv_store.atomic_write("guard", b"v", {"x": b"1"}) is False
    assert kv_store.atomic_write("guard", None, {"x": b"1"}) is True
    assert kv_store.get("x") == b"1"


def test_scan_prefix_is_literal_and_sorted(kv_store: KeyValueStore) -> None:
    for key in ("iss:b", "iss:a", "issuer", "other:a", "x*[1]", "x*[1]z", "xa[1]"):
        kv_store.set(key, b"1")
    assert kv_store.scan_prefix("iss:") == ["iss:a", "iss:b"]
    assert kv_store.scan_prefix("x*[1]") == ["x*[1]", "x*[1]z"]
    assert kv_store.scan_prefix("nothing") == []


def test_bad_arguments_are_refused_the_same_way(kv_store: KeyValueStore) -> None:
    with pytest.raises(TypeError):
        kv_store.set("k", "not bytes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ttl"):
        kv_store.set("k", b"v", ttl=0)
    with pytest.raises(TypeError):
        kv_store.get("")
    assert kv_store.get("k") is None


def test_ping_answers(kv_store: KeyValueStore) -> None:
    kv_store.ping()


def test_get_many_reads_live_values_in_order(kv_store: KeyValueStore) -> None:
    kv_store.set("a", b"1")
    kv_store.set("c", b"3", ttl=1)
    kv_store.set("gone", b"x", ttl=1)
    kv_store.consume("gone")
    assert kv_store.get_many(["c", "missing", "a", "gone"]) == [b"3", None, b"1", None]
    assert kv_store.get_many([]) == []
    time.sleep(1.1)
    assert kv_store.get_many(["a", "c"]) == [b"1", None]  # an expired key reads as absent


def test_put_if_absent_writes_all_or_nothing(kv_store: KeyValueStore) -> None:
    entries = [("nonce:n", b"tx1", 60), ("tx:1", b"record", 60), ("open:1", b"1", 1), ("keep", b"k", None)]
    assert kv_store.put_if_absent(entries) is True
    assert kv_store.get_many(["nonce:n", "tx:1", "open:1", "keep"]) == [b"tx1", b"record", b"1", b"k"]
    # The twin: the first key is live, so nothing of a second write lands, not even the other keys.
    assert kv_store.put_if_absent([("nonce:n", b"tx2", 60), ("tx:2", b"other", 60), ("keep", b"tampered", 60)]) is False
    assert kv_store.get_many(["nonce:n", "tx:2", "keep"]) == [b"tx1", None, b"k"]
    time.sleep(1.1)
    assert kv_store.get("open:1") is None  # each entry kept its own TTL
    assert kv_store.get("tx:1") == b"record"
    with pytest.raises(ValueError, match="ttl"):
        kv_store.put_if_absent([("x", b"1", 0)])


def test_put_if_absent_single_winner_under_10_threads(kv_store: KeyValueStore) -> None:
    results = race(10, lambda i: kv_store.put_if_absent([("nonce", str(i).encode(), 30), (f"tx:{i}", b"r", 30)]))
    assert results.count(True) == 1
    winner = results.index(True)
    assert kv_store.get("nonce") == str(winner).encode()
    assert [kv_store.get(f"tx:{i}") is not None for i in range(10)] == [i == winner for i in range(10)]


def test_take_all_needs_every_required_key_and_changes_nothing_otherwise(kv_store: KeyValueStore) -> None:
    kv_store.set("open:1", b"1", ttl=60)
    kv_store.set("key:1", b"secret", ttl=60)
    writes = [("status:1", b"verified", 60), ("result:1", b"claims", 1)]
    # The twin first: the nonce is missing, so neither the claim nor its writes happen.
    assert kv_store.take_all(["open:1", "nonce:n"], ["key:1"], writes) is False
    assert kv_store.get_many(["open:1", "key:1", "status:1"]) == [b"1", b"secret", None]
    kv_store.set("nonce:n", b"1", ttl=60)
    assert kv_store.take_all(["open:1", "nonce:n"], ["key:1"], writes) is True
    assert kv_store.get_many(["open:1", "nonce:n", "key:1", "status:1", "result:1"]) == [
        None,
        None,
        None,
        b"verified",
        b"claims",
    ]
    assert kv_store.take_all(["open:1", "nonce:n"], [], [("status:1", b"tampered", 60)]) is False  # single use
    assert kv_store.get("status:1") == b"verified"
    time.sleep(1.1)
    assert kv_store.get("result:1") is None  # written with its own TTL


def test_take_all_single_winner_under_10_threads(kv_store: KeyValueStore) -> None:
    kv_store.set("open", b"1", ttl=30)
    kv_store.set("nonce", b"1", ttl=30)
    results = race(10, lambda i: kv_store.take_all(["open", "nonce"], [], [("status", str(i).encode(), 30)]))
    assert results.count(True) == 1
    assert kv_store.get("status") == str(results.index(True)).encode()
