"""Credential, Nonce and Notification endpoints (OpenID4VCI 1.0 Sections 7, 8, 11, Appendix F).

Every accepted request has rejected twins: wrong aud / nonce / typ / alg, private key in the
header, stale iat, replayed nonce, unknown configuration, bad tokens. Errors are the spec's
codes with HTTP 400 (request) or 401 (authorization); never a 500.
"""

from __future__ import annotations

from typing import Any

import pytest

from idcore.jose import KeySigner
from idcore.keys import generate_private_key, private_jwk
from tests.issuer.conftest import BUSINESS_CONFIG, PID_CONFIG, Harness
from tests.issuer.wallet_client import make_proof, new_key


def _access_token(harness: Harness, subject: str = "sg-tan-wei-ling", config: str = PID_CONFIG) -> str:
    created = harness.offer(subject, config)
    wallet = harness.wallet()
    answer = wallet.token_pre_authorized(wallet.resolve_offer(created["offer_link_by_value"]), created["tx_code"])
    return str(answer.json()["access_token"])


def _nonce(harness: Harness, tenant: str | None = None) -> str:
    return str(harness.client.post(f"{tenant or harness.pid}/nonce").json()["c_nonce"])


def _request(harness: Harness, token: str, body: Any, tenant: str | None = None) -> tuple[int, dict[str, Any]]:
    answer = harness.client.post(
        f"{tenant or harness.pid}/credential", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.headers["cache-control"].startswith("no-store")
    return answer.status_code, answer.json()


def _body(proofs: list[str], config: str = PID_CONFIG) -> dict[str, Any]:
    return {"credential_configuration_id": config, "proofs": {"jwt": proofs}}


def test_nonce_endpoint_gives_fresh_unstored_values(harness: Harness) -> None:
    first, second = harness.client.post(f"{harness.pid}/nonce"), harness.client.post(f"{harness.pid}/nonce")
    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-store"
    assert first.json()["c_nonce"] != second.json()["c_nonce"]


def test_valid_proof_gets_a_credential(harness: Harness) -> None:
    token, key = _access_token(harness), new_key()
    status, body = _request(harness, token, _body([make_proof(key, aud=harness.pid, nonce=_nonce(harness))]))
    assert status == 200
    assert len(body["credentials"]) == 1
    assert body["notification_id"]


@pytest.mark.parametrize(
    ("tamper", "error"),
    [
        ({"aud": "https://evil.example"}, "invalid_proof"),
        ({"typ": "JWT"}, "invalid_proof"),
        ({"iat_offset": -3600}, "invalid_proof"),
        ({"iat_offset": 3600}, "invalid_proof"),
        ({"no_nonce": True}, "invalid_proof"),
        ({"nonce": "made-up-nonce"}, "invalid_nonce"),
        ({"iss": "someone-else"}, "invalid_proof"),
    ],
)
def test_tampered_proof_is_refused(harness: Harness, tamper: dict[str, Any], error: str) -> None:
    token, key, nonce = _access_token(harness), new_key(), _nonce(harness)
    options: dict[str, Any] = {"aud": tamper.get("aud", harness.pid), "nonce": tamper.get("nonce", nonce)}
    if tamper.get("no_nonce"):
        options["nonce"] = None
    if "typ" in tamper:
        options["typ"] = tamper["typ"]
    if "iss" in tamper:
        options["iss"] = tamper["iss"]
    options["iat"] = harness.clock.now() + tamper.get("iat_offset", 0)
    status, body = _request(harness, token, _body([make_proof(key, **options)]))
    assert (status, body["error"]) == (400, error)


def test_proof_signed_with_a_disallowed_alg_is_refused(harness: Harness) -> None:
    token, nonce = _access_token(harness), _nonce(harness)
    es384 = KeySigner(generate_private_key("ES384"))  # type: ignore[arg-type]
    status, body = _request(harness, token, _body([make_proof(es384, aud=harness.pid, nonce=nonce)]))
    assert (status, body["error"]) == (400, "invalid_proof")
    good = make_proof(new_key(), aud=harness.pid, nonce=nonce)  # the nonce was not used up by the failure
    assert _request(harness, token, _body([good]))[0] == 200


def test_private_key_in_proof_header_is_refused(harness: Harness) -> None:
    token, key, nonce = _access_token(harness), new_key(), _nonce(harness)
    leaked = private_jwk(key.private_key)  # type: ignore[arg-type]
    proof = make_proof(key, aud=harness.pid, nonce=nonce, header={"jwk": leaked})
    status, body = _request(harness, token, _body([proof]))
    assert (status, body["error"]) == (400, "invalid_proof")


def test_proof_signed_by_another_key_than_its_jwk_is_refused(harness: Harness) -> None:
    token, key, other, nonce = _access_token(harness), new_key(), new_key(), _nonce(harness)
    forged = make_proof(key, aud=harness.pid, nonce=nonce, header={"jwk": dict(other.public_jwk)})
    assert _request(harness, token, _body([forged]))[1]["error"] == "invalid_proof"


def test_nonce_is_single_use(harness: Harness) -> None:
    token, nonce = _access_token(harness), _nonce(harness)
    assert _request(harness, token, _body([make_proof(new_key(), aud=harness.pid, nonce=nonce)]))[0] == 200
    status, body = _request(harness, token, _body([make_proof(new_key(), aud=harness.pid, nonce=nonce)]))
    assert (status, body["error"]) == (400, "invalid_nonce")


def test_nonce_of_the_other_tenant_is_invalid(harness: Harness) -> None:
    token = _access_token(harness)
    foreign = _nonce(harness, harness.business)
    status, body = _request(harness, token, _body([make_proof(new_key(), aud=harness.pid, nonce=foreign)]))
    assert (status, body["error"]) == (400, "invalid_nonce")


def test_batch_issuance_binds_each_credential_to_its_own_key(harness: Harness) -> None:
    from idcore.sdjwt import HolderCredential

    token, nonce = _access_token(harness), _nonce(harness)
    keys = [new_key() for _ in range(3)]
    status, body = _request(harness, token, _body([make_proof(k, aud=harness.pid, nonce=nonce) for k in keys]))
    assert status == 200
    held = [HolderCredential.parse(c["credential"]).claims for c in body["credentials"]]
    assert [claims["cnf"]["jwk"] for claims in held] == [dict(k.public_jwk) for k in keys]
    indices = [claims["status"]["status_list"]["idx"] for claims in held]
    assert len(set(indices)) == 3


def test_batch_with_a_repeated_key_is_refused(harness: Harness) -> None:
    token, nonce, key = _access_token(harness), _nonce(harness), new_key()
    proofs = [make_proof(key, aud=harness.pid, nonce=nonce), make_proof(key, aud=harness.pid, nonce=nonce)]
    assert _request(harness, token, _body(proofs))[1]["error"] == "invalid_proof"


def test_batch_larger_than_batch_size_is_refused(make_harness: Any) -> None:
    harness: Harness = make_harness(batch_size=2)
    token, nonce = _access_token(harness), _nonce(harness)
    proofs = [make_proof(new_key(), aud=harness.pid, nonce=nonce) for _ in range(3)]
    assert _request(harness, token, _body(proofs))[1]["error"] == "invalid_credential_request"
    assert _request(harness, token, _body(proofs[:2]))[0] == 200


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"credential_configuration_id": "nope", "proofs": {"jwt": ["x"]}}, "unknown_credential_configuration"),
        ({"credential_identifier": "abc", "proofs": {"jwt": ["x"]}}, "unknown_credential_identifier"),
        ({"proofs": {"jwt": ["x"]}}, "invalid_credential_request"),
        ({"credential_configuration_id": PID_CONFIG}, "invalid_proof"),
        ({"credential_configuration_id": PID_CONFIG, "proofs": {"jwt": []}}, "invalid_proof"),
        ({"credential_configuration_id": PID_CONFIG, "proofs": {"di_vp": [{}]}}, "invalid_proof"),
        ({"credential_configuration_id": PID_CONFIG, "proof": {"jwt": "x"}}, "invalid_credential_request"),
        ({"credential_configuration_id": PID_CONFIG, "proofs": {"jwt": [7]}}, "invalid_proof"),
        (
            {"credential_configuration_id": PID_CONFIG, "credential_response_encryption": {}},
            "invalid_encryption_parameters",
        ),
        ([1, 2], "invalid_credential_request"),
    ],
)
def test_malformed_credential_requests(harness: Harness, body: Any, error: str) -> None:
    status, answer = _request(harness, _access_token(harness), body)
    assert (status, answer["error"]) == (400, error)


