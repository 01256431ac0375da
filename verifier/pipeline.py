"""The validation pipeline: every step a named check that fails with a stable reason code.

Order (OpenID4VP 1.0 Section 8.6 "VP Token Validation"; RFC 9901 Section 7; draft-ietf-oauth-sd-jwt-vc
Section 3.4; ISO/IEC 18013-5 Section 9.3; draft-ietf-oauth-status-list "Validation Rules"):

``session`` → ``decryption`` → per credential, by its format's verifier: ``parsing`` →
``issuer_signature`` → ``registry_authorisation`` → ``validity`` → ``holder_binding``; then
``status_list`` for every credential → ``dcql`` → ``rp_policy``.

The first two belong to the transaction and are raised by the service. The format verifier is
chosen by the DCQL Credential Query the ``vp_token`` key names (its ``format``; an unrequested
key by the presentation's shape, so that the DCQL check can name it); it asks the trust
framework (one snapshot for the whole ``vp_token``) whose key signed and whether the issuer is
authorised, and returns one format-neutral :class:`~idcore.credentials.VerifiedCredential`.
Status comes after every credential passed its own checks because it is the only check that
touches the network: a presentation failing a cheap check (a replay without the holder's key
included) costs no fetch. Each piece runs once; a refusal carries the check it failed at.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from idcore.credentials import (
    CredentialError,
    CredentialVerifier,
    MdocVerifier,
    SdJwtVcVerifier,
    VerificationContext,
    VerifiedCredential,
)
from idcore.dcql import FORMAT_MSO_MDOC, FORMAT_SD_JWT_VC, DcqlQuery, PresentedCredential, check_presentation
from idcore.errors import IdcoreError, Reason, StatusListError, TrustError
from idcore.ports import Clock
from idcore.status_list import parse_status_reference
from idcore.trust import AseanTrustList, ChainCache, TrustFramework, TrustSnapshot
from idcore.trust.combined import CombinedTrust
from idcore.trust.recognition import RecognitionSnapshot
from verifier.policy import Policy, Recognition, VerifiedCredentialView, check_policy
from verifier.status import IssuerStatusKey, StatusChecker, status_uri_allowed

__all__ = ["Check", "CheckedCredential", "Expectation", "Pipeline", "Rejection", "TrustSource"]

#: What a trust source gives for one verification: the ASEAN list's snapshot, or any framework.
TrustSource = Callable[[], TrustSnapshot | TrustFramework]


class Check(StrEnum):
    """The named checks, in pipeline order."""

    SESSION = "session"
    DECRYPTION = "decryption"
    PARSING = "parsing"
    ISSUER_SIGNATURE = "issuer_signature"
    REGISTRY = "registry_authorisation"
    VALIDITY = "validity"
    HOLDER_BINDING = "holder_binding"
    STATUS = "status_list"
    DCQL = "dcql"
    POLICY = "rp_policy"


class Rejection(Exception):
    """A presentation failed ``check`` with ``reason``; ``detail`` is for logs, never for the wallet."""

    def __init__(self, check: Check, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{check.value}: {reason.value}")
        self.check = check
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Expectation:
    """What one transaction (or an offline check) expects of a ``vp_token``.

    ``session_transcript`` is the transaction's encoded SessionTranscript (OpenID4VP 1.0
    Appendix B.2.6), required for holder binding of ``mso_mdoc`` presentations.
    """

    query: DcqlQuery
    policy: Policy
    nonce: str | None
    aud: str | None
    session_transcript: bytes | None = None
    #: The relying party's country: whose recognition decisions a policy with ``recognition`` applies.
    verifier_country: str | None = None


@dataclass(frozen=True, slots=True)
class CheckedCredential:
    """One verified credential as reported to the relying party (``vct`` holds the doctype for mdoc)."""

    query_id: str
    vct: str
    issuer: str
    issuer_name: str
    country: str
    assurance_level: str
    iat: int
    claims: dict[str, Any]
    holder_bound: bool
    format: str = FORMAT_SD_JWT_VC
    #: The recognition decision that admitted this foreign credential (policies with ``recognition``).
    recognition_decision: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The relying party's view: disclosed claims plus who vouches for them."""
        kind = "doctype" if self.format == FORMAT_MSO_MDOC else "vct"
        return {
            "credential_query_id": self.query_id,
            "format": self.format,
            kind: self.vct,
            "issuer": self.issuer,
            "issuer_name": self.issuer_name,
            "issuing_country": self.country,
            "assurance_level": self.assurance_level,
            "issued_at": self.iat,
            "holder_bound": self.holder_bound,
            "claims": self.claims,
            **({"recognition_decision": self.recognition_decision} if self.recognition_decision else {}),
        }


