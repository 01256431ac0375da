"""The SD-JWT VC credential verifier (OpenID4VP 1.0 Appendix B.3; draft-ietf-oauth-sd-jwt-vc
Section 3.4 "Verification and Processing"; RFC 9901 Sections 7.1 and 7.3).

One pass over the presentation, each step once, with the stage it reports:

* ``parsing``: the SD-JWT+KB serialization (RFC 9901 Section 4, size and count limits), the
  Issuer-signed JWT's compact form, ``iss`` and ``vct`` (SD-JWT VC Section 3.2.2.2), the
  Disclosures processed into the payload (RFC 9901 Section 7.1 steps 3-5), no never-disclosable
  claim disclosed (SD-JWT VC Section 3.2.2.3), and ``iat`` present — the registry judges the
  issuer at issuance time, and ``iat`` may itself be a Disclosure (SD-JWT VC Section 3.2.2.2), so
  the payload is processed before the trust question is asked. Nothing from it is believed
  unless the signature below verifies over exactly that payload.
* ``issuer_signature``: the trust framework establishes the issuer's key from the ``x5c`` chain
  (or issuer metadata) for ``iss`` (SD-JWT VC Section 3.5), and the Issuer-signed JWT verifies
  with it under an algorithm allow-list and ``typ`` ``dc+sd-jwt`` (Section 3.2.1; RFC 9901
  Section 7.1 step 2).
* ``registry_authorisation``: the framework's authorisation of the issuer for ``vct`` at ``iat``.
* ``validity``: ``exp``/``nbf``/``iat`` against the verification time (RFC 9901 Section 7.1 step 6).
* ``holder_binding``: the KB-JWT (RFC 9901 Section 7.3) when the context requires it or the
  holder sent one; without a requirement a plain SD-JWT is accepted and reported unbound.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from idcore.credentials.model import CredentialError, Stage, VerificationContext, VerifiedCredential
from idcore.errors import IdcoreError, Reason, SdJwtError, X509Error
from idcore.jose import ParsedJws, parse_compact, verify_parsed
from idcore.jwk import PublicKey, public_key_from_jwk
from idcore.ports import FixedClock
from idcore.sdjwt import (
    KeyBindingPolicy,
    ProcessedPayload,
    SdJwtParts,
    VerifyOptions,
    check_time_claims,
    parse_presentation,
    process_payload,
    verify_key_binding,
)
from idcore.sdjwt.serialization import DEFAULT_MAX_BYTES
from idcore.sdjwt_vc import TYP, check_never_disclosed
from idcore.trust.framework import FORMAT_SD_JWT_VC, IssuerEvidence, TrustJudgement

__all__ = ["SdJwtVcVerifier"]

#: Payload members that are how the credential works, not what it says about the holder.
_INTERNAL = frozenset({"cnf", "status", "_sd_alg", "vct#integrity"})


@dataclass(frozen=True, slots=True)
class _Parsed:
    """The outcome of the ``parsing`` stage: everything read from the presentation, once."""

    parts: SdJwtParts
    jws: ParsedJws
    sd_alg: str
    processed: ProcessedPayload
    iss: str
    vct: str
    iat: int


def _required_str(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value:
        raise SdJwtError(Reason.MISSING_CLAIM, f"{name} is required in the Issuer-signed JWT")
    return value


def _x5c(header: Mapping[str, Any]) -> tuple[str, ...] | None:
    x5c = header.get("x5c")
    if x5c is None:
        return None
    if not isinstance(x5c, list) or not all(isinstance(item, str) for item in x5c):
        raise X509Error(Reason.MALFORMED, "x5c must be an array of strings")
    return tuple(x5c)


def _numeric(claims: Mapping[str, Any], name: str) -> int | None:
    value = claims.get(name)  # already checked to be a NumericDate by check_time_claims
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _holder_key(claims: Mapping[str, Any]) -> PublicKey | None:
    cnf = claims.get("cnf")
    if not isinstance(cnf, Mapping) or not isinstance(cnf.get("jwk"), Mapping):
        return None
    try:
        return public_key_from_jwk(cnf["jwk"])
    except IdcoreError:
        return None  # an unusable cnf only matters when binding is checked, which refuses it there


class SdJwtVcVerifier:
    """:class:`~idcore.credentials.model.CredentialVerifier` for ``dc+sd-jwt``; stateless and thread-safe."""

    format = FORMAT_SD_JWT_VC

    def __init__(
        self,
        *,
        algorithms: frozenset[str] = frozenset({"ES256"}),
        kb_algorithms: frozenset[str] = frozenset({"ES256"}),
        sd_algs: frozenset[str] = frozenset({"sha-256"}),
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        """Configure the allow-lists (issuer JWS, KB-JWT, ``_sd_alg``) and the size cap."""
        self._algorithms = algorithms
        self._kb_algorithms = kb_algorithms
        self._sd_algs = sd_algs
        self._max_bytes = max_bytes

    def verify(self, raw: Any, context: VerificationContext) -> VerifiedCredential:
        """Verify one SD-JWT VC presentation (see the module docstring); raise :class:`CredentialError`."""
        parsed = self._parse(raw)
        policy = self._binding_policy(parsed.parts.kb_jwt is not None, context)
        judgement, evidence = self._authenticate(parsed, context)
        if not judgement.trusted:
            raise CredentialError(Stage.REGISTRY, judgement.error().reason, judgement.why)
        claims = parsed.processed.claims
        try:
            check_time_claims(claims, context.now, context.max_skew)
        except IdcoreError as exc:
            raise CredentialError.at(Stage.VALIDITY, exc) from None
        holder_key = _holder_key(claims)  # read once: for the result and for the KB-JWT
        bound = self._bind(parsed, policy, context, holder_key)
        assert judgement.issuer is not None  # noqa: S101 - a trusted judgement names its issuer
        return VerifiedCredential(
            format=self.format,
            credential_type=parsed.vct,
            issuer=judgement.issuer,
            claims={k: v for k, v in claims.items() if k not in _INTERNAL},
            issued_at=parsed.iat,
            valid_from=_numeric(claims, "nbf"),
            valid_until=_numeric(claims, "exp"),
            holder_key=holder_key,
            holder_bound=bound,
            status=claims.get("status") if isinstance(claims.get("status"), Mapping) else None,
            trust=judgement,
            evidence=evidence,
        )

    def _binding_policy(self, sent: bool, context: VerificationContext) -> KeyBindingPolicy | None:
        """Bind when the context requires it or the holder sent a KB-JWT (which must then verify)."""
        if not sent and not context.require_holder_binding:
            return None
        if context.nonce is None or context.audience is None:
            raise CredentialError(Stage.PARSING, Reason.KB_INVALID, "holder binding needs a nonce and an audience")
        return KeyBindingPolicy(context.nonce, context.audience, context.kb_max_age, self._kb_algorithms)

    def _parse(self, raw: Any) -> _Parsed:
        try:
            parts = parse_presentation(raw, max_bytes=self._max_bytes)
            jws = parse_compact(parts.issuer_jwt, max_bytes=self._max_bytes)
            issuer_claims = jws.claims()
            iss, vct = _required_str(issuer_claims, "iss"), _required_str(issuer_claims, "vct")
            processed = process_payload(issuer_claims, parts.disclosures, self._sd_algs)
            check_never_disclosed(processed.paths)
            iat = processed.claims.get("iat")
            if isinstance(iat, bool) or not isinstance(iat, int):
                raise SdJwtError(Reason.MISSING_CLAIM, "iat is needed to judge the issuer at issuance time")
        except IdcoreError as exc:
            raise CredentialError.at(Stage.PARSING, exc) from None
        sd_alg = issuer_claims.get("_sd_alg", "sha-256")
        return _Parsed(parts, jws, sd_alg, processed, iss, vct, iat)

    def _evidence(self, parsed: _Parsed, context: VerificationContext) -> IssuerEvidence:
        kid = parsed.jws.header.get("kid")
        return IssuerEvidence(
            format=self.format,
            issuer_id=parsed.iss,
            credential_type=parsed.vct,
            issued_at=parsed.iat,
            at=context.now,
            x5c=_x5c(parsed.jws.header),
            key_id=kid if isinstance(kid, str) else None,
        )

    def _authenticate(self, parsed: _Parsed, context: VerificationContext) -> tuple[TrustJudgement, IssuerEvidence]:
        """``issuer_signature``: the framework's key for ``iss``, then the signature with it."""
        try:
            evidence = self._evidence(parsed, context)
            judgement = context.trust.judge(evidence)
            if judgement.key is None:
                raise judgement.error()
            verify_parsed(parsed.jws, judgement.key, algorithms=self._algorithms, typ=TYP)
        except IdcoreError as exc:
            raise CredentialError.at(Stage.ISSUER_SIGNATURE, exc) from None
        return judgement, evidence

    def _bind(
        self,
        parsed: _Parsed,
        policy: KeyBindingPolicy | None,
        context: VerificationContext,
        holder_key: PublicKey | None,
    ) -> bool:
        """``holder_binding``: RFC 9901 Section 7.3 under the context's nonce, audience and time."""
        if policy is None:
            return False  # neither required nor sent (a sent KB-JWT always gets a policy)
        options = VerifyOptions(
            clock=FixedClock(context.now),
            typ=TYP,
            algorithms=self._algorithms,
            key_binding=policy,
            max_skew=context.max_skew,
            sd_algs=self._sd_algs,
            max_bytes=self._max_bytes,
        )
        try:
            claims = parsed.processed.claims
            # Without a usable cnf.jwk, verify_key_binding reads it itself and names why (cnf_missing, bad_key).
            verify_key_binding(parsed.parts, claims, parsed.sd_alg, policy, options, holder_key=holder_key)
        except IdcoreError as exc:
            raise CredentialError.at(Stage.HOLDER_BINDING, exc) from None
        return True
