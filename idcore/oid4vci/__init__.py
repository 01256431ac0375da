"""OpenID for Verifiable Credential Issuance 1.0 (``../shared/specs/openid4vci-1_0.md``), pure protocol.

* :mod:`idcore.oid4vci.messages` — Credential Offer (Section 4), Credential Request (8.2),
  Notification Request (11.1);
* :mod:`idcore.oid4vci.proof` — ``jwt`` key proofs (Appendix F.1, F.4);
* :mod:`idcore.oid4vci.dpop` — DPoP proofs (RFC 9449 Section 4.3), required by HAIP;
* :mod:`idcore.oid4vci.metadata` — issuer and authorization server metadata (Section 12),
  SD-JWT VC type metadata and ``vct#integrity``;
* :mod:`idcore.oid4vci.errors` — the spec's error codes.
"""

from idcore.oid4vci.dpop import DPOP_TYP, DpopProof, access_token_hash, normalize_htu, verify_dpop_proof
from idcore.oid4vci.errors import (
    CREDENTIAL_REQUEST_DENIED,
    INVALID_CREDENTIAL_REQUEST,
    INVALID_DPOP_PROOF,
    INVALID_ENCRYPTION_PARAMETERS,
    INVALID_NONCE,
    INVALID_NOTIFICATION_ID,
    INVALID_NOTIFICATION_REQUEST,
    INVALID_PROOF,
    UNKNOWN_CREDENTIAL_CONFIGURATION,
    UNKNOWN_CREDENTIAL_IDENTIFIER,
    USE_DPOP_NONCE,
    Oid4vciError,
)
from idcore.oid4vci.messages import (
    NOTIFICATION_EVENTS,
    OFFER_SCHEME,
    PRE_AUTHORIZED_GRANT,
    CredentialOffer,
    CredentialRequest,
    NotificationRequest,
    build_credential_offer,
    credential_offer_uri,
    parse_credential_offer,
    parse_credential_request,
    parse_notification_request,
    split_offer_link,
)
from idcore.oid4vci.metadata import (
    ClaimDefinition,
    CredentialType,
    MdocType,
    authorization_server_metadata,
    credential_configuration,
    integrity,
    issuer_metadata,
    mdoc_credential_configuration,
    sd_paths,
    type_metadata,
    type_metadata_bytes,
)
from idcore.oid4vci.proof import PROOF_TYP, KeyProof, verify_jwt_proof

__all__ = [
    "CREDENTIAL_REQUEST_DENIED",
    "DPOP_TYP",
    "INVALID_CREDENTIAL_REQUEST",
    "INVALID_DPOP_PROOF",
    "INVALID_ENCRYPTION_PARAMETERS",
    "INVALID_NONCE",
    "INVALID_NOTIFICATION_ID",
    "INVALID_NOTIFICATION_REQUEST",
    "INVALID_PROOF",
    "NOTIFICATION_EVENTS",
    "OFFER_SCHEME",
    "PRE_AUTHORIZED_GRANT",
    "PROOF_TYP",
    "UNKNOWN_CREDENTIAL_CONFIGURATION",
    "UNKNOWN_CREDENTIAL_IDENTIFIER",
    "USE_DPOP_NONCE",
    "ClaimDefinition",
    "CredentialOffer",
    "CredentialRequest",
    "CredentialType",
    "DpopProof",
    "KeyProof",
    "MdocType",
    "NotificationRequest",
    "Oid4vciError",
    "access_token_hash",
    "authorization_server_metadata",
    "build_credential_offer",
    "credential_configuration",
    "credential_offer_uri",
    "integrity",
    "issuer_metadata",
    "mdoc_credential_configuration",
    "normalize_htu",
    "parse_credential_offer",
    "parse_credential_request",
    "parse_notification_request",
    "sd_paths",
    "split_offer_link",
    "type_metadata",
    "type_metadata_bytes",
    "verify_dpop_proof",
    "verify_jwt_proof",
]
