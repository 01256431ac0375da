"""Restarts lose nothing; a concurrent burst of changes keeps the sequence gap-free and the chain valid."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from idcore.ports import FixedClock
from idcore.trust import IssuerStatus, verify_trust_list
from idcore.trust.limits import MAX_HISTORY
from idcore.x509 import certificate_from_pem
from lintas.kv import KeyValueStore, open_store
from trust_registry.app import STORE_NAMESPACE
from trust_registry.audit import verify_audit_log

from .helpers import MY_PID, SG_PID, Registry, make_settings, start_registry

BASE = "https://issuers.lintas.asean.example"
# Four operators, two issuers each: eight workers that never step on each other's status.
WORKERS = [
    ("operator-sg", f"{BASE}/sg"),
    ("operator-sg", f"{BASE}/sg/business"),
    ("operator-my", f"{BASE}/my"),
    ("operator-my", f"{BASE}/my/business"),
    ("operator-th", f"{BASE}/th"),
    ("operator-th", f"{BASE}/th/business"),
    ("scheme-operator", f"{BASE}/vn"),
    ("scheme-operator", f"{BASE}/vn/business"),
]
CHANGES_PER_WORKER = 25  # 8 x 25 = 200 changes


def open_backend(backend: str, data_dir: Path, request: pytest.FixtureRequest, namespace: str) -> KeyValueStore:
    if backend == "sqlite":
        return open_store(None, data_dir, STORE_NAMESPACE)
    return open_store(request.getfixturevalue("redis_server").url, data_dir, namespace)


def stop(registry: Registry) -> None:
    registry.http.close()
    registry.server.stop()


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_restart_loses_nothing(backend: str, tmp_path: Path, clock: FixedClock, request: pytest.FixtureRequest) -> None:
    data_dir = tmp_path / "data"
    namespace = f"restart-{tmp_path.name}"
    store = open_backend(backend, data_dir, request, namespace)
    first = start_registry(make_settings(data_dir), store, clock)
    assert first.post("/v1/governance/issuers/suspend", "operator-sg", {"issuer_id": SG_PID}).status_code == 200
    assert first.post("/v1/governance/issuers/withdraw", "operator-my", {"issuer_id": MY_PID}).status_code == 200
    token_before = first.http.get("/v1/trust-list").content
    pin_before = first.pin
    stop(first)
    store.close()

    reopened = open_backend(backend, data_dir, request, namespace)
    second = start_registry(make_settings(data_dir), reopened, clock)
    try:
        assert second.pin == pin_before  # keys were loaded, not regenerated
        token_after = second.http.get("/v1/trust-list").content
        assert token_after == token_before
        trust_list = verify_trust_list(token_after, second.pin).trust_list
        assert trust_list.sequence_number == 3
        sg = trust_list.issuer(SG_PID)
        assert sg is not None
        assert sg.current_status is IssuerStatus.SUSPENDED
        # The old token still works after the restart (same OAuth key) and the next change is number 4.
        assert (
            second.post("/v1/governance/issuers/reinstate", "operator-sg", {"issuer_id": SG_PID}).json()[
                "sequence_number"
            ]
            == 4
        )
        cert = certificate_from_pem((data_dir / "registry" / "signing-cert.pem").read_bytes())
        report = verify_audit_log(reopened, cert)
        assert report.ok, report.problems
        assert report.records == 4
    finally:
        stop(second)
        reopened.close()


def _all_records(registry: Registry) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    while not records or len(records) % 500 == 0:
        page = registry.http.get("/v1/audit-log", params={"after": len(records), "limit": 500}).json()["records"]
        if not page:
            break
        records.extend(page)
    return records


def _worker(base_urls: list[str], secret: str, client_id: str, issuer_id: str) -> list[int]:
    """Toggle one issuer between suspended and granted, alternating between replicas."""
    sequences = []
    with httpx.Client(timeout=30) as http:
        token = http.post(
            f"{base_urls[0]}/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for i in range(CHANGES_PER_WORKER):
            action = "suspend" if i % 2 == 0 else "reinstate"
            url = f"{base_urls[i % len(base_urls)]}/v1/governance/issuers/{action}"
            response = http.post(url, json={"issuer_id": issuer_id}, headers=headers)
            assert response.status_code == 200, response.text
            sequences.append(response.json()["sequence_number"])
    return sequences


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_burst_of_200_changes_from_4_operators_on_2_replicas(
    backend: str, tmp_path: Path, clock: FixedClock, request: pytest.FixtureRequest
) -> None:
    data_dir = tmp_path / "data"
    namespace = f"burst-{tmp_path.name}"
    # Two replicas, each with its own store connection, as two processes would have.
    stores = [open_backend(backend, data_dir, request, namespace) for _ in range(2)]
    replicas = [start_registry(make_settings(data_dir), store, clock) for store in stores]
    try:
        urls = [r.server.base_url for r in replicas]
        with ThreadPoolExecutor(len(WORKERS)) as pool:
            futures = [
                pool.submit(_worker, urls, replicas[0].secret(client_id), client_id, issuer_id)
                for client_id, issuer_id in WORKERS
            ]
            sequences = [seq for f in futures for seq in f.result()]
        total = len(WORKERS) * CHANGES_PER_WORKER
        assert sorted(sequences) == list(range(2, total + 2))  # gap-free, no number handed out twice
        assert stores[0].get("seq") == str(total + 1).encode()
        cert = certificate_from_pem((data_dir / "registry" / "signing-cert.pem").read_bytes())
        report = verify_audit_log(stores[1], cert)
        assert report.ok, report.problems[:5]
        assert report.records == total + 1
        final = replicas[1].trust_list()
        logged = Counter(r["payload"]["payload"].get("issuer_id") for r in _all_records(replicas[0]))
        for _, issuer_id in WORKERS:
            issuer = final.issuer(issuer_id)
            assert issuer is not None
            # No change is lost: each is in the audit log. The list's history drops changes that were
            # never in force (same second, issue #12 class 2), so toggling cannot outgrow its quota.
            assert logged[issuer_id] == CHANGES_PER_WORKER
            assert len(issuer.history) <= MAX_HISTORY
            assert issuer.current_status is IssuerStatus.SUSPENDED  # 25 toggles from granted
    finally:
        for replica in replicas:
            stop(replica)
        for store in stores:
            store.close()
