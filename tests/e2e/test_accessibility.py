"""Keyboard use, labels, local-language ``lang`` attributes and a phone-sized viewport (390×844)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_no_stray_text, start_rp
from tests.e2e.stack import Stack

_OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
_UNLABELLED = """() => [...document.querySelectorAll("input:not([type=hidden]), textarea, select")]
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")).map((el) => el.outerHTML)"""


def _check_page(page: Any) -> None:
    assert_no_stray_text(page)
    assert page.evaluate(_OVERFLOW) <= 0, "the page scrolls sideways at 390 px"
    assert page.evaluate(_UNLABELLED) == []


def test_keyboard_only_issuance_and_presentation(stack: Stack, context: Any, page: Any, shot: Any) -> None:
    offer = stack.offer("VN", "vn-nguyen-van-an", "asean_pid_sd_jwt")
    page.goto(f"{stack.wallet}/receive?{urlencode({'offer': offer['offer_link_by_reference']})}")
    page.get_by_test_id("offer").wait_for()
    _check_page(page)
    for _ in range(30):  # tab from the top of the page to the PIN field
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "pin":
            break
    assert page.evaluate("() => document.activeElement.id") == "pin"
    page.keyboard.type(offer["tx_code"])
    page.keyboard.press("Enter")
    page.get_by_test_id("received").wait_for()
    _check_page(page)
    expect(page.locator("dl.claims span[lang=vi]").first).to_have_text("Họ và tên")  # full_name, the first PID claim
    shot(page, "1-card")

    rp = context.new_page()
    link = start_rp(rp, stack, "age-check")
    _check_page(rp)
    page.goto(f"{stack.wallet}/present")
    page.get_by_label("Presentation request link").focus()
    page.keyboard.insert_text(link)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Continue
    page.get_by_test_id("request").wait_for()
    _check_page(page)
    page.get_by_role("button", name="Share").focus()
    shot(page, "2-focus-on-share")  # the focus ring is visible in the screenshot
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("sent")).to_be_visible()
    expect(rp.get_by_test_id("rp-status")).to_have_text("Verified", timeout=20_000)
    _check_page(rp)
    shot(rp, "3-verified")


def test_overflow_check_catches_a_wide_page(stack: Stack, page: Any) -> None:
    """The twin: the same check fails when something is wider than the phone."""
    page.goto(f"{stack.wallet}/history")
    expect(page.get_by_role("heading", name="History")).to_be_visible()  # rendered: nothing will replace main now
    page.evaluate(
        "() => { const d = document.createElement('div'); d.style.width = '800px'; d.textContent = 'x';"
        " document.querySelector('main').append(d); }"
    )
    assert page.evaluate(_OVERFLOW) > 0
    page.evaluate("() => document.querySelector('main').append(document.createElement('input'))")
    assert len(page.evaluate(_UNLABELLED)) == 1
    page.evaluate("() => document.querySelector('main').append('null')")
    with pytest.raises(AssertionError):
        assert_no_stray_text(page)


def test_every_page_has_a_heading_and_main_landmark(stack: Stack, page: Any) -> None:
    for route in ("/", "/receive", "/present", "/history", "/personas", "/rp", "/rp/my-bank"):
        page.goto(f"{stack.wallet}{route}")
        expect(page.get_by_role("heading", level=1)).to_have_count(1)
        expect(page.get_by_role("main")).to_have_count(1)
        assert page.evaluate("() => document.documentElement.lang") == "en"
        _check_page(page)
