"""One issuer key signs two kinds of access token through the one token path; neither passes for the other.

The operator API's client-credentials tokens (``lintas.oauth``: ``iss``/``aud`` the process URL,
``scope``) and the wallet's credential tokens (``issuer.tokens``: ``iss``/``aud`` the Credential
Issuer Identifier, the credential grant) are both minted by :class:`lintas.access_tokens.JwtAccessTokens`
with the issuer's OAuth key (RFC 9068). Each works where it belongs (the positive halves) and is
refused with ``invalid_token`` where it does not, also when a tenant's identifier is the bare
process URL, so that ``iss`` and ``aud`` alone cannot tell the two apart.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.issuer.conftest import PUBLIC_URL, Harness

PID_CONFIG = "asean_pid_sd_jwt"


def _wallet_token(harness: Harness) -> tuple[str, dict[str, Any]]:
    created = harness.offer("sg-tan-wei-ling")
    wallet = harness.wallet()
    offer = wallet.resolve_offer(created["offer_link_by_value"])
    answer = wallet.token_pre_authorized(offer, created["tx_code"])
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"]), wallet.issuer_metadata(offer.credential_issuer)


def _credential(harness: Harness, metadata: dict[str, Any], token: str) -> Any:
    return harness.wallet().request_credentials(metadata, token, PID_CONFIG)


def _offer(harness: Harness, token: str) -> Any:
    body = {"subject_id": "sg-tan-wei-ling", "credential_configuration_id": PID_CONFIG}
    return harness.client.post("/v1/offers", json=body, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("bare_origin", [False, True], ids=["path-identifier", "bare-origin-identifier"])
def test_each_token_works_where_it_belongs_and_nowhere_else(make_harness: Any, bare_origin: bool) -> None:
    harness: Harness = make_harness(identifiers={"sg-pid": PUBLIC_URL} if bare_origin else {})
    wallet_token, metadata = _wallet_token(harness)
    operator_token = harness.operator_token()
    assert (metadata["credential_issuer"] == PUBLIC_URL) is bare_origin

    assert _credential(harness, metadata, wallet_token).status_code == 200
    refused = _credential(harness, metadata, operator_token)
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]

    assert _offer(harness, operator_token).status_code == 201
    refused = _offer(harness, wallet_token)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_token"
