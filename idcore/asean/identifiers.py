"""National identity numbers of the eleven ASEAN member states as typed, validated values.

:func:`parse_national_id` turns what a register or a card shows (spaces, hyphens, slashes
allowed) into a :class:`NationalId`: the scheme code, the country, the canonical compact value
and, where the number encodes it, the birth date and sex it states. Each scheme checks its
published structure and its check digit where the authority publishes one; the sources, and
where no rule is public, are in ``docs/readme.d/asean.md`` and in :data:`SCHEMES`.

The masked form (:meth:`NationalId.masked`) shows only the last four characters: the
``national_id_masked`` claim a verifier can ask for instead of the number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from idcore.asean.checksums import sg_check_letter, th_check_digit
from idcore.asean.errors import AseanDataError
from idcore.errors import Reason

__all__ = ["SCHEMES", "NationalId", "mask", "parse_national_id", "scheme_by_code"]


@dataclass(frozen=True, slots=True)
class NationalId:
    """A validated national identifier: scheme code, country, canonical value, what it encodes."""

    scheme: str
    country: str
    value: str
    birth: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD as far as the number states it
    sex: str | None = None  # "female"/"male" where the number encodes it

    def masked(self) -> str:
        """The value with every character but the last four replaced by ``*``."""
        return mask(self.value)


@dataclass(frozen=True, slots=True)
class IdScheme:
    """One member state's identifier scheme and its validation rule."""

    code: str
    country: str
    name: str
    check_digit: bool
    rule_public: bool
    parse: Callable[[str], NationalId]


def mask(value: str) -> str:
    """``value`` with all but its last four characters masked (short values are fully masked)."""
    keep = 4 if len(value) > 4 else 0
    return "*" * (len(value) - keep) + value[len(value) - keep :]


def _bad(detail: str) -> AseanDataError:
    return AseanDataError(Reason.INVALID_IDENTIFIER, detail)


def _compact(raw: str, strip: str = " -") -> str:
    if not isinstance(raw, str) or len(raw) > 64:
        raise _bad("an identifier is a short string")
    return "".join(ch for ch in raw if ch not in strip).upper()


def _digits(raw: str, length: int, name: str, strip: str = " -") -> str:
    value = _compact(raw, strip)
    if len(value) != length or not value.isascii() or not value.isdigit():
        raise _bad(f"{name} is {length} digits")
    return value


def _real_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


# --- Singapore -------------------------------------------------------------------------------


def _sg(raw: str) -> NationalId:
    value = _compact(raw)
    if not re.fullmatch(r"[STFGM][0-9]{7}[A-Z]", value):
        raise _bad("an NRIC/FIN is S, T, F, G or M, seven digits and a check letter")
    if sg_check_letter(value[0], value[1:8]) != value[8]:
        raise _bad("NRIC/FIN check letter does not match")
    return NationalId("SG-NRIC", "SG", value)


# --- Malaysia --------------------------------------------------------------------------------

#: MyKad place-of-birth codes (JPN): 01-16 and 21-59 are the states, 60-93 countries/regions
#: abroad, 98 stateless, 99 unspecified foreign. 17-20, 69, 70, 73, 80, 81, 94-97 are unassigned.
_MY_STATES = {
    "Johor": (1, 21, 22, 23, 24),
    "Kedah": (2, 25, 26, 27),
    "Kelantan": (3, 28, 29),
    "Melaka": (4, 30),
    "Negeri Sembilan": (5, 31, 59),
    "Pahang": (6, 32, 33),
    "Pulau Pinang": (7, 34, 35),
    "Perak": (8, 36, 37, 38, 39),
    "Perlis": (9, 40),
    "Selangor": (10, 41, 42, 43, 44),
    "Terengganu": (11, 45, 46),
    "Sabah": (12, 47, 48, 49),
    "Sarawak": (13, 50, 51, 52, 53),
    "WP Kuala Lumpur": (14, 54, 55, 56, 57),
    "WP Labuan": (15, 58),
    "WP Putrajaya": (16,),
}
MY_BIRTH_STATE = {code: state for state, codes in _MY_STATES.items() for code in codes}
_MY_ABROAD = frozenset([*range(60, 69), 71, 72, *range(74, 80), *range(82, 94), 98, 99])


