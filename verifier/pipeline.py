"""The validation pipeline: every step a named check that fails with a stable reason code.

Order (issue #5; OpenID4VP 1.0 Section 8.6 "VP Token Validation"; RFC 9901 Section 7;
draft-ietf-oauth-sd-jwt-vc Section 3.4; draft-ietf-oauth-status-list "Validation Rules"):

``session`` → ``decryption`` → ``parsing`` → ``issuer_signature`` → ``registry_authorisation`` →
``status_list`` → ``validity`` → ``holder_binding`` → ``dcql`` → ``rp_policy``.

The first two belong to the transaction and are raised by the service; this module runs the rest
on one ``vp_token``. One SD-JWT verification (:func:`idcore.sdjwt.verify_sd_jwt`) carries the
per-credential checks: the issuer key resolver is the ``issuer_signature`` step, the
``after_processing`` hook runs the checks on the processed payload (never-disclosable claims,
``iat``), then registry, status and validity, and what fails after the hook can only be the
Key Binding JWT. A stage marker records where a
failure happened, so the reason code and the check name always agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from idcore.dcql import DcqlQuery, PresentedCredential, check_presentation
from idcore.errors import IdcoreError, Reason, SdJwtError, StatusListError, TrustError
from idcore.ports import Clock
from idcore.sdjwt import (
    KeyBindingPolicy,
    ProcessedPayload,
    VerifyOptions,
    check_time_claims,
    parse_presentation,
    verify_sd_jwt,
)
from idcore.sdjwt_vc import NEVER_DISCLOSABLE, TYP
from idcore.status_list import parse_status_reference
from idcore.trust import TrustSnapshot, is_authorised
from verifier.issuers import ChainCache, IssuerKeyResolver
from verifier.policy import Policy, VerifiedCredentialView, check_policy
from verifier.status import StatusChecker, status_uri_allowed

__all__ = ["Check", "CheckedCredential", "Expectation", "Pipeline", "Rejection"]


class Check(StrEnum):
    """The named checks, in pipeline order."""

    SESSION = "session"
    DECRYPTION = "decryption"
    PARSING = "parsing"
    ISSUER_SIGNATURE = "issuer_signature"
    REGISTRY = "registry_authorisation"
    STATUS = "status_list"
    VALIDITY = "validity"
    HOLDER_BINDING = "holder_binding"
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
    """What one transaction (or an offline check) expects of a ``vp_token``."""

    query: DcqlQuery
    policy: Policy
    nonce: str | None
    aud: str | None


@dataclass(frozen=True, slots=True)
class CheckedCredential:
    """One verified credential as reported to the relying party."""

    query_id: str
    vct: str
    issuer: str
    issuer_name: str
    country: str
    assurance_level: str
    iat: int
    claims: dict[str, Any]
    holder_bound: bool

    def to_json(self) -> dict[str, Any]:
        """The relying party's view: disclosed claims plus who vouches for them."""
        return {
            "credential_query_id": self.query_id,
            "vct": self.vct,
            "issuer": self.issuer,
            "issuer_name": self.issuer_name,
            "issuing_country": self.country,
            "assurance_level": self.assurance_level,
            "issued_at": self.iat,
            "holder_bound": self.holder_bound,
            "claims": self.claims,
        }


_INTERNAL = frozenset({"cnf", "status", "_sd_alg", "vct#integrity"})


