"""OpenID for Verifiable Credential Issuance 1.0 (``../shared/specs/openid4vci-1_0.md``), pure protocol.

* :mod:`idcore.oid4vci.messages` — Credential Offer (Section 4), Credential Request (8.2),
  Notification Request (11.1);
* :mod:`idcore.oid4vci.proof` — ``jwt`` key proofs (Appendix F.1, F.4);
* :mod:`idcore.oid4vci.dpop` — DPoP proofs (RFC 9449 Section 4.3), required by HAIP;
* :mod:`idcore.oid4vci.metadata` — issuer and authorization server metadata (Section 12),
  SD-JWT VC type metadata and ``vct#integrity``;
* :mod:`idcore.oid4vci.errors` — the spec's error codes.
"""

from idcore.oid4vci.dpop import access_token_hash, normalize_htu, verify_dpop_proof
from idcore.oid4vci.errors import INVALID_PROOF, Oid4vciError
from idcore.oid4vci.messages import (
    PRE_AUTHORIZED_GRANT,
    CredentialOffer,
    build_credential_offer,
    credential_offer_uri,
    parse_credential_offer,
    parse_credential_request,
    split_offer_link,
)
from idcore.oid4vci.metadata import integrity
from idcore.oid4vci.proof import verify_jwt_proof

__all__ = [
    "INVALID_PROOF",
    "PRE_AUTHORIZED_GRANT",
    "CredentialOffer",
    "Oid4vciError",
    "access_token_hash",
    "build_credential_offer",
    "credential_offer_uri",
    "integrity",
    "normalize_htu",
    "parse_credential_offer",
    "parse_credential_request",
    "split_offer_link",
    "verify_dpop_proof",
    "verify_jwt_proof",
]
