"""Trusting via the list, the federation, or both (idcore.trust.combined): a revocation anywhere wins,
otherwise any trust path suffices; refusals keep their reason codes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.errors import Reason, TrustError
from idcore.trust.combined import CombinedTrust
from idcore.trust.federation import FederationTrust
from idcore.trust.framework import TrustedIssuer, TrustFramework, TrustJudgement

from .federation_helpers import Federation
from .test_trust_federation import evidence

KEY = ec.generate_private_key(ec.SECP256R1()).public_key()
ISSUER = TrustedIssuer("https://issuers.example/th", "TH", "high")


@dataclass
class Fixed:
    """A framework with one fixed answer (stands for the list's answer in these rule tests)."""

    answer: TrustJudgement | None

    def judge(self, _evidence: object) -> TrustJudgement:
        if self.answer is None:
            raise TrustError(Reason.TRUST_LIST_STALE, "list expired")
        return self.answer


def listed_as(reason: Reason) -> Fixed:
    return Fixed(TrustJudgement(False, reason, f"list: {reason.value}", KEY, ISSUER, "asean-trust-list"))


def test_both_configured_either_path_trusts() -> None:
    fed = Federation()
    federation = FederationTrust(fed.anchor, fed.fetch)
    unknown_to_list = Fixed(TrustJudgement.refuse(Reason.UNTRUSTED_ISSUER, "not listed"))
    combined = CombinedTrust([unknown_to_list, federation])
    assert isinstance(combined, TrustFramework)
    judgement = combined.judge(evidence(fed))
    assert judgement.trusted
    assert judgement.framework == "openid-federation"


@pytest.mark.parametrize("reason", [Reason.ISSUER_KEY_COMPROMISED, Reason.ISSUER_WITHDRAWN, Reason.ISSUER_SUSPENDED])
def test_a_revocation_in_the_list_is_not_overruled_by_the_federation(reason: Reason) -> None:
    fed = Federation()
    federation = FederationTrust(fed.anchor, fed.fetch)
    assert CombinedTrust([federation]).judge(evidence(fed)).trusted  # the twin: the federation alone trusts
    for order in ([listed_as(reason), federation], [federation, listed_as(reason)]):
        judgement = CombinedTrust(order).judge(evidence(fed))
        assert not judgement.trusted
        assert judgement.reason is reason


def test_refusals_keep_the_most_informative_reason() -> None:
    fed = Federation()
    del fed.served[next(u for u in fed.served if "fetch?sub=https%3A%2F%2Fissuers" in u)]
    federation = FederationTrust(fed.anchor, fed.fetch)  # now: untrusted_issuer, no key
    judgement = CombinedTrust([federation, listed_as(Reason.NOT_AUTHORISED)]).judge(evidence(fed))
    assert judgement.reason is Reason.NOT_AUTHORISED  # the one that established the key
    assert CombinedTrust([federation]).judge(evidence(fed)).reason is Reason.UNTRUSTED_ISSUER
    assert CombinedTrust([]).judge(evidence(fed)).reason is Reason.UNTRUSTED_ISSUER


def test_a_framework_that_cannot_answer_fails_the_combination_closed() -> None:
    fed = Federation()
    with pytest.raises(TrustError) as err:
        CombinedTrust([FederationTrust(fed.anchor, fed.fetch), Fixed(None)]).judge(evidence(fed))
    assert err.value.reason is Reason.TRUST_LIST_STALE