def _my(raw: str) -> NationalId:
    value = _digits(raw, 12, "a MyKad number (YYMMDD-PB-###G)")
    yy, mm, dd, place = int(value[0:2]), int(value[2:4]), int(value[4:6]), int(value[6:8])
    if place not in MY_BIRTH_STATE and place not in _MY_ABROAD:
        raise _bad("MyKad place-of-birth code is not assigned")
    # The century is not in the number: the date must exist in 19YY or 20YY.
    if _real_date(1900 + yy, mm, dd) is None and _real_date(2000 + yy, mm, dd) is None:
        raise _bad("MyKad birth date is not a calendar day")
    sex = "male" if int(value[11]) % 2 else "female"
    return NationalId("MY-MYKAD", "MY", value, birth=None, sex=sex)


# --- Indonesia -------------------------------------------------------------------------------

#: Province codes of Kemendagri (Permendagri 72/2019 and the 2022 Papua provinces 93-96).
_ID_PROVINCES = frozenset(
    [*range(11, 20), 21, *range(31, 37), 51, 52, 53, *range(61, 66), *range(71, 77), 81, 82, 91, 92, 93, 94, 95, 96]
)


def _id(raw: str) -> NationalId:
    value = _digits(raw, 16, "a NIK", " -.")
    if int(value[0:2]) not in _ID_PROVINCES:
        raise _bad("NIK province code is not assigned")
    if value[2:4] == "00" or value[4:6] == "00":
        raise _bad("NIK regency and district codes start at 01")
    day, month, yy = int(value[6:8]), int(value[8:10]), int(value[10:12])
    female = day > 40  # women's day of birth is written plus 40
    day -= 40 if female else 0
    if _real_date(1900 + yy, month, day) is None and _real_date(2000 + yy, month, day) is None:
        raise _bad("NIK birth date is not a calendar day")
    if value[12:] == "0000":
        raise _bad("NIK serial starts at 0001")
    return NationalId("ID-NIK", "ID", value, sex="female" if female else "male")


# --- Thailand --------------------------------------------------------------------------------


def _th(raw: str) -> NationalId:
    value = _digits(raw, 13, "a Thai identification number")
    if value[0] == "9":
        raise _bad("Thai identification number category 9 is not assigned")
    if th_check_digit(value[:12]) != value[12]:
        raise _bad("Thai identification number check digit does not match")
    return NationalId("TH-ID", "TH", value)


# --- Philippines -----------------------------------------------------------------------------


def _ph(raw: str) -> NationalId:
    value = _compact(raw)
    value = value.removeprefix("PSN")
    value = _digits(value, 12, "a PhilSys Number (PSN)")
    return NationalId("PH-PSN", "PH", value)


# --- Viet Nam --------------------------------------------------------------------------------

#: Province codes of the citizen identity number (Circular 07/2016/TT-BCA Appendix, kept by
#: Circular 59/2021/TT-BCA): the 63 provinces as numbered before the 2025 mergers.
_VN_PROVINCES = frozenset(
    int(c)
    for c in (
        "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 036 037 038 "
        "040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 077 079 080 082 "
        "083 084 086 087 089 091 092 093 094 095 096"
    ).split()
)


