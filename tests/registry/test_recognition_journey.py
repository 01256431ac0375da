"""Issue #16 acceptance, at the trust layer: a Malaysian bank accepts a Vietnamese PID for KYC because
MY recognises VN's PID at "substantial", and refuses it once MY withdraws the decision. A verifier
knows only the registry URL and pin; both lists come over HTTP from a live registry."""

from __future__ import annotations

import time

from idcore.errors import Reason
from idcore.trust import VCT_PID, TrustListCache, is_authorised
from idcore.trust.recognition import RecognitionResult, recognised_for
from idcore.trust.recognition_cache import RecognitionCache

from .helpers import Registry

VN_PID = "https://issuers.lintas.asean.example/vn"


def bank_accepts(
    registry: Registry, lists: TrustListCache, recognitions: RecognitionCache, iat: int
) -> RecognitionResult:
    """What the MY bank's verifier policy asks: listed and granted, then recognised for KYC."""
    now = registry.clock.now()
    trust = lists.snapshot()
    decision = is_authorised(trust, VN_PID, VCT_PID, iat, now)
    assert decision.authorised, decision.why
    assert decision.issuer is not None
    return recognised_for(
        recognitions.snapshot(trust.sequence_number), "MY", "kyc", "VN", VCT_PID, decision.issuer.assurance_level, now
    )


def test_my_bank_accepts_a_vn_pid_for_kyc_until_the_decision_is_withdrawn(registry: Registry) -> None:
    def get(path: str) -> bytes:
        response = registry.http.get(path)
        response.raise_for_status()
        return response.content

    lists = TrustListCache(fetch=lambda: get("/v1/trust-list"), pin=registry.pin, clock=registry.clock)
    recognitions = RecognitionCache(fetch=lambda: get("/v1/recognitions"), pin=registry.pin, clock=registry.clock)
    iat = registry.clock.now()
    before = bank_accepts(registry, lists, recognitions, iat)
    assert before.reason is Reason.NOT_RECOGNISED

    decided = registry.post(
        "/v1/governance/countries/MY/recognitions",
        "operator-my",
        {
            "recognised_country": "VN",
            "vct": VCT_PID,
            "min_assurance": "substantial",
            "purposes": ["kyc"],
            "valid_until": int(time.time()) + 86400,
        },
    )
    assert decided.status_code == 201, decided.text
    decision_id = decided.json()["decision"]["id"]
    lists.refresh(force=True)  # a verifier picks the new list up at its next refresh
    accepted = bank_accepts(registry, lists, recognitions, iat)
    assert accepted.recognised
    assert accepted.decision_id == decision_id  # the bank's result names the decision

    registry.clock.advance(60)
    withdrawn = registry.post(
        "/v1/governance/countries/MY/recognitions/withdraw", "operator-my", {"decision_id": decision_id}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    lists.refresh(force=True)
    refused = bank_accepts(registry, lists, recognitions, iat)
    assert refused.reason is Reason.RECOGNITION_WITHDRAWN
    assert refused.decision_id == decision_id
