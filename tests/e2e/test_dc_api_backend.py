"""The relying-party demo's DC API routes (wallet_demo/rp_dcapi.py) against the real stack, no browser.

Who may call (the browser that started the transaction), how big (256 KiB, exactly ``origin`` and
``data``), which origin (the one the browser put in the Origin header), how often (60 a minute
per address, in its own app so the stack's budget is untouched). Each refusal has a twin that passes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lintas.testing import UvicornServer
from tests.e2e.stack import Stack
from wallet_demo.app import create_app
from wallet_demo.rp_dcapi import MAX_DC_BODY_BYTES, MAX_DC_CALLS_PER_MINUTE
from wallet_demo.settings import WalletSettings

BANK = "my-bank"


@pytest.fixture
def started(stack: Stack) -> Iterator[tuple[httpx.Client, str]]:
    """A "browser" (cookie jar) that started a DC API transaction at the bank, and its id."""
    with httpx.Client(base_url=stack.wallet, timeout=20) as browser:
        created = browser.post(f"/rp/api/{BANK}/dc-transactions")
        assert created.status_code == 201, created.text
        assert set(created.json()) == {"transaction_id", "status", "expires_at", "client_id"}
        yield browser, str(created.json()["transaction_id"])


def test_only_the_starting_browser_gets_the_request(stack: Stack, started: tuple[httpx.Client, str]) -> None:
    browser, tid = started
    with httpx.Client(base_url=stack.wallet, timeout=20) as stranger:
        assert stranger.get(f"/rp/api/{BANK}/transactions/{tid}/dc-request").status_code == 404
        # Another scenario's path with the right id: the binding is per scenario and transaction.
        assert browser.get(f"/rp/api/age-check/transactions/{tid}/dc-request").status_code == 404
        own = browser.get(f"/rp/api/{BANK}/transactions/{tid}/dc-request")  # twin: the starting browser
        assert own.status_code == 200
        assert own.headers["cache-control"] == "no-store"
        body = own.json()
        assert body["protocol"] == "openid4vp-v1-signed"
        assert set(body) == {"protocol", "data"}
        assert set(body["data"]) == {"request"}
        assert body["data"]["request"].count(".") == 2


def test_the_relayed_origin_must_be_the_browsers(stack: Stack, started: tuple[httpx.Client, str]) -> None:
    browser, tid = started
    path = f"/rp/api/{BANK}/transactions/{tid}/dc-response"
    declined = {"origin": stack.wallet, "data": {"error": "access_denied"}}
    forged = browser.post(path, json=declined, headers={"Origin": "http://127.0.0.2:9"})
    assert forged.status_code == 400
    assert "origin" in forged.json()["detail"]
    missing = browser.post(path, json=declined)  # no Origin header at all
    assert missing.status_code == 400
    relayed = browser.post(path, json=declined, headers={"Origin": stack.wallet})  # twin: the page's own
    assert relayed.status_code == 200, relayed.text
    assert relayed.json()["wallet_error"] == "access_denied"


def test_the_relayed_body_is_bounded_and_exact(stack: Stack, started: tuple[httpx.Client, str]) -> None:
    browser, tid = started
    path = f"/rp/api/{BANK}/transactions/{tid}/dc-response"
    origin = {"Origin": stack.wallet}
    big = {"origin": stack.wallet, "data": {"response": "x" * (MAX_DC_BODY_BYTES + 1)}}
    assert browser.post(path, json=big, headers=origin).status_code == 413
    extra = {"origin": stack.wallet, "data": {"error": "access_denied"}, "note": 1}
    assert browser.post(path, json=extra, headers=origin).status_code == 400
    assert browser.post(path, content=b"{", headers=origin).status_code == 400
    unserialized = {"origin": stack.wallet + "/", "data": {"error": "access_denied"}}
    assert browser.post(path, json=unserialized, headers=origin).status_code == 400
    # Twin: a well-formed answer is relayed to the verifier, which refuses a non-JWE response itself.
    relayed = browser.post(path, json={"origin": stack.wallet, "data": {"response": "x"}}, headers=origin)
    assert relayed.status_code == 400
    assert relayed.json()["check"] == "decryption"


def test_the_dc_api_routes_are_rate_limited(tmp_path: Path) -> None:
    app = create_app(WalletSettings(data_dir=tmp_path, development=True))
    with UvicornServer(app) as server, httpx.Client(base_url=server.base_url, timeout=10) as client:
        answers = [client.post(f"/rp/api/{BANK}/dc-transactions").status_code for _ in range(MAX_DC_CALLS_PER_MINUTE)]
        assert set(answers) == {404}  # no verifier configured: refused, but within the budget
        over = client.get(f"/rp/api/{BANK}/transactions/abc/dc-request")
        assert over.status_code == 429
        assert int(over.headers["retry-after"]) >= 1
