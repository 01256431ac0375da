"""``authorization_details`` of type ``openid_credential`` in the Token Request (OpenID4VCI 1.0 Sections
5.1.1, 6.1, 6.2) and ``credential_identifier`` in the Credential Request (Section 8.2)."""

from __future__ import annotations

import json
from typing import Any

from idcore.oid4vci import PRE_AUTHORIZED_GRANT
from tests.issuer.conftest import BUSINESS_CONFIG, PID_CONFIG, Harness
from tests.issuer.wallet_client import make_proof, new_key


def _token(harness: Harness, details: Any) -> Any:
    created = harness.offer("sg-tan-wei-ling", tx_code=False)
    code = created["credential_offer"]["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    form = {
        "grant_type": PRE_AUTHORIZED_GRANT,
        "pre-authorized_code": code,
        "authorization_details": details if isinstance(details, str) else json.dumps(details),
    }
    return harness.client.post(f"{harness.pid}/token", data=form)


def _credential(harness: Harness, token: str, **ids: str) -> Any:
    nonce = harness.client.post(f"{harness.pid}/nonce").json()["c_nonce"]
    body = {**ids, "proofs": {"jwt": [make_proof(new_key(), aud=harness.pid, nonce=nonce)]}}
    return harness.client.post(f"{harness.pid}/credential", json=body, headers={"Authorization": f"Bearer {token}"})


def test_identifiers_are_returned_and_required(harness: Harness) -> None:
    answer = _token(harness, [{"type": "openid_credential", "credential_configuration_id": PID_CONFIG}])
    assert answer.status_code == 200, answer.text
    details = answer.json()["authorization_details"]
    assert details == [
        {"type": "openid_credential", "credential_configuration_id": PID_CONFIG, "credential_identifiers": [PID_CONFIG]}
    ]
    token = answer.json()["access_token"]
    assert _credential(harness, token, credential_identifier=PID_CONFIG).status_code == 200
    by_config = _credential(harness, token, credential_configuration_id=PID_CONFIG)
    assert by_config.json()["error"] == "invalid_credential_request"
    unknown = _credential(harness, token, credential_identifier="other-dataset")
    assert unknown.json()["error"] == "unknown_credential_identifier"


def test_details_outside_the_grant_or_malformed_are_refused(harness: Harness) -> None:
    for details in (
        [{"type": "openid_credential", "credential_configuration_id": BUSINESS_CONFIG}],
        [{"type": "payment", "credential_configuration_id": PID_CONFIG}],
        [],
        "{not json",
        {"a": 1},
    ):
        answer = _token(harness, details)
        assert (answer.status_code, answer.json()["error"]) == (400, "invalid_authorization_details"), details


def test_authorization_details_in_par_are_refused(harness: Harness) -> None:
    details = json.dumps([{"type": "openid_credential", "credential_configuration_id": PID_CONFIG}])
    form = {
        "response_type": "code",
        "client_id": "lintas-wallet",
        "redirect_uri": "http://127.0.0.1:9/cb",
        "scope": "asean_pid",
        "code_challenge": "a" * 43,
        "code_challenge_method": "S256",
        "authorization_details": details,
    }
    assert harness.client.post(f"{harness.pid}/par", data=form).json()["error"] == "invalid_request"
