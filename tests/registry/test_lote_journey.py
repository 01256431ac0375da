"""Issue #16 acceptance for ETSI TS 119 602: a verifier configured with only the ETSI list (GET /v1/lote)
accepts and refuses the same presentations, with the same reasons, as one configured with the list."""

from __future__ import annotations

import base64
import json

import jsonschema
import pytest

from idcore.credentials.model import CredentialError, VerificationContext
from idcore.credentials.sd_jwt_vc import SdJwtVcVerifier
from idcore.trust import verify_trust_list
from idcore.trust.asean_list import AseanTrustList
from idcore.trust.decision import TrustSnapshot
from idcore.trust.etsi import verify_lote

from ..unit.lote_schema import lote_validator
from .helpers import Registry
from .test_federation import TH_PID, pid_credential


def outcome(registry: Registry, source: str, credential: str) -> str:
    """``accepted`` or the refusal's reason, for a verifier whose only trust source is ``source``."""
    body = registry.http.get(source).content
    trust_list = (
        verify_lote(body, registry.pin) if source == "/v1/lote" else verify_trust_list(body, registry.pin).trust_list
    )
    context = VerificationContext(
        trust=AseanTrustList(TrustSnapshot(trust_list)), now=registry.clock.now(), require_holder_binding=False
    )
    try:
        SdJwtVcVerifier().verify(credential, context)
    except CredentialError as exc:
        return exc.reason.value
    return "accepted"


@pytest.mark.parametrize("reason", ["unspecified", "key_compromise"])
def test_etsi_list_and_lintas_list_decide_the_same(registry: Registry, reason: str) -> None:
    registry.clock.advance(120)  # the seeded grant starts when the registry did; issue after it
    credential = pid_credential(registry)
    assert outcome(registry, "/v1/lote", credential) == outcome(registry, "/v1/trust-list", credential) == "accepted"
    registry.clock.advance(5)
    body = {"issuer_id": TH_PID, "reason": reason}
    assert registry.post("/v1/governance/issuers/suspend", "operator-th", body).status_code == 200
    registry.clock.advance(120)
    later = pid_credential(registry)  # issued during the suspension
    # Issued before a plain suspension: still valid; under a compromised key: refused whatever its iat.
    before = {"unspecified": "accepted", "key_compromise": "issuer_key_compromised"}[reason]
    during = {"unspecified": "issuer_suspended", "key_compromise": "issuer_key_compromised"}[reason]
    for presented, expected in ((credential, before), (later, during)):
        assert outcome(registry, "/v1/trust-list", presented) == expected
        assert outcome(registry, "/v1/lote", presented) == expected


def test_the_served_lote_validates_against_etsis_schema(registry: Registry) -> None:
    """What GET /v1/lote serves (verified first) is valid under ETSI's own schema; a twin is not."""
    body = registry.http.get("/v1/lote").content
    verify_lote(body, registry.pin)  # only a verified list is worth validating
    payload = json.loads(base64.urlsafe_b64decode(body.split(b".")[1] + b"=="))
    lote_validator().validate(payload)
    payload["LoTE"]["ListAndSchemeInformation"]["SchemeTerritory"] = "ASEAN"
    with pytest.raises(jsonschema.ValidationError):
        lote_validator().validate(payload)
