"""The format-neutral credential interface: one verifier per format, one result for all.

OpenID4VP 1.0 Section 8.6 ("VP Token Validation") asks the Verifier to validate each
presentation "according to its format" (Appendix B: ``dc+sd-jwt`` B.3, ``mso_mdoc`` B.2), then
to apply the same checks to all of them (holder binding, DCQL, policy). So a
:class:`CredentialVerifier` turns one raw presentation into one :class:`VerifiedCredential`
(or raises a :class:`CredentialError` naming the :class:`Stage` that failed), and everything
after it — status, DCQL satisfaction, relying-party policy — reads only that result.

Every format verifier runs its checks in this order, each stage at most once:
``parsing`` → ``issuer_signature`` (the trust framework establishes the key, the signature
verifies) → ``registry_authorisation`` (the framework authorises the issuer for the type at
issuance) → ``validity`` (the credential's own window) → ``holder_binding``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from idcore.errors import IdcoreError, Reason
from idcore.jwk import PublicKey
from idcore.trust.framework import IssuerEvidence, TrustedIssuer, TrustFramework, TrustJudgement

__all__ = [
    "CredentialError",
    "CredentialVerifier",
    "Stage",
    "VerificationContext",
    "VerifiedCredential",
]


class Stage(StrEnum):
    """Where a format verifier refused; the values are the verifier's check names."""

    PARSING = "parsing"
    ISSUER_SIGNATURE = "issuer_signature"
    REGISTRY = "registry_authorisation"
    VALIDITY = "validity"
    HOLDER_BINDING = "holder_binding"


class CredentialError(IdcoreError):
    """A credential was refused at ``stage`` with ``reason`` (the reason of the check that failed)."""

    def __init__(self, stage: Stage, reason: Reason, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.stage = stage

    @classmethod
    def at(cls, stage: Stage, error: IdcoreError) -> CredentialError:
        """Re-raise ``error`` as a refusal at ``stage``, keeping its reason and detail."""
        return cls(stage, error.reason, error.detail)


@dataclass(frozen=True, slots=True)
class VerificationContext:
    """What one transaction expects of every credential in it.

    ``now`` is the one verification time for the whole presentation. Holder binding is required
    when ``require_holder_binding`` says so (the relying party's policy or the DCQL query,
    never the wallet): SD-JWT VC then needs a KB-JWT over ``nonce`` and ``audience`` (RFC 9901
    Section 7.3), mdoc a deviceSignature over ``session_transcript`` (ISO/IEC 18013-5 Section
    9.1.3; OpenID4VP 1.0 Appendix B.2.6).
    """

    trust: TrustFramework
    now: int
    nonce: str | None = None
    audience: str | None = None
    require_holder_binding: bool = True
    session_transcript: bytes | None = None
    max_skew: int = 60
    kb_max_age: int = 300


@dataclass(frozen=True, slots=True)
class VerifiedCredential:
    """One verified credential, whatever its format.

    ``claims`` are the disclosed, issuer-attested claims (SD-JWT VC: the processed payload
    without ``cnf``/``status``/``_sd_alg``/``vct#integrity``; mdoc: by namespace, then element).
    ``status`` is the credential's status reference object (``{"status_list": {"idx", "uri"}}``,
    draft-ietf-oauth-status-list Section 6) or ``None``; ``evidence`` is what was judged, so a
    later check (a Status List Token's signer) can ask the same framework the same question.
    """

    format: str
    credential_type: str
    issuer: TrustedIssuer
    claims: Mapping[str, Any]
    issued_at: int
    valid_from: int | None
    valid_until: int | None
    holder_key: PublicKey | None
    holder_bound: bool
    status: Mapping[str, Any] | None
    trust: TrustJudgement
    evidence: IssuerEvidence

    @property
    def issuer_key(self) -> PublicKey:
        """The key the issuer signed with, as established by the trust framework."""
        if self.trust.key is None:  # unreachable: a verified credential carries a trusted judgement
            raise ValueError("a verified credential without an issuer key")
        return self.trust.key

    @property
    def country(self) -> str:
        """The issuing country (from the matched issuer record, never from the credential alone)."""
        return self.issuer.country


class CredentialVerifier(Protocol):
    """Verifies one presentation of one credential format (the ``format`` of a DCQL query)."""

    format: str

    def verify(self, raw: Any, context: VerificationContext) -> VerifiedCredential:
        """Verify ``raw``; return the result or raise :class:`CredentialError`."""
        ...
