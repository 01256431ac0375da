"""Relying-party API features: long-poll, server-sent events, signed webhook, rate limit, expiry,
offline ``/v1/verify``, an explicit DCQL query, QR codes, and the development-only unsigned
``redirect_uri`` request. Real sockets, real Redis, a scripted wallet.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from idcore.errors import JoseError
from idcore.jose import KeySigner, verify_compact
from idcore.jwk import public_key_from_jwk
from idcore.oid4vp import decode_by_value, parse_request_link
from idcore.ports import FixedClock
from idcore.trust.vct import VCT_PID
from lintas.testing import RedisServer, UvicornServer
from tests.verifier.conftest import RunningVerifier, start_verifier
from tests.verifier.wallet_client import AuthorizationRequest, ScriptedWallet
from tests.verifier.world import PID_CLAIMS, World, new_key
from verifier.settings import DEFAULT_CONFIG


class Hooks:
    """A relying party's webhook receiver."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.event = threading.Event()
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> dict[str, str]:
            self.received.append((await request.body()).decode())
            self.event.set()
            return {}


@pytest.fixture(scope="module")
def hooks() -> Iterator[tuple[Hooks, str]]:
    receiver = Hooks()
    with UvicornServer(receiver.app) as server:
        yield receiver, f"{server.base_url}/hook"


@pytest.fixture(scope="module")
def rp_verifier(
    tmp_path_factory: pytest.TempPathFactory,
    world: World,
    clock: FixedClock,
    redis_server: RedisServer,
    hooks: tuple[Hooks, str],
) -> Iterator[RunningVerifier]:
    tmp = tmp_path_factory.mktemp("rp-verifier")
    config = json.loads(DEFAULT_CONFIG.read_text())
    config["relying_parties"]["my-bank"]["allow_custom_queries"] = True
    config["relying_parties"]["hooked"] = {
        "name": "Hooked RP",
        "country": "MY",
        "policies": ["age-check"],
        "webhook_url": hooks[1],
    }
    config["relying_parties"]["limited"] = {
        "name": "Limited RP",
        "country": "TH",
        "policies": ["age-check"],
        "rate_limit_per_minute": 8,
    }
    path = tmp / "config.json"
    path.write_text(json.dumps(config))
    yield from start_verifier(tmp / "data", world, clock, redis_server.url, config_file=path)


@pytest.fixture
def rp_wallet(rp_verifier: RunningVerifier, clock: FixedClock) -> ScriptedWallet:
    from idcore.x509 import certificate_from_pem

    pem = rp_verifier.http.get(f"{rp_verifier.url}/.well-known/lintas/rp-ca.pem").content
    return ScriptedWallet(rp_verifier.http, [certificate_from_pem(pem)], clock, KeySigner(new_key()))


def _answer(wallet: ScriptedWallet, world: World, request: AuthorizationRequest) -> httpx.Response:
    credential = world.issue("sg-pid", PID_CLAIMS, dict(wallet.holder.public_jwk))
    return wallet.post(request, wallet.response_form(request, {"pid": [wallet.present(request, credential)]}))


def test_long_poll_and_events_follow_the_transaction(
    rp_verifier: RunningVerifier, rp_wallet: ScriptedWallet, world: World
) -> None:
    created = rp_verifier.create("my-bank", policy="age-check")
    tid = created["transaction_id"]
    headers = {"Authorization": f"Bearer {rp_verifier.token('my-bank')}"}
    events: list[str] = []
    first = threading.Event()

    def listen() -> None:
        url = f"{rp_verifier.url}/v1/presentations/{tid}/events"
        with httpx.Client(timeout=20) as http, http.stream("GET", url, headers=headers) as stream:
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    events.append(line)
                    first.set()

    listener = threading.Thread(target=listen)
    listener.start()
    assert first.wait(10)
    polled: dict[str, Any] = {}

    def poll() -> None:
        polled.update(rp_verifier.status("my-bank", tid, wait=15))

    poller = threading.Thread(target=poll)
    poller.start()
    request = rp_wallet.fetch(created["request_link"])
    assert _answer(rp_wallet, world, request).status_code == 200
    poller.join(20)
    listener.join(20)
    assert polled["status"] == "verified"
    statuses = [json.loads(e[len("data:") :])["status"] for e in events]
    assert statuses[0] in ("pending", "fetched")
    assert statuses[-1] == "verified"


def test_signed_webhook_on_completion(
    rp_verifier: RunningVerifier, rp_wallet: ScriptedWallet, world: World, hooks: tuple[Hooks, str]
) -> None:
    receiver, _ = hooks
    created = rp_verifier.create("hooked", policy="age-check")
    request = rp_wallet.fetch(created["request_link"])
    assert _answer(rp_wallet, world, request).status_code == 200
    assert receiver.event.wait(10)
    token = receiver.received[-1]
    # Signed with the verifier's OAuth key (the one that signs the relying parties' access tokens).
    key = _oauth_public_key(rp_verifier)
    _, claims = verify_compact(token, key, algorithms=["ES256"], typ="lintas-webhook+jwt")
    assert claims["transaction_id"] == created["transaction_id"]
    assert (claims["status"], claims["aud"]) == ("verified", "hooked")
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(JoseError):
        verify_compact(tampered, key, algorithms=["ES256"], typ="lintas-webhook+jwt")


