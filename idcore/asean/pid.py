"""The ASEAN person-ID (PID) claims: names as people carry them, partial dates, derived claims.

Names. ``full_name`` is the name as the register writes it, in its own script
(``name_script``, ISO 15924: Latn, Thai, Mymr, Khmr, Laoo, Hans, Taml, ...);
``full_name_latin`` is its Latin transliteration (equal where the register writes Latin).
``given_name`` and ``family_name`` are optional and never required: many people in Myanmar
and Indonesia have one name (``name_order: mononym``) and Malay names carry a patronymic
(``Nur Aisyah binti Ahmad``) rather than a family name. A ``patronymic`` claim holds the
particle and the father's name exactly as written (bin, binti, binte, a/l, a/p, s/o, d/o,
anak); the particle is preserved, never stripped.

Dates. ``birthdate`` is ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (:mod:`idcore.asean.dates`).

Derived claims (:func:`derived_claims`), computed at issuance for selective disclosure:
``age_over_18``/``age_over_21`` are true only when certain for every day a partial birth date
could be; ``age_in_years`` only when every such day gives the same age; ``national_id_masked``
shows the last four characters (:func:`idcore.asean.identifiers.mask`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any

from idcore.asean.dates import PartialDate, exact_age, is_certainly_at_least
from idcore.asean.errors import AseanDataError
from idcore.asean.identifiers import NationalId, parse_national_id
from idcore.errors import Reason

__all__ = ["check_person_claims", "derived_claims", "split_patronymic"]

NAME_ORDERS = ("given_family", "family_given", "mononym", "patronymic")
#: Particles that join a personal name to a father's name (Malay, Tamil-Malaysian, Iban).
PATRONYMIC_PARTICLES = ("bin", "binti", "binte", "bte", "a/l", "a/p", "s/o", "d/o", "anak")
#: The ``age_over_NN`` claims issued for every person.
AGE_THRESHOLDS = (18, 21)
_MAX_NAME = 256


def _bad(detail: str) -> AseanDataError:
    return AseanDataError(Reason.INVALID_CLAIM, detail)


def _check_name(value: Any, claim: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_NAME:
        raise _bad(f"{claim} must be a non-empty name of at most {_MAX_NAME} characters")
    if unicodedata.normalize("NFC", value) != value:
        raise _bad(f"{claim} must be in Unicode normalisation form C")
    if any(unicodedata.category(ch)[0] == "C" and ch not in "\u200c\u200d" for ch in value):
        raise _bad(f"{claim} holds control characters")  # ZWNJ/ZWJ are needed by Indic and Myanmar text
    return value


def _is_latin(text: str) -> bool:
    return all(not ch.isalpha() or "LATIN" in unicodedata.name(ch, "") for ch in text)


def split_patronymic(full_name: str) -> tuple[str, str, str] | None:
    """(personal name, particle as written, father's name) of a patronymic name, else ``None``."""
    words = full_name.split()
    for i, word in enumerate(words[1:-1], start=1):
        if word.lower() in PATRONYMIC_PARTICLES:
            return " ".join(words[:i]), word, " ".join(words[i + 1 :])
    return None


def _check_names(claims: Mapping[str, Any]) -> None:
    full = _check_name(claims.get("full_name"), "full_name")
    latin = _check_name(claims.get("full_name_latin", full), "full_name_latin")
    if not _is_latin(latin):
        raise _bad("full_name_latin must be in Latin script")
    order = claims.get("name_order", "given_family")
    if order not in NAME_ORDERS:
        raise _bad(f"name_order must be one of {', '.join(NAME_ORDERS)}")
    for part in ("given_name", "family_name", "patronymic"):
        if part in claims:
            _check_name(claims[part], part)
    # A Burmese name such as "Aung Kyaw" is one personal name of several syllables: spaces are allowed.
    if order == "mononym" and "family_name" in claims:
        raise _bad("a mononym has no family name")
    patronymic = claims.get("patronymic")
    if patronymic is not None and patronymic not in full and patronymic not in latin:
        raise _bad("the patronymic must appear in the full name as written (particle preserved)")


def _check_identifier(claims: Mapping[str, Any], country: str) -> NationalId | None:
    if "national_id" not in claims:
        return None
    nid = parse_national_id(country, claims["national_id"])
    if claims.get("national_id_type", nid.scheme) != nid.scheme or nid.value != claims["national_id"]:
        raise AseanDataError(Reason.INVALID_IDENTIFIER, "national_id must be the canonical value of its scheme")
    return nid


def check_person_claims(claims: Mapping[str, Any]) -> PartialDate:
    """Validate a PID claim set (names, birth date, identifier); returns the parsed birth date.

    The identifier is checked against ``issuing_country``'s scheme, and what it encodes (birth
    year, sex) must agree with the ``birthdate`` and ``sex`` claims.
    """
    _check_names(claims)
    birth = PartialDate.parse(claims.get("birthdate"))  # type: ignore[arg-type]  # parse rejects non-strings
    country = claims.get("issuing_country")
    if not isinstance(country, str):
        raise _bad("issuing_country is required")
    nid = _check_identifier(claims, country)
    if nid is not None and nid.birth is not None and not claims["birthdate"].startswith(nid.birth):
        raise AseanDataError(Reason.INVALID_IDENTIFIER, "the identifier's birth year contradicts birthdate")
    if nid is not None and nid.sex is not None and claims.get("sex", nid.sex) != nid.sex:
        raise AseanDataError(Reason.INVALID_IDENTIFIER, "the identifier's sex digit contradicts sex")
    return birth


def derived_claims(claims: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The claims derived from a valid PID claim set on ``today`` (ages, masked identifier)."""
    birth = check_person_claims(claims)
    derived: dict[str, Any] = {f"age_over_{n}": is_certainly_at_least(birth, n, today) for n in AGE_THRESHOLDS}
    age = exact_age(birth, today)
    if age is not None:
        derived["age_in_years"] = age
    if "national_id" in claims:
        nid = parse_national_id(claims["issuing_country"], claims["national_id"])
        derived["national_id_type"] = nid.scheme
        derived["national_id_masked"] = nid.masked()
    return derived
