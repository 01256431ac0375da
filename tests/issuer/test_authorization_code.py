"""Authorization Code flow with PAR (RFC 9126) and PKCE S256 (RFC 7636), OpenID4VCI 1.0 Section 3.4.

The scripted wallet pushes the request, logs in on the demo national-ID page and redeems the code;
each step has refused twins (no PKCE, plain PKCE, wrong verifier, replayed code, no PAR, unknown
client, foreign redirect URI, denial, an ``issuer_state`` bound to another person).
"""

from __future__ import annotations

import hashlib
import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from idcore.b64 import b64u_encode
from tests.issuer.conftest import BUSINESS_CONFIG, PID_CONFIG, Harness
from tests.issuer.helpers import national_root, verify_credential

VERIFIER = b64u_encode(b"v" * 40)
CHALLENGE = b64u_encode(hashlib.sha256(VERIFIER.encode()).digest())
REDIRECT = "http://127.0.0.1:9/callback"


def _par(harness: Harness, tenant: str, **overrides: str | None) -> Any:
    params = {
        "response_type": "code",
        "client_id": "lintas-wallet",
        "redirect_uri": REDIRECT,
        "scope": "asean_pid",
        "state": "s1",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        **overrides,
    }
    return harness.client.post(f"{tenant}/par", data={k: v for k, v in params.items() if v is not None})


def _login(harness: Harness, tenant: str, request_uri: str, subject: str, decision: str = "approve") -> Any:
    query = urlencode({"client_id": "lintas-wallet", "request_uri": request_uri})
    page = harness.client.get(f"{tenant}/authorize?{query}")
    assert page.status_code == 200, page.text
    txn = unescape(re.search(r'name="txn" value="([^"]+)"', page.text).group(1))  # type: ignore[union-attr]
    return harness.client.post(
        f"{tenant}/authorize/login", data={"txn": txn, "subject_id": subject, "decision": decision}
    )


def _code(harness: Harness, tenant: str, subject: str = "sg-tan-wei-ling", **par: str | None) -> str:
    pushed = _par(harness, tenant, **par)
    assert pushed.status_code == 201, pushed.text
    login = _login(harness, tenant, pushed.json()["request_uri"], subject)
    assert login.status_code == 302
    return parse_qs(urlsplit(login.headers["location"]).query)["code"][0]


def _redeem(harness: Harness, tenant: str, code: str, verifier: str = VERIFIER, **extra: str) -> Any:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": "lintas-wallet",
        "code_verifier": verifier,
        **extra,
    }
    return harness.client.post(f"{tenant}/token", data=form)


def test_wallet_gets_a_pid_through_par_login_and_pkce(harness: Harness) -> None:
    wallet = harness.wallet()
    token = wallet.token_authorization_code(harness.pid, "asean_pid", "sg-rajesh-kumar")
    assert token.status_code == 200, token.text
    metadata = wallet.issuer_metadata(harness.pid)
    answer = wallet.request_credentials(metadata, token.json()["access_token"], PID_CONFIG)
    assert answer.status_code == 200, answer.text
    verified = verify_credential(
        answer.json()["credentials"][0]["credential"], [national_root(harness.settings.data_dir)], harness.clock
    )
    assert verified.claims["family_name"] == "Kumar"
    assert verified.claims["age_over_21"] is False  # born 2007


def test_login_page_lists_the_countrys_subjects_only(harness: Harness) -> None:
    pushed = _par(harness, harness.business, scope="asean_business_registration")
    query = urlencode({"client_id": "lintas-wallet", "request_uri": pushed.json()["request_uri"]})
    page = harness.client.get(f"{harness.business}/authorize?{query}")
    assert "Merlion Logistics" in page.text
    assert "Demo stand-in for Singpass" in page.text
    assert "Siam Textiles" not in page.text
    assert "Wei Ling" not in page.text  # persons are not listed by the business registry


def test_wrong_code_verifier_is_invalid_grant(harness: Harness) -> None:
    code = _code(harness, harness.pid)
    answer = _redeem(harness, harness.pid, code, verifier=b64u_encode(b"w" * 40))
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant")


def test_authorization_code_is_single_use(harness: Harness) -> None:
    code = _code(harness, harness.pid)
    assert _redeem(harness, harness.pid, code).status_code == 200
    assert _redeem(harness, harness.pid, code).json()["error"] == "invalid_grant"


def test_code_redeemed_at_the_other_tenant_is_invalid_grant(harness: Harness) -> None:
    code = _code(harness, harness.pid)
    assert _redeem(harness, harness.business, code).json()["error"] == "invalid_grant"