def _vn(raw: str) -> NationalId:
    value = _digits(raw, 12, "a citizen identity number (CCCD)")
    if int(value[0:3]) not in _VN_PROVINCES:
        raise _bad("CCCD province code is not assigned")
    # Digit 4: century and sex (0/1: 20th century man/woman, 2/3: 21st, ... 8/9: 24th).
    code = int(value[3])
    year = 1900 + 100 * (code // 2) + int(value[4:6])
    return NationalId("VN-CCCD", "VN", value, birth=f"{year:04d}", sex="female" if code % 2 else "male")


# --- Brunei, Cambodia, Laos, Myanmar, Timor-Leste (structure only: no public check rule) -----


def _bn(raw: str) -> NationalId:
    value = _digits(raw, 8, "a Brunei identity card number (NN-NNNNNN)")
    if value[0:2] not in {"00", "01", "30", "31", "50", "51"}:
        raise _bad("Brunei identity card prefix is not one of the issued series")
    return NationalId("BN-IC", "BN", value)


def _kh(raw: str) -> NationalId:
    return NationalId("KH-NID", "KH", _digits(raw, 9, "a Khmer identity card number"))


def _generic_digits(scheme: str, country: str, name: str) -> Callable[[str], NationalId]:
    def parse(raw: str) -> NationalId:
        value = _compact(raw, " -./").removeprefix(country)
        if not 6 <= len(value) <= 12 or not value.isascii() or not value.isdigit():
            raise _bad(f"{name} is 6 to 12 digits")
        return NationalId(scheme, country, value)

    return parse


#: NRC citizenship types: N naing (citizen), E ei (associate), P pyu (naturalised), plus the
#: T (thathana, religious), Y (yahan, monk) and S (sa) series seen on cards.
_MM_NRC = re.compile(r"(1[0-4]|[1-9])/([A-Z]{3,9})\((N|E|P|T|Y|S)\)([0-9]{6})")
_MY_DIGITS = str.maketrans("၀၁၂၃၄၅၆၇၈၉", "0123456789")


def _mm(raw: str) -> NationalId:
    value = _compact(raw.translate(_MY_DIGITS) if isinstance(raw, str) else raw, " ")
    if not _MM_NRC.fullmatch(value):
        raise _bad("an NRC is region/TOWNSHIP(type)six digits, e.g. 12/LAMANA(N)123456")
    return NationalId("MM-NRC", "MM", value)


SCHEMES: Mapping[str, IdScheme] = {
    "SG": IdScheme("SG-NRIC", "SG", "NRIC / FIN", True, True, _sg),
    "MY": IdScheme("MY-MYKAD", "MY", "MyKad number", False, True, _my),
    "ID": IdScheme("ID-NIK", "ID", "Nomor Induk Kependudukan (NIK)", False, True, _id),
    "TH": IdScheme("TH-ID", "TH", "Thai identification number", True, True, _th),
    "PH": IdScheme("PH-PSN", "PH", "PhilSys Number (PSN)", False, False, _ph),
    "VN": IdScheme("VN-CCCD", "VN", "Citizen identity number (CCCD)", False, True, _vn),
    "BN": IdScheme("BN-IC", "BN", "Brunei identity card number", False, False, _bn),
    "KH": IdScheme("KH-NID", "KH", "Khmer identity card number", False, False, _kh),
    "LA": IdScheme(
        "LA-NID",
        "LA",
        "Lao identity card number",
        False,
        False,
        _generic_digits("LA-NID", "LA", "a Lao identity card number"),
    ),
    "MM": IdScheme("MM-NRC", "MM", "National Registration Card (NRC)", False, False, _mm),
    "TL": IdScheme(
        "TL-NID",
        "TL",
        "Timor-Leste identity card number",
        False,
        False,
        _generic_digits("TL-NID", "TL", "a Timor-Leste identity card number"),
    ),
}
"""Scheme of each member state; ``rule_public`` is False where only the printed structure is known."""


def scheme_by_code(code: str) -> IdScheme:
    """The scheme named ``code`` (``SG-NRIC``, ``MY-MYKAD``, ...)."""
    for scheme in SCHEMES.values():
        if scheme.code == code:
            return scheme
    raise _bad("unknown identifier scheme")


def parse_national_id(country: str, raw: str) -> NationalId:
    """Validate ``raw`` as ``country``'s national identifier; :class:`AseanDataError` if it is not one."""
    scheme = SCHEMES.get(country)
    if scheme is None:
        raise _bad("not an ASEAN member state")
    return scheme.parse(raw)
