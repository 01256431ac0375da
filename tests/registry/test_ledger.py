"""The ledger under contention and failure: lost races are retried, failures write nothing, a dead store is 503."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from idcore.ports import FixedClock
from idcore.trust.model import TrustList
from lintas.kv import KeyValueStore, open_store
from lintas.testing import RedisServer
from trust_registry.audit import verify_audit_log
from trust_registry.changes import ChangeError, set_status
from trust_registry.ledger import Change, Ledger
from trust_registry.pki import ensure_registry_keys

from .helpers import SG_PID, Registry, make_settings, start_registry

MY_PID = "https://issuers.lintas.asean.example/my"


def _ledger(store: KeyValueStore, data_dir: Path, clock: FixedClock) -> Ledger:
    keys = ensure_registry_keys(data_dir, now=clock.now(), days=30, public_url="https://registry.example")
    return Ledger(store, keys.list_signer, [keys.signing_cert], clock, list_validity=3600)


def _suspend(issuer_id: str, now: int):  # type: ignore[no-untyped-def]
    def build(current: TrustList | None) -> Change:
        assert current is not None
        return Change(set_status(current, issuer_id, "suspend", now)[0], "suspend", {"issuer_id": issuer_id})

    return build


def test_lost_race_is_retried_on_the_newer_list(registry: Registry) -> None:
    """Replica A builds its change; replica B publishes first; A must rebuild on B's list."""
    data_dir = registry.settings.data_dir
    a, b = _ledger(registry.store, data_dir, registry.clock), _ledger(registry.store, data_dir, registry.clock)
    attempts: list[int] = []

    def build_a(current: TrustList | None) -> Change:
        assert current is not None
        attempts.append(current.sequence_number)
        if len(attempts) == 1:
            b.append("replica-b", _suspend(MY_PID, registry.clock.now()))  # B wins the race
        return _suspend(SG_PID, registry.clock.now())(current)

    published = a.append("replica-a", build_a)
    assert attempts == [1, 2]
    assert published.sequence_number == 3
    sg, my = published.trust_list.issuer(SG_PID), published.trust_list.issuer(MY_PID)
    assert sg is not None
    assert my is not None
    assert sg.current_status.value == "suspended"
    assert my.current_status.value == "suspended"  # B's change survived A's
    cert = ensure_registry_keys(data_dir, now=registry.clock.now(), days=30, public_url="x").signing_cert
    assert verify_audit_log(registry.store, cert).ok


def test_failed_change_writes_nothing(registry: Registry) -> None:
    ledger = _ledger(registry.store, registry.settings.data_dir, registry.clock)
    before = registry.state()

    def failing(current: TrustList | None) -> Change:
        raise ChangeError(409, "Conflict", "refused")

    with pytest.raises(ChangeError):
        ledger.append("someone", failing)
    assert registry.state() == before
    # The twin: a change that succeeds does write.
    ledger.append("someone", _suspend(SG_PID, registry.clock.now()))
    assert registry.state() != before


def test_unchanged_build_publishes_nothing(registry: Registry) -> None:
    ledger = _ledger(registry.store, registry.settings.data_dir, registry.clock)
    before = registry.state()
    assert ledger.append("system", lambda current: None).sequence_number == 1
    assert registry.state() == before
    changed = ledger.append("system", lambda c: Change(replace(c), "republish", {}) if c else None)  # type: ignore[arg-type]
    assert changed.sequence_number == 2


def test_store_down_is_503_and_recovers(tmp_path: Path, clock: FixedClock) -> None:
    with RedisServer(appendonly=True) as redis_server:
        store = open_store(redis_server.url, tmp_path, "registry", timeout=0.5)
        registry = start_registry(make_settings(tmp_path / "data"), store, clock)
        try:
            headers = registry.auth("operator-sg")
            redis_server.stop()
            for response in (
                registry.http.get("/v1/trust-list"),
                registry.http.get("/healthz"),
                registry.http.post("/v1/governance/issuers/suspend", json={"issuer_id": SG_PID}, headers=headers),
            ):
                assert response.status_code == 503
                assert response.headers["content-type"] == "application/problem+json"
            redis_server.start()
            response = registry.http.post("/v1/governance/issuers/suspend", json={"issuer_id": SG_PID}, headers=headers)
            assert response.status_code == 200, response.text
            assert response.json()["sequence_number"] == 2
        finally:
            registry.http.close()
            registry.server.stop()
            store.close()
