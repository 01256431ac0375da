"""Optional claims (DCQL ``claim_sets``): the user's choice decides exactly which disclosures leave the wallet."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import disclosed_claims, open_request, posted_vp_token, receive_with_pin, start_rp
from tests.e2e.stack import Stack

VCT_PID = "https://lintas.asean.example/vct/pid/v1"
QUERY = {
    "credentials": [
        {
            "id": "pid",
            "format": "dc+sd-jwt",
            "meta": {"vct_values": [VCT_PID]},
            "claims": [
                {"id": "given", "path": ["given_name"]},
                {"id": "family", "path": ["family_name"]},
                {"id": "city", "path": ["address", "locality"]},
            ],
            "claim_sets": [["given", "family", "city"], ["given", "family"]],
        }
    ],
}


def _create(stack: Stack) -> dict[str, Any]:
    secret = json.loads((stack.data / "verifier" / "rp-clients.json").read_text())["my-bank"]
    token = httpx.post(
        f"{stack.verifier}/oauth/token", data={"grant_type": "client_credentials"}, auth=("my-bank", secret), timeout=10
    ).json()["access_token"]
    body = {"dcql_query": QUERY, "purpose": "Send you a welcome letter", "response_mode": "direct_post"}
    answer = httpx.post(
        f"{stack.verifier}/v1/presentations", json=body, timeout=10, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json(), token=token)


@pytest.mark.parametrize(
    ("share_city", "expected"),
    [(True, {"given_name", "family_name", "address", "locality"}), (False, {"given_name", "family_name"})],
)
def test_optional_claim_follows_the_users_choice(
    stack: Stack, page: Any, shot: Any, share_city: bool, expected: set[str]
) -> None:
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    created = _create(stack)
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.post_data) if r.url.endswith("/wallet/response") else None)
    open_request(page, stack, created["request_link"])
    city = page.get_by_role("checkbox", name="City")
    expect(city).to_be_checked()  # the verifier's preferred option
    expect(page.get_by_role("checkbox", name="Given name")).to_be_disabled()  # required in every option
    if not share_city:
        city.uncheck()
    shot(page, f"consent-city-{share_city}")
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_test_id("sent")).to_be_visible()
    assert disclosed_claims(posted_vp_token(posted[0])["pid"][0]) == expected
    result = httpx.get(
        f"{stack.verifier}/v1/presentations/{created['transaction_id']}",
        timeout=10,
        headers={"Authorization": f"Bearer {created['token']}"},
    ).json()
    assert result["status"] == "verified"
    claims = result["credentials"][0]["claims"]
    assert ("address" in claims) is share_city
    assert "birthdate" not in claims


@pytest.mark.parametrize("pick_old", [False, True])
def test_user_picks_which_of_two_credentials_to_present(
    stack: Stack, context: Any, page: Any, shot: Any, pick_old: bool
) -> None:
    """Two PIDs of one person, the older one revoked: the newest is offered first; the wallet refuses the old one."""
    receive_with_pin(page, stack, "VN", "vn-nguyen-van-an")
    stack.set_status("VN", "vn-nguyen-van-an", "revoke")
    receive_with_pin(page, stack, "VN", "vn-nguyen-van-an")
    checker = context.new_page()
    open_request(page, stack, start_rp(checker, stack, "age-check"))
    choices = page.get_by_role("radio")
    expect(choices).to_have_count(2)
    expect(choices.nth(0)).to_be_checked()
    expect(page.get_by_role("radiogroup")).to_contain_text("Revoked")
    if pick_old:
        choices.nth(1).check()
        expect(page.locator(".warning")).to_contain_text("revoked")
    shot(page, f"choose-old-{pick_old}")
    page.get_by_role("button", name="Share").click()
    if pick_old:
        expect(page.get_by_test_id("error")).to_contain_text("revoked by its issuer, so the wallet will not share it")
        expect(page.get_by_test_id("sent")).to_have_count(0)
    else:
        expect(page.get_by_test_id("sent")).to_be_visible()
        expect(checker.get_by_test_id("rp-status")).to_have_text("Verified", timeout=20_000)
