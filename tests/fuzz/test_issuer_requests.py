"""Hostile wallet requests at the issuer that pass the outer checks: signed proofs and DPoP with odd
claims, and Token Requests that are refused after the code was looked up.

OpenID4VCI 1.0 Section 6 (Token Endpoint, Pre-Authorized Code), 8.2 and Appendix F.1 (key proofs),
RFC 9449 (DPoP), RFC 9396 via Section 5.1.1 (``authorization_details``). A refused request gets
a spec error and changes nothing: the pre-authorized code of a refused Token Request can still be
redeemed.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idcore.jose import sign_compact
from idcore.oid4vci.dpop import access_token_hash
from idcore.oid4vci.messages import PRE_AUTHORIZED_GRANT
from tests.fuzz.shape import problems_of
from tests.fuzz.targets import Target
from tests.fuzz.test_verifier_forged import json_values
from tests.issuer.wallet_client import ScriptedWallet, new_key

PID = "asean_pid_sd_jwt"
SUBJECT = "sg-tan-wei-ling"
DETAILS = {
    "malformed": "{not json",
    "not-granted": '[{"type":"openid_credential","credential_configuration_id":"asean_business_registration_sd_jwt"}]',
}


def _offer(issuer: Target, tx_code: bool) -> tuple[dict[str, Any], str]:
    created = issuer.client.post(
        "/v1/offers",
        json={"subject_id": SUBJECT, "credential_configuration_id": PID, "tx_code": tx_code},
        headers=issuer.auth,
    )
    assert created.status_code == 201, created.text
    offer = ScriptedWallet(issuer.client).resolve_offer(created.json()["offer_link_by_value"])
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": offer.pre_authorized_code or ""}
    if tx_code:
        form["tx_code"] = created.json()["tx_code"]
    return form, offer.credential_issuer


@pytest.mark.parametrize("tx_code", [False, True], ids=["no-tx-code", "tx-code"])
@pytest.mark.parametrize("details", list(DETAILS))
def test_refused_authorization_details_leave_the_code_redeemable(issuer: Target, details: str, tx_code: bool) -> None:
    form, _ = _offer(issuer, tx_code)
    refused = issuer.client.post("/sg/token", data={**form, "authorization_details": DETAILS[details]})
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_authorization_details")
    retried = issuer.client.post("/sg/token", data=form)
    assert retried.status_code == 200, retried.text
    # Twin: once redeemed, the code is gone.
    replayed = issuer.client.post("/sg/token", data=form)
    assert (replayed.status_code, replayed.json()["error"]) == (400, "invalid_grant")


_KEYS = [
    "typ",
    "jwk",
    "kid",
    "x5c",
    "alg",
    "crit",
    "aud",
    "iat",
    "nonce",
    "iss",
    "exp",
    "nbf",
    "key_attestation",
    "htm",
    "htu",
    "jti",
    "ath",
    "proofs",
    "credential_configuration_id",
    "credential_identifier",
    "credential_response_encryption",
    "proof",
]
_ERRORS = {
    "invalid_proof",
    "invalid_dpop_proof",
    "invalid_credential_request",
    "invalid_encryption_parameters",
    "unknown_credential_configuration",
    "unknown_credential_identifier",
    "invalid_nonce",
    "invalid_token",
    "use_dpop_nonce",
}


@pytest.fixture(scope="module")
def dpop_session(issuer: Target) -> tuple[ScriptedWallet, str, dict[str, Any]]:
    """A DPoP-bound access token for the PID, and the issuer's metadata."""
    form, identifier = _offer(issuer, tx_code=False)
    wallet = ScriptedWallet(issuer.client, dpop=True)
    token = wallet._post(wallet.as_metadata(identifier)["token_endpoint"], data=form)
    assert token.status_code == 200, token.text
    return wallet, str(token.json()["access_token"]), wallet.issuer_metadata(identifier)


