"""The verifier-side client over real HTTP: fetch, 304, size limit, rollback, staleness, fail closed."""

from __future__ import annotations

import httpx
import pytest

from idcore.errors import Reason, TrustError
from idcore.ports import FixedClock
from idcore.trust import VCT_PID, TrustListCache, TrustListPin
from lintas.trust_fetch import FetchError, TrustListFetcher

from .helpers import SG_PID, Registry


def test_fetch_verify_and_decide(shared: Registry) -> None:
    with TrustListFetcher(shared.server.base_url) as fetcher:
        cache = TrustListCache(fetch=fetcher, pin=shared.pin, clock=shared.clock)
        decision = cache.decide(SG_PID, VCT_PID, shared.clock.now())
    assert decision.authorised
    assert decision.country == "SG"
    assert cache.status().sequence_number == shared.trust_list().sequence_number


def test_wrong_pin_trusts_nobody(shared: Registry) -> None:
    with TrustListFetcher(shared.server.base_url) as fetcher:
        cache = TrustListCache(fetch=fetcher, pin=TrustListPin(certificate_sha256="11" * 32), clock=shared.clock)
        decision = cache.decide(SG_PID, VCT_PID, shared.clock.now())
    assert not decision.authorised
    assert decision.reason is Reason.UNTRUSTED_ISSUER
    assert "trust_list_invalid" in cache.status().last_error


def test_etag_revalidation_returns_the_same_list(shared: Registry) -> None:
    statuses: list[int] = []
    client = httpx.Client(event_hooks={"response": [lambda r: statuses.append(r.status_code)]})
    fetcher = TrustListFetcher(shared.server.base_url, client=client)
    first, second = fetcher(), fetcher()
    assert first == second
    assert statuses == [200, 304]
    fetcher.close()


def test_size_limit(shared: Registry) -> None:
    with TrustListFetcher(shared.server.base_url) as fetcher:
        assert fetcher()  # the twin: the default limit fits the list
    with TrustListFetcher(shared.server.base_url, max_bytes=1000) as small, pytest.raises(FetchError):
        small()


def test_http_error_is_a_fetch_error(shared: Registry) -> None:
    with TrustListFetcher(shared.server.base_url + "/nowhere") as fetcher, pytest.raises(FetchError):
        fetcher()


def test_older_list_from_the_registry_is_a_rollback(registry: Registry) -> None:
    assert registry.post("/v1/governance/issuers/suspend", "operator-sg", {"issuer_id": SG_PID}).status_code == 200
    with TrustListFetcher(registry.server.base_url) as fetcher:
        cache = TrustListCache(fetch=fetcher, pin=registry.pin, clock=registry.clock)
        assert cache.snapshot().sequence_number == 2
    with pytest.raises(TrustError) as info:
        cache.accept(registry.http.get("/v1/trust-list/1").content)
    assert info.value.reason is Reason.TRUST_LIST_ROLLBACK
    assert cache.snapshot().sequence_number == 2


def test_unreachable_registry_stale_then_fail_closed(registry: Registry) -> None:
    clock = FixedClock(registry.clock.now())
    fetcher = TrustListFetcher(registry.server.base_url, timeout=1.0)
    cache = TrustListCache(
        fetch=fetcher, pin=registry.pin, clock=clock, max_staleness=600, refresh_interval=60, retry_interval=10
    )
    issued = clock.now()
    assert cache.decide(SG_PID, VCT_PID, issued).authorised
    next_update = registry.trust_list().next_update
    registry.http.close()
    registry.server.stop()  # the registry goes away
    clock.t = next_update + 600
    assert cache.decide(SG_PID, VCT_PID, issued).authorised  # last good list, within max staleness
    assert "FetchError" in cache.status().last_error
    clock.t = next_update + 601
    with pytest.raises(TrustError) as info:
        cache.decide(SG_PID, VCT_PID, issued)
    assert info.value.reason is Reason.TRUST_LIST_STALE
    fetcher.close()
