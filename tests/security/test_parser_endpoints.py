"""Issue 12 class 1 at the verifier's unauthenticated endpoints: a ~1 MB hostile post is cheap and refused.

The attack of the issue: a JWS in JSON serialisation with thousands of signature entries, each of
which used to cost one copy of the payload (~370 kB cost ~570 MB; ~1 MB more than 4 GB). It is
posted to the Response URI (OpenID4VP 1.0 Section 8.2, plain ``direct_post`` and inside the
``direct_post.jwt`` JWE of Section 8.3.1), and hostile JSON and JWE headers to the Request URI and
the Response URI. The verifier runs in-process on the session's real Redis; tracemalloc counts
every allocation of the request (the app runs on a portal thread, which tracemalloc also traces).
Each post must be refused with a clear 4xx and cost < 50 MB; the time is printed, never asserted.
"""

from __future__ import annotations

import json
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from idcore.b64 import b64u_encode, json_dumps
from idcore.jose import KeySigner
from idcore.oid4vp.response import MAX_FORM_BYTES
from idcore.ports import FixedClock
from idcore.x509 import certificate_from_pem
from lintas.kv import open_store
from lintas.testing import RedisServer, UvicornServer, free_port
from tests.issuer.conftest import PortalTransport
from tests.verifier.wallet_client import AuthorizationRequest, ScriptedWallet
from tests.verifier.world import PID_CLAIMS, T0, World, new_key, status_app
from verifier.app import create_app
from verifier.settings import DEFAULT_CONFIG, VerifierSettings

RP = "security-rp"
URL = "http://localhost:8200"
MAX_EXTRA_BYTES = 50 * 1024 * 1024
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class Verifier:
    client: httpx.Client
    token: str
    clock: FixedClock

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    port = free_port()
    test_world = World(f"http://127.0.0.1:{port}")
    with UvicornServer(status_app(test_world), port=port):
        yield test_world


@pytest.fixture(scope="module")
def verifier(tmp_path_factory: pytest.TempPathFactory, world: World, redis_server: RedisServer) -> Iterator[Verifier]:
    tmp: Path = tmp_path_factory.mktemp("hostile-verifier")
    config = json.loads(DEFAULT_CONFIG.read_text())
    config["relying_parties"][RP] = {
        "name": "Security RP",
        "country": "SG",
        "policies": ["pid-onboarding"],
        "rate_limit_per_minute": 1000,
    }
    (tmp / "config.json").write_text(json.dumps(config))
    settings = VerifierSettings(
        public_url=URL,
        data_dir=tmp / "data",
        development=True,
        config_file=tmp / "config.json",
        redis_url=redis_server.url,
    )
    store = open_store(redis_server.url, tmp, f"sec{uuid.uuid4().hex[:12]}")
    clock = FixedClock(T0)
    with httpx.Client(timeout=5, follow_redirects=False) as outbound:
        app = create_app(settings, store=store, clock=clock, trust=world.trust_cache(clock), http=outbound)
        client = httpx.Client(transport=PortalTransport(app), base_url=URL, timeout=60)
        secret = json.loads((settings.data_dir / "rp-clients.json").read_text())[RP]
        answer = client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(RP, secret))
        assert answer.status_code == 200, answer.text
        yield Verifier(client, answer.json()["access_token"], clock)
        client.close()
    store.close()


def _transaction(verifier: Verifier, mode: str) -> tuple[str, ScriptedWallet, AuthorizationRequest]:
    created = verifier.client.post(
        "/v1/presentations", json={"policy": "pid-onboarding", "response_mode": mode}, headers=verifier.auth
    )
    assert created.status_code == 201, created.text
    anchors = [certificate_from_pem(verifier.client.get("/.well-known/lintas/rp-ca.pem").content)]
    wallet = ScriptedWallet(verifier.client, anchors, verifier.clock, KeySigner(new_key()))
    return created.json()["transaction_id"], wallet, wallet.fetch(created.json()["request_link"])


