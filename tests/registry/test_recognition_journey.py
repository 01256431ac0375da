"""Issue #16 acceptance: a Malaysian bank accepts a Vietnamese PID (a real SD-JWT VC, verified against
the list) for KYC because MY recognises VN's PID at "substantial", and refuses it once MY withdraws
the decision, the result naming the decision. The verifier knows only the registry URL and pin;
both lists come over HTTP from a live registry. (The verifier service's wiring is the lead's:
docs/readme.d/fabric.md.)"""

from __future__ import annotations

import time

from idcore.credentials.model import VerificationContext
from idcore.credentials.sd_jwt_vc import SdJwtVcVerifier
from idcore.errors import Reason
from idcore.trust import VCT_PID, TrustListCache
from idcore.trust.asean_list import AseanTrustList
from idcore.trust.recognition import RecognitionResult, recognised_for
from idcore.trust.recognition_cache import RecognitionCache

from .helpers import Registry
from .test_federation import pid_credential

VN_PID = "https://issuers.lintas.asean.example/vn"


def bank_accepts(
    registry: Registry, lists: TrustListCache, recognitions: RecognitionCache, pid: str
) -> RecognitionResult:
    """What the MY bank's verifier does: verify the credential against the list, then ask whether MY
    recognises its issuer's country, type and level for KYC."""
    now = registry.clock.now()
    trust = lists.snapshot()
    context = VerificationContext(trust=AseanTrustList(trust), now=now, require_holder_binding=False)
    verified = SdJwtVcVerifier().verify(pid, context)  # a forged or unlisted credential stops here
    assert verified.country == "VN"
    return recognised_for(
        recognitions.snapshot(trust.sequence_number),
        "MY",
        "kyc",
        verified.country,
        verified.credential_type,
        verified.issuer.assurance_level,
        now,
    )


def test_my_bank_accepts_a_vn_pid_for_kyc_until_the_decision_is_withdrawn(registry: Registry) -> None:
    def get(path: str) -> bytes:
        response = registry.http.get(path)
        response.raise_for_status()
        return response.content

    lists = TrustListCache(fetch=lambda: get("/v1/trust-list"), pin=registry.pin, clock=registry.clock)
    recognitions = RecognitionCache(fetch=lambda: get("/v1/recognitions"), pin=registry.pin, clock=registry.clock)
    registry.clock.advance(120)  # the seeded grant starts when the registry did; issue after it
    pid = pid_credential(registry, given_name="Nguyen", issuer_id=VN_PID)
    before = bank_accepts(registry, lists, recognitions, pid)
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
    accepted = bank_accepts(registry, lists, recognitions, pid)
    assert accepted.recognised
    assert accepted.decision_id == decision_id  # the bank's result names the decision

    registry.clock.advance(60)
    withdrawn = registry.post(
        "/v1/governance/countries/MY/recognitions/withdraw", "operator-my", {"decision_id": decision_id}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    lists.refresh(force=True)
    refused = bank_accepts(registry, lists, recognitions, pid)
    assert refused.reason is Reason.RECOGNITION_WITHDRAWN
    assert refused.decision_id == decision_id