def test_non_json_body_is_invalid_credential_request(harness: Harness) -> None:
    answer = harness.client.post(
        f"{harness.pid}/credential",
        content=b"{not json",
        headers={"Authorization": f"Bearer {_access_token(harness)}", "content-type": "application/json"},
    )
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_credential_request")


def test_access_token_problems_are_401_invalid_token(harness: Harness) -> None:
    token = _access_token(harness)
    body = _body([make_proof(new_key(), aud=harness.pid, nonce=_nonce(harness))])
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": f"Bearer {token[:-3]}AAA"},
        {"Authorization": f"Basic {token}"},
        {"Authorization": f"DPoP {token}"},
    ):
        answer = harness.client.post(f"{harness.pid}/credential", json=body, headers=headers)
        assert answer.status_code == 401
        assert answer.json()["error"] == "invalid_token"
        assert 'error="invalid_token"' in answer.headers["www-authenticate"]


def test_expired_access_token_is_refused(harness: Harness) -> None:
    token = _access_token(harness)
    harness.clock.advance(harness.settings.access_token_ttl + 1)
    proof = make_proof(new_key(), aud=harness.pid, nonce=_nonce(harness), iat=harness.clock.now())
    status, body = _request(harness, token, _body([proof]))
    assert (status, body["error"]) == (401, "invalid_token")


