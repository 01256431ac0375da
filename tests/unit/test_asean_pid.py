"""Partial birth dates, conservative ages and the PID name rules (idcore.asean.dates, idcore.asean.pid)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idcore.asean.dates import PartialDate, age_bounds, age_on, exact_age, is_certainly_at_least
from idcore.asean.errors import AseanDataError
from idcore.asean.pid import check_person_claims, derived_claims, split_patronymic
from idcore.errors import Reason

# --- partial dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "precision"), [("1968", "year"), ("1961-07", "month"), ("2000-02-29", "day")])
def test_partial_dates_parse_and_round_trip(text: str, precision: str) -> None:
    parsed = PartialDate.parse(text)
    assert parsed.precision == precision
    assert parsed.isoformat() == text


@pytest.mark.parametrize("text", ["68", "1968-13", "1968-00", "2001-02-29", "1968-7", "1968-07-32", "0000", "", "١٩٦٨"])
def test_malformed_dates_are_refused(text: str) -> None:
    with pytest.raises(AseanDataError) as caught:
        PartialDate.parse(text)
    assert caught.value.reason is Reason.INVALID_CLAIM


def test_year_only_boundary_is_the_last_day_of_the_year() -> None:
    born = PartialDate.parse("2008")
    assert not is_certainly_at_least(born, 18, date(2026, 12, 30))
    assert is_certainly_at_least(born, 18, date(2026, 12, 31))
    assert age_bounds(born, date(2026, 6, 1)) == (17, 18)


def test_year_month_boundary_is_the_last_day_of_the_month() -> None:
    born = PartialDate.parse("2008-02")
    assert not is_certainly_at_least(born, 18, date(2026, 2, 28))
    assert is_certainly_at_least(born, 18, date(2026, 3, 1))  # 2008 is a leap year: 29 Feb is the latest


def test_29_february_birthdays_come_on_1_march_in_common_years() -> None:
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18


@given(
    st.dates(date(1900, 1, 1), date(2020, 12, 31)),
    st.dates(date(1990, 1, 1), date(2100, 12, 31)),
    st.sampled_from(["year", "month", "day"]),
    st.integers(0, 100),
)
def test_certainty_holds_for_every_day_the_partial_date_could_be(
    born: date, today: date, precision: str, years: int
) -> None:
    text = {"year": f"{born:%Y}", "month": f"{born:%Y-%m}", "day": born.isoformat()}[precision]
    partial = PartialDate.parse(text)
    span = (partial.latest() - partial.earliest()).days
    candidates = [partial.earliest() + timedelta(days=i) for i in range(span + 1)]
    ages = {age_on(day, today) for day in candidates}
    assert is_certainly_at_least(partial, years, today) == all(a >= years for a in ages)
    assert exact_age(partial, today) == (ages.pop() if len(ages) == 1 else None)


# --- names and claims --------------------------------------------------------------------------


def _pid(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "full_name": "အောင်ကျော်",
        "full_name_latin": "Aung Kyaw",
        "name_script": "Mymr",
        "name_order": "mononym",
        "birthdate": "1968",
        "nationality": "MM",
        "issuing_country": "MM",
        "national_id": "12/LAMANA(N)123456",
        "national_id_type": "MM-NRC",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def test_a_mononym_with_a_year_only_birth_is_valid_and_derives_conservatively() -> None:
    derived = derived_claims(_pid(), date(2026, 6, 1))
    assert derived == {
        "age_over_18": True,
        "age_over_21": True,
        "national_id_type": "MM-NRC",
        "national_id_masked": "**************3456",
    }


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"family_name": "Kyaw"}, Reason.INVALID_CLAIM),  # a mononym has no family name
        ({"full_name_latin": "အောင်ကျော်"}, Reason.INVALID_CLAIM),  # the transliteration must be Latin
        ({"full_name": ""}, Reason.INVALID_CLAIM),
        ({"full_name": "Aung\x00Kyaw"}, Reason.INVALID_CLAIM),
        ({"full_name": "Nguye\u0302\u0303n"}, Reason.INVALID_CLAIM),  # not NFC
        ({"name_order": "western"}, Reason.INVALID_CLAIM),
        ({"birthdate": "1968-02-30"}, Reason.INVALID_CLAIM),
        ({"national_id": "12/LAMANA(X)123456"}, Reason.INVALID_IDENTIFIER),
        ({"national_id_type": "TH-ID"}, Reason.INVALID_IDENTIFIER),
        ({"national_id": "12/lamana(N)123456"}, Reason.INVALID_IDENTIFIER),  # not the canonical form
        ({"full_name": None}, Reason.INVALID_CLAIM),
    ],
)
def test_invalid_person_claims_are_refused(overrides: dict[str, Any], reason: Reason) -> None:
    claims = _pid(**overrides)
    if overrides.get("full_name", "x") is None:
        claims.pop("full_name", None)
    with pytest.raises(AseanDataError) as caught:
        check_person_claims(claims)
    assert caught.value.reason is reason


def test_identifier_facts_must_agree_with_the_claims() -> None:
    vn = _pid(
        full_name="Nguyễn Văn An",
        full_name_latin="Nguyễn Văn An",
        name_script="Latn",
        name_order="family_given",
        issuing_country="VN",
        nationality="VN",
        national_id="001085012345",
        national_id_type="VN-CCCD",
        birthdate="1985-09-02",
        sex="male",
    )
    check_person_claims(vn)
    with pytest.raises(AseanDataError, match="birth year"):
        check_person_claims({**vn, "birthdate": "1986-09-02"})
    with pytest.raises(AseanDataError, match="sex"):
        check_person_claims({**vn, "sex": "female"})


def test_patronymic_particles_are_found_and_kept_as_written() -> None:
    assert split_patronymic("Nur Aisyah binti Ahmad") == ("Nur Aisyah", "binti", "Ahmad")
    assert split_patronymic("Kavitha A/P Muthusamy") == ("Kavitha", "A/P", "Muthusamy")
    assert split_patronymic("Muthu a/l Rajan") == ("Muthu", "a/l", "Rajan")
    assert split_patronymic("Tan Wei Ling") is None
    assert split_patronymic("binti") is None
    malay = _pid(
        full_name="Nur Aisyah binti Ahmad",
        full_name_latin="Nur Aisyah binti Ahmad",
        name_script="Latn",
        name_order="patronymic",
        patronymic="binti Ahmad",
        issuing_country="MY",
        nationality="MY",
        national_id="900512145566",
        national_id_type="MY-MYKAD",
        birthdate="1990-05-12",
    )
    check_person_claims(malay)
    with pytest.raises(AseanDataError, match="particle preserved"):
        check_person_claims({**malay, "patronymic": "Ahmad bin"})
