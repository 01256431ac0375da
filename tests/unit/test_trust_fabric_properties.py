"""Properties of the trust fabric, checked on generated inputs against references written from the rules:

* ``recognised_for`` answers like a direct reading of the rule (a decision in force for the exact
  country pair, type and purpose, at a level at least the decision's), and only ever names a
  decision of the asking country about the credential's country;
* ``from_lote(to_lote(list)) == list`` for generated lists (histories with every status and reason).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from idcore.errors import TrustError
from idcore.trust import TrustList
from idcore.trust.etsi import from_lote, to_lote
from idcore.trust.recognition import PURPOSES, RecognitionList, RecognitionSnapshot, decision_id, recognised_for
from idcore.trust.vct import ASSURANCE_LEVELS

from .trust_data import list_json

COUNTRIES = ["MY", "VN", "TH"]
VCTS = ["https://a.example/vct", "https://b.example/vct"]
LEVELS = list(ASSURANCE_LEVELS)
TIMES = st.integers(min_value=0, max_value=40)


@st.composite
def decisions(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for n in range(draw(st.integers(min_value=0, max_value=6))):
        a, b = draw(st.sampled_from(COUNTRIES)), draw(st.sampled_from(COUNTRIES))
        if a == b:
            continue
        start = draw(TIMES)
        entry = {
            "id": decision_id(a, n + 1),
            "recognising_country": a,
            "recognised_country": b,
            "vct": draw(st.sampled_from(VCTS)),
            "min_assurance": draw(st.sampled_from(LEVELS)),
            "purposes": sorted(draw(st.sets(st.sampled_from(sorted(PURPOSES)), min_size=1, max_size=3))),
            "valid_from": start,
            "valid_until": start + draw(st.integers(min_value=1, max_value=20)),
            "decided_at": 0,
        }
        if draw(st.booleans()):
            entry["withdrawn_at"] = draw(TIMES)
        out.append(entry)
    return out


def reference(decisions: list[dict[str, Any]], a: str, purpose: str, b: str, vct: str, level: str, at: int) -> bool:
    if a == b:
        return True
    for d in decisions:
        in_force = d["valid_from"] <= at < d["valid_until"] and ("withdrawn_at" not in d or at < d["withdrawn_at"])
        matches = (d["recognising_country"], d["recognised_country"], d["vct"]) == (a, b, vct)
        if (
            matches
            and purpose in d["purposes"]
            and in_force
            and LEVELS.index(level) >= LEVELS.index(d["min_assurance"])
        ):
            return True
    return False


@settings(max_examples=300)
@given(
    decisions(),
    st.sampled_from(COUNTRIES),
    st.sampled_from(sorted(PURPOSES)),
    st.sampled_from(COUNTRIES),
    st.sampled_from(VCTS),
    st.sampled_from(LEVELS),
    TIMES,
)
def test_recognition_answers_like_the_rule(
    generated: list[dict[str, Any]], a: str, purpose: str, b: str, vct: str, level: str, at: int
) -> None:
    doc = {"format": "lintas-recognition-list/1", "iss": "https://r.example", "iat": 0, "sequence_number": 1}
    snapshot = RecognitionSnapshot(RecognitionList.from_json({**doc, "next_update": 1, "decisions": generated}))
    result = recognised_for(snapshot, a, purpose, b, vct, level, at)
    assert result.recognised is reference(generated, a, purpose, b, vct, level, at)
    assert result.recognised is (result.reason is None)
    if result.decision is not None:
        assert (result.decision.recognising, result.decision.recognised, result.decision.vct) == (a, b, vct)
        assert purpose in result.decision.purposes


STATUS_STEPS = [
    {"status": "suspended", "reason": "unspecified"},
    {"status": "granted"},
    {"status": "suspended", "reason": "key_compromise"},
    {"status": "withdrawn", "reason": "privilege_withdrawn"},
    {"status": "withdrawn", "reason": "cessation_of_operation"},
]


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A history the model accepts: granted first, then steps its transition rules allow."""
    since = draw(st.integers(min_value=0, max_value=10**9))
    history: list[dict[str, Any]] = [{"status": "granted", "since": since}]
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        since += draw(st.integers(min_value=0, max_value=10**6))
        candidate = [*history, {**draw(st.sampled_from(STATUS_STEPS)), "since": since}]
        try:
            TrustList.from_json(list_json(candidate))
        except TrustError:  # a step the rules refuse is simply not taken
            continue
        history = candidate
    return history


@settings(max_examples=100)
@given(histories())
def test_lote_round_trip_on_generated_histories(history: list[dict[str, Any]]) -> None:
    trust_list = TrustList.from_json(list_json(history))
    assert from_lote(to_lote(trust_list)) == trust_list
