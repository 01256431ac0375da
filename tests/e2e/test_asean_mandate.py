"""A Vietnamese director signs in to the Thai procurement portal with PID + mandate (issue #17).

The VN issuer issues the director's PID and the VN business registry's mandate issuer the
mandate; the portal's ``supplier-mandate`` policy asks for both in one presentation (DCQL
``credential_sets``) and the verifier checks that they name the same person. The refused twin
holds another person's PID with the same mandate.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.helpers import open_request, receive_with_pin, start_rp
from tests.e2e.stack import Stack

MANDATE = "asean_mandate_sd_jwt"


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
