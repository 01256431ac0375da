"""National identifiers and business registrations: known answers, generated numbers, mutations."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idcore.asean import SCHEMES, AseanDataError, mask, parse_lei, parse_national_id, parse_registration
from idcore.asean.checksums import lei_is_valid, sg_check_letter, th_check_digit, vn_tax_check_digit
from idcore.asean.identifiers import scheme_by_code
from idcore.errors import Reason
from idcore.trust.vct import ASEAN_COUNTRIES
from tests.unit.asean_strategies import LEIS, NATIONAL_IDS, REGISTRATIONS

DIGITS = "0123456789"


def _mutations(value: str, positions: range, alphabet: str) -> list[tuple[int, str]]:
    """Every single-character substitution of ``value`` at ``positions`` from ``alphabet``."""
    return [(i, value[:i] + c + value[i + 1 :]) for i in positions for c in alphabet if c != value[i]]


def _rejected(country: str, value: str) -> bool:
    try:
        parse_national_id(country, value)
    except AseanDataError as exc:
        return exc.reason is Reason.INVALID_IDENTIFIER
    return False


# --- known answers (published examples, worked by hand in the comments) ------------------------


@pytest.mark.parametrize(
    ("prefix", "digits", "letter"),
    [
        ("S", "1234567", "D"),
        ("T", "1234567", "J"),
        ("F", "1234567", "N"),
        ("G", "1234567", "X"),
        ("M", "1234567", "K"),
    ],  # 1·2+2·7+3·6+4·5+5·4+6·3+7·2 = 106; +4 (T, G) = 110; +3 (M) = 109
)
def test_sg_check_letters_match_the_published_examples(prefix: str, digits: str, letter: str) -> None:
    assert sg_check_letter(prefix, digits) == letter
    assert parse_national_id("SG", f"{prefix}{digits}{letter}").value == f"{prefix}{digits}{letter}"
    assert _rejected("SG", f"{prefix}{digits}{'A' if letter != 'A' else 'B'}")


def test_th_check_digit_matches_a_worked_example() -> None:
    # 1·13+1·12+0·11+1·10+7·9+0·8+0·7+2·6+3·5+0·4+7·3+0·2 = 146; 146 mod 11 = 3; 11 - 3 = 8
    assert th_check_digit("110170023070") == "8"
    assert parse_national_id("TH", "1-1017-00230-70-8").value == "1101700230708"
    assert _rejected("TH", "1101700230709")


def test_vn_tax_and_lei_known_answers() -> None:
    assert vn_tax_check_digit("010023348") == "8"  # 0100233488, a published enterprise code
    assert parse_registration("VN", "0314409058-002").value == "0314409058002"
    assert lei_is_valid("5493001KJTIIGC8Y1R12")
    assert lei_is_valid("HWUPKR0MPOU8FGXBT394")
    assert not lei_is_valid("5493001KJTIIGC8Y1R13")
    assert not lei_is_valid("5493001kjtiigc8y1r12")
    with pytest.raises(AseanDataError):
        parse_lei("HWUPKR0MPOU8FGXBT395")


# --- every scheme: generated valid numbers are accepted ---------------------------------------


def test_every_member_state_has_a_scheme_and_a_strategy() -> None:
    assert set(SCHEMES) == set(NATIONAL_IDS) == set(REGISTRATIONS) == ASEAN_COUNTRIES
    assert all(scheme_by_code(s.code) is s for s in SCHEMES.values())


@pytest.mark.parametrize("country", sorted(NATIONAL_IDS))
@given(data=st.data())
def test_generated_national_ids_are_accepted_and_masked(country: str, data: st.DataObject) -> None:
    raw = data.draw(NATIONAL_IDS[country])
    parsed = parse_national_id(country, raw)
    assert parsed.country == country
    assert parsed.scheme == SCHEMES[country].code
    assert parse_national_id(country, parsed.value) == parsed  # the canonical value parses to itself
    masked = parsed.masked()
    assert len(masked) == len(parsed.value)
    assert masked.endswith(parsed.value[-4:])
    assert set(masked[:-4]) <= {"*"}


@pytest.mark.parametrize("country", sorted(REGISTRATIONS))
@given(data=st.data())
def test_generated_registrations_are_accepted(country: str, data: st.DataObject) -> None:
    raw = data.draw(REGISTRATIONS[country])
    assert parse_registration(country, raw).country == country


# --- check digits: single-character changes are rejected ---------------------------------------


@given(NATIONAL_IDS["SG"])
def test_sg_every_single_digit_or_check_letter_change_is_rejected(nric: str) -> None:
    # Weights 2..7 are all non-zero mod 11 and each table has 11 distinct letters: nothing slips.
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for _, changed in _mutations(nric, range(1, 8), DIGITS) + _mutations(nric, range(8, 9), letters):
        assert _rejected("SG", changed), changed


def _th_remainder(value: str) -> int:
    return sum((13 - i) * int(d) for i, d in enumerate(value[:12])) % 11


@given(NATIONAL_IDS["TH"])
def test_th_single_digit_changes_are_rejected_except_the_schemes_blind_spots(number: str) -> None:
    # The scheme cannot see a change at the third digit (weight 11 = 0 mod 11), nor one that moves the
    # remainder between 0 and 10 (both give check digit 1). Every other change must be refused.
    for i, changed in _mutations(number, range(13), DIGITS):
        blind = i == 2 or {_th_remainder(number), _th_remainder(changed)} == {0, 10}
        assert _rejected("TH", changed) or blind, changed
    for _, changed in _mutations(number, range(12, 13), DIGITS):
        assert _rejected("TH", changed)


@given(REGISTRATIONS["VN"])
def test_vn_enterprise_code_every_single_digit_change_is_rejected(code: str) -> None:
    for _, changed in _mutations(code, range(10), DIGITS):
        with pytest.raises(AseanDataError):
            parse_registration("VN", changed)


@given(REGISTRATIONS["TH"])
def test_th_juristic_number_check_digit_change_is_rejected(code: str) -> None:
    for _, changed in _mutations(code, range(12, 13), DIGITS):
        with pytest.raises(AseanDataError):
            parse_registration("TH", changed)


@given(LEIS)
def test_lei_single_digit_changes_and_check_digit_changes_are_rejected(lei: str) -> None:
    # MOD 97-10 catches every digit-for-digit substitution (10^k is never 0 mod 97); a letter
    # becomes two digits, so letter substitutions are caught with high probability only.
    assert parse_lei(lei) == lei
    digit_positions = [i for i, c in enumerate(lei) if c.isdigit()]
    for i in digit_positions:
        for _, changed in _mutations(lei, range(i, i + 1), DIGITS):
            assert not lei_is_valid(changed), changed


# --- structure: what no check digit protects is still checked ----------------------------------


@pytest.mark.parametrize(
    ("country", "value"),
    [
        ("SG", "A1234567D"),
        ("SG", "S123456D"),
        ("MY", "900512-17-5566"),
        ("MY", "900230-14-5566"),
        ("MY", "9005121455"),
        ("ID", "2071234501900001"),
        ("ID", "3171230002900001"),
        ("ID", "3171234501900000"),
        ("ID", "3171237213900001"),
        ("TH", "9101700230708"),
        ("PH", "1234-5678-901"),
        ("PH", "1234-5678-901X"),
        ("VN", "003085012345"),
        ("VN", "00108501234"),
        ("BN", "02-234567"),
        ("KH", "01020304"),
        ("LA", "12345"),
        ("MM", "15/LAMANA(N)123456"),
        ("MM", "12/LAMANA(X)123456"),
        ("MM", "12/LAMANA(N)12345"),
        ("TL", "12AB56"),
        ("XX", "123456"),
        ("SG", "S１２３４５６７D"),
        ("TH", "x" * 100),
    ],
)
def test_malformed_national_ids_are_refused(country: str, value: str) -> None:
    assert _rejected(country, value)


def test_encoded_facts_are_read() -> None:
    assert parse_national_id("VN", "079301012345").birth == "2001"
    assert parse_national_id("VN", "079301012345").sex == "female"
    assert parse_national_id("ID", "3171235501900001").sex == "female"  # day 55 = 15 + 40
    assert parse_national_id("ID", "3171231501900001").sex == "male"
    assert parse_national_id("MM", "၁၂/LAMANA(N)၁၂၃၄၅၆").value == "12/LAMANA(N)123456"


def test_mask_hides_all_but_the_last_four() -> None:
    assert mask("S1234567D") == "*****567D"
    assert mask("ABC") == "***"


@pytest.mark.parametrize(
    ("country", "value"),
    [
        ("SG", "12345678"),
        ("MY", "202009012345"),
        ("TH", "1105561234567"),
        ("VN", "0101234567"),
        ("PH", "XX123456"),
        ("ID", "12345"),
        ("KH", "AB12"),
    ],
)
def test_malformed_registrations_are_refused(country: str, value: str) -> None:
    with pytest.raises(AseanDataError):
        parse_registration(country, value)