def _oauth_public_key(verifier: RunningVerifier) -> Any:
    from idcore.keystore.file import FileKeyStore

    signer = FileKeyStore(verifier.settings.data_dir / "keys").get_or_create("oauth")
    return public_key_from_jwk(signer.public_jwk)


def test_rate_limit_answers_429(rp_verifier: RunningVerifier) -> None:
    headers = {"Authorization": f"Bearer {rp_verifier.token('limited')}"}
    codes = [
        rp_verifier.http.get(f"{rp_verifier.url}/v1/presentations/none", headers=headers).status_code for _ in range(10)
    ]
    assert codes[:8] == [404] * 8
    assert codes[8:] == [429, 429]


def test_expired_transaction(
    rp_verifier: RunningVerifier, rp_wallet: ScriptedWallet, world: World, clock: FixedClock
) -> None:
    created = rp_verifier.create("my-bank", policy="age-check")
    request = rp_wallet.fetch(created["request_link"])
    clock.advance(rp_verifier.settings.transaction_ttl + 1)
    try:
        assert rp_verifier.status("my-bank", created["transaction_id"])["status"] == "expired"
        assert _answer(rp_wallet, world, request).status_code == 400
    finally:
        clock.advance(-(rp_verifier.settings.transaction_ttl + 1))
    # Twin: a fresh transaction at the restored time verifies.
    created = rp_verifier.create("my-bank", policy="age-check")
    assert _answer(rp_wallet, world, rp_wallet.fetch(created["request_link"])).status_code == 200


def test_offline_verify_endpoint(rp_verifier: RunningVerifier, world: World, clock: FixedClock) -> None:
    from idcore.sdjwt import HolderCredential

    holder_key = KeySigner(new_key())
    holder = HolderCredential.parse(world.issue("sg-pid", PID_CLAIMS, dict(holder_key.public_jwk)))

    def presented(aud: str, nonce: str) -> str:
        return holder.present(
            holder.select([["age_over_18"]]), signer=holder_key, aud=aud, nonce=nonce, iat=clock.now()
        )

    headers = {"Authorization": f"Bearer {rp_verifier.token('my-bank')}"}
    url = f"{rp_verifier.url}/v1/verify"
    # The audience defaults to the caller's own (its client id); the nonce is the caller's, used once.
    body = {"policy": "age-check", "presentation": presented("my-bank", "nonce-1"), "nonce": "nonce-1"}
    ok = rp_verifier.http.post(url, json=body, headers=headers).json()
    assert ok["status"] == "verified"
    assert ok["credentials"][0]["claims"]["age_over_18"] is True
    # Twins: the same nonce again is refused; so is an audience that is not the caller's.
    again = rp_verifier.http.post(url, json=body, headers=headers)
    assert (again.status_code, again.json()["detail"]) == (400, "this nonce was used already")
    foreign = body | {"presentation": presented("other-bank", "nonce-2"), "nonce": "nonce-2", "aud": "other-bank"}
    assert rp_verifier.http.post(url, json=foreign, headers=headers).status_code == 400
    # A presentation bound to another audience, submitted as the caller's own, fails holder binding.
    stolen = body | {"presentation": presented("other-bank", "nonce-3"), "nonce": "nonce-3"}
    bad = rp_verifier.http.post(url, json=stolen, headers=headers).json()
    assert (bad["status"], bad["check"], bad["reason"]) == ("rejected", "holder_binding", "aud_mismatch")
    malformed = rp_verifier.http.post(url, content=b'{"policy": "age-check", "policy": "x"}', headers=headers)
    assert malformed.status_code == 400


