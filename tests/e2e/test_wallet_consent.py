"""The consent screen citizens decide on (issue #19 items 1, 4, 6), in Chromium against the real stack.

The relying party's registration reaches the wallet as OpenID4VP 1.0 ``verifier_info`` (Section 5.1)
inside the signed Request Object. Until the verifier emits it, these tests add it to the verifier's
real Request Object and sign it again with the verifier's own access key (generated at test time in
the stack's data directory), so the wallet's whole check (signature, chain to the pinned CA,
client id) runs unchanged. Twins: the same addition without re-signing is refused, and an
attestation the wallet cannot verify (a JWT string) leaves the relying party "unregistered".
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography import x509
from playwright.sync_api import expect

from idcore.keystore.file import FileKeyStore
from idcore.oid4vp.request import sign_request_object
from tests.e2e.helpers import BUSINESS, answers_to_verifier, open_request, receive_with_pin, start_rp
from tests.e2e.stack import Stack

PID = "https://lintas.asean.example/vct/pid/v1"
# The verifier's registration shape (README, "What the wallet is told about the relying party").
MY_BANK = {
    "id": "my-bank",
    "legal_name": "Bank Rakyat Contoh Berhad",
    "country": "MY",
    "purpose": "Open a savings account for you",
    "registered_claims": [
        {"vct": PID, "path": [name]} for name in ("full_name", "birthdate", "nationality", "age_over_18")
    ],
    "retention_days": 30,
    "policy_uri": "https://bank.example.my/privacy",
}
TH_PORTAL = {
    "id": "th-procurement",
    "legal_name": "Comptroller General's Department",
    "country": "TH",
    "purpose": "Register your company as a supplier",
    "retention_days": 365,
}
AGE_CHECK = {
    "id": "age-check",
    "legal_name": "Kedai Umur Pte. Ltd.",
    "country": "SG",
    "purpose": "Check you are an adult",
    "retention_days": 0,
}


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(jwt: str) -> dict[str, Any]:
    payload = jwt.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def _resigned(stack: Stack, info: list[dict[str, Any]]) -> Callable[[str], str]:
    """Add ``verifier_info`` and sign again with the verifier's access key and certificate."""
    signer = FileKeyStore(stack.data / "verifier" / "keys").signer("access")
    cert = x509.load_pem_x509_certificate((stack.data / "verifier" / "access-cert.pem").read_bytes())

    def tamper(jwt: str) -> str:
        return sign_request_object({**_claims(jwt), "verifier_info": info}, signer, [cert])

    return tamper


def _unsigned(info: list[dict[str, Any]]) -> Callable[[str], str]:
    """Add ``verifier_info`` but keep the verifier's signature (which no longer covers the payload)."""

    def tamper(jwt: str) -> str:
        header, _, signature = jwt.split(".")
        payload = _b64u(json.dumps({**_claims(jwt), "verifier_info": info}).encode())
        return f"{header}.{payload}.{signature}"

    return tamper


def _serve(page: Any, stack: Stack, tamper: Callable[[str], str]) -> None:
    def handle(route: Any) -> None:
        original = route.fetch()
        route.fulfill(response=original, body=tamper(original.text()))

    page.route(f"{stack.verifier}/wallet/request/**", handle)


def _registration(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"format": "lintas_rp_registration", "data": {"relying_party": data}}]


def test_consent_shows_each_relying_partys_own_country_and_the_values(
    stack: Stack, context: Any, page: Any, shot: Any
) -> None:
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    receive_with_pin(page, stack, "VN", "vn-song-hong-trading", BUSINESS)
    rp = context.new_page()

    _serve(page, stack, _resigned(stack, _registration(MY_BANK)))
    open_request(page, stack, start_rp(rp, stack, "my-bank"))
    expect(page.get_by_test_id("verifier-name")).to_have_text("Bank Rakyat Contoh Berhad")
    expect(page.get_by_test_id("rp-country")).to_contain_text("Malaysia")
    expect(page.get_by_test_id("registered")).to_be_visible()
    expect(page.get_by_test_id("unregistered")).to_have_count(0)
    expect(page.get_by_test_id("purpose")).to_have_text("Open a savings account for you")
    expect(page.get_by_test_id("retention")).to_have_text("Kept for up to 30 days.")
    expect(page.get_by_test_id("beyond")).to_have_count(0)  # asks only what it registered
    expect(page.get_by_role("link", name="Privacy policy")).to_have_attribute("href", "https://bank.example.my/privacy")
    expect(page.locator("[data-testid=claim-value][data-claim=full_name]")).to_have_text("Tan Wei Ling")
    expect(page.locator("[data-testid=claim-value][data-claim=birthdate]")).to_have_text("14 March 1980")
    expect(page.locator("[data-testid=claim-value][data-claim=age_over_18]")).to_have_text("Yes")
    technical = page.get_by_test_id("technical")
    expect(technical.get_by_test_id("client-id")).not_to_be_visible()  # behind the disclosure
    technical.locator("summary").click()
    expect(technical.get_by_test_id("client-id")).to_contain_text("x509_")
    shot(page, "1-my-bank")

    page.unroute(f"{stack.verifier}/wallet/request/**")
    _serve(page, stack, _resigned(stack, _registration(TH_PORTAL)))
    open_request(page, stack, start_rp(rp, stack, "th-procurement"))
    expect(page.get_by_test_id("rp-country")).to_contain_text("Thailand")
    expect(page.get_by_test_id("retention")).to_have_text("Kept for up to 365 days.")
    expect(page.locator("[data-testid=claim-value][data-claim=legal_name]")).to_have_text(
        "Song Hong Trading Joint Stock Company"
    )
    expect(page.locator("[data-testid=claim-value][data-claim=registration_status]")).to_have_text("active")
    shot(page, "2-th-portal")

    page.unroute(f"{stack.verifier}/wallet/request/**")
    _serve(page, stack, _resigned(stack, _registration(AGE_CHECK)))
    open_request(page, stack, start_rp(rp, stack, "age-check"))
    expect(page.get_by_test_id("rp-country")).to_contain_text("Singapore")
    expect(page.get_by_test_id("retention")).to_have_text("Not kept: used for this check only.")
    expect(page.locator("[data-testid=claim-value][data-claim=age_over_18]")).to_have_text("Yes")
    # The registration names less than the request asks (or names it for another credential type):
    # the holder is warned.
    page.unroute(f"{stack.verifier}/wallet/request/**")
    other_type = "https://lintas.asean.example/vct/business-registration/v1"
    narrower = {
        **MY_BANK,
        "registered_claims": [{"vct": PID, "path": ["full_name"]}, {"vct": other_type, "path": ["birthdate"]}],
    }
    _serve(page, stack, _resigned(stack, _registration(narrower)))
    open_request(page, stack, start_rp(rp, stack, "my-bank"))
    expect(page.get_by_test_id("beyond")).to_contain_text("birthdate")
    expect(page.get_by_test_id("beyond")).not_to_contain_text("full_name")
    shot(page, "3-beyond-registration")
    assert page.script_errors == []


