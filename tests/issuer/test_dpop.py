"""DPoP-bound access tokens (RFC 9449), required when configured (HAIP Section 4.2 "sender-constrained").

Positive flows with nonce challenges (Section 8) and their refused twins: no proof, a Bearer
presentation of a bound token, another key, wrong ``htu``/``htm``, no ``ath``, a replayed ``jti``.
"""

from __future__ import annotations

from typing import Any

import pytest

from idcore.oid4vci import PRE_AUTHORIZED_GRANT, normalize_htu
from tests.issuer.conftest import PID_CONFIG, Harness
from tests.issuer.wallet_client import ScriptedWallet, make_proof, new_key


@pytest.fixture
def dpop_harness(make_harness: Any) -> Harness:
    """An issuer that requires DPoP with server nonces."""
    return make_harness(dpop_required=True)  # type: ignore[no-any-return]


def _bound_token(harness: Harness) -> tuple[ScriptedWallet, str]:
    created = harness.offer("sg-tan-wei-ling")
    wallet = harness.wallet(dpop=True)
    answer = wallet.token_pre_authorized(wallet.resolve_offer(created["offer_link_by_value"]), created["tx_code"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["token_type"] == "DPoP"
    return wallet, str(answer.json()["access_token"])


def _credential(harness: Harness, wallet: ScriptedWallet, token: str, headers: dict[str, str]) -> Any:
    nonce = harness.client.post(f"{harness.pid}/nonce").json()["c_nonce"]
    body = {
        "credential_configuration_id": PID_CONFIG,
        "proofs": {"jwt": [make_proof(new_key(), aud=harness.pid, nonce=nonce)]},
    }
    return harness.client.post(f"{harness.pid}/credential", json=body, headers=headers)


def test_dpop_flow_with_nonce_challenges(dpop_harness: Harness) -> None:
    created = dpop_harness.offer("sg-tan-wei-ling")
    wallet = dpop_harness.wallet(dpop=True)
    issued = wallet.obtain(wallet.resolve_offer(created["offer_link_by_reference"]), created["tx_code"])
    assert len(issued.credentials) == 1
    assert wallet.dpop_nonce is not None


def test_token_request_without_dpop_is_refused_when_required(dpop_harness: Harness) -> None:
    created = dpop_harness.offer("sg-tan-wei-ling")
    code = created["credential_offer"]["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, "tx_code": created["tx_code"]}
    answer = dpop_harness.client.post(f"{dpop_harness.pid}/token", data=form)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_dpop_proof")


def test_first_proof_without_nonce_gets_use_dpop_nonce(dpop_harness: Harness) -> None:
    created = dpop_harness.offer("sg-tan-wei-ling")
    code = created["credential_offer"]["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    wallet = dpop_harness.wallet(dpop=True)
    url = f"{dpop_harness.pid}/token"
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, "tx_code": created["tx_code"]}
    answer = dpop_harness.client.post(url, data=form, headers={"DPoP": wallet.dpop_proof("POST", url)})
    assert (answer.status_code, answer.json()["error"]) == (400, "use_dpop_nonce")
    wallet.dpop_nonce = answer.headers["DPoP-Nonce"]
    retried = dpop_harness.client.post(url, data=form, headers={"DPoP": wallet.dpop_proof("POST", url)})
    assert retried.status_code == 200  # the code was not used up by the challenge


def test_optional_dpop_binds_when_offered(harness: Harness) -> None:
    wallet, token = _bound_token(harness)
    url = f"{harness.pid}/credential"
    good = {"Authorization": f"DPoP {token}", "DPoP": wallet.dpop_proof("POST", url, token)}
    assert _credential(harness, wallet, token, good).status_code == 200


def test_bound_token_as_bearer_is_refused(harness: Harness) -> None:
    wallet, token = _bound_token(harness)
    answer = _credential(harness, wallet, token, {"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("DPoP ")


def test_proof_by_another_key_is_refused(harness: Harness) -> None:
    wallet, token = _bound_token(harness)
    url = f"{harness.pid}/credential"
    thief = ScriptedWallet(harness.client, dpop=True)
    headers = {"Authorization": f"DPoP {token}", "DPoP": thief.dpop_proof("POST", url, token)}
    answer = _credential(harness, wallet, token, headers)
    assert (answer.status_code, answer.json()["error"]) == (401, "invalid_dpop_proof")


@pytest.mark.parametrize("variant", ["htu", "htm", "ath", "replay"])
def test_tampered_dpop_proofs_are_refused(harness: Harness, variant: str) -> None:
    wallet, token = _bound_token(harness)
    url = f"{harness.pid}/credential"
    proof = {
        "htu": wallet.dpop_proof("POST", f"{harness.pid}/nonce", token),
        "htm": wallet.dpop_proof("GET", url, token),
        "ath": wallet.dpop_proof("POST", url),
        "replay": wallet.dpop_proof("POST", url, token),
    }[variant]
    headers = {"Authorization": f"DPoP {token}", "DPoP": proof}
    if variant == "replay":
        assert _credential(harness, wallet, token, headers).status_code == 200
    answer = _credential(harness, wallet, token, headers)
    assert (answer.status_code, answer.json()["error"]) == (401, "invalid_dpop_proof")


def test_two_dpop_headers_are_refused(harness: Harness) -> None:
    wallet, token = _bound_token(harness)
    url = f"{harness.pid}/credential"
    proof = wallet.dpop_proof("POST", url, token)
    nonce = harness.client.post(f"{harness.pid}/nonce").json()["c_nonce"]
    body = {
        "credential_configuration_id": PID_CONFIG,
        "proofs": {"jwt": [make_proof(new_key(), aud=harness.pid, nonce=nonce)]},
    }
    headers = [("Authorization", f"DPoP {token}"), ("DPoP", proof), ("DPoP", proof)]
    answer = harness.client.post(url, json=body, headers=headers)
    assert answer.status_code == 401


def test_htu_normalisation() -> None:
    assert normalize_htu("HTTPS://Issuer.Example:443/token?x=1#f") == "https://issuer.example/token"
    assert normalize_htu("http://127.0.0.1:8101/sg/token") == "http://127.0.0.1:8101/sg/token"
    assert normalize_htu("https://issuer.example/token") != normalize_htu("https://issuer.example/token2")