def test_token_of_one_tenant_is_refused_by_the_other(harness: Harness) -> None:
    business_token = _access_token(harness, "sg-merlion-logistics", BUSINESS_CONFIG)
    proof = make_proof(new_key(), aud=harness.pid, nonce=_nonce(harness))
    assert _request(harness, business_token, _body([proof]))[0] == 401
    proof = make_proof(new_key(), aud=harness.business, nonce=_nonce(harness, harness.business))
    assert _request(harness, business_token, _body([proof], BUSINESS_CONFIG), harness.business)[0] == 200


def test_notification_endpoint(harness: Harness) -> None:
    token = _access_token(harness)
    _, issued = _request(harness, token, _body([make_proof(new_key(), aud=harness.pid, nonce=_nonce(harness))]))
    bearer = {"Authorization": f"Bearer {token}"}
    event = {"notification_id": issued["notification_id"], "event": "credential_accepted"}
    url = f"{harness.pid}/notification"
    assert harness.client.post(url, json=event, headers=bearer).status_code == 204
    assert harness.client.post(url, json=event, headers=bearer).status_code == 204  # idempotent
    unknown = harness.client.post(url, json={**event, "notification_id": "nope"}, headers=bearer)
    assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_notification_id")
    bad_event = harness.client.post(url, json={**event, "event": "credential_eaten"}, headers=bearer)
    assert bad_event.json()["error"] == "invalid_notification_request"
    quoted = harness.client.post(url, json={**event, "event_description": 'say "hi"'}, headers=bearer)
    assert quoted.json()["error"] == "invalid_notification_request"
    assert harness.client.post(url, json=event).status_code == 401
