"""Hypothesis strategies that build valid ASEAN identifiers from their published structure.

Check digits are computed with the module's checksum functions, which have their own
known-answer tests (published example numbers) in ``test_asean_identifiers.py``.
"""

from __future__ import annotations

from datetime import date

from hypothesis import strategies as st

from idcore.asean.checksums import lei_check_digits, sg_check_letter, th_check_digit, vn_tax_check_digit
from idcore.asean.identifiers import MY_BIRTH_STATE

__all__ = ["LEIS", "NATIONAL_IDS", "REGISTRATIONS"]


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=n, max_size=n)


@st.composite
def _sg(draw: st.DrawFn) -> str:
    prefix, digits = draw(st.sampled_from("STFGM")), draw(_digits(7))
    return prefix + digits + sg_check_letter(prefix, digits)


@st.composite
def _my(draw: st.DrawFn) -> str:
    born = draw(st.dates(date(1930, 1, 1), date(2025, 12, 31)))
    place = draw(st.sampled_from([*sorted(MY_BIRTH_STATE), 60, 71, 82, 98]))
    return f"{born:%y%m%d}-{place:02d}-{draw(_digits(4))}"


@st.composite
def _id(draw: st.DrawFn) -> str:
    born = draw(st.dates(date(1930, 1, 1), date(2025, 12, 31)))
    female = draw(st.booleans())
    province = draw(st.sampled_from([11, 12, 31, 32, 33, 34, 35, 36, 51, 61, 71, 81, 91, 94]))
    regency, district = draw(st.integers(1, 99)), draw(st.integers(1, 99))
    serial = draw(st.integers(1, 9999))
    return f"{province:02d}{regency:02d}{district:02d}{born.day + 40 * female:02d}{born:%m%y}{serial:04d}"


@st.composite
def _th(draw: st.DrawFn) -> str:
    first12 = draw(st.sampled_from("012345678")) + draw(_digits(11))
    return first12 + th_check_digit(first12)


@st.composite
def _vn(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(["001", "079", "048", "096", "031", "092"]))
    return province + draw(st.sampled_from("0123")) + draw(_digits(8))


@st.composite
def _mm(draw: st.DrawFn) -> str:
    region = draw(st.integers(1, 14))
    township = draw(st.text("ABCDEGHKLMNPSTWYZ", min_size=3, max_size=9))
    return f"{region}/{township}({draw(st.sampled_from('NEP'))}){draw(_digits(6))}"


#: country -> strategy of valid national identifiers as a register would print them.
NATIONAL_IDS: dict[str, st.SearchStrategy[str]] = {
    "SG": _sg(),
    "MY": _my(),
    "ID": _id(),
    "TH": _th(),
    "PH": _digits(12).map(lambda d: f"{d[:4]}-{d[4:8]}-{d[8:]}"),
    "VN": _vn(),
    "BN": st.tuples(st.sampled_from(["00", "01", "30", "31", "50", "51"]), _digits(6)).map("-".join),
    "KH": _digits(9),
    "LA": st.integers(6, 12).flatmap(_digits),
    "MM": _mm(),
    "TL": st.integers(6, 12).flatmap(_digits),
}


@st.composite
def _lei(draw: st.DrawFn) -> str:
    first18 = draw(st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=18, max_size=18))
    return first18 + lei_check_digits(first18)


@st.composite
def _vn_erc(draw: st.DrawFn) -> str:
    first9 = draw(_digits(9).filter(lambda d: vn_tax_check_digit(d) is not None))
    check = vn_tax_check_digit(first9)
    assert check is not None
    return first9 + check


@st.composite
def _th_dbd(draw: st.DrawFn) -> str:
    first12 = "0" + draw(_digits(11))
    return first12 + th_check_digit(first12)


LEIS = _lei()

#: country -> strategy of valid business registration numbers.
REGISTRATIONS: dict[str, st.SearchStrategy[str]] = {
    "SG": st.integers(1990, 2026).flatmap(lambda y: _digits(5).map(lambda d: f"{y}{d}K")),
    "MY": st.tuples(st.integers(1990, 2026), st.sampled_from(["01", "02", "03", "04"]), _digits(6)).map(
        lambda t: f"{t[0]}{t[1]}{t[2]}"
    ),
    "ID": _digits(13),
    "TH": _th_dbd(),
    "VN": _vn_erc(),
    "PH": _digits(9).map(lambda d: "CS" + d),
    "BN": _digits(6).map(lambda d: "RC" + d),
    "KH": _digits(8),
    "LA": _digits(9),
    "MM": _digits(9),
    "TL": _digits(7),
}