@dataclass
class _Run:
    """Mutable state of one presentation's verification (stage marker and findings)."""

    stage: Check = Check.PARSING
    iss: str = ""
    vct: str = ""
    iat: int = 0
    country: str = ""
    issuer_name: str = ""
    level: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _require_str(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value:
        raise SdJwtError(Reason.MISSING_CLAIM, f"{name} is required in the Issuer-signed JWT")
    return value


class Pipeline:
    """Stateless between calls apart from the status cache; safe to share between threads."""

    def __init__(
        self,
        *,
        trust: Callable[[], TrustSnapshot],
        status: StatusChecker,
        clock: Clock,
        max_skew: int = 60,
        kb_max_age: int = 300,
        allow_insecure_loopback: bool = False,
        metadata_fetch: Callable[[str], Mapping[str, Any]] | None = None,
    ) -> None:
        self._trust = trust
        self._status = status
        self._clock = clock
        self._max_skew = max_skew
        self._kb_max_age = kb_max_age
        self._loopback = allow_insecure_loopback
        self._metadata_fetch = metadata_fetch
        self._chains = ChainCache()

    def verify(self, vp_token: Mapping[str, Sequence[Any]], expect: Expectation) -> list[CheckedCredential]:
        """Run every check on a ``vp_token``; return the verified credentials or raise :class:`Rejection`."""
        try:
            snapshot = self._trust()
        except TrustError as exc:  # stale or unusable list: fail closed
            raise Rejection(Check.REGISTRY, exc.reason, exc.detail) from None
        checked: list[CheckedCredential] = []
        presented: dict[str, list[PresentedCredential]] = {}
        deadline = self._status.deadline()  # one for every status fetch of this vp_token
        for query_id, presentations in vp_token.items():
            for presentation in presentations:
                cred = self.verify_presentation(presentation, query_id, expect, snapshot, deadline=deadline)
                checked.append(cred)
                presented.setdefault(query_id, []).append(
                    PresentedCredential("dc+sd-jwt", cred.vct, cred.claims, cred.holder_bound)
                )
        try:
            check_presentation(expect.query, presented)
        except IdcoreError as exc:
            raise Rejection(Check.DCQL, exc.reason, exc.detail) from None
        views = [
            VerifiedCredentialView(c.query_id, c.vct, c.issuer, c.country, c.assurance_level, c.iat, c.claims)
            for c in checked
        ]
        try:
            check_policy(expect.policy, views, self._clock.now())
        except IdcoreError as exc:
            raise Rejection(Check.POLICY, exc.reason, exc.detail) from None
        return checked

    def _binding_required(self, query_id: str, expect: Expectation) -> bool:
        if expect.policy.require_holder_binding:
            return True
        try:
            return expect.query.credential(query_id).require_cryptographic_holder_binding
        except IdcoreError:
            return True  # unknown query id: the DCQL check rejects it; bind strictly meanwhile

    def verify_presentation(
        self,
        presentation: Any,
        query_id: str,
        expect: Expectation,
        snapshot: TrustSnapshot,
        *,
        deadline: float | None = None,
    ) -> CheckedCredential:
        """The per-credential checks, from ``parsing`` to ``holder_binding``."""
        run = _Run()
        now = self._clock.now()
        try:
            parts = parse_presentation(presentation)
            kb_policy = None
            if parts.kb_jwt is not None or self._binding_required(query_id, expect):
                if expect.nonce is None or expect.aud is None:
                    raise SdJwtError(Reason.KB_INVALID, "holder binding needs a nonce and an audience")
                kb_policy = KeyBindingPolicy(expect.nonce, expect.aud, max_age=self._kb_max_age)
            options = VerifyOptions(clock=self._clock, typ=(TYP,), key_binding=kb_policy, max_skew=self._max_skew)
            resolver = IssuerKeyResolver(snapshot, now, self._metadata_fetch, self._chains)

            def resolve(header: Mapping[str, Any], claims: Mapping[str, Any]) -> Any:
                run.stage = Check.ISSUER_SIGNATURE
                return resolver(header, claims)

            def after_signature(header: Mapping[str, Any], issuer_claims: Mapping[str, Any]) -> None:
                run.stage = Check.PARSING
                run.iss, run.vct = _require_str(issuer_claims, "iss"), _require_str(issuer_claims, "vct")

            def after_processing(processed: ProcessedPayload) -> None:
                self._after_processing(run, processed, snapshot, resolver, now, expect, deadline)

            verified = verify_sd_jwt(
                presentation, resolve, options, after_issuer_check=after_signature, after_processing=after_processing
            )
        except IdcoreError as exc:
            raise Rejection(run.stage, exc.reason, exc.detail) from None
        claims = {k: v for k, v in verified.payload.items() if k not in _INTERNAL}
        return CheckedCredential(
            query_id,
            run.vct,
            run.iss,
            run.issuer_name,
            run.country,
            run.level,
            run.iat,
            claims,
            verified.kb_payload is not None,
        )

    def _after_processing(
        self,
        run: _Run,
        processed: ProcessedPayload,
        snapshot: TrustSnapshot,
        resolver: IssuerKeyResolver,
        now: int,
        expect: Expectation,
        deadline: float | None,
    ) -> None:
        """Still the parsing check (never-disclosable claims, iat), then registry, status, validity."""
        for path in processed.paths:
            if path and path[0] in NEVER_DISCLOSABLE:
                raise SdJwtError(Reason.NEVER_DISCLOSABLE, f"{path[0]} was selectively disclosed")
        iat = processed.claims.get("iat")
        if isinstance(iat, bool) or not isinstance(iat, int):
            raise SdJwtError(Reason.MISSING_CLAIM, "iat is needed to judge the issuer at issuance time")
        run.iat = iat
        run.stage = Check.REGISTRY
        decision = is_authorised(snapshot, run.iss, run.vct, iat, now)
        if not decision.authorised or decision.issuer is None:
            raise TrustError(decision.reason or Reason.NOT_AUTHORISED, f"{run.iss} for {run.vct}")
        run.country, run.level = decision.issuer.country, decision.issuer.assurance_level
        run.issuer_name = decision.issuer.names.get("en", next(iter(decision.issuer.names.values()), run.iss))
        run.stage = Check.STATUS
        if "status" in processed.claims:
            reference = parse_status_reference(processed.claims, allow_insecure_loopback=self._loopback)
            if not status_uri_allowed(reference.uri, run.iss, allow_loopback=self._loopback):
                raise StatusListError(Reason.STATUS_INVALID, "status list uri is not on the issuer's origin")
            assert resolver.key is not None  # noqa: S101 - set by the signature step that precedes us
            self._status.check(
                reference, snapshot, run.iss, resolver.key, max_age=expect.policy.status_max_age, deadline=deadline
            )
        run.stage = Check.VALIDITY
        check_time_claims(processed.claims, now, self._max_skew)
        run.stage = Check.HOLDER_BINDING
