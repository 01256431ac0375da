"""ASEAN data model: national identifiers, business registrations, names, partial dates, mandates.

Pure (no framework, no I/O). The issuer validates what it issues with it and the verifier
applies the same rules in its policy checks, so both sides agree on one definition.
"""

from idcore.asean.errors import AseanDataError
from idcore.asean.identifiers import SCHEMES, mask, parse_national_id
from idcore.asean.registrations import parse_lei, parse_registration

__all__ = ["SCHEMES", "AseanDataError", "mask", "parse_lei", "parse_national_id", "parse_registration"]
