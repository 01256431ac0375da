"""What the wallet tells people when receiving goes wrong (issue #19 item 4), against the real issuer.

The issuer answers one OAuth ``invalid_grant`` for a wrong PIN, a used, a voided and an expired
pre-authorized code (OpenID4VCI 1.0 Section 6.3); the wallet tells them apart: a wrong PIN gives
the attempts left (the issuer says how many), a code voided by wrong PINs says so, one it redeemed
itself is "already used",
anything else is expired. Each message is asserted with the others absent.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from playwright.sync_api import expect

from tests.e2e.helpers import PID, receive_with_pin
from tests.e2e.stack import Stack

WRONG = "The PIN is wrong"
USED = "already used"
CANCELLED = "cancelled this offer"
EXPIRED = "expired or was used elsewhere"


def _submit(page: Any, pin: str) -> Any:
    page.fill("#pin", pin)
    page.get_by_role("button", name="Receive credential").click()
    return page.get_by_test_id("error")


def _only(error: Any, kind: str, detail: str = "") -> None:
    """The error is of ``kind`` (with ``detail``) and none of the other kinds."""
    expect(error).to_contain_text(kind)
    expect(error).to_contain_text(detail)
    for other in {WRONG, USED, CANCELLED, EXPIRED} - {kind}:
        expect(error).not_to_contain_text(other)


def _open(page: Any, stack: Stack, link: str) -> None:
    page.goto(f"{stack.wallet}/receive?{urlencode({'offer': link})}")
    page.get_by_test_id("offer").wait_for()


def _wrong(pin: str) -> str:
    return "".join(str((int(c) + 1) % 10) for c in pin)


def test_wrong_pins_are_counted_then_the_voided_offer_is_named(stack: Stack, page: Any, shot: Any) -> None:
    offer = stack.offer("SG", "sg-tan-wei-ling", PID)
    _open(page, stack, offer["offer_link_by_value"])
    error = _submit(page, _wrong(offer["tx_code"]))
    _only(error, WRONG, "2 attempts left")  # the issuer says how many tries remain
    _only(_submit(page, _wrong(offer["tx_code"])), WRONG, "1 attempt left")
    _only(_submit(page, _wrong(offer["tx_code"])), CANCELLED, "Too many wrong PINs")  # the issuer's limit: void
    _only(_submit(page, offer["tx_code"]), CANCELLED, "Too many wrong PINs")
    shot(page, "offer-cancelled")
    expect(page.get_by_test_id("received")).to_have_count(0)


def test_a_used_offer_and_an_unknown_one_get_their_own_messages(stack: Stack, page: Any) -> None:
    offer = receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    _open(page, stack, offer["offer_link_by_value"])
    _only(_submit(page, offer["tx_code"]), USED, "This offer was")

    # A code the issuer never issued or has forgotten (expired): same issuer, another code.
    query = parse_qs(urlsplit(offer["offer_link_by_value"]).query)
    body = json.loads(query["credential_offer"][0])
    grant = body["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    grant["pre-authorized_code"] = "x" * 43
    _open(page, stack, "openid-credential-offer://?credential_offer=" + quote(json.dumps(body)))
    _only(_submit(page, offer["tx_code"]), EXPIRED, "This offer has")


def test_the_right_pin_still_receives(stack: Stack, page: Any) -> None:
    """The twin: one wrong PIN, then the right one, and the credential arrives."""
    offer = stack.offer("SG", "sg-tan-wei-ling", PID)
    _open(page, stack, offer["offer_link_by_value"])
    _only(_submit(page, _wrong(offer["tx_code"])), WRONG, "2 attempts left")
    page.fill("#pin", offer["tx_code"])
    page.get_by_role("button", name="Receive credential").click()
    expect(page.get_by_test_id("received")).to_be_visible()