def test_verifier_info_not_covered_by_the_signature_is_refused(stack: Stack, context: Any, page: Any) -> None:
    """The twin: the same registration added without re-signing fails the request signature."""
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    _serve(page, stack, _unsigned(_registration(MY_BANK)))
    open_request(page, stack, start_rp(context.new_page(), stack, "my-bank"))
    expect(page.get_by_test_id("error")).to_contain_text("The signature does not verify")
    expect(page.get_by_test_id("request")).to_have_count(0)


@pytest.mark.parametrize(
    "info",
    [
        [{"format": "jwt", "data": "eyJhbGciOiJFUzI1NiJ9.eyJjb3VudHJ5IjoiTVkifQ.sig"}],  # not verifiable here
        [{"format": "lintas_rp_registration", "data": {"relying_party": {"country": "MY"}}}],  # names nobody
        [{"format": "other", "data": {"relying_party": MY_BANK}}],  # a format the wallet does not know
    ],
)
def test_unusable_registration_leaves_the_relying_party_unregistered(
    stack: Stack, context: Any, page: Any, info: list[dict[str, Any]]
) -> None:
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    _serve(page, stack, _resigned(stack, info))
    open_request(page, stack, start_rp(context.new_page(), stack, "my-bank"))
    expect(page.get_by_test_id("unregistered")).to_contain_text("localhost")
    expect(page.get_by_test_id("rp-country")).to_contain_text("not declared")
    expect(page.get_by_test_id("rp-country")).not_to_contain_text("Malaysia")
    expect(page.get_by_test_id("retention")).to_contain_text("did not declare")


def test_cannot_answer_names_the_missing_credential_and_the_home_issuer(
    stack: Stack, context: Any, page: Any, shot: Any
) -> None:
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    sent = answers_to_verifier(page, stack)
    open_request(page, stack, start_rp(context.new_page(), stack, "th-procurement"))
    box = page.get_by_test_id("cannot-answer")
    expect(box).to_contain_text("ASEAN Business Registration")
    expect(box.get_by_test_id("home-issuer")).to_have_attribute("href", stack.issuers["SG"])
    expect(box).to_contain_text("Singapore")
    expect(page.get_by_role("button", name="Share")).to_have_count(0)
    shot(page, "cannot-answer")
    assert sent == []  # nothing went to the verifier


def test_relying_party_result_shows_labels_and_formatted_values(stack: Stack, context: Any, page: Any) -> None:
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    bank = context.new_page()
    open_request(page, stack, start_rp(bank, stack, "my-bank"))
    page.get_by_role("button", name="Share").click()
    expect(bank.get_by_test_id("rp-status")).to_have_text("Verified", timeout=20_000)
    result = bank.get_by_test_id("verified-credential")
    expect(result.locator("dt", has_text="Full name")).to_have_count(1)
    expect(result.locator("[data-claim=nationality]")).to_have_text("Singapore")
    expect(result.locator("[data-claim=birthdate]")).to_have_text("14 March 1980")
    expect(result.get_by_role("heading", level=2)).to_have_text("ASEAN Person Identification")
    terms = result.locator("dt").all_inner_texts()
    assert terms
    assert [t for t in terms if "_" in t] == []  # no raw claim keys
    assert "SG" not in result.locator("dd").all_inner_texts()  # no bare ISO codes
    assert result.locator("text=https://lintas.asean.example/vct").count() == 0


def test_the_verifiers_own_registrations_reach_consent(stack: Stack, context: Any, page: Any, shot: Any) -> None:
    """No route, no re-signing: the verifier's verifier_info for three relying parties, as served."""
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    receive_with_pin(page, stack, "VN", "vn-song-hong-trading", BUSINESS)
    rp = context.new_page()
    for slug, country in (("my-bank", "Malaysia"), ("th-procurement", "Thailand"), ("age-check", "Singapore")):
        open_request(page, stack, start_rp(rp, stack, slug))
        expect(page.get_by_test_id("rp-country")).to_contain_text(country)
        expect(page.get_by_test_id("registered")).to_be_visible()
        expect(page.get_by_test_id("retention")).not_to_contain_text("did not declare")
        expect(page.get_by_test_id("claim-value").first).not_to_be_empty()
        shot(page, slug)
