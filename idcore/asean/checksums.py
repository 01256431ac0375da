"""Check-digit algorithms of the identifier schemes that publish one.

Hand-written: each is a few lines of arithmetic that no maintained Python library covers for
all these schemes together, and the rules must be held against their sources line by line.

* Singapore NRIC/FIN (ICA; as implemented by GovTech's open-source FormSG,
  ``shared/utils/nric-validation.ts``, including the M series issued from 2022): weights
  2 7 6 5 4 3 2 over the seven digits, plus an offset of 4 for ``T``/``G`` and 3 for ``M``,
  modulo 11 indexes a letter table per series.
* Thailand 13-digit identification number (Department of Provincial Administration; the
  Revenue Department uses the same rule for juristic persons): weights 13..2 over the first
  twelve digits, check digit ``(11 - sum mod 11) mod 10``.
* Viet Nam enterprise / tax code (Circular 105/2020/TT-BTC, Article 5 and Appendix 1): weights
  31 29 23 19 17 13 7 5 3, check digit ``10 - sum mod 11``; a base whose sum is 0 mod 11 has
  no valid check digit and is never assigned.
* Legal Entity Identifier (ISO 17442-1:2020 Section 4, check digits per ISO/IEC 7064 MOD 97-10):
  letters become 10..35, the whole number modulo 97 equals 1.
"""

from __future__ import annotations

__all__ = ["lei_check_digits", "lei_is_valid", "sg_check_letter", "th_check_digit", "vn_tax_check_digit"]

_SG_WEIGHTS = (2, 7, 6, 5, 4, 3, 2)
_SG_OFFSETS = {"S": 0, "T": 4, "F": 0, "G": 4, "M": 3}
# Letters by remainder (sum mod 11), one table per series (S/T citizens and PRs, F/G and M foreigners).
_SG_TABLES = {"S": "JZIHGFEDCBA", "T": "JZIHGFEDCBA", "F": "XWUTRQPNMLK", "G": "XWUTRQPNMLK", "M": "XWUTRQPNJLK"}

_VN_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def sg_check_letter(prefix: str, digits: str) -> str:
    """The NRIC/FIN check letter of ``prefix`` (S, T, F, G or M) and seven ``digits``."""
    if prefix not in _SG_OFFSETS or len(digits) != 7 or not digits.isascii() or not digits.isdigit():
        raise ValueError("an NRIC/FIN is a series letter and seven digits")
    total = _SG_OFFSETS[prefix] + sum(w * int(d) for w, d in zip(_SG_WEIGHTS, digits, strict=True))
    return _SG_TABLES[prefix][total % 11]


def th_check_digit(first12: str) -> str:
    """The 13th digit of a Thai identification number from its first twelve digits."""
    if len(first12) != 12 or not first12.isascii() or not first12.isdigit():
        raise ValueError("twelve digits expected")
    total = sum((13 - i) * int(d) for i, d in enumerate(first12))
    return str((11 - total % 11) % 10)


def vn_tax_check_digit(first9: str) -> str | None:
    """The 10th digit of a Viet Nam enterprise code, or ``None`` when the base has none."""
    if len(first9) != 9 or not first9.isascii() or not first9.isdigit():
        raise ValueError("nine digits expected")
    check = 10 - sum(w * int(d) for w, d in zip(_VN_WEIGHTS, first9, strict=True)) % 11
    return None if check == 10 else str(check)


def _lei_number(text: str) -> int:
    # ISO/IEC 7064: digits stay, A..Z become 10..35.
    return int("".join(str(int(c, 36)) for c in text))


def lei_check_digits(first18: str) -> str:
    """The two check digits of an LEI from its first 18 characters (ISO 17442, MOD 97-10)."""
    if len(first18) != 18 or not first18.isascii() or not first18.isalnum() or first18 != first18.upper():
        raise ValueError("18 upper-case letters or digits expected")
    return f"{98 - _lei_number(first18 + '00') % 97:02d}"


def lei_is_valid(lei: str) -> bool:
    """Whether ``lei`` is 20 upper-case alphanumerics whose MOD 97-10 remainder is 1."""
    if len(lei) != 20 or not lei.isascii() or not lei.isalnum() or lei != lei.upper():
        return False
    if not lei[18:].isdigit():
        return False
    return _lei_number(lei) % 97 == 1