def _checked(query_id: str, cred: VerifiedCredential) -> CheckedCredential:
    issuer = cred.issuer
    return CheckedCredential(
        query_id,
        cred.credential_type,
        issuer.issuer_id,
        issuer.name("en"),
        issuer.country,
        issuer.assurance_level,
        cred.issued_at,
        dict(cred.claims),
        cred.holder_bound,
        cred.format,
    )


def _policy_claims(cred: CheckedCredential) -> Mapping[str, Any]:
    """The claims the relying-party policy reads: mdoc elements of every namespace side by side.

    Policies name claims (``age_over_18``), not namespaces. Where two namespaces disagree on an
    element, the value that is not ``true`` is kept: a policy asking for ``true`` is never met
    by one namespace against the evidence of another.
    """
    if cred.format != FORMAT_MSO_MDOC:
        return cred.claims
    merged: dict[str, Any] = {}
    for elements in cred.claims.values():
        for element, value in elements.items() if isinstance(elements, Mapping) else ():
            if element not in merged or merged[element] is True:
                merged[element] = value
    return merged


def _shape_format(presentation: Any) -> str:
    # An SD-JWT serialization always holds '~' (RFC 9901 Section 4); base64url never does.
    return FORMAT_SD_JWT_VC if not isinstance(presentation, str) or "~" in presentation else FORMAT_MSO_MDOC


