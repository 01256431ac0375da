"""End-to-end OpenID4VP flows over real sockets with real Redis and a scripted wallet.

Cross-device and same-device, ``direct_post`` and ``direct_post.jwt``, ``x509_hash`` and
``x509_san_dns``; a Singaporean citizen at a Malaysian bank and a Vietnamese business at a Thai
procurement portal. Each positive flow has a tampered twin that is rejected.
"""

from __future__ import annotations

import logging

import pytest

from tests.verifier.conftest import RunningVerifier
from tests.verifier.wallet_client import ScriptedWallet
from tests.verifier.world import BUSINESS_CLAIMS, PID_CLAIMS, World


def _flip_last(text: str) -> str:
    return text[:-2] + ("A" if text[-2] != "A" else "B") + text[-1]


@pytest.mark.parametrize(("mode", "prefix"), [("direct_post.jwt", "x509_hash"), ("direct_post", "x509_san_dns")])
def test_sg_citizen_at_my_bank_cross_device(
    verifier: RunningVerifier, wallet: ScriptedWallet, world: World, mode: str, prefix: str
) -> None:
    created = verifier.create("my-bank", policy="pid-onboarding", response_mode=mode, client_id_prefix=prefix)
    request = wallet.fetch(created["request_link"])
    assert request.client_id.startswith(prefix + ":")
    assert verifier.status("my-bank", created["transaction_id"])["status"] == "fetched"
    credential = world.issue("sg-pid", PID_CLAIMS, dict(wallet.holder.public_jwk), idx=1)
    response = wallet.post(request, wallet.response_form(request, {"pid": [wallet.present(request, credential)]}))
    assert response.status_code == 200, response.text
    assert response.json() == {}
    result = verifier.status("my-bank", created["transaction_id"])
    assert result["status"] == "verified"
    (cred,) = result["credentials"]
    assert cred["issuing_country"] == "SG"
    assert cred["issuer"] == world.issuers["sg-pid"].issuer_id
    assert cred["assurance_level"] == "high"
    assert cred["claims"]["full_name"] == "Tan Wei Ling"
    assert "given_name" not in cred["claims"]  # names are never asked in parts: mononyms have none
    assert "document_number" not in cred["claims"]  # not requested, not disclosed


def test_tampered_kb_jwt_is_rejected_at_holder_binding(
    verifier: RunningVerifier, wallet: ScriptedWallet, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    created = verifier.create("my-bank", policy="pid-onboarding")
    request = wallet.fetch(created["request_link"])
    credential = world.issue("sg-pid", PID_CLAIMS, dict(wallet.holder.public_jwk), idx=1)
    presentation = _flip_last(wallet.present(request, credential))
    with caplog.at_level(logging.INFO, logger="lintas.verifier"):
        response = wallet.post(request, wallet.response_form(request, {"pid": [presentation]}))
    assert response.status_code == 400
    # The wallet learns only the spec's error code.
    assert response.json() == {"error": "invalid_request", "error_description": "invalid response"}
    result = verifier.status("my-bank", created["transaction_id"])
    assert (result["status"], result["check"]) == ("rejected", "holder_binding")
    assert "credentials" not in result
    # The log names the transaction and the failing check, never the credential.
    (record,) = [r for r in caplog.records if r.getMessage() == "presentation rejected"]
    assert (record.transaction_id, record.check) == (created["transaction_id"], "holder_binding")  # type: ignore[attr-defined]
    assert presentation.split("~")[0] not in caplog.text
    assert "Wei Ling" not in caplog.text


def test_vn_business_at_th_procurement_same_device(
    verifier: RunningVerifier, wallet: ScriptedWallet, world: World
) -> None:
    created = verifier.create("th-procurement", policy="business-registration")
    request = wallet.fetch(created["same_device_link"])
    credential = world.issue("vn-biz", BUSINESS_CLAIMS, dict(wallet.holder.public_jwk), idx=2)
    response = wallet.post(request, wallet.response_form(request, {"business": [wallet.present(request, credential)]}))
    assert response.status_code == 200, response.text
    redirect = response.json()["redirect_uri"]
    code = redirect.split("response_code=")[1]
    tid = created["transaction_id"]
    # Without the response code (another session) the claims are withheld; with it, shown.
    hidden = verifier.status("th-procurement", tid)
    assert hidden["status"] == "verified"
    assert "credentials" not in hidden
    assert hidden["response_code_required"] is True
    wrong = verifier.status("th-procurement", tid, response_code=_flip_last(code))
    assert "credentials" not in wrong
    shown = verifier.status("th-procurement", tid, response_code=code)
    (cred,) = shown["credentials"]
    assert (cred["issuing_country"], cred["claims"]["legal_name"]) == ("VN", BUSINESS_CLAIMS["legal_name"])


def test_business_credential_does_not_satisfy_pid_policy(
    verifier: RunningVerifier, wallet: ScriptedWallet, world: World
) -> None:
    created = verifier.create("my-bank", policy="pid-onboarding")
    request = wallet.fetch(created["request_link"])
    credential = world.issue("vn-biz", BUSINESS_CLAIMS, dict(wallet.holder.public_jwk), idx=2)
    response = wallet.post(request, wallet.response_form(request, {"pid": [wallet.present(request, credential)]}))
    assert response.status_code == 400
    result = verifier.status("my-bank", created["transaction_id"])
    assert (result["check"], result["reason"]) == ("dcql", "dcql_unsatisfied")


def test_replayed_response_is_refused(verifier: RunningVerifier, wallet: ScriptedWallet, world: World) -> None:
    created = verifier.create("my-bank", policy="age-check")
    request = wallet.fetch(created["request_link"])
    credential = world.issue("sg-pid", PID_CLAIMS, dict(wallet.holder.public_jwk))
    form = wallet.response_form(request, {"pid": [wallet.present(request, credential)]})
    assert wallet.post(request, form).status_code == 200
    again = wallet.post(request, form)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_request"
    assert verifier.status("my-bank", created["transaction_id"])["status"] == "verified"
