"""Trust decisions for Lintas verifiers: the signed ASEAN trust list and how to use it.

* :mod:`idcore.trust.model` — the list (ETSI TS 119 602 style) and its strict JSON form;
* :mod:`idcore.trust.signed` — signing and pinned verification of the list JWS;
* :mod:`idcore.trust.decision` — the indexed snapshot and :func:`is_authorised`;
* :mod:`idcore.trust.cache` — the verifier-side cache (pin, rollback, staleness);
* :mod:`idcore.trust.framework` — the trust-framework interface (evidence in, judgement out);
* :mod:`idcore.trust.asean_list` — the signed list as a trust framework (issuer keys, chains, authorisation);
* :mod:`idcore.trust.anchors` — what may be listed as a national root;
* :mod:`idcore.trust.vct` — shared credential type and service type identifiers;
* :mod:`idcore.trust.limits` — field limits, per-country quotas and country binding (issue #12);
* :mod:`idcore.trust.merkle` — RFC 9162 Merkle trees, inclusion and consistency proofs;
* :mod:`idcore.trust.checkpoint` — C2SP signed-note checkpoints and the client-side monitor.

The network never enters here: fetching is a port (``fetch() -> bytes``).
"""

from idcore.trust.anchors import check_anchor_certificate
from idcore.trust.asean_list import AseanTrustList, ChainCache
from idcore.trust.cache import CacheStatus, TrustListCache
from idcore.trust.checkpoint import Checkpoint, CheckpointMonitor, CheckpointSigner, CheckpointVerifier
from idcore.trust.decision import Decision, TrustSnapshot, is_authorised, require_authorised
from idcore.trust.framework import IssuerEvidence, TrustedIssuer, TrustFramework, TrustJudgement
from idcore.trust.model import (
    CountryEntry,
    IssuerEntry,
    IssuerStatus,
    SchemeOperator,
    StatusChange,
    StatusReason,
    TrustList,
    check_identifier,
)
from idcore.trust.signed import (
    TRUST_LIST_TYP,
    TrustListPin,
    VerifiedTrustList,
    certificate_sha256_hex,
    sign_trust_list,
    verify_trust_list,
)
from idcore.trust.vct import (
    ASEAN_COUNTRIES,
    SERVICE_LEGAL_PERSON_ISSUANCE,
    SERVICE_PID_ISSUANCE,
    VCT_BUSINESS_REGISTRATION,
    VCT_PID,
)

__all__ = [
    "ASEAN_COUNTRIES",
    "SERVICE_LEGAL_PERSON_ISSUANCE",
    "SERVICE_PID_ISSUANCE",
    "TRUST_LIST_TYP",
    "VCT_BUSINESS_REGISTRATION",
    "VCT_PID",
    "AseanTrustList",
    "CacheStatus",
    "ChainCache",
    "Checkpoint",
    "CheckpointMonitor",
    "CheckpointSigner",
    "CheckpointVerifier",
    "CountryEntry",
    "Decision",
    "IssuerEntry",
    "IssuerEvidence",
    "IssuerStatus",
    "SchemeOperator",
    "StatusChange",
    "StatusReason",
    "TrustFramework",
    "TrustJudgement",
    "TrustList",
    "TrustListCache",
    "TrustListPin",
    "TrustSnapshot",
    "TrustedIssuer",
    "VerifiedTrustList",
    "certificate_sha256_hex",
    "check_anchor_certificate",
    "check_identifier",
    "is_authorised",
    "require_authorised",
    "sign_trust_list",
    "verify_trust_list",
]
