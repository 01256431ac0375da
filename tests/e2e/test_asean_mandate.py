"""A Vietnamese director signs in to the Thai procurement portal with PID + mandate (issue #17).

The VN issuer issues the director's PID and the VN business registry's mandate issuer the
mandate; the portal's ``supplier-mandate`` policy asks for both in one presentation (DCQL
``credential_sets``) and the verifier checks that they name the same person. The refused twin
holds another person's PID with the same mandate.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import open_request, receive_with_pin, start_rp
from tests.e2e.stack import Stack

MANDATE = "asean_mandate_sd_jwt"
BUSINESS = "asean_business_registration_sd_jwt"


def test_vn_director_signs_in_at_th_portal_with_pid_and_mandate(
    stack: Stack, context: Any, page: Any, shot: Any
) -> None:
    receive_with_pin(page, stack, "VN", "vn-nguyen-van-an")
    receive_with_pin(page, stack, "VN", "vn-song-hong-director-an", MANDATE)
    expect(page.locator("[data-claim=role]")).to_have_text("director")
    portal = context.new_page()
    link = start_rp(portal, stack, "th-supplier-mandate")
    open_request(page, stack, link)
    expect(page.get_by_test_id("purpose")).to_contain_text("act for the company")
    shot(page, "1-consent-pid-and-mandate")
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_test_id("sent")).to_be_visible()
    expect(portal.get_by_test_id("rp-status")).to_have_text("Verified", timeout=20_000)
    expect(portal.locator("[data-claim=business_legal_name]")).to_have_text("Song Hong Trading Joint Stock Company")
    expect(portal.locator("[data-claim=full_name]")).to_have_text("Nguyễn Văn An")
    shot(portal, "2-portal-verified")
    assert page.script_errors == []


def test_mandate_with_another_persons_pid_is_refused(stack: Stack, context: Any, page: Any) -> None:
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    receive_with_pin(page, stack, "VN", "vn-song-hong-director-an", MANDATE)
    portal = context.new_page()
    link = start_rp(portal, stack, "th-supplier-mandate")
    open_request(page, stack, link)
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_test_id("error")).to_contain_text("The verifier refused the presentation")
    expect(portal.get_by_test_id("rp-status")).to_contain_text("the mandate does not name this person", timeout=20_000)


@pytest.mark.parametrize("share_business", [True, False], ids=["shares-the-optional-set", "leaves-it-out"])
def test_the_director_chooses_whether_to_share_the_optional_business_registration(
    stack: Stack, context: Any, page: Any, share_business: bool
) -> None:
    """``credential_sets`` leave a choice (OpenID4VP 1.0 Section 6.2): the holder makes it, the verifier checks it."""
    receive_with_pin(page, stack, "VN", "vn-nguyen-van-an")
    receive_with_pin(page, stack, "VN", "vn-song-hong-director-an", MANDATE)
    receive_with_pin(page, stack, "VN", "vn-song-hong-trading", BUSINESS)
    portal = context.new_page()
    link = start_rp(portal, stack, "th-supplier-mandate")
    open_request(page, stack, link)
    choice = page.locator("fieldset[data-set='1']")
    expect(choice).to_be_visible()
    expect(page.locator("fieldset[data-query=business]")).to_have_count(1)  # the first usable option is taken
    if not share_business:
        choice.get_by_label("Do not share it").check()
        expect(page.locator("fieldset[data-query=business]")).to_have_count(0)
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_test_id("sent")).to_be_visible()
    expect(portal.get_by_test_id("rp-status")).to_have_text("Verified", timeout=20_000)
    expect(portal.locator("[data-claim=registration_number]")).to_have_count(1 if share_business else 0)
    assert page.script_errors == []


def test_without_an_alternative_the_wallet_offers_no_choice(stack: Stack, context: Any, page: Any) -> None:
    receive_with_pin(page, stack, "VN", "vn-nguyen-van-an")
    receive_with_pin(page, stack, "VN", "vn-song-hong-director-an", MANDATE)
    portal = context.new_page()
    open_request(page, stack, start_rp(portal, stack, "th-supplier-mandate"))
    expect(page.get_by_role("button", name="Share")).to_be_visible()
    expect(page.locator("fieldset[data-set]")).to_have_count(
        0
    )  # the optional set cannot be answered: nothing to choose
