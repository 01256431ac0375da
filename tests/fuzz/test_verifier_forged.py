"""Validly signed, hostile presentations at the verifier: every check past the signature meets odd values.

OpenID4VP 1.0 Section 8.2 (Response URI) and the offline ``/v1/verify``: whatever a trusted issuer
signed, the answer is a verdict (``verified`` / ``rejected`` with check and reason) or a 4xx, never
a 500, and a transaction whose response crashed nothing is left half-written (claimed but pending).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idcore.x509 import certificate_from_pem
from tests.fuzz.forge import Forge, Parts
from tests.fuzz.shape import problems_of
from tests.fuzz.targets import Target
from tests.verifier.wallet_client import AuthorizationRequest, ScriptedWallet
from tests.verifier.world import World

AUD = "x509_san_dns:localhost"  # one of the fuzzing relying party's own audiences (targets.py)


def _nonce() -> str:
    """A fresh nonce per verification: /v1/verify takes each nonce once per relying party."""
    return f"n-fuzz-{uuid.uuid4().hex}"


POLICY = "pid-onboarding"
#: x5c values whose entries are not strings (unhashable ones crashed the chain cache: a 500).
ODD_X5C: list[Any] = [[{}], [[]], [{"a": 1}, "MII"], [None], "MIIB", [], [""]]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
_PLACES = ["header", "payload", "kb_header", "kb_claims", "status", "status_list", "cnf"]
_KEYS = [
    "iss",
    "vct",
    "iat",
    "exp",
    "nbf",
    "cnf",
    "status",
    "_sd",
    "_sd_alg",
    "x5c",
    "kid",
    "typ",
    "jwk",
    "aud",
    "nonce",
    "sd_hash",
    "idx",
    "uri",
    "...",
    "age_over_18",
    "birthdate",
    "nationality",
]


@pytest.fixture(scope="module")
def forge(fuzz_world: World) -> Forge:
    return Forge(fuzz_world)


def _verify(verifier: Target, presentation: str, nonce: str) -> Any:
    body = {"policy": POLICY, "vp_token": {"pid": [presentation]}, "nonce": nonce, "aud": AUD}
    return verifier.client.post("/v1/verify", json=body, headers=verifier.auth)


def _verdict(answer: Any) -> tuple[str, str | None, str | None]:
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return body["status"], body.get("check"), body.get("reason")


def test_genuine_forged_presentation_is_verified(verifier: Target, forge: Forge) -> None:
    nonce = _nonce()
    assert _verdict(_verify(verifier, forge.build(forge.parts(nonce=nonce, aud=AUD)), nonce))[0] == "verified"


@pytest.mark.parametrize("x5c", ODD_X5C, ids=repr)
def test_odd_x5c_is_a_rejection_not_a_crash(verifier: Target, forge: Forge, x5c: Any) -> None:
    nonce = _nonce()
    parts = forge.parts(nonce=nonce, aud=AUD)
    parts.header["x5c"] = x5c
    assert _verdict(_verify(verifier, forge.build(parts), nonce)) == ("rejected", "issuer_signature", "malformed")


def _mutate(parts: Parts, place: str, key: str, value: Any, delete: bool) -> None:
    target: dict[str, Any] = {
        "header": parts.header,
        "payload": parts.payload,
        "kb_header": parts.kb_header,
        "kb_claims": parts.kb_claims,
        "status": parts.payload["status"],
        "status_list": parts.payload["status"]["status_list"],
        "cnf": parts.payload["cnf"],
    }[place]
    if delete:
        target.pop(key, None)
    else:
        target[key] = value


@settings(max_examples=80, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(
    place=st.sampled_from(_PLACES),
    key=st.sampled_from(_KEYS),
    value=json_values,
    delete=st.booleans(),
    disclosure=st.none() | st.tuples(st.integers(0, 5), json_values),
)
def test_any_signed_oddity_gets_a_verdict(
    verifier: Target, forge: Forge, place: str, key: str, value: Any, delete: bool, disclosure: Any
) -> None:
    nonce = _nonce()
    parts = forge.parts(nonce=nonce, aud=AUD)
    _mutate(parts, place, key, value, delete)
    if disclosure is not None:  # any JSON value as a Disclosure, its digest listed in _sd
        parts.disclosures[disclosure[0]] = disclosure[1]
    answer = _verify(verifier, forge.build(parts), nonce)
    assert problems_of(answer) == []
    assert answer.status_code == 200 or answer.json()["status"] == answer.status_code


def _wallet_request(verifier: Target, forge: Forge) -> tuple[str, ScriptedWallet, AuthorizationRequest]:
    created = verifier.client.post("/v1/presentations", json={"policy": POLICY}, headers=verifier.auth)
    assert created.status_code == 201, created.text
    anchors = [certificate_from_pem(verifier.client.get("/.well-known/lintas/rp-ca.pem").content)]
    wallet = ScriptedWallet(verifier.client, anchors, forge_clock(verifier), forge.holder)
    return created.json()["transaction_id"], wallet, wallet.fetch(created.json()["request_link"])


def forge_clock(verifier: Target) -> Any:
    """The verifier's own clock (the wallet checks the Request Object's times with it)."""
    return verifier.app.state.pipeline._clock


def _status(verifier: Target, tid: str) -> dict[str, Any]:
    answer = verifier.client.get(f"/v1/presentations/{tid}", headers=verifier.auth)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@pytest.mark.parametrize("x5c", [None, [{}]], ids=["genuine", "dict-in-x5c"])
def test_wallet_response_with_odd_x5c_is_recorded_as_refused(verifier: Target, forge: Forge, x5c: Any) -> None:
    tid, wallet, request = _wallet_request(verifier, forge)
    parts = forge.parts(nonce=request.claims["nonce"], aud=request.client_id)
    if x5c is not None:
        parts.header["x5c"] = x5c
    answer = wallet.post(request, wallet.response_form(request, {"pid": [forge.build(parts)]}))
    assert problems_of(answer) == []
    status = _status(verifier, tid)
    if x5c is None:
        assert answer.status_code == 200
        assert status["status"] == "verified"
    else:  # the wallet learns only invalid_request; the relying party sees where and why
        assert (answer.status_code, answer.json()["error"]) == (400, "invalid_request")
        # No trusted issuer signed it: it proves nothing, so the transaction stays open (not half-done either).
        last = status["last_rejection"]
        assert (status["status"], last["check"], last["reason"]) == ("fetched", "issuer_signature", "malformed")
