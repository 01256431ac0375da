"""Offers and requests the wallet must handle gracefully: by value, replayed, answered, unanswerable, malformed."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import PID, assert_no_stray_text, open_request, receive_with_pin, start_rp
from tests.e2e.stack import Stack


def test_offer_by_value_is_received(stack: Stack, page: Any) -> None:
    offer = stack.offer("VN", "vn-nguyen-van-an", PID)
    page.goto(f"{stack.wallet}/receive")
    page.fill("#offer-link", offer["offer_link_by_value"])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_test_id("offer")).to_contain_text("Viet Nam")
    page.fill("#pin", offer["tx_code"])
    page.get_by_role("button", name="Receive credential").click()
    page.get_by_test_id("received").wait_for()


def test_replayed_offer_is_refused(stack: Stack, page: Any) -> None:
    offer = receive_with_pin(page, stack, "VN", "vn-nguyen-van-an")
    page.goto(f"{stack.wallet}/receive?{urlencode({'offer': offer['offer_link_by_value']})}")
    page.fill("#pin", offer["tx_code"])
    page.get_by_role("button", name="Receive credential").click()
    expect(page.get_by_test_id("error")).to_contain_text("already used")
    assert_no_stray_text(page)


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("https://example.com/not-an-offer", "not a credential offer link"),
        ("openid-credential-offer://?credential_offer=%7Bbroken", "not valid JSON"),
        ("openid-credential-offer://?credential_offer_uri=javascript%3Aalert(1)", "not a web address"),
        (
            "openid-credential-offer://?credential_offer=%7B%22credential_issuer%22%3A%22x%22%7D",
            "names no credential issuer",
        ),
    ],
)
def test_malformed_offer_links_are_refused(stack: Stack, page: Any, link: str, message: str) -> None:
    page.goto(f"{stack.wallet}/receive?{urlencode({'offer': link})}")
    expect(page.get_by_test_id("error")).to_contain_text(message)


def test_answered_request_cannot_be_answered_again(stack: Stack, context: Any, page: Any) -> None:
    receive_with_pin(page, stack, "VN", "vn-nguyen-van-an")
    link = start_rp(context.new_page(), stack, "age-check")
    open_request(page, stack, link)
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_test_id("sent")).to_be_visible()
    open_request(page, stack, link)
    expect(page.get_by_test_id("error")).to_contain_text("no longer offers this request")


def test_empty_wallet_cannot_answer(stack: Stack, context: Any, page: Any) -> None:
    link = start_rp(context.new_page(), stack, "th-procurement")
    open_request(page, stack, link)
    expect(page.get_by_test_id("request")).to_contain_text("Register a foreign supplier")
    expect(page.get_by_test_id("error")).to_contain_text("no credential that answers this request")
    expect(page.get_by_role("button", name="Share")).to_have_count(0)


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("openid4vp://?client_id=x509_hash%3Aabc", "not a presentation request link"),
        ("openid4vp://?client_id=x509_hash%3Aabc&request_uri=ftp%3A%2F%2Fx", "not a web address"),
        (
            "openid4vp://?client_id=x509_hash%3Aabc&request_uri=http%3A%2F%2F127.0.0.1%3A9%2Fr&request_uri_method=put",
            "unknown method",
        ),
        ("openid4vp://?client_id=x509_hash%3Aabc&request_uri=http%3A%2F%2F127.0.0.1%3A9%2Fr", "Could not reach"),
    ],
)
def test_malformed_request_links_are_refused(stack: Stack, page: Any, link: str, message: str) -> None:
    open_request(page, stack, link)
    expect(page.get_by_test_id("error")).to_contain_text(message)
