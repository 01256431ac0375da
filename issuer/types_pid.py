"""The ASEAN person-ID credential (PID) type: names, partial dates and derived claims for 11 states.

SD-JWT VC Type Metadata (draft-ietf-oauth-sd-jwt-vc Section 8, "Display Metadata" 8.5 and
"Claim Metadata" 8.6 with ``display``/``mandatory``/``sd``) for ``idcore.trust.vct.VCT_PID``.
The claim model is :mod:`idcore.asean.pid`: a full name as written (in its script) with a Latin
transliteration, optional given/family names (never mandatory: mononyms and patronymic names
are first-class), ``birthdate`` as ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, a typed national
identifier with its masked form, and derived age claims.

Labels and names come from ``issuer/seed/labels.json``: English and the member states'
languages (:data:`LOCALES`); the same file labels the mdoc data elements that have no PID claim
(:func:`mdoc_element_labels`, used by :mod:`issuer.types_mdoc`). ``sd: never`` only for
``issuing_country`` (a verifier needs it to pick trust anchors); every other claim is selectively disclosable.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from idcore.oid4vci.metadata import ClaimDefinition, CredentialType
from idcore.trust.vct import VCT_PID

__all__ = ["LABELS", "LOCALES", "PID_TYPE", "claim_definitions", "labels", "mdoc_element_labels", "type_names"]

_DOC: dict[str, Any] = json.loads((Path(__file__).parent / "seed" / "labels.json").read_text(encoding="utf-8"))
#: English first, then Malay, Indonesian, Thai, Vietnamese, Filipino, Khmer, Lao, Burmese, Tetum, Tamil, Chinese.
LOCALES: tuple[str, ...] = tuple(_DOC["locales"])
#: claim key (dotted path) -> locale -> label.
LABELS: Mapping[str, Mapping[str, str]] = _DOC["claims"]
_MDOC_LABELS: Mapping[str, Mapping[str, str]] = _DOC["mdoc_elements"]

_CLAIMS = (
    "full_name",
    "full_name_latin",
    "name_script",
    "name_order",
    "given_name",
    "family_name",
    "patronymic",
    "birthdate",
    "place_of_birth",
    "place_of_birth.locality",
    "place_of_birth.region",
    "place_of_birth.country",
    "nationality",
    "sex",
    "address",
    "address.street_address",
    "address.locality",
    "address.postal_code",
    "address.country",
    "national_id",
    "national_id_type",
    "national_id_masked",
    "document_number",
    "issuing_country",
    "issuing_authority",
    "age_over_18",
    "age_over_21",
    "age_in_years",
    "portrait",
    "national_extensions",
    "national_extensions.residential_status",
    "national_extensions.birth_state",
    "national_extensions.hometown",
)

# given_name and family_name are deliberately absent: many people have neither.
_MANDATORY = frozenset(
    {
        "full_name",
        "full_name_latin",
        "name_script",
        "name_order",
        "birthdate",
        "nationality",
        "age_over_18",
        "age_over_21",
        "issuing_country",
        "issuing_authority",
    }
)


def labels(key: str) -> dict[str, str]:
    """The labels of claim ``key`` by locale (``registered_address.x`` borrows ``address.x``)."""
    row = LABELS.get(key)
    if row is None and "." in key:
        row = LABELS.get("address." + key.split(".", 1)[1])
    if row is None:
        raise KeyError(key)
    return {locale: row[locale] for locale in LOCALES}


def mdoc_element_labels(element: str) -> dict[str, str]:
    """The labels of an mdoc data element by locale: its own row, else the PID claim of that name.

    ``birth_date`` (ISO/IEC 18013-5 Table 5) is the PID's ``birthdate``; elements with no PID claim
    (``issue_date``, ``driving_privileges``, ``age_birth_year``, ...) have a row of their own.
    """
    row = _MDOC_LABELS.get(element)
    if row is None:
        return labels({"birth_date": "birthdate"}.get(element, element))
    return {locale: row[locale] for locale in LOCALES}


def type_names(kind: str) -> dict[str, str]:
    """Display names of credential type ``kind`` (pid, business, mandate, mdl) by locale."""
    return {locale: _DOC["types"][kind][locale] for locale in LOCALES}


def claim_definitions(
    keys: Iterable[str], mandatory: frozenset[str], never_sd: frozenset[str]
) -> tuple[ClaimDefinition, ...]:
    """Claim metadata for ``keys`` (dotted paths) with their labels in every locale."""
    return tuple(
        ClaimDefinition(
            tuple(key.split(".")), labels(key), sd="never" if key in never_sd else "always", mandatory=key in mandatory
        )
        for key in keys
    )


PID_TYPE = CredentialType(
    vct=VCT_PID,
    names=type_names("pid"),
    descriptions={"en": "Identity of a citizen of an ASEAN member state, issued by the national authority."},
    claims=claim_definitions(_CLAIMS, _MANDATORY, frozenset({"issuing_country"})),
    background_color="#12355b",
)
