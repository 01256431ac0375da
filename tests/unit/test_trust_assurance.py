"""Assurance mapping (idcore.trust.assurance): national levels onto low / substantial / high, and the
issuers' declarations as published in the recognition list; each acceptance with a refused twin."""

from __future__ import annotations

from typing import Any

import pytest

from idcore.errors import Reason, TrustError
from idcore.trust import ASEAN_COUNTRIES
from idcore.trust.assurance import FRAMEWORKS, AssuranceDeclaration, at_least, common_level
from idcore.trust.recognition import RecognitionList

from .test_trust_recognition import doc

TH_PID = "https://issuers.example/th"


def test_every_member_state_has_a_framework_covering_the_common_scale() -> None:
    assert {f.country for f in FRAMEWORKS.values()} == ASEAN_COUNTRIES
    for framework in FRAMEWORKS.values():
        assert {m.common for m in framework.levels} <= {"low", "substantial", "high"}
        assert framework.source
        assert all(m.basis for m in framework.levels)
    # Without a documented crosswalk a mapping is marked as an assumption, never presented as fact.
    assert all(m.assumption for f in FRAMEWORKS.values() for m in f.levels)


@pytest.mark.parametrize(
    ("framework", "national", "common"),
    [
        ("th-etda-ial", "IAL3", "high"),
        ("th-etda-ial", "IAL2.3", "substantial"),
        ("th-etda-ial", "IAL1.1", "low"),
        ("vn-decree-59-2022", "level-2", "high"),
        ("vn-decree-59-2022", "level-1", "low"),
        ("sg-declared", "substantial", "substantial"),
    ],
)
def test_national_levels_map_to_the_common_scale(framework: str, national: str, common: str) -> None:
    assert common_level(framework, national) == common


@pytest.mark.parametrize(
    ("framework", "national"), [("th-etda-ial", "IAL4"), ("vn-decree-59-2022", "IAL3"), ("eu", "high")]
)
def test_unknown_levels_and_frameworks_map_to_nothing(framework: str, national: str) -> None:
    with pytest.raises(TrustError) as err:
        common_level(framework, national)
    assert err.value.reason is Reason.TRUST_LIST_INVALID


def test_at_least_orders_the_scale_and_refuses_unknown_levels() -> None:
    assert at_least("high", "substantial")
    assert at_least("substantial", "substantial")
    assert not at_least("low", "substantial")
    assert not at_least("very high", "low")
    assert not at_least("high", "extreme")


def declaration(**changes: Any) -> dict[str, Any]:
    return {"issuer": TH_PID, "framework": "th-etda-ial", "national_level": "IAL3", **changes}


def test_declaration_round_trips_with_its_source_and_common_level() -> None:
    parsed = AssuranceDeclaration.from_json(declaration(), "TH")
    assert parsed.common == "high"
    out = parsed.to_json()
    assert out["common_level"] == "high"
    assert out["assumption"] is True
    assert "ขมธอ. 19-2561" in out["source"]
    assert AssuranceDeclaration.from_json(out, "TH") == parsed


@pytest.mark.parametrize(
    ("changes", "country"),
    [
        ({"common_level": "substantial"}, None),  # a list cannot restate the mapping
        ({"assumption": False}, None),
        ({"framework": "vn-decree-59-2022", "national_level": "level-2"}, "TH"),  # another state's framework
        ({"national_level": "IAL9"}, None),
        ({"extra": 1}, None),
        ({"issuer": 7}, None),
    ],
)
def test_bad_declarations_are_refused(changes: dict[str, Any], country: str | None) -> None:
    with pytest.raises(TrustError):
        AssuranceDeclaration.from_json(declaration(**changes), country)


def test_recognition_list_carries_declarations_once_per_issuer() -> None:
    with_one = {**doc(), "assurance": [AssuranceDeclaration.from_json(declaration()).to_json()]}
    parsed = RecognitionList.from_json(with_one)
    found = parsed.declaration(TH_PID)
    assert found is not None
    assert found.common == "high"
    assert RecognitionList.from_json(parsed.to_json()) == parsed
    with pytest.raises(TrustError):
        RecognitionList.from_json({**with_one, "assurance": with_one["assurance"] * 2})
    with pytest.raises(TrustError):
        RecognitionList.from_json({**with_one, "assurance": {"not": "a list"}})