@settings(max_examples=60, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(
    place=st.sampled_from(["proof_header", "proof_claims", "dpop_header", "dpop_claims", "body"]),
    key=st.sampled_from(_KEYS),
    value=json_values,
    delete=st.booleans(),
)
def test_signed_oddities_in_proofs_and_dpop_get_credential_errors(
    issuer: Target,
    dpop_session: tuple[ScriptedWallet, str, dict[str, Any]],
    place: str,
    key: str,
    value: Any,
    delete: bool,
) -> None:
    wallet, access_token, metadata = dpop_session
    holder, url, now = new_key(), metadata["credential_endpoint"], int(time.time())
    parts: dict[str, dict[str, Any]] = {
        "proof_header": {"typ": "openid4vci-proof+jwt", "jwk": dict(holder.public_jwk)},
        "proof_claims": {"aud": metadata["credential_issuer"], "iat": now, "nonce": wallet.nonce(metadata)},
        "dpop_header": {"typ": "dpop+jwt", "jwk": dict(wallet.dpop_key.public_jwk)},
        "dpop_claims": {
            "jti": str(time.time_ns()),
            "htm": "POST",
            "htu": url,
            "iat": now,
            "ath": access_token_hash(access_token),
        },
        "body": {"credential_configuration_id": PID},
    }
    if delete:
        parts[place].pop(key, None)
    else:
        parts[place][key] = value
    proof = sign_compact(parts["proof_header"], parts["proof_claims"], holder)
    dpop = sign_compact(parts["dpop_header"], parts["dpop_claims"], wallet.dpop_key)
    body = {"proofs": {"jwt": [proof]}, **parts["body"]} if place != "body" or key != "proofs" else parts["body"]
    answer = issuer.client.post(url, json=body, headers={"Authorization": f"DPoP {access_token}", "DPoP": dpop})
    assert problems_of(answer) == []
    assert answer.status_code == 200 or answer.json()["error"] in _ERRORS, answer.text


#: ``event`` values that are not strings: unhashable ones crashed the event check (TypeError: a 500).
ODD_EVENTS: list[Any] = [[], [None], {}, {"credential_accepted": 1}, 7, None]


@pytest.fixture(scope="module")
def bearer(issuer: Target) -> str:
    """A Bearer access token for the PID."""
    form, _ = _offer(issuer, tx_code=False)
    answer = issuer.client.post("/sg/token", data=form)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


@pytest.mark.parametrize("event", ODD_EVENTS, ids=repr)
def test_a_notification_event_that_is_not_a_string_is_invalid_notification_request(
    issuer: Target, bearer: str, event: Any
) -> None:
    body = {"notification_id": "n-1", "event": event}
    answer = issuer.client.post("/sg/notification", json=body, headers={"Authorization": f"Bearer {bearer}"})
    assert problems_of(answer) == []
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_notification_request")


@settings(max_examples=40, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(
    body=json_values
    | st.dictionaries(
        st.sampled_from(["notification_id", "event", "event_description"]),
        json_values | st.sampled_from(["credential_accepted", "credential_failure"]),
        max_size=3,
    )
)
def test_any_notification_body_is_204_or_a_spec_error(issuer: Target, bearer: str, body: Any) -> None:
    answer = issuer.client.post("/sg/notification", json=body, headers={"Authorization": f"Bearer {bearer}"})
    assert problems_of(answer) == []
    assert answer.status_code == 204 or answer.json()["error"] == "invalid_notification_request", answer.text


PAR_BASE = {
    "response_type": "code",
    "client_id": "lintas-wallet",
    "redirect_uri": "http://127.0.0.1:9/cb",
    "scope": "asean_pid",
    "code_challenge": "a" * 43,
    "code_challenge_method": "S256",
    "state": "s",
}
#: Values authlib copies into an error_description; outside RFC 6749's character set its error
#: constructor raised ValueError (a 500) instead of answering.
ODD_PAR_VALUES = [
    ("response_type", "é"),
    ("response_type", '"'),
    ("response_type", "code\\"),
    ("redirect_uri", "é"),
    ("redirect_uri", 'http://127.0.0.1:9/"'),
    ("redirect_uri", "http://x/\\"),
]


def test_a_well_formed_pushed_authorization_request_is_accepted(issuer: Target) -> None:
    assert issuer.client.post("/sg/par", data=PAR_BASE).status_code == 201


@pytest.mark.parametrize(("name", "value"), ODD_PAR_VALUES, ids=[f"{n}={v!r}" for n, v in ODD_PAR_VALUES])
def test_authorization_parameters_outside_their_syntax_are_invalid_request(
    issuer: Target, name: str, value: str
) -> None:
    answer = issuer.client.post("/sg/par", data={**PAR_BASE, name: value})
    assert problems_of(answer) == []
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_request")


@settings(max_examples=60, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(
    name=st.sampled_from([*PAR_BASE, "issuer_state", "request_uri", "prompt", "nonce"]),
    value=st.text(max_size=30),
    delete=st.booleans(),
)
def test_any_pushed_authorization_request_is_201_or_an_oauth_error(
    issuer: Target, name: str, value: str, delete: bool
) -> None:
    form = {k: v for k, v in PAR_BASE.items() if not (delete and k == name)} | ({} if delete else {name: value})
    answer = issuer.client.post("/sg/par", data=form)
    assert problems_of(answer) == []
    assert answer.status_code in (201, 400), answer.text
