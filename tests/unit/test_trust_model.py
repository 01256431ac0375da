"""idcore.trust model and decisions: strict parsing, and judging at issuance time and now."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from idcore.errors import Reason, TrustError
from idcore.trust import (
    VCT_BUSINESS_REGISTRATION,
    VCT_PID,
    IssuerStatus,
    TrustList,
    TrustSnapshot,
    check_identifier,
    is_authorised,
    require_authorised,
)
from tests.unit.trust_data import ISSUER, list_json


def test_round_trip_keeps_everything() -> None:
    parsed = TrustList.from_json(list_json())
    assert parsed.sequence_number == 7
    assert parsed.to_json() == list_json()
    assert TrustList.from_json(parsed.to_json()) == parsed


def _issuer(doc: dict[str, Any]) -> dict[str, Any]:
    issuer: dict[str, Any] = doc["countries"][0]["issuers"][0]
    return issuer


TAMPERINGS = {
    "unknown_format": lambda d: d.update(format="other/1"),
    "unknown_country": lambda d: d["countries"][0].update(code="XX"),
    "lower_case_country": lambda d: d["countries"][0].update(code="sg"),
    "http_identifier": lambda d: _issuer(d).update(id="http://pid.sg.example"),
    "identifier_with_fragment": lambda d: _issuer(d).update(id="https://pid.sg.example#x"),
    "not_a_url": lambda d: _issuer(d).update(id="pid.sg.example"),
    "duplicate_issuer": lambda d: d["countries"][0]["issuers"].append(copy.deepcopy(_issuer(d))),
    "duplicate_country": lambda d: d["countries"].append(copy.deepcopy(d["countries"][0])),
    "no_local_name": lambda d: _issuer(d).update(names={"en": "ICA"}),
    "no_english_name": lambda d: _issuer(d).update(names={"ms": "ICA", "ta": "ICA"}),
    "unknown_service": lambda d: _issuer(d).update(service_types=["https://x.example/svc"]),
    "no_vcts": lambda d: _issuer(d).update(vcts=[]),
    "repeated_vct": lambda d: _issuer(d).update(vcts=[VCT_PID, VCT_PID]),
    "bad_assurance": lambda d: _issuer(d).update(assurance_level="extreme"),
    "history_empty": lambda d: _issuer(d).update(status_history=[]),
    "history_starts_suspended": lambda d: _issuer(d).update(status_history=[{"status": "suspended", "since": 1}]),
    "history_unknown_status": lambda d: _issuer(d).update(status_history=[{"status": "fine", "since": 1}]),
    "history_back_in_time": lambda d: _issuer(d).update(
        status_history=[{"status": "granted", "since": 5}, {"status": "suspended", "since": 4}]
    ),
    "history_after_withdrawal": lambda d: _issuer(d).update(
        status_history=[
            {"status": "granted", "since": 1},
            {"status": "withdrawn", "since": 2},
            {"status": "granted", "since": 3},
        ]
    ),
    "bool_time": lambda d: d.update(iat=True),
    "next_update_not_after_iat": lambda d: d.update(next_update=1000),
    "iss_not_operator": lambda d: d.update(iss="https://evil.example"),
    "anchor_not_string": lambda d: d["countries"][0].update(anchors=[1]),
    "countries_not_list": lambda d: d.update(countries={}),
}


@pytest.mark.parametrize("name", sorted(TAMPERINGS))
def test_tampered_lists_are_invalid(name: str) -> None:
    doc = list_json()
    TAMPERINGS[name](doc)
    with pytest.raises(TrustError) as info:
        TrustList.from_json(doc)
    assert info.value.reason is Reason.TRUST_LIST_INVALID


def test_not_an_object_is_invalid() -> None:
    with pytest.raises(TrustError):
        TrustList.from_json([])


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/sg", "http://localhost/sg", "http://[::1]:9/x"])
def test_loopback_http_only_when_allowed(url: str) -> None:
    assert check_identifier(url, allow_loopback_http=True) == url
    with pytest.raises(TrustError):
        check_identifier(url, allow_loopback_http=False)


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1/sg", "ftp://a.example", "https://u:p@a.example", "https://a.example/?q=1"]
)
def test_other_identifiers_refused_even_in_development(url: str) -> None:
    with pytest.raises(TrustError):
        check_identifier(url, allow_loopback_http=True)


# Granted at 100, suspended at 200, reinstated at 300, withdrawn at 400.
HISTORY = [
    {"status": "granted", "since": 100},
    {"status": "suspended", "since": 200},
    {"status": "granted", "since": 300},
    {"status": "withdrawn", "since": 400},
]


@pytest.fixture
def snapshot() -> TrustSnapshot:
    return TrustSnapshot(TrustList.from_json(list_json(HISTORY)))


@pytest.mark.parametrize(
    ("issued_at", "now", "reason"),
    [
        (150, 250, None),  # issued while granted stays valid during a later suspension
        (150, 350, None),
        (100, 100, None),  # the grant holds from its own second
        (250, 350, Reason.ISSUER_SUSPENDED),  # issued while suspended: rejected for ever
        (200, 201, Reason.ISSUER_SUSPENDED),
        (350, 399, None),
        (350, 400, Reason.ISSUER_WITHDRAWN),  # withdrawal rejects everything from that moment
        (150, 450, Reason.ISSUER_WITHDRAWN),
        (450, 460, Reason.ISSUER_WITHDRAWN),
        (99, 150, Reason.NOT_AUTHORISED),  # issued before the grant
    ],
)
def test_judged_at_issuance_and_now(snapshot: TrustSnapshot, issued_at: int, now: int, reason: Reason | None) -> None:
    decision = is_authorised(snapshot, ISSUER, VCT_PID, issued_at, now)
    assert decision.authorised is (reason is None)
    assert decision.reason is reason
    assert decision.sequence_number == 7
    assert decision.issuer is not None
    assert decision.country == "SG"


def test_wrong_vct_is_not_authorised(snapshot: TrustSnapshot) -> None:
    assert is_authorised(snapshot, ISSUER, VCT_PID, 150, 160).authorised
    decision = is_authorised(snapshot, ISSUER, VCT_BUSINESS_REGISTRATION, 150, 160)
    assert not decision.authorised
    assert decision.reason is Reason.NOT_AUTHORISED


def test_unknown_issuer_is_untrusted(snapshot: TrustSnapshot) -> None:
    assert is_authorised(snapshot, ISSUER, VCT_PID, 150, 160).authorised
    decision = is_authorised(snapshot, ISSUER + "/", VCT_PID, 150, 160)
    assert not decision.authorised
    assert decision.reason is Reason.UNTRUSTED_ISSUER
    assert decision.country is None


def test_empty_snapshot_trusts_nobody() -> None:
    decision = is_authorised(TrustSnapshot.empty(), ISSUER, VCT_PID, 150, 160)
    assert not decision.authorised
    assert decision.reason is Reason.UNTRUSTED_ISSUER


def test_list_without_countries_trusts_nobody() -> None:
    doc = list_json()
    doc["countries"] = []
    decision = is_authorised(TrustSnapshot(TrustList.from_json(doc)), ISSUER, VCT_PID, 150, 160)
    assert decision.reason is Reason.UNTRUSTED_ISSUER


def test_require_authorised_raises_with_reason(snapshot: TrustSnapshot) -> None:
    assert require_authorised(snapshot, ISSUER, VCT_PID, 150, 160).issuer_id == ISSUER
    with pytest.raises(TrustError) as info:
        require_authorised(snapshot, ISSUER, VCT_PID, 250, 260)
    assert info.value.reason is Reason.ISSUER_SUSPENDED


def test_status_at_matches_history() -> None:
    issuer = TrustList.from_json(list_json(HISTORY)).countries[0].issuers[0]
    assert issuer.status_at(99) is None
    assert issuer.status_at(250) is IssuerStatus.SUSPENDED
    assert issuer.current_status is IssuerStatus.WITHDRAWN


# --- the indexed decision agrees with the plain reading of the rules ---------------------------

_STATUS = st.sampled_from(["granted", "suspended"])


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Valid histories: granted first, non-decreasing times, optionally ending in a withdrawal."""
    times = sorted(draw(st.lists(st.integers(0, 1000), min_size=1, max_size=8)))
    statuses = ["granted", *draw(st.lists(_STATUS, min_size=len(times) - 1, max_size=len(times) - 1))]
    if draw(st.booleans()):
        statuses[-1] = "withdrawn" if len(statuses) > 1 else statuses[-1]
    return [{"status": s, "since": t} for s, t in zip(statuses, times, strict=True)]


def reference(history: list[dict[str, Any]], issued_at: int, now: int) -> Reason | None:
    """The rules as the issue states them, evaluated naively."""

    def status_at(t: int) -> str | None:
        current = None
        for change in history:
            if change["since"] <= t:
                current = change["status"]
        return current

    at_issue, at_now = status_at(issued_at), status_at(now)
    if at_issue is None or at_now is None:
        return Reason.NOT_AUTHORISED
    if at_now == "withdrawn" or at_issue == "withdrawn":
        return Reason.ISSUER_WITHDRAWN
    return Reason.ISSUER_SUSPENDED if at_issue == "suspended" else None


@settings(max_examples=300, deadline=None)
@given(history=histories(), issued_at=st.integers(-5, 1005), delay=st.integers(0, 500))
def test_decision_matches_reference(history: list[dict[str, Any]], issued_at: int, delay: int) -> None:
    snap = TrustSnapshot(TrustList.from_json(list_json(history)))
    decision = is_authorised(snap, ISSUER, VCT_PID, issued_at, issued_at + delay)
    assert decision.reason is reference(history, issued_at, issued_at + delay)
    assert decision.authorised is (decision.reason is None)
