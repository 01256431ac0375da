"""Selective Disclosure for JWTs (RFC 9901): issuance, holder presentation and verification."""

from idcore.sdjwt.disclosure import Disclosure, digest
from idcore.sdjwt.issuance import SD, IssuedSdJwt, issue_sd_jwt, mark_disclosable
from idcore.sdjwt.presentation import HolderCredential, create_presentation, make_kb_jwt
from idcore.sdjwt.serialization import SdJwtParts, parse_presentation
from idcore.sdjwt.verification import (
    IssuerKeyResolver,
    KeyBindingPolicy,
    ProcessedPayload,
    VerifiedSdJwt,
    VerifyOptions,
    check_time_claims,
    process_payload,
    verify_key_binding,
    verify_sd_jwt,
)

__all__ = [
    "SD",
    "Disclosure",
    "HolderCredential",
    "IssuedSdJwt",
    "IssuerKeyResolver",
    "KeyBindingPolicy",
    "ProcessedPayload",
    "SdJwtParts",
    "VerifiedSdJwt",
    "VerifyOptions",
    "check_time_claims",
    "create_presentation",
    "digest",
    "issue_sd_jwt",
    "make_kb_jwt",
    "mark_disclosable",
    "parse_presentation",
    "process_payload",
    "verify_key_binding",
    "verify_sd_jwt",
]
