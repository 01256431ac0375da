"""Business credential types: the registration extract and the mandate to act for a business.

SD-JWT VC Type Metadata (draft-ietf-oauth-sd-jwt-vc Section 8) for
``idcore.trust.vct.VCT_BUSINESS_REGISTRATION`` and ``VCT_MANDATE``; claim rules in
:mod:`idcore.asean.mandate` and :mod:`idcore.asean.registrations`.

* Registration: ``registration_number`` in its registry's scheme (``registration_scheme``:
  SG-UEN, MY-SSM, ID-NIB, TH-DBD, VN-ERC, PH-SEC, ...), an ``lei`` where the business has one,
  and the legal name in the local script. ``country`` is never selectively disclosable
  (verifiers need it for trust decisions). The company's status is ``registration_status``:
  ``status`` is the registered claim of the Token Status List.
* Mandate: a person, by PID reference, with a ``role`` and ``scope`` for a business;
  ``business_country`` is never selectively disclosable.
"""

from __future__ import annotations

from idcore.oid4vci.metadata import CredentialType
from idcore.trust.vct import VCT_BUSINESS_REGISTRATION, VCT_MANDATE
from issuer.types_pid import claim_definitions, type_names

__all__ = ["BUSINESS_TYPE", "MANDATE_TYPE"]

_BUSINESS_CLAIMS = (
    "legal_name",
    "legal_name_local",
    "registration_number",
    "registration_scheme",
    "lei",
    "country",
    "legal_form",
    "registration_status",
    "registration_date",
    "registered_address",
    "registered_address.street_address",
    "registered_address.locality",
    "registered_address.postal_code",
    "registered_address.country",
    "authorised_representatives",
)
_BUSINESS_MANDATORY = frozenset(
    {
        "legal_name",
        "registration_number",
        "registration_scheme",
        "country",
        "legal_form",
        "registration_status",
        "registration_date",
    }
)

BUSINESS_TYPE = CredentialType(
    vct=VCT_BUSINESS_REGISTRATION,
    names=type_names("business"),
    descriptions={"en": "Registration of a business in an ASEAN member state, issued by its business registry."},
    claims=claim_definitions(_BUSINESS_CLAIMS, _BUSINESS_MANDATORY, frozenset({"country"})),
    background_color="#1b5e20",
)

_MANDATE_CLAIMS = (
    "person_full_name",
    "person_issuing_country",
    "person_national_id_type",
    "person_national_id",
    "business_legal_name",
    "business_country",
    "business_registration_number",
    "business_lei",
    "role",
    "scope",
    "valid_from",
    "valid_until",
)

MANDATE_TYPE = CredentialType(
    vct=VCT_MANDATE,
    names=type_names("mandate"),
    descriptions={"en": "A person's mandate to act for a business registered in an ASEAN member state."},
    claims=claim_definitions(
        _MANDATE_CLAIMS,
        frozenset(_MANDATE_CLAIMS) - {"business_lei", "valid_from", "valid_until"},
        frozenset({"business_country"}),
    ),
    background_color="#4a148c",
)
