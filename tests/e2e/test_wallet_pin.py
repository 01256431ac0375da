"""The wallet PIN in the browser: set on the settings page, asked before sharing, five wrong → locked.

Wrong PINs say how many attempts are left, the fifth locks the wallet (the right PIN no longer
helps) and nothing reaches the verifier; the twin shares with the right PIN after a wrong one.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.helpers import answers_to_verifier, assert_no_stray_text, open_request, receive_with_pin, start_rp
from tests.e2e.stack import Stack

PIN = "482916"


def _set_pin(page: Any, stack: Stack) -> None:
    page.goto(f"{stack.wallet}/settings")
    expect(page.get_by_test_id("pin-state")).to_contain_text("No PIN is set")
    page.fill("#new-pin", PIN)
    page.fill("#confirm-pin", "482917")
    page.get_by_role("button", name="Set PIN").click()
    expect(page.get_by_test_id("error")).to_contain_text("The two new PINs differ")
    page.fill("#confirm-pin", PIN)
    page.get_by_role("button", name="Set PIN").click()
    expect(page.get_by_test_id("pin-saved")).to_be_visible()
    expect(page.get_by_test_id("pin-state")).to_contain_text("A PIN protects sharing")


def _share_with(page: Any, pin: str) -> None:
    page.fill("#wallet-pin", pin)
    page.get_by_role("button", name="Share").click()


def test_wrong_pins_count_down_then_lock(stack: Stack, context: Any, page: Any, shot: Any) -> None:
    _set_pin(page, stack)
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    checker = context.new_page()
    open_request(page, stack, start_rp(checker, stack, "age-check"))
    answers = answers_to_verifier(page, stack)
    error = page.get_by_test_id("error")
    for left in (4, 3, 2, 1):
        _share_with(page, "000000")
        expect(error).to_contain_text(f"Wrong PIN. {left} attempt{'s' if left > 1 else ''} left")
    shot(page, "1-one-attempt-left")
    _share_with(page, "000000")
    expect(error).to_contain_text("locked after 5 wrong PINs")
    _share_with(page, PIN)  # the right PIN no longer opens a locked wallet
    expect(error).to_contain_text("locked after 5 wrong PINs")
    assert_no_stray_text(page)
    shot(page, "2-locked")
    assert answers == []
    page.goto(f"{stack.wallet}/settings")
    expect(error).to_contain_text("locked after 5 wrong PINs")


def test_right_pin_shares(stack: Stack, context: Any, page: Any) -> None:
    """The twin: a wrong PIN first, then the right one shares, and the verifier accepts."""
    _set_pin(page, stack)
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    checker = context.new_page()
    open_request(page, stack, start_rp(checker, stack, "age-check"))
    answers = answers_to_verifier(page, stack)
    _share_with(page, "000000")
    expect(page.get_by_test_id("error")).to_contain_text("Wrong PIN. 4 attempts left")
    _share_with(page, PIN)
    expect(page.get_by_test_id("sent")).to_be_visible()
    assert len(answers) == 1
    expect(checker.get_by_test_id("rp-status")).to_have_text("Verified", timeout=20_000)
