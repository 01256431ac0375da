"""Browser journeys against the real services (issue #6 acceptance): issuance, presentation, refusals."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.helpers import (
    answers_to_verifier,
    assert_no_stray_text,
    disclosed_claims,
    kb_jwt_payload,
    open_request,
    posted_vp_token,
    receive_with_pin,
    start_rp,
)
from tests.e2e.stack import Stack

REQUESTED_PID = {"full_name", "birthdate", "nationality", "age_over_18"}  # names never asked in parts


def test_sg_citizen_receives_pid_and_onboards_at_my_bank(stack: Stack, context: Any, page: Any, shot: Any) -> None:
    to_wallet_server: list[str] = []
    page.on(
        "request",
        lambda r: to_wallet_server.append(f"{r.url} {r.post_data or ''}") if r.url.startswith(stack.wallet) else None,
    )
    offer = receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    expect(page.get_by_test_id("credential-card")).to_contain_text("ASEAN Person Identification")
    expect(page.get_by_test_id("registry").first).to_contain_text("Listed in the ASEAN trust registry")
    expect(page.locator("dl.claims span[lang=ms]").first).to_have_text("Nama penuh")  # full_name, the first PID claim
    expect(page.locator("[data-claim=given_name]")).to_have_text("Wei Ling")
    expect(page.get_by_test_id("status").first).to_have_text("Valid")
    assert_no_stray_text(page)
    shot(page, "1-pid-card")

    bank = context.new_page()
    link = start_rp(bank, stack, "my-bank")
    shot(bank, "2-bank-qr")
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.post_data) if r.url.endswith("/wallet/response") else None)
    open_request(page, stack, link)
    expect(page.get_by_test_id("purpose")).to_contain_text("Open an account")
    # the relying party as the verifier registered it (verifier_info), with its own country; the
    # verifier certificate's country is the operator's, shown only in the technical details
    expect(page.get_by_test_id("verifier-name")).to_contain_text("Bank Rakyat Contoh")
    expect(page.get_by_test_id("rp-country")).to_contain_text("Malaysia")
    expect(page.get_by_test_id("registered")).to_be_visible()
    expect(page.get_by_test_id("unregistered")).to_have_count(0)
    expect(page.get_by_test_id("beyond")).to_have_count(0)  # it asks what its policies registered
    # each claim with the value about to leave, formatted
    expect(page.locator("[data-testid=claim-value][data-claim=full_name]")).to_have_text("Tan Wei Ling")
    expect(page.locator("[data-testid=claim-value][data-claim=birthdate]")).to_have_text("14 March 1980")
    expect(page.locator("[data-testid=claim-value][data-claim=nationality]")).to_have_text("Singapore")
    shot(page, "3-consent")
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_test_id("sent")).to_be_visible()

    expect(bank.get_by_test_id("rp-status")).to_have_text("Verified", timeout=20_000)
    expect(bank.locator("[data-claim=full_name]")).to_have_text("Tan Wei Ling")
    expect(bank.locator("[data-claim=given_name]")).to_have_count(0)
    expect(bank.get_by_test_id("issuing-country")).to_contain_text("Singapore")
    expect(bank.locator("[data-claim=iat]")).to_have_count(0)  # registered claims are not personal data
    assert_no_stray_text(bank)
    shot(bank, "4-bank-verified")

    assert len(posted) == 1
    token = posted_vp_token(posted[0])
    presentation = token["pid"][0]
    assert disclosed_claims(presentation) == REQUESTED_PID  # nothing the user did not choose
    assert kb_jwt_payload(presentation)["aud"].startswith("x509_hash:")
    # Nothing secret reached the wallet's own server: no PIN, no credential, no presentation.
    sent = "\n".join(to_wallet_server)
    assert offer["tx_code"] not in sent
    assert presentation.split("~")[0] not in sent
    assert "~" not in sent
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


def _vn_business_via_persona(stack: Stack, page: Any, shot: Any) -> None:
    """Persona picker -> demo issuance desk -> offer link -> PIN -> business card."""
    page.goto(f"{stack.wallet}/personas")
    page.get_by_role("button", name="Play Song Hong Trading Joint Stock Company").click()
    page.get_by_role("button", name="Get it with a PIN (pre-authorized)").click()
    sms = page.locator(".sms")
    pin = sms.inner_text().rsplit(" ", 1)[-1]
    shot(page, "1-desk-sms")
    page.get_by_test_id("open-offer").click()
    page.fill("#pin", pin)
    page.get_by_role("button", name="Receive credential").click()
    page.get_by_test_id("received").wait_for()
    expect(page.locator("[data-claim=legal_name]")).to_have_text("Song Hong Trading Joint Stock Company")
    expect(page.locator("dl.claims span[lang=vi]").first).to_be_visible()
    shot(page, "2-business-card")


def test_vn_business_registers_at_th_portal_same_device(stack: Stack, page: Any, shot: Any) -> None:
    _vn_business_via_persona(stack, page, shot)
    start_rp(page, stack, "th-procurement")
    page.get_by_test_id("same-device").click()
    expect(page.get_by_test_id("purpose")).to_contain_text("Register a foreign supplier")
    shot(page, "3-consent")
    page.get_by_role("button", name="Share").click()
    # direct_post.jwt; the verifier's redirect_uri brings the browser back with a response code.
    page.wait_for_url(f"{stack.wallet}/rp/th-procurement*")
    expect(page.get_by_test_id("rp-status")).to_have_text("Verified", timeout=20_000)
    expect(page.locator("[data-claim=legal_name]")).to_have_text("Song Hong Trading Joint Stock Company")
    expect(page.get_by_test_id("issuing-country")).to_contain_text("Viet Nam")
    shot(page, "4-portal-verified")
    page.goto(f"{stack.wallet}/history")
    expect(page.get_by_test_id("history")).to_contain_text("legal_name")
    assert page.script_errors == []


def test_declining_at_th_portal_shares_nothing(stack: Stack, page: Any, shot: Any) -> None:
    _vn_business_via_persona(stack, page, shot)
    start_rp(page, stack, "th-procurement")
    page.get_by_test_id("same-device").click()
    page.get_by_role("button", name="Decline").click()
    expect(page.get_by_role("status")).to_contain_text("You declined")
    page.get_by_role("link", name="Return to the service").click()
    # The portal learns only that the user declined (an encrypted access_denied, Section 8.5).
    expect(page.get_by_test_id("rp-status")).to_contain_text("the user declined in the wallet", timeout=20_000)
    expect(page.locator("[data-claim]")).to_have_count(0)
    shot(page, "3-declined")


def test_revoked_credential_is_refused(stack: Stack, context: Any, page: Any, shot: Any) -> None:
    """Revoked: the card says so, and the wallet refuses to share it, sending the verifier nothing."""
    receive_with_pin(page, stack, "SG", "sg-rajesh-kumar")
    assert stack.set_status("SG", "sg-rajesh-kumar", "revoke")
    page.reload()
    expect(page.get_by_test_id("status").first).to_have_text("Revoked")
    shot(page, "1-card-revoked")
    page.goto(stack.wallet)
    expect(page.get_by_test_id("credential-card").get_by_test_id("status")).to_have_text("Revoked")
    checker = context.new_page()
    link = start_rp(checker, stack, "age-check")
    open_request(page, stack, link)
    expect(page.locator(".warning")).to_contain_text("revoked")
    shot(page, "2-consent-warning")
    answers = answers_to_verifier(page, stack)
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_test_id("error")).to_contain_text("revoked by its issuer, so the wallet will not share it")
    assert_no_stray_text(page)
    shot(page, "3-wallet-refused")
    expect(checker.get_by_test_id("rp-status")).not_to_contain_text("Verified")
    assert answers == []


def test_reinstated_credential_is_accepted(stack: Stack, context: Any, page: Any) -> None:
    """The twin of the revocation journey: suspended then reinstated, the same check passes."""
    receive_with_pin(page, stack, "SG", "sg-rajesh-kumar")
    ids = stack.set_status("SG", "sg-rajesh-kumar", "suspend")
    page.reload()
    expect(page.get_by_test_id("status").first).to_have_text("Suspended")
    for cid in ids:
        stack.admin(cid, "SG", "reinstate")
    page.reload()
    expect(page.get_by_test_id("status").first).to_have_text("Valid")
    checker = context.new_page()
    open_request(page, stack, start_rp(checker, stack, "age-check"))
    answers = answers_to_verifier(page, stack)
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_test_id("sent")).to_be_visible()
    assert len(answers) == 1  # the twin of the revoked journey's "nothing sent"
    expect(checker.get_by_test_id("rp-status")).to_have_text("Verified", timeout=20_000)
    expect(checker.locator("[data-claim=age_over_18]")).to_have_text("Yes")
    expect(checker.locator("[data-claim=given_name]")).to_have_count(0)
