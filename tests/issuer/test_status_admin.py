"""Token Status List and the admin API, on the embedded store and on a real Redis.

Each credential gets a distinct index; the ``statuslist+jwt`` verifies with its ``x5c`` against the
national root; revoke / suspend / reinstate flip the entry and are durable (a new app on the same
store sees them). Twins: missing scope, wrong scope, unknown id, revoked-is-final, tampered token.
"""

from __future__ import annotations

from typing import Any

import pytest

from idcore.errors import IdcoreError
from idcore.sdjwt import HolderCredential
from idcore.status_list import parse_status_reference
from tests.issuer.conftest import Harness
from tests.issuer.helpers import national_root, verify_status


def _issue(harness: Harness, subject: str = "sg-tan-wei-ling") -> dict[str, Any]:
    created = harness.offer(subject)
    wallet = harness.wallet()
    issued = wallet.obtain(wallet.resolve_offer(created["offer_link_by_value"]), created["tx_code"])
    return HolderCredential.parse(issued.credentials[0]).claims


def _admin(harness: Harness) -> dict[str, str]:
    return {"Authorization": f"Bearer {harness.operator_token('admin')}"}


def _status_value(harness: Harness, claims: dict[str, Any]) -> int:
    reference = parse_status_reference(claims, allow_insecure_loopback=True)
    answer = harness.client.get(reference.uri)
    assert answer.headers["content-type"] == "application/statuslist+jwt"
    verified = verify_status(answer.text, reference.uri, [national_root(harness.settings.data_dir)], harness.clock)
    return verified.status_list.get(reference.idx)


def _credential_id(harness: Harness, subject: str, idx: int) -> str:
    listing = harness.client.get("/v1/credentials", params={"subject_id": subject}, headers=_admin(harness)).json()
    return next(c["credential_id"] for c in listing["credentials"] if c["idx"] == idx)


def test_revoke_suspend_reinstate_flip_the_status_list(kv_harness: Harness) -> None:
    harness = kv_harness
    claims = _issue(harness)
    idx = claims["status"]["status_list"]["idx"]
    assert _status_value(harness, claims) == 0
    credential_id = _credential_id(harness, "sg-tan-wei-ling", idx)
    url = f"/v1/credentials/{credential_id}"
    assert harness.client.post(f"{url}/suspend", headers=_admin(harness)).json()["status"] == "suspended"
    assert _status_value(harness, claims) == 2
    assert harness.client.post(f"{url}/reinstate", headers=_admin(harness)).json()["status"] == "valid"
    assert _status_value(harness, claims) == 0
    assert harness.client.post(f"{url}/revoke", headers=_admin(harness)).json()["status"] == "revoked"
    assert _status_value(harness, claims) == 1
    final = harness.client.post(f"{url}/reinstate", headers=_admin(harness))
    assert final.status_code == 409
    assert final.headers["content-type"] == "application/problem+json"


def test_status_change_is_durable_across_a_restart(kv_harness: Harness) -> None:
    claims = _issue(kv_harness)
    credential_id = _credential_id(kv_harness, "sg-tan-wei-ling", claims["status"]["status_list"]["idx"])
    kv_harness.client.post(f"/v1/credentials/{credential_id}/revoke", headers=_admin(kv_harness))
    restarted = Harness(kv_harness.settings, kv_harness.service.records.store)
    try:
        assert _status_value(restarted, claims) == 1
        record = restarted.client.get(f"/v1/credentials/{credential_id}", headers=_admin(restarted)).json()
        assert record["status"] == "revoked"
    finally:
        restarted.close()


def test_offer_survives_a_restart(kv_harness: Harness) -> None:
    created = kv_harness.offer("sg-tan-wei-ling")
    restarted = Harness(kv_harness.settings, kv_harness.service.records.store)
    try:
        wallet = restarted.wallet()
        issued = wallet.obtain(wallet.resolve_offer(created["offer_link_by_reference"]), created["tx_code"])
        assert issued.credentials
    finally:
        restarted.close()


def test_each_credential_has_its_own_index(kv_harness: Harness) -> None:
    indices = {_issue(kv_harness)["status"]["status_list"]["idx"] for _ in range(4)}
    assert len(indices) == 4


def test_admin_api_requires_the_admin_scope(harness: Harness) -> None:
    claims = _issue(harness)
    credential_id = _credential_id(harness, "sg-tan-wei-ling", claims["status"]["status_list"]["idx"])
    url = f"/v1/credentials/{credential_id}/revoke"
    assert harness.client.post(url).status_code == 401
    operator = {"Authorization": f"Bearer {harness.operator_token('operator')}"}
    assert harness.client.post(url, headers=operator).status_code == 403
    assert _status_value(harness, claims) == 0
    assert harness.client.post(url, headers=_admin(harness)).status_code == 200


def test_admin_api_bad_input(harness: Harness) -> None:
    assert harness.client.post("/v1/credentials/nope/revoke", headers=_admin(harness)).status_code == 404
    claims = _issue(harness)
    credential_id = _credential_id(harness, "sg-tan-wei-ling", claims["status"]["status_list"]["idx"])
    assert harness.client.post(f"/v1/credentials/{credential_id}/explode", headers=_admin(harness)).status_code == 404
    assert harness.client.get("/v1/credentials", headers=_admin(harness)).status_code == 400


def test_tampered_status_list_token_is_refused(harness: Harness) -> None:
    claims = _issue(harness)
    reference = parse_status_reference(claims, allow_insecure_loopback=True)
    token = harness.client.get(reference.uri).text
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload[:-4]}AAAA.{signature}"
    with pytest.raises(IdcoreError):
        verify_status(forged, reference.uri, [national_root(harness.settings.data_dir)], harness.clock)
    with pytest.raises(IdcoreError):
        verify_status(token, reference.uri + "x", [national_root(harness.settings.data_dir)], harness.clock)
    assert harness.client.get(f"{harness.pid}/status-lists/2").status_code == 404


def test_full_status_list_is_503_not_500(make_harness: Any) -> None:
    harness: Harness = make_harness(status_list_size=8)
    for _ in range(8):
        _issue(harness)
    created = harness.offer("sg-tan-wei-ling")
    wallet = harness.wallet()
    token = wallet.token_pre_authorized(wallet.resolve_offer(created["offer_link_by_value"]), created["tx_code"])
    answer = wallet.request_credentials(
        wallet.issuer_metadata(harness.pid), token.json()["access_token"], "asean_pid_sd_jwt"
    )
    assert (answer.status_code, answer.json()["error"]) == (503, "temporarily_unavailable")
