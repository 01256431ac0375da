"""The authorization code path: the wallet sends a Thai citizen through the issuer's demo national login."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.stack import Stack


def _to_login(stack: Stack, page: Any, shot: Any) -> None:
    page.goto(f"{stack.wallet}/personas")
    page.get_by_role("button", name="Play Somchai Jaidee").click()
    page.get_by_role("button", name="Get it by logging in").click()
    page.get_by_test_id("open-offer").click()
    page.get_by_test_id("offer").wait_for()
    expect(page.get_by_test_id("offer")).to_contain_text("Thailand")
    expect(page.get_by_label("PIN")).to_have_count(0)  # no pre-authorized code in this offer
    page.get_by_role("button", name="Log in at the national ID portal").click()
    page.wait_for_url(f"{stack.issuers['TH']}/th/authorize*")
    page.get_by_label("Somchai Jaidee").check()
    shot(page, "1-national-login")


def test_th_citizen_receives_pid_through_national_login(stack: Stack, page: Any, shot: Any) -> None:
    _to_login(stack, page, shot)
    page.get_by_role("button", name="Log in and share my data").click()
    page.get_by_test_id("received").wait_for()
    expect(page.locator("[data-claim=full_name]")).to_have_text("สมชาย ใจดี")  # as written, in Thai script
    expect(page.locator("[data-claim=full_name_latin]")).to_have_text("Somchai Jaidee")
    expect(page.locator("dl.claims span[lang=th]").first).to_have_text("ชื่อเต็ม")
    expect(page.get_by_test_id("status").first).to_have_text("Valid")
    shot(page, "2-pid-card")
    assert page.script_errors == []


def test_cancelled_national_login_stores_nothing(stack: Stack, page: Any, shot: Any) -> None:
    _to_login(stack, page, shot)
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_test_id("error")).to_contain_text("Login failed")
    shot(page, "2-cancelled")
    page.goto(f"{stack.wallet}/")
    expect(page.get_by_text("Your wallet is empty.")).to_be_visible()


def test_login_answer_for_another_request_is_refused(stack: Stack, page: Any) -> None:
    """A forged redirect (unknown state) never reaches the token endpoint."""
    page.goto(f"{stack.wallet}/callback?code=abc&state=forged")
    expect(page.get_by_test_id("error")).to_contain_text("does not belong to a request of this wallet")
