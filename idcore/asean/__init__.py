"""ASEAN data model: national identifiers, business registrations, names, partial dates, mandates.

Pure (no framework, no I/O). The issuer validates what it issues with it and the verifier
applies the same rules in its policy checks, so both sides agree on one definition.
"""

from idcore.asean.dates import PartialDate, age_bounds, exact_age, is_certainly_at_least
from idcore.asean.errors import AseanDataError
from idcore.asean.identifiers import SCHEMES, IdScheme, NationalId, mask, parse_national_id
from idcore.asean.registrations import REGISTRIES, Registration, parse_lei, parse_registration

__all__ = [
    "REGISTRIES",
    "SCHEMES",
    "AseanDataError",
    "IdScheme",
    "NationalId",
    "PartialDate",
    "Registration",
    "age_bounds",
    "exact_age",
    "is_certainly_at_least",
    "mask",
    "parse_lei",
    "parse_national_id",
    "parse_registration",
]
