"""Business claims, the mandate credential's claims, the PID + mandate binding and its DCQL query."""

from __future__ import annotations

from typing import Any

import pytest

from idcore.asean.errors import AseanDataError
from idcore.asean.mandate import check_business_claims, check_mandate_binding, check_mandate_claims, pid_mandate_query
from idcore.dcql import parse_query
from idcore.errors import Reason
from idcore.trust.vct import VCT_BUSINESS_REGISTRATION, VCT_MANDATE, VCT_PID

PID = {"issuing_country": "VN", "national_id_type": "VN-CCCD", "national_id": "001085012345"}
MANDATE: dict[str, Any] = {
    "person_full_name": "Nguyễn Văn An",
    "person_issuing_country": "VN",
    "person_national_id_type": "VN-CCCD",
    "person_national_id": "001085012345",
    "business_legal_name": "Song Hong Trading Joint Stock Company",
    "business_country": "VN",
    "business_registration_number": "0101234565",
    "role": "director",
    "scope": ["procurement"],
}
BUSINESS = {"country": "VN", "registration_number": "0101234565", "registration_scheme": "VN-ERC"}


def test_valid_mandate_and_business_claims_pass() -> None:
    check_mandate_claims(MANDATE)
    check_business_claims({**BUSINESS, "lei": "549300LINTASDEMO0234"})
    check_mandate_binding(PID, MANDATE, mandate_issuer_country="VN", business=BUSINESS, required_scope="procurement")


@pytest.mark.parametrize(
    "change",
    [
        {"role": "king"},
        {"scope": []},
        {"scope": ["everything"]},
        {"scope": "procurement"},
        {"person_national_id": "001085012346X"},
        {"person_national_id_type": "TH-ID"},
        {"person_issuing_country": "TH"},
        {"business_registration_number": "0101234566"},
        {"business_lei": "549300LINTASDEMO0235"},
        {"person_national_id_type": "XX-ID"},
    ],
)
def test_invalid_mandate_claims_are_refused(change: dict[str, Any]) -> None:
    with pytest.raises(AseanDataError):
        check_mandate_claims({**MANDATE, **change})


@pytest.mark.parametrize(
    "change",
    [
        {"country": "TH"},
        {"registration_number": "0101234566"},
        {"registration_number": "0101-234565"},
        {"registration_scheme": "SG-UEN"},
        {"lei": "549300LINTASDEMO0235"},
        {"country": None},
    ],
)
def test_invalid_business_claims_are_refused(change: dict[str, Any]) -> None:
    with pytest.raises(AseanDataError):
        check_business_claims({**BUSINESS, **change})


@pytest.mark.parametrize(
    ("pid", "mandate", "issuer_country", "business", "scope"),
    [
        ({**PID, "national_id": "001085099999"}, MANDATE, "VN", None, None),  # another person
        ({**PID, "issuing_country": "LA"}, MANDATE, "VN", None, None),
        ({k: v for k, v in PID.items() if k != "national_id"}, MANDATE, "VN", None, None),  # withheld
        (PID, MANDATE, "TH", None, None),  # a Thai registry vouching for a Vietnamese business
        (PID, MANDATE, "VN", {**BUSINESS, "registration_number": "0100233488"}, None),  # another business
        (PID, MANDATE, "VN", {**BUSINESS, "country": "LA"}, None),
        (PID, MANDATE, "VN", None, "banking"),  # beyond the mandate's scope
    ],
)
def test_each_mismatch_is_refused(
    pid: dict[str, Any],
    mandate: dict[str, Any],
    issuer_country: str,
    business: dict[str, Any] | None,
    scope: str | None,
) -> None:
    with pytest.raises(AseanDataError) as caught:
        check_mandate_binding(
            pid, mandate, mandate_issuer_country=issuer_country, business=business, required_scope=scope
        )
    assert caught.value.reason is Reason.MANDATE_MISMATCH


def test_the_query_asks_for_pid_and_mandate_together_and_business_optionally() -> None:
    query = parse_query(pid_mandate_query(VCT_PID, VCT_MANDATE, VCT_BUSINESS_REGISTRATION))
    assert query.credential_sets is not None
    required, optional = query.credential_sets
    assert (required.options, required.required) == ((("pid", "mandate"),), True)
    assert (optional.options, optional.required) == ((("business",),), False)
    pid_paths = {c.path for c in query.credential("pid").claims or ()}
    assert {("national_id",), ("national_id_type",), ("issuing_country",)} <= pid_paths
