"""The verifier's transaction store: one round trip per step, and the single-use rules kept (issue #18).

Runs on both real backends (``kv_store``: SQLite and the session's redis-server). A counting
wrapper around the real store (no fake: every call reaches it) shows that creating a transaction,
claiming it, settling it and reading its status are one store call each; the races show that of
ten concurrent claims or settlements exactly one wins and a loser writes nothing; the twins show
a used nonce, a claimed transaction and a re-issued nonce refused.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from lintas.kv import KeyValueStore
from lintas.testing import race
from verifier.store import FLOW_CROSS, FLOW_SAME, PollState, TransactionStore


class Counting:
    """Forwards every call to the real store and counts it: each call is one round trip."""

    def __init__(self, kv: KeyValueStore) -> None:
        self.kv = kv
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.kv, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return method(*args, **kwargs)

        return counted

    def trips(self) -> int:
        """Calls since the last look, then reset."""
        total = sum(self.calls.values())
        self.calls.clear()
        return total


def _tx(tid: str = "t1", nonce: str = "n1") -> dict[str, Any]:
    return {"id": tid, "nonce": nonce, "created": 1000, "expires": 1300, "requests": {}}


def _store(kv: KeyValueStore) -> tuple[TransactionStore, Counting]:
    counting = Counting(kv)
    return TransactionStore(counting, ttl=300, result_ttl=600), counting  # type: ignore[arg-type]


def test_create_is_one_atomic_step_and_never_reissues_a_nonce(kv_store: KeyValueStore) -> None:
    store, counting = _store(kv_store)
    requests = {FLOW_CROSS: "r-cross", FLOW_SAME: "r-same"}
    assert store.create(_tx(), requests, "kid-1", {"kty": "EC", "d": "secret"}) is True
    assert counting.trips() == 1
    assert store.transaction("t1") == _tx()
    assert store.request("r-same") == {"tx": "t1", "flow": FLOW_SAME}
    assert store.by_kid("kid-1") == "t1"
    assert store.decryption_key("t1") == {"kty": "EC", "d": "secret"}
    assert store.is_open("t1")
    assert store.status("t1") == {"status": "pending", "updated": 1000}
    # The twin: the same nonce again writes nothing at all, not even the new transaction's keys.
    assert store.create(_tx("t2", "n1"), {FLOW_CROSS: "r-2"}, "kid-2") is False
    assert (store.transaction("t2"), store.request("r-2"), store.by_kid("kid-2")) == (None, None, None)


def test_claim_is_one_step_single_use_and_deletes_the_key(kv_store: KeyValueStore) -> None:
    store, counting = _store(kv_store)
    store.create(_tx(), {FLOW_CROSS: "r"}, "kid", {"d": "secret"})
    counting.trips()
    assert store.claim("t1", "n1") is True
    assert counting.trips() == 1
    assert store.decryption_key("t1") is None
    assert not store.is_open("t1")
    assert store.claim("t1", "n1") is False  # the twin: a second claim loses


def test_claim_with_another_nonce_takes_nothing(kv_store: KeyValueStore) -> None:
    store, _ = _store(kv_store)
    store.create(_tx(), {FLOW_CROSS: "r"}, "kid", {"d": "secret"})
    assert store.claim("t1", "not-the-nonce") is False
    assert store.is_open("t1")  # still open for the real wallet, key kept
    assert store.decryption_key("t1") == {"d": "secret"}
    assert store.claim("t1", "n1") is True


def test_settle_claims_and_records_in_one_step(kv_store: KeyValueStore) -> None:
    store, counting = _store(kv_store)
    store.create(_tx(), {FLOW_SAME: "r"}, None)
    counting.trips()
    record = {"status": "verified", "updated": 1100, "flow": FLOW_SAME}
    assert store.settle("t1", "n1", record, result=[{"given_name": "Siti"}], response_code="code-1") is True
    assert counting.trips() == 1
    assert store.status("t1") == record
    assert store.response_code("t1") == "code-1"
    assert store.take_result("t1") == [{"given_name": "Siti"}]
    # The twin: a replay loses and overwrites nothing.
    lost = {"status": "rejected", "updated": 1200, "check": "session"}
    assert store.settle("t1", "n1", lost, response_code="code-2") is False
    assert store.status("t1") == record
    assert store.response_code("t1") == "code-1"


def _settle_race(store: TransactionStore, i: int) -> bool:
    return store.settle("t1", "n1", {"status": "verified", "winner": i}, result=[{"i": i}])


def test_ten_concurrent_settlements_have_one_winner_whose_record_stands(kv_store: KeyValueStore) -> None:
    store, _ = _store(kv_store)
    store.create(_tx(), {FLOW_CROSS: "r"}, None)
    results = race(10, lambda i: _settle_race(store, i))
    assert results.count(True) == 1
    winner = results.index(True)
    assert store.status("t1") == {"status": "verified", "winner": winner}
    assert store.take_result("t1") == [{"i": winner}]


def test_status_is_one_read_and_shows_a_fetched_request(kv_store: KeyValueStore) -> None:
    store, counting = _store(kv_store)
    store.create(_tx(), {FLOW_CROSS: "r"}, None)
    counting.trips()
    assert store.status("t1") == {"status": "pending", "updated": 1000}
    assert counting.trips() == 1
    store.mark_fetched("t1")
    assert store.status("t1") == {"status": "fetched", "updated": 1000}
    # A final result is never shown as merely fetched.
    store.set_status("t1", {"status": "verified", "updated": 1100})
    assert store.status("t1") == {"status": "verified", "updated": 1100}
    assert store.status("unknown") is None


def test_response_state_is_one_read_of_transaction_open_and_key(kv_store: KeyValueStore) -> None:
    store, counting = _store(kv_store)
    store.create(_tx(), {FLOW_CROSS: "r"}, "kid", {"d": "secret"})
    counting.trips()
    assert store.response_state("t1") == (_tx(), True, {"d": "secret"})
    assert counting.trips() == 1
    assert store.claim("t1", "n1") is True
    assert store.response_state("t1") == (_tx(), False, None)  # the twin: claimed, so closed and keyless
    assert store.response_state("unknown") == (None, False, None)


def test_poll_reads_everything_a_status_poll_needs_at_once(kv_store: KeyValueStore) -> None:
    store, counting = _store(kv_store)
    store.create(_tx(), {FLOW_SAME: "r"}, None)
    store.note_rejection("t1", {"check": "decryption", "reason": "decryption_failed"})
    store.mark_fetched("t1")
    counting.trips()
    state = store.poll("t1")
    assert counting.trips() == 1
    assert state == PollState(
        _tx(), {"status": "fetched", "updated": 1000}, {"check": "decryption", "reason": "decryption_failed"}, None
    )
    record = {"status": "verified", "updated": 1100, "flow": FLOW_SAME}
    assert store.settle("t1", "n1", record, result=[{"x": 1}], response_code="code-1")
    assert store.poll("t1") == PollState(_tx(), record, state.last_rejection, "code-1")
    assert store.poll("unknown") == PollState(None, None, None, None)  # the twin: nothing to show
