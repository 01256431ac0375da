"""One error hierarchy for idcore, with stable reason codes.

Every rejection raised by idcore is an :class:`IdcoreError` carrying a :class:`Reason`.
Services map reasons to HTTP answers in their own error handlers; idcore knows no HTTP.
The network should see only a generic error plus the reason code (see STYLE.md: the
verifier answers "invalid presentation" with a stable code and logs the detail).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "DcqlError",
    "IdcoreError",
    "JoseError",
    "KeyStoreError",
    "MdocError",
    "Reason",
    "SdJwtError",
    "StatusListError",
    "TrustError",
    "X509Error",
]


class Reason(StrEnum):
    """Stable reason codes. Values never change once published: relying parties match on them."""

    # input shape
    MALFORMED = "malformed"
    TOO_LARGE = "too_large"
    #: more items (signatures, disclosures, digests, JSON values, query entries) than a limit allows
    TOO_MANY = "too_many"
    #: JSON or claims nested deeper than a limit allows
    TOO_DEEP = "too_deep"
    BAD_BASE64 = "bad_base64"
    DUPLICATE_MEMBER = "duplicate_member"
    # JOSE
    ALG_NOT_ALLOWED = "alg_not_allowed"
    TYP_MISMATCH = "typ_mismatch"
    UNKNOWN_CRIT = "unknown_crit"
    PRIVATE_KEY_IN_HEADER = "private_key_in_header"
    BAD_SIGNATURE = "bad_signature"
    BAD_KEY = "bad_key"
    # SD-JWT (RFC 9901)
    SD_HASH_MISMATCH = "sd_hash_mismatch"
    UNREFERENCED_DISCLOSURE = "unreferenced_disclosure"
    DUPLICATE_DIGEST = "duplicate_digest"
    DUPLICATE_DISCLOSURE = "duplicate_disclosure"
    MALFORMED_DISCLOSURE = "malformed_disclosure"
    RESERVED_CLAIM_NAME = "reserved_claim_name"
    CLAIM_NAME_COLLISION = "claim_name_collision"
    UNSUPPORTED_SD_ALG = "unsupported_sd_alg"
    KB_MISSING = "kb_missing"
    KB_UNEXPECTED = "kb_unexpected"
    KB_INVALID = "kb_invalid"
    CNF_MISSING = "cnf_missing"
    NONCE_MISMATCH = "nonce_mismatch"
    AUD_MISMATCH = "aud_mismatch"
    IAT_OUT_OF_WINDOW = "iat_out_of_window"
    # validity
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    # SD-JWT VC
    MISSING_CLAIM = "missing_claim"
    NEVER_DISCLOSABLE = "never_disclosable"
    VCT_MISMATCH = "vct_mismatch"
    # trust, X.509
    UNTRUSTED_ISSUER = "untrusted_issuer"
    CHAIN_INVALID = "chain_invalid"
    CERT_EXPIRED = "cert_expired"
    CERT_NOT_YET_VALID = "cert_not_yet_valid"
    CERT_USAGE = "cert_usage"
    ISSUER_MISMATCH = "issuer_mismatch"
    NOT_AUTHORISED = "not_authorised"
    ISSUER_SUSPENDED = "issuer_suspended"
    ISSUER_WITHDRAWN = "issuer_withdrawn"
    #: The issuer's key is recorded as compromised: nothing it signed is trusted, whatever its ``iat``.
    ISSUER_KEY_COMPROMISED = "issuer_key_compromised"
    TRUST_LIST_INVALID = "trust_list_invalid"
    TRUST_LIST_ROLLBACK = "trust_list_rollback"
    TRUST_LIST_STALE = "trust_list_stale"
    #: A signed checkpoint (C2SP signed note) that does not parse or verify against the pinned key.
    CHECKPOINT_INVALID = "checkpoint_invalid"
    #: A log that shrank (truncation) or whose new tree does not extend the old one (fork, rewrite).
    LOG_INCONSISTENT = "log_inconsistent"
    # mutual recognition (idcore.trust.recognition, issue #16)
    #: No recognition decision of the verifier's country covers this country, type and purpose.
    NOT_RECOGNISED = "not_recognised"
    #: The recognition decision that covered it was withdrawn by its country.
    RECOGNITION_WITHDRAWN = "recognition_withdrawn"
    #: The recognition decision that covers it is not in force at that time (before ``valid_from`` or expired).
    RECOGNITION_NOT_IN_FORCE = "recognition_not_in_force"
    # OpenID Federation 1.0 (idcore.trust.federation, issue #16)
    #: A trust chain that does not validate: a signature, iss/sub chaining, iat/exp, or no path to the anchor.
    FEDERATION_CHAIN_INVALID = "federation_chain_invalid"
    #: The chain's metadata policies conflict, or the subject's metadata does not comply with them.
    FEDERATION_POLICY_ERROR = "federation_policy_error"
    #: The issuer does not carry a valid trust mark the verifier requires.
    TRUST_MARK_MISSING = "trust_mark_missing"
    # status list
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    STATUS_INVALID = "status_invalid"
    STATUS_INDEX_OUT_OF_RANGE = "status_index_out_of_range"
    STATUS_URI_MISMATCH = "status_uri_mismatch"
    STATUS_UNAVAILABLE = "status_unavailable"
    # DCQL
    INVALID_QUERY = "invalid_query"
    DCQL_UNSATISFIED = "dcql_unsatisfied"
    # keys
    KEY_NOT_FOUND = "key_not_found"
    KEY_STORE = "key_store"
    # OpenID4VP transactions and relying-party policy (verifier)
    SESSION_UNKNOWN = "session_unknown"
    SESSION_EXPIRED = "session_expired"
    SESSION_USED = "session_used"
    STATE_MISMATCH = "state_mismatch"
    DECRYPTION_FAILED = "decryption_failed"
    WALLET_ERROR = "wallet_error"
    COUNTRY_NOT_ACCEPTED = "country_not_accepted"
    CREDENTIAL_TOO_OLD = "credential_too_old"
    ASSURANCE_TOO_LOW = "assurance_too_low"
    POLICY_NOT_MET = "policy_not_met"
    # ISO/IEC 18013-5 mdoc
    DIGEST_MISMATCH = "digest_mismatch"
    UNSUPPORTED_DIGEST_ALG = "unsupported_digest_alg"
    DOCTYPE_MISMATCH = "doctype_mismatch"
    DEVICE_AUTH_INVALID = "device_auth_invalid"
    DEVICE_MAC_UNSUPPORTED = "device_mac_unsupported"
    DEVICE_KEY_NOT_AUTHORISED = "device_key_not_authorised"
    # ASEAN data model (idcore.asean)
    INVALID_IDENTIFIER = "invalid_identifier"
    INVALID_CLAIM = "invalid_claim"
    MANDATE_MISMATCH = "mandate_mismatch"


class IdcoreError(Exception):
    """Base of every idcore rejection: a stable :class:`Reason` plus a human detail.

    ``str(err)`` gives ``"<reason>: <detail>"``. The detail is for logs and operators;
    answers to untrusted parties should carry only ``err.reason``.
    """

    def __init__(self, reason: Reason, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)


class JoseError(IdcoreError):
    """A JWS or JWK failed parsing, policy or signature checks."""


class SdJwtError(IdcoreError):
    """An SD-JWT, SD-JWT VC or Key Binding JWT was rejected (RFC 9901 Section 7)."""


class StatusListError(IdcoreError):
    """A Token Status List or a credential's status reference was rejected."""


class X509Error(IdcoreError):
    """An X.509 certificate chain failed validation."""


class TrustError(IdcoreError):
    """A trust decision was negative or the trust list could not be used."""


class DcqlError(IdcoreError):
    """A DCQL query is invalid or a presentation does not satisfy it."""


class KeyStoreError(IdcoreError):
    """A key store could not find or use a key."""


class MdocError(IdcoreError):
    """An ISO/IEC 18013-5 mdoc, Mobile Security Object or DeviceResponse was rejected."""
