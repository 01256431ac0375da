"""Mutual-recognition decisions (idcore.trust.recognition): the evaluation rule, the strict JSON
form and the signed list, each acceptance with its tampered or shifted twin."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from idcore.b64 import b64u_encode, json_dumps
from idcore.errors import Reason, TrustError
from idcore.trust import ASEAN_COUNTRIES, VCT_BUSINESS_REGISTRATION, VCT_PID
from idcore.trust.limits import MAX_ID_CHARS
from idcore.trust.recognition import (
    MAX_DECISIONS_PER_COUNTRY,
    MAX_RECOGNITION_LIST_BYTES,
    MAX_VALIDITY_SECONDS,
    PURPOSES,
    RecognitionList,
    RecognitionSnapshot,
    decision_id,
    recognised_for,
    sign_recognition_list,
    verify_recognition_list,
)

from .test_trust_cache import new_registry

KYC_ID = decision_id("MY", 42)


def decision(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": KYC_ID,
        "recognising_country": "MY",
        "recognised_country": "VN",
        "vct": VCT_PID,
        "min_assurance": "substantial",
        "purposes": ["kyc"],
        "valid_from": 1000,
        "valid_until": 5000,
        "decided_at": 900,
    }
    base.update(changes)
    return base


def doc(*decisions: dict[str, Any], seq: int = 7) -> dict[str, Any]:
    return {
        "format": "lintas-recognition-list/1",
        "iss": "https://registry.example",
        "iat": 1000,
        "sequence_number": seq,
        "next_update": 2000,
        "decisions": list(decisions) if decisions else [decision()],
    }


def snapshot(*decisions: dict[str, Any]) -> RecognitionSnapshot:
    return RecognitionSnapshot(RecognitionList.from_json(doc(*decisions)))


def ask(snap: RecognitionSnapshot, **changes: Any) -> Any:
    question: dict[str, Any] = {
        "verifier_country": "MY",
        "purpose": "kyc",
        "issuer_country": "VN",
        "vct": VCT_PID,
        "level": "substantial",
        "at": 1500,
    }
    question.update(changes)
    return recognised_for(snap, **question)


def test_a_decision_in_force_recognises_and_names_itself() -> None:
    result = ask(snapshot())
    assert result.recognised
    assert result.reason is None
    assert result.decision_id == KYC_ID
    assert result.sequence_number == 7
    assert ask(snapshot(), level="high").recognised  # higher than required is enough


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"purpose": "employment"}, Reason.NOT_RECOGNISED),
        ({"issuer_country": "TH"}, Reason.NOT_RECOGNISED),
        ({"vct": VCT_BUSINESS_REGISTRATION}, Reason.NOT_RECOGNISED),
        ({"verifier_country": "SG"}, Reason.NOT_RECOGNISED),  # VN is recognised by MY, not by SG
        ({"level": "low"}, Reason.ASSURANCE_TOO_LOW),
        ({"level": "LOW-ish"}, Reason.ASSURANCE_TOO_LOW),
        ({"at": 999}, Reason.RECOGNITION_NOT_IN_FORCE),
        ({"at": 5000}, Reason.RECOGNITION_NOT_IN_FORCE),  # valid_until is exclusive
    ],
)
def test_each_mismatch_is_refused_with_its_reason(change: dict[str, Any], reason: Reason) -> None:
    result = ask(snapshot(), **change)
    assert not result.recognised
    assert result.reason is reason
    if reason is not Reason.NOT_RECOGNISED:
        assert result.decision_id == KYC_ID  # the refusal names the decision that did not apply


def test_the_decision_is_one_way() -> None:
    assert not ask(snapshot(), verifier_country="VN", issuer_country="MY").recognised


def test_withdrawn_decision_stops_at_its_withdrawal_only() -> None:
    snap = snapshot(decision(withdrawn_at=1600))
    assert ask(snap, at=1599).recognised
    refused = ask(snap, at=1600)
    assert not refused.recognised
    assert refused.reason is Reason.RECOGNITION_WITHDRAWN
    assert refused.decision_id == KYC_ID


def test_an_empty_list_recognises_nothing_but_domestic_needs_no_decision() -> None:
    empty = RecognitionSnapshot(None)
    assert ask(empty).reason is Reason.NOT_RECOGNISED
    domestic = ask(empty, verifier_country="VN")
    assert domestic.recognised
    assert domestic.domestic
    assert domestic.decision_id is None
    assert ask(empty, verifier_country="XX", issuer_country="XX").reason is Reason.NOT_RECOGNISED


def test_any_covering_decision_in_force_is_enough() -> None:
    old = decision(withdrawn_at=1100)
    new = decision(id=decision_id("MY", 50), decided_at=1200, purposes=["kyc", "employment"])
    result = ask(snapshot(old, new))
    assert result.recognised
    assert result.decision_id == decision_id("MY", 50)
    assert ask(snapshot(old)).reason is Reason.RECOGNITION_WITHDRAWN


@pytest.mark.parametrize(
    "broken",
    [
        {"id": decision_id("VN", 42)},  # the id must name the recognising country
        {"id": "urn:lintas:recognition:MY:0"},
        {"recognised_country": "MY"},
        {"recognised_country": "XX"},
        {"min_assurance": "very high"},
        {"purposes": []},
        {"purposes": ["kyc", "kyc"]},
        {"purposes": ["KYC"]},
        {"valid_until": 1000},
        {"valid_until": 1000 + 11 * 366 * 86400},
        {"withdrawn_at": 800},
        {"vct": "http://evil.example/pid"},
        {"valid_from": True},
        {"extra": 1},
    ],
)
def test_malformed_decisions_are_refused(broken: dict[str, Any]) -> None:
    with pytest.raises(TrustError) as err:
        RecognitionList.from_json(doc(decision(**broken)))
    assert err.value.reason is Reason.TRUST_LIST_INVALID


def test_duplicate_ids_and_quota_are_refused() -> None:
    with pytest.raises(TrustError):
        RecognitionList.from_json(doc(decision(), decision()))
    many = [decision(id=decision_id("MY", n)) for n in range(1, MAX_DECISIONS_PER_COUNTRY + 2)]
    with pytest.raises(TrustError):
        RecognitionList.from_json(doc(*many))
    assert len(RecognitionList.from_json(doc(*many[:-1])).decisions) == MAX_DECISIONS_PER_COUNTRY


def test_signed_list_verifies_against_the_pin_and_round_trips() -> None:
    registry = new_registry()
    parsed = RecognitionList.from_json(doc(decision(withdrawn_at=1600)))
    token = sign_recognition_list(parsed, registry.signer, [registry.cert])
    assert verify_recognition_list(token, registry.pin) == parsed


def test_signed_list_by_another_key_or_tampered_is_refused() -> None:
    registry, attacker = new_registry(), new_registry()
    parsed = RecognitionList.from_json(doc())
    forged = sign_recognition_list(parsed, attacker.signer, [attacker.cert])
    with pytest.raises(TrustError) as err:
        verify_recognition_list(forged, registry.pin)
    assert err.value.reason is Reason.TRUST_LIST_INVALID
    # The attacker's signature under the registry's certificate does not verify either.
    with pytest.raises(TrustError):
        verify_recognition_list(sign_recognition_list(parsed, attacker.signer, [registry.cert]), registry.pin)
    # Swapping in a payload that recognises more, keeping the registry's signature.
    token = sign_recognition_list(parsed, registry.signer, [registry.cert])
    header, _, signature = token.split(".")
    widened = copy.deepcopy(parsed.to_json())
    widened["decisions"][0]["min_assurance"] = "low"
    with pytest.raises(TrustError):
        verify_recognition_list(f"{header}.{b64u_encode(json_dumps(widened))}.{signature}", registry.pin)


def test_a_trust_list_token_is_not_a_recognition_list() -> None:
    registry = new_registry()
    with pytest.raises(TrustError) as err:
        verify_recognition_list(registry.publish(7), registry.pin)
    assert err.value.reason is Reason.TRUST_LIST_INVALID


def test_snapshot_refuses_an_older_or_stale_list() -> None:
    parsed = RecognitionList.from_json(doc(seq=7))
    assert RecognitionSnapshot.current(parsed, trust_list_sequence=7, now=2500, max_staleness=600).sequence_number == 7
    with pytest.raises(TrustError) as rollback:
        RecognitionSnapshot.current(parsed, trust_list_sequence=8, now=1500, max_staleness=600)
    assert rollback.value.reason is Reason.TRUST_LIST_ROLLBACK
    with pytest.raises(TrustError) as stale:
        RecognitionSnapshot.current(parsed, trust_list_sequence=7, now=2601, max_staleness=600)
    assert stale.value.reason is Reason.TRUST_LIST_STALE


def worst_case_decisions() -> list[dict[str, Any]]:
    """Eleven countries at the decision cap, each with the longest vct and every purpose."""
    countries = sorted(ASEAN_COUNTRIES)
    longest_vct = "https://" + "v" * (MAX_ID_CHARS - len("https://"))
    return [
        decision(
            id=decision_id(country, 10**15 + n),
            recognising_country=country,
            recognised_country=countries[(i + 1) % len(countries)],
            vct=longest_vct,
            purposes=sorted(PURPOSES),
            valid_from=10**15,
            valid_until=10**15 + MAX_VALIDITY_SECONDS,
            decided_at=10**15,
            withdrawn_at=10**15 + 1,
        )
        for i, country in enumerate(countries)
        for n in range(MAX_DECISIONS_PER_COUNTRY)
    ]


def test_worst_case_list_stays_under_the_fetch_cap() -> None:
    """Eleven countries at the decision cap, each with the longest vct and every purpose."""
    registry = new_registry()
    decisions = worst_case_decisions()
    token = sign_recognition_list(RecognitionList.from_json(doc(*decisions)), registry.signer, [registry.cert])
    assert len(token) < MAX_RECOGNITION_LIST_BYTES
    assert len(verify_recognition_list(token, registry.pin).decisions) == 11 * MAX_DECISIONS_PER_COUNTRY