def test_explicit_dcql_query_and_qr_codes(
    rp_verifier: RunningVerifier, rp_wallet: ScriptedWallet, world: World
) -> None:
    query = {
        "credentials": [
            {
                "id": "id1",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": [VCT_PID]},
                "claims": [{"path": ["nationality"]}],
            }
        ]
    }
    created = rp_verifier.create("my-bank", dcql_query=query, purpose="nationality only", accepted_countries=["SG"])
    auth = {"Authorization": f"Bearer {rp_verifier.token('my-bank')}"}
    assert rp_verifier.http.get(created["qr_code"]["svg_url"], headers=auth).text.startswith("<svg")
    assert rp_verifier.http.get(created["qr_code"]["png_url"], headers=auth).content.startswith(b"\x89PNG")
    # Twins: the QR code answers the transaction, so neither an anonymous caller nor another relying party gets it.
    assert rp_verifier.http.get(created["qr_code"]["svg_url"]).status_code == 401
    other = {"Authorization": f"Bearer {rp_verifier.token('th-procurement')}"}
    assert rp_verifier.http.get(created["qr_code"]["png_url"], headers=other).status_code == 404
    # Twins: a claim outside the bank's registered policies, and a relying party without ad-hoc queries.
    beyond = {
        "credentials": [
            {
                "id": "id1",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": [VCT_PID]},
                "claims": [{"path": ["national_id_number"]}],
            }
        ]
    }
    assert (
        rp_verifier.http.post(
            f"{rp_verifier.url}/v1/presentations", json={"dcql_query": beyond}, headers=auth
        ).status_code
        == 400
    )
    everything = {"credentials": [{"id": "id1", "format": "dc+sd-jwt", "meta": {"vct_values": [VCT_PID]}}]}
    assert (
        rp_verifier.http.post(
            f"{rp_verifier.url}/v1/presentations", json={"dcql_query": everything}, headers=auth
        ).status_code
        == 400
    )
    closed = {"Authorization": f"Bearer {rp_verifier.token('age-check')}"}
    assert (
        rp_verifier.http.post(
            f"{rp_verifier.url}/v1/presentations", json={"dcql_query": query}, headers=closed
        ).status_code
        == 400
    )
    request = rp_wallet.fetch(created["request_link"])
    assert request.claims["dcql_query"] == query
    credential = world.issue("sg-pid", PID_CLAIMS, dict(rp_wallet.holder.public_jwk))
    form = rp_wallet.response_form(request, {"id1": [rp_wallet.present(request, credential)]})
    assert rp_wallet.post(request, form).status_code == 200
    result = rp_verifier.status("my-bank", created["transaction_id"])
    assert result["credentials"][0]["claims"]["nationality"] == "SG"
    assert "given_name" not in result["credentials"][0]["claims"]
    headers = {"Authorization": f"Bearer {rp_verifier.token('my-bank')}"}
    invalid = rp_verifier.http.post(
        f"{rp_verifier.url}/v1/presentations", headers=headers, json={"dcql_query": {"credentials": []}}
    )
    assert invalid.status_code == 400


def test_unsigned_redirect_uri_request_in_development(
    rp_verifier: RunningVerifier, rp_wallet: ScriptedWallet, world: World
) -> None:
    created = rp_verifier.create(
        "my-bank", policy="age-check", client_id_prefix="redirect_uri", response_mode="direct_post"
    )
    params = decode_by_value(parse_request_link(created["request_link"]))
    assert params["client_id"] == f"redirect_uri:{params['response_uri']}"
    request = AuthorizationRequest(params, {})
    assert _answer(rp_wallet, world, request).status_code == 200
    # Twin: the KB-JWT audience without the prefix is not the full client_id.
    created = rp_verifier.create(
        "my-bank", policy="age-check", client_id_prefix="redirect_uri", response_mode="direct_post"
    )
    request = AuthorizationRequest(decode_by_value(parse_request_link(created["request_link"])), {})
    credential = world.issue("sg-pid", PID_CLAIMS, dict(rp_wallet.holder.public_jwk))
    presentation = rp_wallet.present(request, credential, aud=request.claims["response_uri"])
    assert rp_wallet.post(request, rp_wallet.response_form(request, {"pid": [presentation]})).status_code == 400
    assert rp_verifier.status("my-bank", created["transaction_id"])["reason"] == "aud_mismatch"


def test_config_file_errors_are_clear(tmp_path: Path) -> None:
    from verifier.policy import ConfigError, load_config

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"policies": {"p": {"credentials": [{"id": "x", "claims": "nope"}]}}}))
    with pytest.raises(ConfigError):
        load_config(bad)
    bad.write_text(json.dumps({"policies": {}, "relying_parties": {"rp": {"country": "FR"}}}))
    with pytest.raises(ConfigError):
        load_config(bad)


@pytest.mark.parametrize(
    "body",
    [
        {"policy": 123},
        {"policy": "age-check", "response_mode": ["direct_post"]},
        {"policy": "age-check", "response_mode": "fragment"},
        {"policy": "age-check", "client_id_prefix": "did"},
        {"dcql_query": "not an object"},
        {"dcql_query": {"credentials": [{"id": "x", "format": "dc+sd-jwt"}]}, "accepted_countries": "SG"},
        {"dcql_query": {"credentials": [{"id": "x", "format": "dc+sd-jwt"}]}, "max_credential_age": -5},
        {"dcql_query": {"credentials": [{"id": "x", "format": "dc+sd-jwt"}]}, "min_assurance_level": "ultra"},
        {"credentials": [{"id": "x", "vct_values": [VCT_PID], "claims": [[1.5]]}]},
        {},
    ],
)
def test_bad_presentation_requests_get_problem_json(rp_verifier: RunningVerifier, body: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {rp_verifier.token('my-bank')}"}
    response = rp_verifier.http.post(f"{rp_verifier.url}/v1/presentations", json=body, headers=headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("query", ["wait=abc", "wait=-5", "wait=1e9", "response_code=%ff"])
def test_bad_status_queries_never_500(rp_verifier: RunningVerifier, query: str) -> None:
    created = rp_verifier.create("my-bank", policy="age-check")
    headers = {"Authorization": f"Bearer {rp_verifier.token('my-bank')}"}
    url = f"{rp_verifier.url}/v1/presentations/{created['transaction_id']}?{query}"
    assert rp_verifier.http.get(url, headers=headers).status_code in (200, 400)