class Pipeline:
    """Stateless between calls apart from the status and chain caches; safe to share between threads.

    ``trust()`` is asked once per ``vp_token``: a :class:`TrustSnapshot` is judged as the ASEAN
    list (:class:`~idcore.trust.AseanTrustList`, with issuer metadata when ``metadata_fetch`` is
    set), any other :class:`~idcore.trust.TrustFramework` as itself. ``verifiers`` add or replace
    format verifiers by DCQL ``format`` (SD-JWT VC and mdoc by default).
    """

    def __init__(
        self,
        *,
        trust: TrustSource,
        status: StatusChecker,
        clock: Clock,
        max_skew: int = 60,
        kb_max_age: int = 300,
        allow_insecure_loopback: bool = False,
        metadata_fetch: Callable[[str], Mapping[str, Any]] | None = None,
        verifiers: Sequence[CredentialVerifier] = (),
        recognitions: Callable[[int], RecognitionSnapshot] | None = None,
    ) -> None:
        """Configure; nothing is fetched here.

        ``recognitions(trust_list_sequence)`` gives the recognition decisions that go with the
        trust list in use (policies with ``recognition`` only; none configured: nothing is recognised).
        """
        self._recognitions = recognitions
        self._trust = trust
        self._status = status
        self._clock = clock
        self._max_skew = max_skew
        self._kb_max_age = kb_max_age
        self._loopback = allow_insecure_loopback
        self._metadata_fetch = metadata_fetch
        self._chains = ChainCache()
        defaults: tuple[CredentialVerifier, ...] = (SdJwtVcVerifier(), MdocVerifier())
        self._verifiers: dict[str, CredentialVerifier] = {v.format: v for v in (*defaults, *verifiers)}

    def verify(self, vp_token: Mapping[str, Sequence[Any]], expect: Expectation) -> list[CheckedCredential]:
        """Run every check on a ``vp_token``; return the verified credentials or raise :class:`Rejection`."""
        framework = self._framework()
        now = self._clock.now()
        verified: list[tuple[str, VerifiedCredential]] = []
        for query_id, presentations in vp_token.items():
            for presentation in presentations:
                verified.append((query_id, self._credential(presentation, query_id, expect, framework, now)))
        deadline = self._status.deadline()  # one for every status fetch of this vp_token
        for _, cred in verified:
            self._check_status(cred, framework, expect.policy, deadline)
        presented: dict[str, list[PresentedCredential]] = {}
        for query_id, cred in verified:
            entry = PresentedCredential(cred.format, cred.credential_type, cred.claims, cred.holder_bound)
            presented.setdefault(query_id, []).append(entry)
        try:
            check_presentation(expect.query, presented)
        except IdcoreError as exc:
            raise Rejection(Check.DCQL, exc.reason, exc.detail) from None
        checked = [_checked(query_id, cred) for query_id, cred in verified]
        views = [
            VerifiedCredentialView(c.query_id, c.vct, c.issuer, c.country, c.assurance_level, c.iat, _policy_claims(c))
            for c in checked
        ]
        try:
            recognition = self._recognition(expect, framework)
            decisions = check_policy(expect.policy, views, now, recognition=recognition)
        except IdcoreError as exc:
            raise Rejection(Check.POLICY, exc.reason, exc.detail) from None
        return [replace(c, recognition_decision=d) if d else c for c, d in zip(checked, decisions, strict=True)]

    def _recognition(self, expect: Expectation, framework: TrustFramework) -> Recognition | None:
        """The decisions beside the trust list judged with, when the policy asks for them (else None)."""
        if expect.policy.recognition_purpose is None or self._recognitions is None or not expect.verifier_country:
            return None
        # The decisions must go with the signed list judged with (both are re-issued together).
        return Recognition(self._recognitions(_list_sequence(framework)), expect.verifier_country)

    def _framework(self) -> TrustFramework:
        try:
            source = self._trust()
        except TrustError as exc:  # stale or unusable list: fail closed
            raise Rejection(Check.REGISTRY, exc.reason, exc.detail) from None
        if isinstance(source, TrustSnapshot):
            return AseanTrustList(source, metadata_fetch=self._metadata_fetch, chains=self._chains)
        return source

    def _credential(
        self, presentation: Any, query_id: str, expect: Expectation, framework: TrustFramework, now: int
    ) -> VerifiedCredential:
        """Per-credential checks, from ``parsing`` to ``holder_binding``, by the query's format verifier."""
        try:
            query = expect.query.credential(query_id)
        except IdcoreError:
            query = None  # an unrequested key: verified by its shape, then refused by the DCQL check
        fmt = query.format if query is not None else _shape_format(presentation)
        binding = expect.policy.require_holder_binding or query is None or query.require_cryptographic_holder_binding
        context = VerificationContext(
            trust=framework,
            now=now,
            nonce=expect.nonce,
            audience=expect.aud,
            require_holder_binding=binding,
            session_transcript=expect.session_transcript,
            max_skew=self._max_skew,
            kb_max_age=self._kb_max_age,
        )
        verifier = self._verifiers.get(fmt)
        if verifier is None:
            raise Rejection(Check.PARSING, Reason.MALFORMED, f"format {fmt} is not supported")
        try:
            return verifier.verify(presentation, context)
        except CredentialError as exc:
            raise Rejection(Check(exc.stage.value), exc.reason, exc.detail) from None

    def _check_status(
        self, cred: VerifiedCredential, framework: TrustFramework, policy: Policy, deadline: float
    ) -> None:
        """``status_list``: the credential's status reference, on the issuer's origin, signed for the issuer."""
        if cred.status is None:
            return
        issuer_id = cred.issuer.issuer_id
        try:
            reference = parse_status_reference({"status": cred.status}, allow_insecure_loopback=self._loopback)
            if not status_uri_allowed(reference.uri, issuer_id, allow_loopback=self._loopback):
                raise StatusListError(Reason.STATUS_INVALID, "status list uri is not on the issuer's origin")
            signer = IssuerStatusKey(framework, cred)
            self._status.check(reference, issuer_id, signer, max_age=policy.status_max_age, deadline=deadline)
        except IdcoreError as exc:
            raise Rejection(Check.STATUS, exc.reason, exc.detail) from None


def _list_sequence(framework: TrustFramework) -> int:
    """The sequence number of the signed list judged with (also inside ``both``); 0 without a list."""
    if isinstance(framework, AseanTrustList):
        return framework.snapshot.sequence_number
    if isinstance(framework, CombinedTrust):
        return max((_list_sequence(f) for f in framework.frameworks), default=0)
    return 0
