"""Hostile presentation requests from a relying party, followed through to the wallet's Request URI.

``POST /v1/presentations`` takes a named policy or an explicit one (shorthand ``credentials`` or a
DCQL query, OpenID4VP 1.0 Section 6). Whatever the body, the answer is 201 or a 400 problem; a
transaction that was created must then serve its Request Object (Section 5.10) or a spec error,
never a 500.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idcore.oid4vp import parse_request_link
from tests.fuzz.shape import problems_of
from tests.fuzz.targets import Target
from tests.fuzz.test_verifier_forged import json_values
from verifier.settings import DEFAULT_CONFIG

BASE: dict[str, Any] = json.loads(DEFAULT_CONFIG.read_text())["policies"]["pid-onboarding"]
#: Bodies that crashed the policy parser (TypeError: a 500) before it checked their types.
ODD_BODIES: list[dict[str, Any]] = [
    {"credentials": 5},
    {"credentials": None},
    {"credentials": True},
    {**BASE, "accepted_countries": [{}]},
    {**BASE, "accepted_countries": [["SG"]]},
]


def _create(verifier: Target, body: Any) -> Any:
    return verifier.client.post("/v1/presentations", json=body, headers=verifier.auth)


def test_explicit_policy_is_accepted(verifier: Target) -> None:
    answer = _create(verifier, {**BASE, "accepted_countries": ["SG", "MY"]})
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(
    "body",
    ODD_BODIES,
    ids=["credentials-5", "credentials-null", "credentials-true", "countries-object", "countries-list"],
)
def test_odd_policy_bodies_are_400_problems(verifier: Target, body: dict[str, Any]) -> None:
    answer = _create(verifier, body)
    assert problems_of(answer) == []
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")


def _mutated(path: tuple[Any, ...], value: Any, delete: bool) -> dict[str, Any]:
    body = copy.deepcopy(BASE)
    node: Any = body
    for step in path[:-1]:
        node = node[step]
    if delete:
        node.pop(path[-1], None) if isinstance(node, dict) else node.__setitem__(path[-1], None)
    else:
        node[path[-1]] = value
    return body


_PATHS = [
    ("credentials",),
    ("accepted_countries",),
    ("require_true",),
    ("max_credential_age",),
    ("min_assurance_level",),
    ("purpose",),
    ("require_holder_binding",),
    ("dcql_query",),
    ("response_mode",),
    ("client_id_prefix",),
    ("credentials", 0),
    ("credentials", 0, "id"),
    ("credentials", 0, "vct_values"),
    ("credentials", 0, "claims"),
    ("credentials", 0, "claims", 0),
]


@settings(max_examples=60, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(_PATHS), value=json_values, delete=st.booleans())
def test_any_policy_body_is_201_or_a_problem_and_its_request_object_serves(
    verifier: Target, path: tuple[Any, ...], value: Any, delete: bool
) -> None:
    answer = _create(verifier, _mutated(path, value, delete))
    assert problems_of(answer) == []
    assert answer.status_code in (201, 400), answer.text
    if answer.status_code == 201:
        request_uri = parse_request_link(answer.json()["request_link"])["request_uri"]
        fetched = verifier.client.post(request_uri, data={"wallet_nonce": "wn-0123456789"})
        assert problems_of(fetched) == []
        assert fetched.status_code == 200, fetched.text
