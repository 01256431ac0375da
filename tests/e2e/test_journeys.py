"""Browser journeys against the real services (issue #6 acceptance): issuance, presentation, refusals."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.helpers import (
    disclosed_claims,
    kb_jwt_payload,
    open_request,
    posted_vp_token,
    receive_with_pin,
    start_rp,
)
from tests.e2e.stack import Stack

REQUESTED_PID = {"given_name", "family_name", "birthdate", "nationality", "age_over_18"}


def test_sg_citizen_receives_pid_and_onboards_at_my_bank(stack: Stack, context: Any, page: Any, shot: Any) -> None:
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    expect(page.get_by_test_id("credential-card")).to_contain_text("ASEAN Person Identification")
    expect(page.get_by_test_id("registry").first).to_contain_text("Listed in the ASEAN trust registry")
    expect(page.locator("dl.claims span[lang=ms]").first).to_have_text("Nama diberi")
    expect(page.locator("[data-claim=given_name]")).to_have_text("Wei Ling")
    expect(page.get_by_test_id("status").first).to_have_text("Valid")
    shot(page, "1-pid-card")

    bank = context.new_page()
    link = start_rp(bank, stack, "my-bank")
    shot(bank, "2-bank-qr")
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.post_data) if r.url.endswith("/wallet/response") else None)
    open_request(page, stack, link)
    expect(page.get_by_test_id("purpose")).to_contain_text("Open an account")
    expect(page.get_by_test_id("request")).to_contain_text("Indonesia")
    shot(page, "3-consent")
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_test_id("sent")).to_be_visible()

    expect(bank.get_by_test_id("rp-status")).to_have_text("Verified", timeout=20_000)
    expect(bank.locator("[data-claim=given_name]")).to_have_text("Wei Ling")
    expect(bank.get_by_test_id("issuing-country")).to_contain_text("Singapore")
    shot(bank, "4-bank-verified")

    assert len(posted) == 1
    token = posted_vp_token(posted[0])
    presentation = token["pid"][0]
    assert disclosed_claims(presentation) == REQUESTED_PID  # nothing the user did not choose
    assert kb_jwt_payload(presentation)["aud"].startswith("x509_hash:")
    assert page.script_errors == []


def test_wrong_pin_is_refused(stack: Stack, page: Any, shot: Any) -> None:
    offer = stack.offer("SG", "sg-tan-wei-ling", "asean_pid_sd_jwt")
    wrong = "".join(str((int(c) + 1) % 10) for c in offer["tx_code"])
    from urllib.parse import urlencode

    page.goto(f"{stack.wallet}/receive?{urlencode({'offer': offer['offer_link_by_reference']})}")
    page.fill("#pin", wrong)
    page.get_by_role("button", name="Receive credential").click()
    expect(page.get_by_test_id("error")).to_contain_text("PIN is wrong")
    shot(page, "wrong-pin")