def _hostile_presentation(json_budget: int) -> dict[str, Any]:
    """A JWS JSON SD-JWT with a 100 kB payload and as many signature entries as fit ``json_budget``."""
    entry = {"protected": "eyJhbGciOiJFUzI1NiIsInR5cCI6ImRjK3NkLWp3dCJ9", "signature": "A" * 86}
    per_entry = len(json.dumps(entry)) + 2
    payload = "e" * 100_000
    return {"payload": payload, "signatures": [entry] * ((json_budget - len(payload)) // per_entry)}


def _post(verifier: Verifier, path: str, body: bytes) -> tuple[httpx.Response, int, float]:
    """POST ``body`` unauthenticated; return the answer, the peak of new allocations and the seconds taken."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        answer = verifier.client.post(path, content=body, headers=_FORM)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"\n{path}: {len(body)} bytes -> {answer.status_code} in {elapsed:.3f} s, peak {peak / 2**20:.1f} MiB")
    return answer, peak, elapsed


def _status(verifier: Verifier, tid: str) -> dict[str, Any]:
    answer = verifier.client.get(f"/v1/presentations/{tid}", headers=verifier.auth)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_thousands_of_signatures_in_direct_post_are_refused_cheaply(verifier: Verifier) -> None:
    tid, _, request = _transaction(verifier, "direct_post")
    hostile = _hostile_presentation(850_000)
    body = urlencode({"vp_token": json_dumps({"pid": [hostile]}).decode(), "state": request.claims["state"]}).encode()
    assert 900_000 < len(body) <= MAX_FORM_BYTES
    assert len(hostile["signatures"]) > 4000
    answer, peak, _ = _post(verifier, request.claims["response_uri"], body)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_request")
    assert peak < MAX_EXTRA_BYTES
    status = _status(verifier, tid)
    # Refused before it proved anything: recorded for the relying party, the transaction stays open.
    last = status["last_rejection"]
    assert (status["status"], last["check"], last["reason"]) == ("fetched", "parsing", "too_many")


def test_thousands_of_signatures_inside_the_response_jwe_are_refused_cheaply(verifier: Verifier) -> None:
    tid, wallet, request = _transaction(verifier, "direct_post.jwt")
    hostile = _hostile_presentation(700_000)
    form = wallet.response_form(request, {"pid": [hostile]})  # type: ignore[list-item]
    body = urlencode(form).encode()
    assert 900_000 < len(body) <= MAX_FORM_BYTES
    answer, peak, _ = _post(verifier, request.claims["response_uri"], body)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_request")
    assert peak < MAX_EXTRA_BYTES
    status = _status(verifier, tid)
    # Refused before it proved anything: recorded for the relying party, the transaction stays open.
    last = status["last_rejection"]
    assert (status["status"], last["check"], last["reason"]) == ("fetched", "parsing", "too_many")


def test_a_genuine_response_still_verifies(verifier: Verifier, world: World) -> None:
    """The positive twin: the same endpoints accept an ordinary presentation."""
    tid, wallet, request = _transaction(verifier, "direct_post.jwt")
    credential = world.issue("sg-pid", PID_CLAIMS, dict(wallet.holder.public_jwk), idx=1)
    answer = wallet.post(request, wallet.response_form(request, {"pid": [wallet.present(request, credential)]}))
    assert answer.status_code == 200, answer.text
    assert _status(verifier, tid)["status"] == "verified"


def test_hostile_wallet_metadata_at_the_request_uri_is_refused_cheaply(verifier: Verifier) -> None:
    _, _, request = _transaction(verifier, "direct_post.jwt")
    rid = request.claims["state"]
    metadata = '{"vp_formats_supported":{"dc+sd-jwt":{}},"x":[' + ",".join(["{}"] * 110_000) + "]}"
    body = urlencode({"wallet_nonce": "wn-0123456789", "wallet_metadata": metadata}).encode()
    assert 900_000 < len(body) <= MAX_FORM_BYTES
    answer, peak, _ = _post(verifier, f"/wallet/request/{rid}", body)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_request")
    assert peak < MAX_EXTRA_BYTES


def test_a_jwe_with_a_megabyte_header_is_refused_cheaply(verifier: Verifier) -> None:
    header = b64u_encode(json_dumps({"kid": "k", "x": [{}] * 240_000}))
    body = urlencode({"response": f"{header}....AA"}).encode()
    assert 900_000 < len(body) <= MAX_FORM_BYTES
    answer, peak, _ = _post(verifier, "/wallet/response", body)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_request")
    assert peak < MAX_EXTRA_BYTES
