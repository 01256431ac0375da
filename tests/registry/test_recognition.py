"""Mutual-recognition decisions through the registry (issue #16 item 4): proposed by the recognising
state's operator only, published signed beside each trust list, logged, withdrawable; refusals
write nothing. Runs on the embedded store and on a real redis-server."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from idcore.errors import Reason
from idcore.ports import FixedClock
from idcore.trust import VCT_BUSINESS_REGISTRATION, VCT_PID
from idcore.trust.recognition import RecognitionSnapshot, recognised_for, verify_recognition_list
from lintas.kv import KeyValueStore, open_store
from trust_registry.audit import verify_audit_log
from trust_registry.ledger import recognitions_key, sha256_hex

from .helpers import Registry, make_settings, start_registry
from .test_audit import signing_cert

MY_RECOGNISES_VN = {
    "recognised_country": "VN",
    "vct": VCT_PID,
    "min_assurance": "substantial",
    "purposes": ["kyc"],
    "note": "Bank Negara circular (demo)",
}
PATH = "/v1/governance/countries/{}/recognitions"


def body(**changes: Any) -> dict[str, Any]:
    return {**MY_RECOGNISES_VN, "valid_until": int(time.time()) + 365 * 86400, **changes}


def snapshot(registry: Registry) -> RecognitionSnapshot:
    """What a verifier does: fetch both lists, verify each against the pin, bind them by sequence."""
    trust_list = registry.trust_list()
    response = registry.http.get("/v1/recognitions")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/jwt"
    recognitions = verify_recognition_list(response.content, registry.pin)
    return RecognitionSnapshot.current(
        recognitions, trust_list_sequence=trust_list.sequence_number, now=registry.clock.now(), max_staleness=0
    )


def kyc(registry: Registry, **changes: Any) -> Any:
    question = {"verifier_country": "MY", "purpose": "kyc", "issuer_country": "VN", "vct": VCT_PID}
    question.update({"level": "substantial", "at": registry.clock.now(), **changes})
    return recognised_for(snapshot(registry), **question)


def test_decision_is_published_logged_and_withdrawn(registry: Registry) -> None:
    assert kyc(registry).reason is Reason.NOT_RECOGNISED  # nothing recognised before a decision
    created = registry.post(PATH.format("MY"), "operator-my", body())
    assert created.status_code == 201, created.text
    decision = created.json()["decision"]
    seq = created.json()["sequence_number"]
    assert decision["id"] == f"urn:lintas:recognition:MY:{seq}"
    assert decision["valid_from"] == decision["decided_at"] == registry.clock.now()

    accepted = kyc(registry)
    assert accepted.recognised
    assert accepted.decision_id == decision["id"]
    assert not kyc(registry, level="low").recognised
    assert not kyc(registry, purpose="employment").recognised

    record = registry.http.get("/v1/audit-log", params={"after": seq - 1}).json()["records"][0]["payload"]
    assert record["action"] == "recognise"
    assert record["actor"] == "operator-my"
    assert record["payload"]["decision"]["id"] == decision["id"]
    assert record["recognitions_sha256"] == sha256_hex(registry.store.get(recognitions_key(seq)) or b"")

    registry.clock.advance(10)
    withdrawn = registry.post(PATH.format("MY") + "/withdraw", "operator-my", {"decision_id": decision["id"]})
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["decision"]["withdrawn_at"] == registry.clock.now()
    refused = kyc(registry)
    assert refused.reason is Reason.RECOGNITION_WITHDRAWN
    assert refused.decision_id == decision["id"]
    assert kyc(registry, at=registry.clock.now() - 1).recognised  # judged at the time asked about
    again = registry.post(PATH.format("MY") + "/withdraw", "operator-my", {"decision_id": decision["id"]})
    assert again.status_code == 409
    report = verify_audit_log(registry.store, signing_cert(registry))
    assert report.ok, report.problems


def test_recognition_list_goes_with_every_trust_list(registry: Registry) -> None:
    created = registry.post(PATH.format("MY"), "operator-my", body())
    assert created.status_code == 201
    registry.clock.advance(5)
    suspended = registry.post("/v1/governance/issuers/suspend", "operator-sg", {"issuer_id": sg_issuer(registry)})
    assert suspended.status_code == 200
    seq = suspended.json()["sequence_number"]
    current = verify_recognition_list(registry.http.get("/v1/recognitions").content, registry.pin)
    assert current.sequence_number == seq  # re-issued with the unrelated change, decision kept
    assert [d.decision_id for d in current.decisions] == [created.json()["decision"]["id"]]
    before = registry.http.get(f"/v1/recognitions/{seq - 1}")
    assert before.status_code == 200
    assert verify_recognition_list(before.content, registry.pin).sequence_number == seq - 1
    assert registry.http.get(f"/v1/recognitions/{seq + 1}").status_code == 404
    etag = registry.http.get("/v1/recognitions").headers["etag"]
    assert registry.http.get("/v1/recognitions", headers={"If-None-Match": etag}).status_code == 304


def sg_issuer(registry: Registry) -> str:
    country = registry.trust_list().country("SG")
    assert country is not None
    return country.issuers[0].issuer_id


def test_only_the_recognising_states_operator_decides(registry: Registry) -> None:
    before = registry.state()
    for client in ("scheme-operator", "operator-vn", "operator-sg"):
        refused = registry.post(PATH.format("MY"), client, body())
        assert refused.status_code == 403, client
        assert refused.json()["error"] == "insufficient_scope"
    assert registry.http.post(PATH.format("MY"), json=body()).status_code == 401
    assert registry.state() == before
    vn = registry.post(PATH.format("VN"), "operator-vn", body(recognised_country="MY"))
    assert vn.status_code == 201, vn.text
    vn_id = vn.json()["decision"]["id"]
    after = registry.state()
    # MY's operator cannot withdraw VN's decision, neither under VN's path nor under its own.
    assert registry.post(PATH.format("VN") + "/withdraw", "operator-my", {"decision_id": vn_id}).status_code == 403
    assert registry.post(PATH.format("MY") + "/withdraw", "operator-my", {"decision_id": vn_id}).status_code == 404
    assert registry.state() == after


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"purposes": ["KYC"]}, 400),
        ({"purposes": []}, 400),
        ({"recognised_country": "MY"}, 400),
        ({"recognised_country": "XX"}, 400),
        ({"recognised_country": "BN", "vct": VCT_BUSINESS_REGISTRATION}, 400),  # BN lists no such issuer
        ({"vct": "https://lintas.asean.example/vct/pid/v9"}, 400),
        ({"min_assurance": "medium"}, 400),
        ({"valid_from": 1}, 400),
        ({"valid_until": 1}, 400),
        ({"valid_until": int(time.time()) + 20 * 366 * 86400}, 400),
        ({"note": "bad\u202enote"}, 400),
        ({"extra": True}, 400),
        ({"valid_until": "2030-01-01"}, 400),
    ],
)
def test_bad_decisions_are_refused_and_write_nothing(shared: Registry, changes: dict[str, Any], status: int) -> None:
    before = shared.state()
    response = shared.post(PATH.format("MY"), "operator-my", body(**changes))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert shared.state() == before


def test_unknown_country_and_decision(shared: Registry) -> None:
    before = shared.state()
    assert shared.post(PATH.format("XX"), "operator-my", body()).status_code == 404
    assert shared.post(PATH.format("my"), "operator-my", body()).status_code == 400
    missing = {"decision_id": "urn:lintas:recognition:MY:999"}
    assert shared.post(PATH.format("MY") + "/withdraw", "operator-my", missing).status_code == 404
    assert shared.state() == before


def test_tampered_recognition_list_fails_audit(registry: Registry) -> None:
    created = registry.post(PATH.format("MY"), "operator-my", body())
    seq = created.json()["sequence_number"]
    assert verify_audit_log(registry.store, signing_cert(registry)).ok
    stored = registry.store.get(recognitions_key(seq))
    assert stored is not None
    earlier = registry.store.get(recognitions_key(seq - 1))
    assert earlier is not None
    # Replaying the earlier (validly signed) list, without the decision, under the new number.
    registry.store.set(recognitions_key(seq), earlier)
    report = verify_audit_log(registry.store, signing_cert(registry))
    assert not report.ok
    assert any(f"recognition list {seq}" in p for p in report.problems)


def test_recognition_endpoints_are_rate_limited(kv_store: KeyValueStore, tmp_path: Path) -> None:
    reg = start_registry(
        make_settings(tmp_path / "data", rate_limit_per_minute=3), kv_store, FixedClock(int(time.time()))
    )
    try:
        codes = [reg.http.get("/v1/recognitions").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert reg.post(PATH.format("MY"), "operator-my", body()).status_code == 429
    finally:
        reg.http.close()
        reg.server.stop()


def test_a_store_from_before_recognition_lists_gets_one(tmp_path: Path) -> None:
    store = open_store(None, tmp_path, "registry")
    settings = make_settings(tmp_path / "data")
    reg = start_registry(settings, store, FixedClock(int(time.time())))
    reg.http.close()
    reg.server.stop()
    seq = int(store.get("seq") or b"0")
    store.delete(recognitions_key(seq))  # what a store written by the previous version holds
    reg = start_registry(settings, store, FixedClock(int(time.time())))
    try:
        response = reg.http.get("/v1/recognitions")
        assert response.status_code == 200
        assert verify_recognition_list(response.content, reg.pin).sequence_number == seq + 1
    finally:
        reg.http.close()
        reg.server.stop()
        store.close()