def test_missing_verifier_is_invalid_request(harness: Harness) -> None:
    code = _code(harness, harness.pid)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "client_id": "lintas-wallet"}
    assert harness.client.post(f"{harness.pid}/token", data=form).json()["error"] == "invalid_request"


def test_par_requires_pkce_s256(harness: Harness) -> None:
    no_pkce = _par(harness, harness.pid, code_challenge=None, code_challenge_method=None)
    assert no_pkce.json()["error"] == "invalid_request"
    plain = _par(harness, harness.pid, code_challenge="a" * 43, code_challenge_method="plain")
    assert plain.json()["error"] == "invalid_request"
    assert _par(harness, harness.pid).status_code == 201


def test_par_refuses_unknown_client_redirect_and_scope(harness: Harness) -> None:
    assert _par(harness, harness.pid, client_id="stranger").json()["error"] == "invalid_client"
    assert _par(harness, harness.pid, redirect_uri="https://evil.example/cb").json()["error"] == "invalid_request"
    assert _par(harness, harness.pid, scope="asean_business_registration").json()["error"] == "invalid_scope"
    assert _par(harness, harness.pid, response_type="token").json()["error"] == "unsupported_response_type"


def test_authorization_without_par_is_refused(harness: Harness) -> None:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": "lintas-wallet",
            "redirect_uri": REDIRECT,
            "scope": "asean_pid",
            "code_challenge": CHALLENGE,
            "code_challenge_method": "S256",
        }
    )
    answer = harness.client.get(f"{harness.pid}/authorize?{query}")
    assert answer.status_code == 400
    assert "pushed authorization" in answer.text


def test_request_uri_is_single_use_and_bound_to_its_client(harness: Harness) -> None:
    request_uri = _par(harness, harness.pid).json()["request_uri"]
    other = harness.client.get(f"{harness.pid}/authorize?{urlencode({'client_id': 'x', 'request_uri': request_uri})}")
    assert other.status_code == 400
    again = _par(harness, harness.pid).json()["request_uri"]
    assert _login(harness, harness.pid, again, "sg-tan-wei-ling").status_code == 302
    query = urlencode({"client_id": "lintas-wallet", "request_uri": again})
    replay = harness.client.get(f"{harness.pid}/authorize?{query}")
    assert replay.status_code == 400


def test_denied_login_redirects_with_access_denied(harness: Harness) -> None:
    request_uri = _par(harness, harness.pid).json()["request_uri"]
    answer = _login(harness, harness.pid, request_uri, "sg-tan-wei-ling", decision="deny")
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["s1"]
    assert query["iss"] == [harness.pid]


def test_issuer_state_binds_the_offer_to_its_subject(harness: Harness) -> None:
    created = harness.offer("sg-tan-wei-ling", grants=["authorization_code"])
    state = created["credential_offer"]["grants"]["authorization_code"]["issuer_state"]
    assert created["tx_code"] is None
    wrong = _par(harness, harness.pid, issuer_state=state).json()["request_uri"]
    refused = _login(harness, harness.pid, wrong, "sg-rajesh-kumar")
    assert parse_qs(urlsplit(refused.headers["location"]).query)["error"] == ["access_denied"]
    fresh = harness.offer("sg-tan-wei-ling", grants=["authorization_code"])
    state = fresh["credential_offer"]["grants"]["authorization_code"]["issuer_state"]
    code = _code(harness, harness.pid, "sg-tan-wei-ling", issuer_state=state)
    assert _redeem(harness, harness.pid, code).status_code == 200
    assert _par(harness, harness.pid, issuer_state="forged").json()["error"] == "invalid_request"


def test_business_through_authorization_code(harness: Harness) -> None:
    wallet = harness.wallet()
    token = wallet.token_authorization_code(harness.business, "asean_business_registration", "sg-merlion-logistics")
    metadata = wallet.issuer_metadata(harness.business)
    answer = wallet.request_credentials(metadata, token.json()["access_token"], BUSINESS_CONFIG)
    assert answer.status_code == 200
    wrong = wallet.request_credentials(metadata, token.json()["access_token"], PID_CONFIG)
    assert wrong.json()["error"] == "unknown_credential_configuration"


def test_authorization_code_flow_on_both_stores(kv_harness: Harness) -> None:
    wallet = kv_harness.wallet()
    token = wallet.token_authorization_code(kv_harness.pid, "asean_pid", "sg-tan-wei-ling")
    assert token.status_code == 200, token.text
    metadata = wallet.issuer_metadata(kv_harness.pid)
    answer = wallet.request_credentials(metadata, token.json()["access_token"], PID_CONFIG)
    assert answer.status_code == 200
    replay = _redeem(kv_harness, kv_harness.pid, "not-a-code")
    assert replay.json()["error"] == "invalid_grant"
