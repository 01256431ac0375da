"""The verifier-side recognition cache: follows the trust list, refuses rollbacks, old and stale lists."""

from __future__ import annotations

from typing import Any

import pytest

from idcore.errors import Reason, TrustError
from idcore.ports import FixedClock
from idcore.trust.recognition import RecognitionList, sign_recognition_list
from idcore.trust.recognition_cache import RecognitionCache

from .test_trust_cache import Registry, new_registry
from .test_trust_recognition import decision, doc


def signed(registry: Registry, seq: int, *decisions: dict[str, Any], next_update: int = 2000) -> str:
    body = {**doc(*decisions, seq=seq), "next_update": next_update}
    return sign_recognition_list(RecognitionList.from_json(body), registry.signer, [registry.cert])


class Feed:
    """A fetch port serving whatever the test puts in it (or failing)."""

    def __init__(self, token: str | None) -> None:
        self.token = token
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.token is None:
            raise ConnectionError("registry unreachable")
        return self.token


def make(registry: Registry, feed: Feed, clock: FixedClock) -> RecognitionCache:
    return RecognitionCache(fetch=feed, pin=registry.pin, clock=clock, max_staleness=600, refresh_interval=300)


def test_follows_the_trust_list_and_sees_a_withdrawal_with_it() -> None:
    registry, clock = new_registry(), FixedClock(1500)
    feed = Feed(signed(registry, 7, decision()))
    cache = make(registry, feed, clock)
    assert cache.snapshot(7).candidates("MY", "VN", decision()["vct"])
    feed.token = signed(registry, 8, decision(withdrawn_at=1500))
    # Trust list 8 is in use: the cache refetches at once, well before its refresh interval.
    withdrawn = cache.snapshot(8).candidates("MY", "VN", decision()["vct"])
    assert withdrawn[0].withdrawn_at == 1500
    assert feed.calls == 2


def test_rollback_is_refused_and_the_last_good_list_kept() -> None:
    registry, clock = new_registry(), FixedClock(1500)
    feed = Feed(signed(registry, 8))
    cache = make(registry, feed, clock)
    assert cache.snapshot(8).sequence_number == 8
    with pytest.raises(TrustError) as err:
        cache.accept(signed(registry, 7))
    assert err.value.reason is Reason.TRUST_LIST_ROLLBACK
    with pytest.raises(TrustError) as fork:
        cache.accept(signed(registry, 8, decision(min_assurance="low")))  # another list under the same number
    assert fork.value.reason is Reason.TRUST_LIST_ROLLBACK
    cache.accept(signed(registry, 8))  # the same list again is fine
    assert cache.snapshot(8).sequence_number == 8


def test_forged_list_is_never_installed() -> None:
    registry, attacker, clock = new_registry(), new_registry(), FixedClock(1500)
    cache = make(registry, Feed(signed(attacker, 9, decision())), clock)
    assert cache.snapshot(0).recognition_list is None  # recognises nothing
    with pytest.raises(TrustError):
        cache.accept(signed(attacker, 9, decision()))


def test_behind_the_trust_list_or_stale_fails_closed() -> None:
    registry, clock = new_registry(), FixedClock(1500)
    feed = Feed(signed(registry, 7, decision()))
    cache = make(registry, feed, clock)
    assert cache.snapshot(7).sequence_number == 7
    feed.token = None  # the registry goes away
    with pytest.raises(TrustError) as behind:
        cache.snapshot(8)
    assert behind.value.reason is Reason.TRUST_LIST_ROLLBACK
    clock.advance(1100)  # 2600: at next_update + max_staleness still usable
    assert cache.snapshot(7).sequence_number == 7
    clock.advance(1)
    with pytest.raises(TrustError) as stale:
        cache.snapshot(7)
    assert stale.value.reason is Reason.TRUST_LIST_STALE
