"""Issue #12 on the issuer: the demo login is a development convenience, a notification id belongs
to the access token that obtained it, a batch shares no iat/exp, and credential records expire.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from idcore.sdjwt import HolderCredential
from tests.issuer.conftest import PID_CONFIG, Harness
from tests.issuer.wallet_client import make_proof, new_key

_DAY = 86400


def _token(harness: Harness, subject: str = "sg-tan-wei-ling") -> str:
    created = harness.offer(subject, PID_CONFIG)
    wallet = harness.wallet()
    answer = wallet.token_pre_authorized(wallet.resolve_offer(created["offer_link_by_value"]), created["tx_code"])
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def _issue(harness: Harness, token: str, count: int = 1) -> dict[str, Any]:
    nonce = harness.client.post(f"{harness.pid}/nonce").json()["c_nonce"]
    proofs = [make_proof(new_key(), aud=harness.pid, nonce=nonce) for _ in range(count)]
    body = {"credential_configuration_id": PID_CONFIG, "proofs": {"jwt": proofs}}
    answer = harness.client.post(f"{harness.pid}/credential", headers={"Authorization": f"Bearer {token}"}, json=body)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


# --- class 5: the demo national login ------------------------------------------------------------
def test_without_the_demo_login_the_authorization_endpoint_logs_nobody_in(make_harness: Any) -> None:
    harness = make_harness(demo_login=False)
    query = urlencode({"client_id": "lintas-wallet", "request_uri": "urn:ietf:params:oauth:request_uri:x"})
    page = harness.client.get(f"{harness.pid}/authorize?{query}")
    assert page.status_code == 503
    assert "temporarily_unavailable" in page.text
    assert "subject_id" not in page.text  # no list of persons to pick from
    login = harness.client.post(
        f"{harness.pid}/authorize/login", data={"txn": "x", "subject_id": "sg-tan-wei-ling", "decision": "approve"}
    )
    assert login.status_code == 503
    assert "location" not in login.headers


def test_twin_development_shows_the_demo_login_with_its_csp(harness: Harness) -> None:
    assert harness.settings.demo_login is True
    wallet = harness.wallet()
    token = wallet.token_authorization_code(harness.pid, "asean_pid", "sg-tan-wei-ling")
    assert token.status_code == 200, token.text


def test_login_page_csp_allows_its_style_and_the_client_redirect_only(harness: Harness) -> None:
    meta = harness.client.get("/.well-known/oauth-authorization-server/sg")
    params = {
        "response_type": "code",
        "client_id": "lintas-wallet",
        "redirect_uri": "http://127.0.0.1:9/cb",
        "scope": "asean_pid",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }
    pushed = harness.client.post(meta.json()["pushed_authorization_request_endpoint"], data=params)
    assert pushed.status_code == 201, pushed.text
    query = urlencode({"client_id": "lintas-wallet", "request_uri": pushed.json()["request_uri"]})
    page = harness.client.get(f"{harness.pid}/authorize?{query}")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "form-action 'self' http://127.0.0.1:9;" in csp
    assert "style-src 'self' 'sha256-" in csp
    assert "'unsafe-inline'" not in csp
    assert page.headers["cache-control"].startswith("no-store")


# --- class 6: notification ids belong to their access token ------------------------------------------
def test_notification_of_another_holders_issuance_is_refused(harness: Harness) -> None:
    alice, bob = _token(harness, "sg-tan-wei-ling"), _token(harness, "sg-tan-wei-ling")
    alice_id = _issue(harness, alice)["notification_id"]
    _issue(harness, bob)
    url = f"{harness.pid}/notification"
    event = {"notification_id": alice_id, "event": "credential_deleted"}
    stolen = harness.client.post(url, json=event, headers={"Authorization": f"Bearer {bob}"})
    assert (stolen.status_code, stolen.json()["error"]) == (400, "invalid_notification_id")
    # The same answer as for an id that never existed: no oracle for other holders' ids.
    bob_auth = {"Authorization": f"Bearer {bob}"}
    unknown = harness.client.post(url, json={**event, "notification_id": "nope"}, headers=bob_auth)
    assert unknown.json() == stolen.json()
    record = harness.service.records.get(f"notification:sg-pid:{alice_id}")
    assert record is not None
    assert "event" not in record  # the refused call changed nothing
    own = harness.client.post(url, json=event, headers={"Authorization": f"Bearer {alice}"})  # the twin
    assert own.status_code == 204


# --- class 10: a batch shares no iat/exp ---------------------------------------------------------------
def _started_two_days_ago(harness: Harness) -> None:
    since = str(harness.clock.now() - 2 * _DAY).encode()
    for tenant in harness.service.tenants:
        harness.service.records.store.set(f"issuing-since:{tenant.spec.slug}", since)


def test_a_batch_has_distinct_random_iat_and_exp(make_harness: Any) -> None:
    harness = make_harness()
    _started_two_days_ago(harness)
    now = harness.clock.now()
    body = _issue(harness, _token(harness), count=8)
    claims = [HolderCredential.parse(c["credential"]).claims for c in body["credentials"]]
    iats = [c["iat"] for c in claims]
    assert len(set(iats)) == 8
    assert len({c["exp"] for c in claims}) == 8
    not_before = int(harness.service.tenants[0].keys.chain[0].not_valid_before_utc.timestamp())
    assert all(max(now - _DAY, not_before) <= iat <= now for iat in iats)  # within the window, never before the cert
    validity = harness.settings.credential_validity_days * _DAY
    assert all(c["exp"] - c["iat"] == validity for c in claims)


def test_twin_without_a_window_the_batch_shares_its_iat(make_harness: Any) -> None:
    harness = make_harness(iat_window=0)
    _started_two_days_ago(harness)
    body = _issue(harness, _token(harness), count=4)
    iats = {HolderCredential.parse(c["credential"]).claims["iat"] for c in body["credentials"]}
    assert iats == {harness.clock.now()}


def test_iat_never_precedes_the_issuers_first_start(harness: Harness) -> None:
    """A fresh issuer draws from an empty window: no credential predates its listing in the registry."""
    body = _issue(harness, _token(harness), count=3)
    assert {HolderCredential.parse(c["credential"]).claims["iat"] for c in body["credentials"]} == {harness.clock.now()}


# --- class 8: credential records expire ---------------------------------------------------------------
def test_credential_records_expire_after_the_retention(make_harness: Any) -> None:
    harness = make_harness(credential_validity_days=1, record_retention_days=0, iat_window=0)
    _issue(harness, _token(harness))
    kept = _issue(harness, _token(harness, "sg-tan-wei-ling"))
    ids = [r["credential_id"] for r in harness.service.records.credentials_of("sg-tan-wei-ling")]
    assert len(ids) == 2
    assert kept["notification_id"]
    # The twin first: a status change before exp + retention keeps the record.
    harness.service.change_status(ids[1], "suspend")
    harness.clock.advance(2 * _DAY)  # past exp and the (zero-day) retention
    harness.service.change_status(ids[0], "revoke")  # rewritten with what is left of its lifetime: nothing
    time.sleep(1.2)  # the store's own clock ends the record's TTL
    assert harness.service.records.credential(ids[0]) is None
    assert harness.service.records.credentials_of("sg-tan-wei-ling") == [harness.service.records.credential(ids[1])]


def test_retention_is_exp_plus_the_configured_days(make_harness: Any) -> None:
    harness = make_harness(credential_validity_days=2, record_retention_days=30)
    exp = harness.clock.now() + 2 * _DAY
    assert harness.service._retention(exp) == 32 * _DAY
    harness.clock.advance(40 * _DAY)
    assert harness.service._retention(exp) == 1  # long gone: the shortest lifetime a store takes
