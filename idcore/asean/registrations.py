"""Business registration numbers of the member states' registries, and the LEI.

:func:`parse_registration` validates the number a business registry issues (``registration_number``
of the business registration credential) and names its scheme:

* SG ``UEN`` (ACRA): ``nnnnnnnnX`` (businesses), ``yyyynnnnnX`` (local companies) or
  ``TyyPQnnnnX`` (other entities); the check letter's rule is not published: structure only.
* MY ``SSM``: the 12-digit number since 2019, ``YYYY`` + entity type + six digits (01 local
  company, 02 foreign company, 03 business, 04 LLP, 05 foreign LLP, 06 professional LLP).
* ID ``NIB`` (OSS): 13 digits. TH ``DBD`` juristic person number: 13 digits beginning with 0,
  with the Thai identification number's check digit. VN ``ERC`` enterprise code: the 10-digit
  tax code with its check digit (Circular 105/2020/TT-BTC), ``-NNN`` for a branch.
* PH ``SEC``: registration letters (CS, CN, PG, A, AS, ...) and digits.
* BN ``ROCBN``, KH ``MOC``, LA ``ERC``, MM ``DICA``, TL ``SERVE``: structure not published;
  2-4 optional letters and 4-12 digits.

:func:`parse_lei` checks a Legal Entity Identifier (ISO 17442), where a business has one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from idcore.asean.checksums import lei_is_valid, th_check_digit, vn_tax_check_digit
from idcore.asean.errors import AseanDataError
from idcore.errors import Reason

__all__ = ["parse_lei", "parse_registration"]


@dataclass(frozen=True, slots=True)
class Registration:
    """A validated business registration number and the scheme it belongs to."""

    scheme: str
    country: str
    value: str


#: country -> (scheme code, registry, check digit, rule public)
REGISTRIES: Mapping[str, tuple[str, str, bool, bool]] = {
    "SG": ("SG-UEN", "Accounting and Corporate Regulatory Authority (ACRA)", False, False),
    "MY": ("MY-SSM", "Suruhanjaya Syarikat Malaysia (SSM)", False, True),
    "ID": ("ID-NIB", "Online Single Submission (OSS), BKPM", False, True),
    "TH": ("TH-DBD", "Department of Business Development (DBD)", True, True),
    "VN": ("VN-ERC", "National Business Registration Portal (enterprise code)", True, True),
    "PH": ("PH-SEC", "Securities and Exchange Commission (SEC)", False, False),
    "BN": ("BN-ROCBN", "Registry of Companies and Business Names (ROCBN)", False, False),
    "KH": ("KH-MOC", "Ministry of Commerce business registration", False, False),
    "LA": ("LA-ERC", "Enterprise registration, Ministry of Industry and Commerce", False, False),
    "MM": ("MM-DICA", "Directorate of Investment and Company Administration (DICA)", False, False),
    "TL": ("TL-SERVE", "SERVE business registration service", False, False),
}


def _bad(detail: str) -> AseanDataError:
    return AseanDataError(Reason.INVALID_IDENTIFIER, detail)


def _sg(value: str) -> bool:
    if re.fullmatch(r"[0-9]{8}[A-Z]", value):
        return True
    if re.fullmatch(r"([0-9]{4})[0-9]{5}[A-Z]", value):
        return 1900 <= int(value[:4]) <= 2099  # the year of registration
    return re.fullmatch(r"[TRS][0-9]{2}[A-Z]{2}[0-9]{4}[A-Z]", value) is not None


def _my(value: str) -> bool:
    return (
        re.fullmatch(r"[0-9]{12}", value) is not None
        and 1900 <= int(value[:4]) <= 2099
        and value[4:6] in {"01", "02", "03", "04", "05", "06"}
    )


def _th(value: str) -> bool:
    return re.fullmatch(r"0[0-9]{12}", value) is not None and th_check_digit(value[:12]) == value[12]


def _vn(value: str) -> bool:
    if re.fullmatch(r"[0-9]{10}([0-9]{3})?", value) is None or value[10:] == "000":
        return False
    return vn_tax_check_digit(value[:9]) == value[9]


_RULES: dict[str, Callable[[str], bool]] = {
    "SG": _sg,
    "MY": _my,
    "ID": lambda v: re.fullmatch(r"[0-9]{13}", v) is not None,
    "TH": _th,
    "VN": _vn,
    "PH": lambda v: re.fullmatch(r"(CS|CN|PG|PF|A|AS|ASN|FS|FN)[0-9]{5,12}", v) is not None,
}


def _generic(value: str) -> bool:
    return re.fullmatch(r"[A-Z]{0,4}[0-9]{4,12}", value) is not None


def parse_registration(country: str, raw: str) -> Registration:
    """Validate ``raw`` as a registration number of ``country``'s business registry."""
    if country not in REGISTRIES:
        raise _bad("not an ASEAN member state")
    if not isinstance(raw, str) or len(raw) > 40:
        raise _bad("a registration number is a short string")
    value = "".join(ch for ch in raw if ch not in " -/.").upper()
    rule = _RULES.get(country, _generic)
    if not value.isascii() or not rule(value):
        raise _bad(f"not a {REGISTRIES[country][0]} registration number")
    return Registration(REGISTRIES[country][0], country, value)


def parse_lei(raw: str) -> str:
    """The LEI in ``raw`` if it is 20 characters with valid ISO 17442 check digits."""
    if not isinstance(raw, str) or not lei_is_valid(raw):
        raise _bad("not a valid LEI (ISO 17442)")
    return raw
