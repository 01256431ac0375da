"""The transaction's own checks (session, decryption), concurrency, Redis outages and bad input.

All over real sockets: the verifier under uvicorn, real ``redis-server`` processes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from idcore.b64 import json_dumps
from idcore.oid4vp import encrypt_compact
from idcore.ports import FixedClock
from lintas import __version__
from lintas.testing import RedisServer, race
from tests.verifier.conftest import RunningVerifier, start_verifier
from tests.verifier.wallet_client import ScriptedWallet
from tests.verifier.world import PID_CLAIMS, T0, World, new_key


def _flow(
    verifier: RunningVerifier, wallet: ScriptedWallet, world: World, **body: str
) -> tuple[str, dict[str, str], object]:
    created = verifier.create("my-bank", policy="age-check", **body)
    request = wallet.fetch(created["request_link"])
    credential = world.issue("sg-pid", PID_CLAIMS, dict(wallet.holder.public_jwk))
    form = wallet.response_form(request, {"pid": [wallet.present(request, credential)]})
    return created["transaction_id"], form, request


def test_unknown_state_is_refused_with_invalid_request(verifier: RunningVerifier) -> None:
    response = verifier.http.post(f"{verifier.url}/wallet/response", data={"vp_token": "{}", "state": "nope"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_garbage_jwe_for_a_real_key_is_rejected_at_decryption(
    verifier: RunningVerifier, wallet: ScriptedWallet, world: World
) -> None:
    tid, form, request = _flow(verifier, wallet, world)
    header, rest = form["response"].split(".", 1)
    tampered = header + "." + rest[:-3] + ("AAA" if not rest.endswith("AAA") else "BBB")
    response = wallet.post(request, {"response": tampered})  # type: ignore[arg-type]
    assert response.status_code == 400
    # Anyone who saw the request can post garbage: it proves nothing, so the transaction stays open
    # and the relying party sees why the post was refused.
    result = verifier.status("my-bank", tid)
    assert result["status"] == "fetched"
    last = result["last_rejection"]
    assert (last["check"], last["reason"]) == ("decryption", "decryption_failed")
    # Twin: the real wallet's answer still counts, once.
    assert wallet.post(request, form).status_code == 200  # type: ignore[arg-type]
    assert verifier.status("my-bank", tid)["status"] == "verified"
    assert wallet.post(request, form).status_code == 400  # type: ignore[arg-type]


def test_unencrypted_answer_to_an_encrypted_request_is_rejected(
    verifier: RunningVerifier, wallet: ScriptedWallet, world: World
) -> None:
    tid, _, request = _flow(verifier, wallet, world)
    credential = world.issue("sg-pid", PID_CLAIMS, dict(wallet.holder.public_jwk))
    plain = {
        "vp_token": json_dumps({"pid": [wallet.present(request, credential)]}).decode(),  # type: ignore[arg-type]
        "state": request.claims["state"],
    }  # type: ignore[attr-defined]
    assert wallet.post(request, plain).status_code == 400  # type: ignore[arg-type]
    assert verifier.status("my-bank", tid)["last_rejection"]["check"] == "decryption"


def test_a128gcm_responses_are_accepted(verifier: RunningVerifier, wallet: ScriptedWallet, world: World) -> None:
    created = verifier.create("my-bank", policy="age-check")
    request = wallet.fetch(created["request_link"])
    credential = world.issue("sg-pid", PID_CLAIMS, dict(wallet.holder.public_jwk))
    form = wallet.response_form(request, {"pid": [wallet.present(request, credential)]}, enc="A128GCM")
    assert wallet.post(request, form).status_code == 200
    # Twin: encrypted to another key under the same kid, the response cannot be opened.
    created = verifier.create("my-bank", policy="age-check")
    request = wallet.fetch(created["request_link"])
    kid = request.claims["client_metadata"]["jwks"]["keys"][0]["kid"]
    from idcore.jwk import public_jwk

    jwe = encrypt_compact(b"{}", public_jwk(new_key()), enc="A128GCM", kid=kid)
    assert wallet.post(request, {"response": jwe}).status_code == 400
    assert verifier.status("my-bank", created["transaction_id"])["last_rejection"]["reason"] == "decryption_failed"


def test_wallet_error_response_is_recorded(verifier: RunningVerifier, wallet: ScriptedWallet) -> None:
    created = verifier.create("my-bank", policy="age-check", response_mode="direct_post")
    request = wallet.fetch(created["request_link"])
    answer = wallet.post(request, {"error": "access_denied", "state": request.claims["state"]})
    assert answer.status_code == 200
    # An error response is unauthenticated (anyone with the state could send it): the relying party
    # sees it, and the transaction stays open until it expires.
    result = verifier.status("my-bank", created["transaction_id"])
    assert result["status"] == "fetched"
    assert (result["last_rejection"]["reason"], result["last_rejection"]["wallet_error"]) == (
        "wallet_error",
        "access_denied",
    )


def test_a_final_rejection_ends_the_transaction(
    verifier: RunningVerifier, wallet: ScriptedWallet, world: World
) -> None:
    """A genuine credential that fails a later check (here an expired one) ends the transaction."""
    created = verifier.create("my-bank", policy="age-check")
    request = wallet.fetch(created["request_link"])
    expired = world.issue("sg-pid", PID_CLAIMS, dict(wallet.holder.public_jwk), iat=T0 - 7200, exp=T0 - 3600)
    form = wallet.response_form(request, {"pid": [wallet.present(request, expired)]})
    assert wallet.post(request, form).status_code == 400
    result = verifier.status("my-bank", created["transaction_id"])
    assert (result["status"], result["check"]) == ("rejected", "validity")
    # Twin: after a final rejection even a valid answer is too late.
    valid = world.issue("sg-pid", PID_CLAIMS, dict(wallet.holder.public_jwk))
    again = wallet.response_form(request, {"pid": [wallet.present(request, valid)]})
    assert wallet.post(request, again).status_code == 400
    assert verifier.status("my-bank", created["transaction_id"])["status"] == "rejected"


def test_results_are_handed_over_once(verifier: RunningVerifier, wallet: ScriptedWallet, world: World) -> None:
    tid, form, request = _flow(verifier, wallet, world)
    assert wallet.post(request, form).status_code == 200  # type: ignore[arg-type]
    first = verifier.status("my-bank", tid)
    assert first["status"] == "verified"
    assert first["credentials"][0]["claims"]
    second = verifier.status("my-bank", tid)
    assert second["status"] == "verified"
    assert "credentials" not in second
    assert second["credentials_delivered"] is True


def test_ten_concurrent_posts_of_one_response_accept_exactly_one(
    verifier: RunningVerifier, wallet: ScriptedWallet, world: World
) -> None:
    tid, form, request = _flow(verifier, wallet, world)
    url = request.claims["response_uri"]  # type: ignore[attr-defined]
    with httpx.Client(timeout=10) as http:
        codes = race(10, lambda _: http.post(url, data=form).status_code)
    assert sorted(codes) == [200] + [400] * 9
    assert verifier.status("my-bank", tid)["status"] == "verified"


def test_request_object_errors(verifier: RunningVerifier, wallet: ScriptedWallet) -> None:
    created = verifier.create("my-bank", policy="age-check")
    uri = created["request_link"].split("request_uri=")[1].split("&")[0]
    from urllib.parse import unquote

    uri = unquote(uri)
    no_sd_jwt = verifier.http.post(uri, data={"wallet_metadata": '{"vp_formats_supported":{"mso_mdoc":{}}}'})
    assert (no_sd_jwt.status_code, no_sd_jwt.json()["error"]) == (400, "vp_formats_not_supported")
    bad_nonce = verifier.http.post(uri, data={"wallet_nonce": "not safe!"})
    assert (bad_nonce.status_code, bad_nonce.json()["error"]) == (400, "invalid_request")
    repeated = verifier.http.post(
        uri, content=b"wallet_nonce=a&wallet_nonce=b", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert repeated.status_code == 400
    unknown = verifier.http.get(f"{verifier.url}/wallet/request/unknown")
    assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_request")
    good = verifier.http.get(uri)
    assert good.status_code == 200
    assert good.headers["content-type"].startswith("application/oauth-authz-req+jwt")


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe", b"response=a&response=b", b"vp_token=%7B%7D&state=", b"vp_token=[1]&state=x", b"response=a.b.c.d.e"],
)
def test_bad_response_bodies_never_500(verifier: RunningVerifier, body: bytes) -> None:
    response = verifier.http.post(
        f"{verifier.url}/wallet/response", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_relying_party_api_needs_a_token_and_sees_only_its_own(verifier: RunningVerifier) -> None:
    anonymous = verifier.http.post(f"{verifier.url}/v1/presentations", json={"policy": "age-check"})
    assert anonymous.status_code == 401
    created = verifier.create("my-bank", policy="age-check")
    other = verifier.http.get(
        f"{verifier.url}/v1/presentations/{created['transaction_id']}",
        headers={"Authorization": f"Bearer {verifier.token('th-procurement')}"},
    )
    assert other.status_code == 404
    th = {"Authorization": f"Bearer {verifier.token('th-procurement')}"}
    not_allowed = verifier.http.post(f"{verifier.url}/v1/presentations", json={"policy": "pid-onboarding"}, headers=th)
    assert not_allowed.status_code == 400
    assert not_allowed.headers["content-type"].startswith("application/problem+json")


def test_ops_endpoints(verifier: RunningVerifier) -> None:
    assert verifier.http.get(f"{verifier.url}/healthz").json() == {"status": "ok", "version": __version__}
    assert verifier.http.get(f"{verifier.url}/readyz").status_code == 200
    metrics = verifier.http.get(f"{verifier.url}/metrics").text
    assert "lintas_verifier_verifications_total" in metrics
    assert 'check="decryption"' in metrics
    assert verifier.http.get(f"{verifier.url}/docs").status_code == 200


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    # Append-only persistence, as in production: a restarted Redis keeps open transactions.
    with RedisServer(appendonly=True) as server:
        yield server


def test_redis_outage_503_then_recovery_without_restart(
    tmp_path: Path, world: World, clock: FixedClock, own_redis: RedisServer
) -> None:
    running = start_verifier(tmp_path, world, clock, own_redis.url)
    verifier = next(running)
    try:
        pem = verifier.http.get(f"{verifier.url}/.well-known/lintas/rp-ca.pem").content
        from idcore.jose import KeySigner
        from idcore.x509 import certificate_from_pem

        wallet = ScriptedWallet(verifier.http, [certificate_from_pem(pem)], clock, KeySigner(new_key()))
        tid, form, request = _flow(verifier, wallet, world)
        own_redis.stop()
        down = wallet.post(request, form)  # type: ignore[arg-type]
        assert down.status_code == 503
        assert verifier.http.get(f"{verifier.url}/readyz").status_code == 503
        assert (
            verifier.http.post(
                f"{verifier.url}/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=("my-bank", verifier.secrets["my-bank"]),
            ).status_code
            == 200
        )
        own_redis.start()
        # The same response is still acceptable: nothing was accepted while Redis was down.
        assert wallet.post(request, form).status_code == 200  # type: ignore[arg-type]
        assert verifier.status("my-bank", tid)["status"] == "verified"
        _, form2, request2 = _flow(verifier, wallet, world)
        assert wallet.post(request2, form2).status_code == 200  # type: ignore[arg-type]
    finally:
        running.close()
