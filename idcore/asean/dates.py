"""Birth dates that registers may know only in part, and ages that are certain despite it.

Several ASEAN civil registers hold only a year (or a year and month) of birth for older
citizens. A birth date claim is therefore ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``: OpenID
Connect Core 1.0 Section 5.1 (``birthdate``) allows ``YYYY`` alone; ``YYYY-MM`` is our
extension for registers that record the month. A partial date is the set of every day it
could be, and each age question is answered for all of them:

* :func:`age_bounds` gives the least and greatest age the person can have on a day;
* :func:`is_certainly_at_least` is true only when every possible birth day makes the person at
  least that old (the conservative rule for ``age_over_NN``); a year-only birth in 2008 makes
  the person certainly 18 only from 31 December 2026, their latest possible birthday;
* :func:`exact_age` is the age when all possible days agree, otherwise ``None``.

A person born on 29 February reaches a new age on 1 March in common years (the later reading,
so the answer never overstates).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from idcore.asean.errors import AseanDataError
from idcore.errors import Reason

__all__ = ["PartialDate", "age_bounds", "age_on", "exact_age", "is_certainly_at_least"]

_PATTERN = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A calendar date of which the month and day may be unknown (``None``)."""

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (a real calendar day, year 1..9999)."""
        match = _PATTERN.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise AseanDataError(Reason.INVALID_CLAIM, "a birth date is YYYY, YYYY-MM or YYYY-MM-DD")
        year = int(match.group(1))
        month, day = (int(g) if g is not None else None for g in match.groups()[1:])
        if year < 1 or (month is not None and not 1 <= month <= 12):
            raise AseanDataError(Reason.INVALID_CLAIM, "no such month")
        if day is not None and (month is None or not 1 <= day <= calendar.monthrange(year, month)[1]):
            raise AseanDataError(Reason.INVALID_CLAIM, "no such day")
        return cls(year, month, day)

    @property
    def precision(self) -> str:
        """``year``, ``month`` or ``day``: how much of the date is known."""
        return "day" if self.day is not None else "month" if self.month is not None else "year"

    def earliest(self) -> date:
        """The first day the date could be."""
        return date(self.year, self.month or 1, self.day or 1)

    def latest(self) -> date:
        """The last day the date could be."""
        month = self.month or 12
        return date(self.year, month, self.day or calendar.monthrange(self.year, month)[1])

    def isoformat(self) -> str:
        """The claim form this date was parsed from."""
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        return text


def age_on(born: date, today: date) -> int:
    """Completed years on ``today`` of a person born on ``born`` (29 February: 1 March in common years)."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def age_bounds(birth: PartialDate, today: date) -> tuple[int, int]:
    """(least, greatest) age the person can be on ``today`` over every day ``birth`` could be."""
    return age_on(birth.latest(), today), age_on(birth.earliest(), today)


def is_certainly_at_least(birth: PartialDate, years: int, today: date) -> bool:
    """Whether the person is at least ``years`` old on ``today`` whatever their exact birth day."""
    return age_bounds(birth, today)[0] >= years


def exact_age(birth: PartialDate, today: date) -> int | None:
    """The age on ``today`` if every possible birth day gives the same one, else ``None``."""
    least, greatest = age_bounds(birth, today)
    return least if least == greatest else None
