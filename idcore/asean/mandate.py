"""Businesses act through people: business claims, the mandate credential, and their binding.

A mandate credential (``idcore.trust.vct.VCT_MANDATE``), issued by the business registry of
the business's country, links a person, named by their PID reference (``person_issuing_country``,
``person_national_id_type``, ``person_national_id``), to a business (``business_country``,
``business_registration_number``) with a ``role`` and a ``scope``.

:func:`pid_mandate_query` is the DCQL query (OpenID4VP 1.0 Section 6, ``credential_sets``
Section 6.2) a relying party sends to ask for a PID and a matching mandate in one
presentation, optionally with the business registration. :func:`check_mandate_binding` is the
verifier's check that they refer to the same person and the same business; the wallet is
never trusted to have matched them (OpenID4VP 1.0 Section 14.9).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from typing import Any

from idcore.asean.errors import AseanDataError
from idcore.asean.identifiers import parse_national_id, scheme_by_code
from idcore.asean.registrations import parse_lei, parse_registration
from idcore.errors import Reason

__all__ = ["check_business_claims", "check_mandate_binding", "check_mandate_claims", "pid_mandate_query"]

ROLES = ("director", "authorised_signatory", "company_secretary", "partner", "owner", "manager")
SCOPES = ("procurement", "contracts", "tax", "customs", "banking", "licensing", "general")
#: Mandate claims naming the person, paired with the PID claims they must equal.
MANDATE_PERSON_CLAIMS = (
    ("person_issuing_country", "issuing_country"),
    ("person_national_id_type", "national_id_type"),
    ("person_national_id", "national_id"),
)
_MANDATE_BUSINESS_CLAIMS = (("business_country", "country"), ("business_registration_number", "registration_number"))


def _bad(detail: str) -> AseanDataError:
    return AseanDataError(Reason.INVALID_CLAIM, detail)


def check_business_claims(claims: Mapping[str, Any]) -> None:
    """Validate a business registration claim set: the registry's number format and the LEI."""
    country = claims.get("country")
    if not isinstance(country, str):
        raise _bad("country is required")
    registration = parse_registration(country, claims.get("registration_number"))  # type: ignore[arg-type]
    if registration.value != claims["registration_number"]:
        raise AseanDataError(Reason.INVALID_IDENTIFIER, "registration_number must be in canonical form")
    if claims.get("registration_scheme", registration.scheme) != registration.scheme:
        raise AseanDataError(Reason.INVALID_IDENTIFIER, "registration_scheme does not match the country")
    if "lei" in claims:
        parse_lei(claims["lei"])


def check_mandate_claims(claims: Mapping[str, Any]) -> None:
    """Validate a mandate claim set: a valid PID reference, business number, role and scope."""
    country = claims.get("person_issuing_country")
    scheme = scheme_by_code(str(claims.get("person_national_id_type")))
    if scheme.country != country:
        raise AseanDataError(Reason.INVALID_IDENTIFIER, "person_national_id_type is not of person_issuing_country")
    if parse_national_id(scheme.country, claims.get("person_national_id")).value != claims["person_national_id"]:  # type: ignore[arg-type]
        raise AseanDataError(Reason.INVALID_IDENTIFIER, "person_national_id must be in canonical form")
    check_business_claims(
        {
            "country": claims.get("business_country"),
            "registration_number": claims.get("business_registration_number"),
            **({"lei": claims["business_lei"]} if "business_lei" in claims else {}),
        }
    )
    if claims.get("role") not in ROLES:
        raise _bad(f"role must be one of {', '.join(ROLES)}")
    scope = claims.get("scope")
    if not isinstance(scope, list) or not scope or not all(s in SCOPES for s in scope):
        raise _bad(f"scope must be a non-empty list of {', '.join(SCOPES)}")


def _equal(a: Any, b: Any) -> bool:
    # Identifiers are compared in constant time: a mismatch reveals nothing about where it is.
    return isinstance(a, str) and isinstance(b, str) and hmac.compare_digest(a.encode(), b.encode())


def check_mandate_binding(
    pid: Mapping[str, Any],
    mandate: Mapping[str, Any],
    *,
    mandate_issuer_country: str,
    business: Mapping[str, Any] | None = None,
    required_scope: str | None = None,
) -> None:
    """Raise ``MANDATE_MISMATCH`` unless PID, mandate (and business) name one person and one business.

    * every person claim of the mandate is disclosed and equals the PID's;
    * the mandate comes from the business's own country (its registry vouches for it);
    * a presented business registration names the mandate's business;
    * ``required_scope``, when a relying party needs one, is within the mandate's scope.
    """
    for mandate_claim, pid_claim in MANDATE_PERSON_CLAIMS:
        if not _equal(mandate.get(mandate_claim), pid.get(pid_claim)):
            raise AseanDataError(Reason.MANDATE_MISMATCH, f"the mandate's {mandate_claim} is not the PID's")
    if not _equal(mandate.get("business_country"), mandate_issuer_country):
        raise AseanDataError(Reason.MANDATE_MISMATCH, "the mandate was not issued in the business's country")
    if business is not None:
        for mandate_claim, business_claim in _MANDATE_BUSINESS_CLAIMS:
            if not _equal(mandate.get(mandate_claim), business.get(business_claim)):
                raise AseanDataError(Reason.MANDATE_MISMATCH, f"the mandate's {mandate_claim} is not the business's")
    if required_scope is not None and required_scope not in (mandate.get("scope") or []):
        raise AseanDataError(Reason.MANDATE_MISMATCH, f"the mandate does not cover {required_scope}")


def _claims(paths: Sequence[str]) -> list[dict[str, Any]]:
    return [{"path": [p]} for p in paths]


def pid_mandate_query(vct_pid: str, vct_mandate: str, vct_business: str) -> dict[str, Any]:
    """DCQL: a PID and a mandate, both required, and optionally the business registration."""
    pid_claims = ["full_name", *(p for _, p in MANDATE_PERSON_CLAIMS)]
    mandate_claims = [m for m, _ in MANDATE_PERSON_CLAIMS] + [
        "business_legal_name",
        "business_country",
        "business_registration_number",
        "role",
        "scope",
    ]
    business_claims = ["legal_name", "country", "registration_number", "registration_status"]
    return {
        "credentials": [
            {"id": "pid", "format": "dc+sd-jwt", "meta": {"vct_values": [vct_pid]}, "claims": _claims(pid_claims)},
            {
                "id": "mandate",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": [vct_mandate]},
                "claims": _claims(mandate_claims),
            },
            {
                "id": "business",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": [vct_business]},
                "claims": _claims(business_claims),
            },
        ],
        "credential_sets": [
            {"options": [["pid", "mandate"]], "required": True},
            {"options": [["business"]], "required": False},
        ],
    }
