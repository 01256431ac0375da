"""Shared identifiers of the Lintas trust scheme: credential types, service types, countries.

The ``vct`` values are the Verifiable Digital Credential Type identifiers of
draft-ietf-oauth-sd-jwt-vc Section "Verifiable Digital Credential Type - vct Claim"
(collision-resistant https URLs). Issuer, verifier and registry import them from here so
that the three never disagree on a spelling. Service type identifiers follow the idea of
ETSI TS 119 602 ``ServiceTypeIdentifier``: URIs naming what an entity is trusted to do.
"""

from __future__ import annotations

__all__ = [
    "ASEAN_COUNTRIES",
    "ASSURANCE_LEVELS",
    "SERVICE_LEGAL_PERSON_ISSUANCE",
    "SERVICE_PID_ISSUANCE",
    "SERVICE_TYPES",
    "VCT_BUSINESS_REGISTRATION",
    "VCT_MANDATE",
    "VCT_PID",
]

#: ASEAN person-ID credential (issue #4: common core plus national extensions).
VCT_PID = "https://lintas.asean.example/vct/pid/v1"
#: Business (legal person) registration credential.
VCT_BUSINESS_REGISTRATION = "https://lintas.asean.example/vct/business-registration/v1"
#: A person's mandate to act for a business (role and scope), issued by the business registry.
VCT_MANDATE = "https://lintas.asean.example/vct/mandate/v1"

#: The entity issues person-identification credentials.
SERVICE_PID_ISSUANCE = "https://lintas.asean.example/svc/pid-issuance"
#: The entity issues legal-person (business) credentials.
SERVICE_LEGAL_PERSON_ISSUANCE = "https://lintas.asean.example/svc/legal-person-issuance"
SERVICE_TYPES = frozenset({SERVICE_PID_ISSUANCE, SERVICE_LEGAL_PERSON_ISSUANCE})

#: Assurance levels, lowest first (the eIDAS / ISO 29115 vocabulary).
ASSURANCE_LEVELS = ("low", "substantial", "high")

#: The eleven member states, ISO 3166-1 alpha-2 (Timor-Leste admitted 2025).
ASEAN_COUNTRIES = frozenset({"BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN", "TL"})
