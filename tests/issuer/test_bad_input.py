"""Bad input never produces a 500: junk bodies, headers and parameters at every issuer endpoint.

Each request below is malformed in some way; the answer must be a 4xx in the endpoint's error
shape (OAuth JSON, Credential Endpoint JSON or problem+json), never a server error.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.issuer.conftest import Harness

JUNK_BODIES: list[bytes] = [b"", b"{", b"[]", b"null", b'{"a":' * 200, b"\xff\xfe", b"a=1&a=2", b"x" * 70000]
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain"]
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)


def _paths(harness: Harness) -> list[str]:
    return [
        f"{harness.pid}/token",
        f"{harness.pid}/par",
        f"{harness.pid}/credential",
        f"{harness.pid}/notification",
        f"{harness.pid}/authorize/login",
        "/v1/offers",
        "/oauth/token",
        f"{harness.business}/credential",
    ]


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_junk_bodies_are_4xx(harness: Harness, content_type: str) -> None:
    headers = {"content-type": content_type, "authorization": "Bearer x.y.z"}
    for path in _paths(harness):
        for body in JUNK_BODIES:
            answer = harness.client.post(path, content=body, headers=headers)
            assert 400 <= answer.status_code < 500, (path, body[:20], answer.status_code, answer.text[:200])


def test_junk_query_parameters_are_4xx(harness: Harness) -> None:
    for query in (
        "",
        "request_uri=%ff",
        "client_id=lintas-wallet&request_uri=urn:x",
        "response_type=code",
        "client_id=lintas-wallet&client_id=x",
    ):
        answer = harness.client.get(f"{harness.pid}/authorize?{query}")
        assert 400 <= answer.status_code < 500, (query, answer.status_code)
    assert harness.client.get("/v1/credentials?subject_id=x").status_code == 401
    assert harness.client.get(f"{harness.pid}/status-lists/%00").status_code == 404


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=6))
def test_arbitrary_token_and_par_requests_are_never_5xx(harness: Harness, form: dict[str, Any]) -> None:
    assert harness.client.post(f"{harness.pid}/token", data=form).status_code < 500
    assert harness.client.post(f"{harness.pid}/par", data=form).status_code < 500


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_JSON)
def test_arbitrary_json_bodies_are_never_5xx(harness: Harness, body: Any) -> None:
    answer = harness.client.post(f"{harness.pid}/credential", json=body, headers={"authorization": "Bearer x"})
    assert answer.status_code == 401
    assert harness.client.post("/v1/offers", json=body).status_code == 401


_TOKENS: dict[int, str] = {}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_JSON)
def test_authenticated_junk_credential_requests_get_spec_errors(harness: Harness, body: Any) -> None:
    if id(harness) not in _TOKENS:
        created = harness.offer("sg-tan-wei-ling", tx_code=False)
        wallet = harness.wallet()
        answer = wallet.token_pre_authorized(wallet.resolve_offer(created["offer_link_by_value"]), None)
        _TOKENS[id(harness)] = answer.json()["access_token"]
    answer = harness.client.post(
        f"{harness.pid}/credential", json=body, headers={"authorization": f"Bearer {_TOKENS[id(harness)]}"}
    )
    assert answer.status_code == 400
    assert answer.json()["error"] in {
        "invalid_credential_request",
        "unknown_credential_configuration",
        "unknown_credential_identifier",
        "invalid_proof",
        "invalid_encryption_parameters",
    }
