"""Trusting through the list, the federation, or both (issue #16 item 2), with the same reason codes.

A verifier configured with several :class:`~idcore.trust.framework.TrustFramework` s (the signed
ASEAN list, :class:`~idcore.trust.asean_list.AseanTrustList`; the OpenID Federation,
:class:`~idcore.trust.federation.FederationTrust`) asks each of them, in the configured order:

1. **a revocation anywhere wins**: if any framework refuses because the issuer's key is recorded
   as compromised, or the issuer is withdrawn or suspended, that refusal is the answer, whatever
   the others say — a second trust path must never revive what one path revoked;
2. otherwise the first framework that trusts the issuer answers (its key, its record);
3. otherwise the most informative refusal: the first one that established the issuer's key (an
   authorisation refusal), else the first one.

A framework that cannot answer (it raises :class:`~idcore.errors.TrustError`, e.g. a stale list)
makes the combination fail closed: the error propagates. With no frameworks nobody is trusted.
"""

from __future__ import annotations

from collections.abc import Sequence

from idcore.errors import Reason
from idcore.trust.framework import IssuerEvidence, TrustFramework, TrustJudgement

__all__ = ["CombinedTrust"]

#: Refusals that no other framework can overrule.
VETO_REASONS = frozenset({Reason.ISSUER_KEY_COMPROMISED, Reason.ISSUER_WITHDRAWN, Reason.ISSUER_SUSPENDED})


class CombinedTrust:
    """Several frameworks behind the one interface; see the module docstring for the rule."""

    def __init__(self, frameworks: Sequence[TrustFramework]) -> None:
        """Ask ``frameworks`` in this order."""
        self._frameworks = tuple(frameworks)

    @property
    def frameworks(self) -> tuple[TrustFramework, ...]:
        """The frameworks asked, in order."""
        return self._frameworks

    def judge(self, evidence: IssuerEvidence) -> TrustJudgement:
        """The combined judgement (raises only when a framework cannot answer)."""
        judgements = [framework.judge(evidence) for framework in self._frameworks]
        if not judgements:
            return TrustJudgement.refuse(Reason.UNTRUSTED_ISSUER, "no trust framework is configured")
        veto = next((j for j in judgements if j.reason in VETO_REASONS), None)
        if veto is not None:
            return veto
        trusted = next((j for j in judgements if j.trusted), None)
        if trusted is not None:
            return trusted
        return next((j for j in judgements if j.key_established), judgements[0])
