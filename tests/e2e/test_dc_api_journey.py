"""Journeys over the W3C Digital Credentials API (issue #15 item 6; OpenID4VP 1.0 Appendix A), in Chromium.

The real demo stack; the relying-party page calls ``navigator.credentials.get({digital: ...})``.
Headless Chromium 156 offers the API (``DigitalCredential``, ``userAgentAllowsProtocol`` true for
``openid4vp-v1-signed``) but has no platform wallet: its promise never settles. So the journeys
inject the test provider (``tests/e2e/dc-test-provider.js``) into the relying party's page, which
routes the request to the demo wallet in a popup; the wallet takes the caller's origin from the
browser's ``MessageEvent.origin``. What is real: the page's API call and feature detection, the
request and response shapes, the origin binding, the wallet's checks and consent, the verifier.
What is not: the browser's own credential chooser and an OS platform wallet.

* An SG citizen's PID reaches the Malaysian bank over the DC API, encrypted (``dc_api.jwt``), and
  the verifier accepts it (its audience is ``origin:<the page's origin>``).
* Twins: the same answer replayed, to its own transaction and to another one, is refused; a page
  on an origin the request does not expect gets a refusal from the wallet (no presentation
  leaves it) and from the verifier; without a wallet the page falls back to link/QR and completes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.e2e.helpers import open_request, receive_with_pin
from tests.e2e.stack import Stack

PROVIDER = Path(__file__).with_name("dc-test-provider.js")
BANK = "my-bank"
MDL = "org.iso.18013.5.1.mDL"
MDL_NS = "org.iso.18013.5.1"


def rp_tab(context: Any, stack: Stack, *, provider: bool = True) -> Any:
    """A relying-party tab (with the test provider unless told otherwise) that records uncaught script errors."""
    tab = context.new_page()
    tab.script_errors = []
    tab.on("pageerror", lambda exc: tab.script_errors.append(str(exc)))
    if provider:
        tab.add_init_script(script=provider_script(stack))
    return tab


def provider_script(stack: Stack) -> str:
    """The test provider, pointed at this stack's wallet."""
    return PROVIDER.read_text(encoding="utf-8").replace("__LINTAS_WALLET_URL__", stack.wallet)


def relayed_answers(page: Any) -> list[dict[str, Any]]:
    """From now on, what the relying party's page posts to its back end's dc-response route (url, body)."""
    seen: list[dict[str, Any]] = []

    def watch(request: Any) -> None:
        if request.method == "POST" and request.url.endswith("/dc-response"):
            seen.append({"url": request.url, "body": json.loads(request.post_data or "{}")})

    page.on("request", watch)
    return seen


def ask_wallet(rp_page: Any, base: str, slug: str = BANK) -> Any:
    """Open the relying party's page at ``base``, press "Use a wallet on this device", return the wallet popup."""
    rp_page.goto(f"{base}/rp/{slug}")
    with rp_page.expect_popup() as opened:
        rp_page.get_by_test_id("dc-api").click()
    popup = opened.value
    popup.wait_for_load_state()
    return popup


def post_from_page(rp_page: Any, path: str, body: Any = None) -> dict[str, Any]:
    """``fetch`` from the relying party's page (its cookies and the browser's Origin header)."""
    script = """async ([path, body]) => {
      const json = { "Content-Type": "application/json" };
      const options = body === null ? { method: "POST" } : { method: "POST", headers: json, body: JSON.stringify(body)};
      const response = await fetch(path, options);
      return { status: response.status, body: await response.json() };
    }"""
    answer: dict[str, Any] = rp_page.evaluate(script, [path, body])
    return answer


def test_pid_over_the_dc_api_reaches_the_bank(stack: Stack, context: Any, page: Any, shot: Any) -> None:
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    bank = rp_tab(context, stack)
    relayed = relayed_answers(bank)
    popup = ask_wallet(bank, stack.wallet)
    expect(popup.get_by_test_id("dc-origin")).to_contain_text(stack.wallet)
    expect(popup.get_by_test_id("verifier-name")).to_contain_text("Bank Rakyat Contoh")
    expect(popup.locator("[data-testid=claim-value][data-claim=full_name]")).to_have_text("Tan Wei Ling")
    shot(popup, "1-wallet-consent")
    popup.get_by_role("button", name="Share").click()

    expect(bank.get_by_test_id("rp-status")).to_have_text("Verified", timeout=20_000)
    expect(bank.locator("[data-claim=full_name]")).to_have_text("Tan Wei Ling")
    expect(bank.get_by_test_id("issuing-country")).to_contain_text("Singapore")
    shot(bank, "2-bank-verified")
    assert len(relayed) == 1
    # dc_api.jwt: only the encrypted response crosses the page, with the page's own origin.
    body = relayed[0]["body"]
    assert body["origin"] == stack.wallet
    assert set(body["data"]) == {"response"}
    assert body["data"]["response"].count(".") == 4  # compact JWE
    assert bank.script_errors == []


def test_a_replayed_dc_api_answer_is_refused(stack: Stack, context: Any, page: Any) -> None:
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    bank = rp_tab(context, stack)
    relayed = relayed_answers(bank)
    popup = ask_wallet(bank, stack.wallet)
    popup.get_by_role("button", name="Share").click()
    expect(bank.get_by_test_id("rp-status")).to_have_text("Verified", timeout=20_000)
    first = relayed[0]["body"]

    # The same answer again to its own transaction: the transaction (and its nonce) is answered once.
    again = post_from_page(bank, relayed[0]["url"][len(stack.wallet) :], first)
    assert again["status"] == 400
    assert again["body"]["reason"] == "session_used"

    # To a fresh transaction of the same bank: encrypted to another key for another nonce, refused.
    created = post_from_page(bank, f"/rp/api/{BANK}/dc-transactions")
    assert created["status"] == 201
    other = created["body"]["transaction_id"]
    replayed = post_from_page(bank, f"/rp/api/{BANK}/transactions/{other}/dc-response", first)
    assert replayed["status"] == 400
    assert replayed["body"]["reason"] in {"decryption_failed", "nonce_mismatch"}
    status = bank.evaluate(f"() => fetch('/rp/api/{BANK}/transactions/{other}').then((r) => r.json())")
    assert status["status"] != "verified"


def test_the_wallet_refuses_a_page_the_request_does_not_expect(stack: Stack, context: Any, page: Any) -> None:
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    # The same relying party's page on another origin (localhost, not 127.0.0.1): not in expected_origins.
    elsewhere = stack.wallet.replace("127.0.0.1", "localhost")
    assert elsewhere != stack.wallet
    bank = rp_tab(context, stack)
    relayed = relayed_answers(bank)
    ask_wallet(bank, elsewhere)

    refused = bank.get_by_test_id("rp-status")
    expect(refused).to_contain_text("Refused", timeout=20_000)
    expect(refused).to_have_attribute("data-reason", "aud_mismatch")  # the verifier refuses the origin too
    # No presentation left the wallet: only the error of Appendix A.2.
    assert [r["body"] for r in relayed] == [{"origin": elsewhere, "data": {"error": "invalid_request"}}]
    page.goto(f"{stack.wallet}/history")
    expect(page.get_by_test_id("history")).to_contain_text(f"was not made for the page at {elsewhere}")


def test_twin_the_same_request_from_the_expected_origin_is_answered(stack: Stack, context: Any, page: Any) -> None:
    """Twin of the origin refusal: the very same steps from the registered origin reach consent."""
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    bank = rp_tab(context, stack)
    popup = ask_wallet(bank, stack.wallet)
    expect(popup.get_by_role("button", name="Share")).to_be_visible()
    popup.get_by_role("button", name="Decline").click()
    expect(bank.get_by_test_id("rp-status")).to_contain_text("Refused", timeout=20_000)


def test_without_a_wallet_the_page_falls_back_to_link_and_qr(stack: Stack, browser: Any, page: Any) -> None:
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    # The bank in its own browser (cross-device) with a controllable clock: no provider, so Chromium's
    # own API, which finds no platform wallet, never answers and takes no input while it waits.
    desk = browser.new_context(viewport=PHONE, locale="en-GB")
    try:
        desk.clock.install()
        bank = rp_tab(desk, stack, provider=False)
        bank.goto(f"{stack.wallet}/rp/{BANK}")
        assert bank.evaluate("() => DigitalCredential.userAgentAllowsProtocol('openid4vp-v1-signed')") is True
        bank.get_by_test_id("dc-api").click()
        expect(bank.get_by_test_id("rp-status")).to_have_text("Waiting for your wallet…")
        expect(bank.get_by_test_id("dc-fallback")).to_have_count(0)
        desk.clock.fast_forward(121_000)  # past the page's two-minute wait
        expect(bank.get_by_test_id("dc-fallback")).to_contain_text("No wallet on this device answered")
        link = bank.get_by_test_id("request-link")
        link.wait_for()
        open_request(page, stack, str(link.input_value()))
        page.get_by_role("button", name="Share").click()
        expect(page.get_by_test_id("sent")).to_be_visible()
        expect(bank.get_by_test_id("rp-status")).to_have_text("Verified", timeout=20_000)
        assert bank.script_errors == []
    finally:
        desk.close()


def test_a_browser_without_the_api_gets_link_and_qr_with_a_message(stack: Stack, page: Any) -> None:
    page.add_init_script(script="delete window.DigitalCredential;")
    page.goto(f"{stack.wallet}/rp/{BANK}")
    expect(page.get_by_test_id("dc-unavailable")).to_be_visible()
    expect(page.get_by_test_id("dc-api")).to_have_count(0)
    page.get_by_test_id("start").click()
    expect(page.get_by_test_id("request-link")).to_have_value(re.compile(r"^openid4vp://"))


def test_thai_mdl_over_the_dc_api_at_the_car_rental(stack: Stack, context: Any, page: Any, shot: Any) -> None:
    receive_with_pin(page, stack, "TH", "th-somchai-jaidee", MDL)
    rental = rp_tab(context, stack)
    relayed = relayed_answers(rental)
    popup = ask_wallet(rental, stack.wallet, "my-car-rental")
    expect(popup.get_by_test_id("verifier-name")).to_contain_text("Kereta Sewa Contoh")
    expect(popup.get_by_test_id("dc-origin")).to_contain_text(stack.wallet)
    expect(popup.get_by_test_id("claim-value")).to_have_count(2)  # age and driving privileges only
    shot(popup, "mdl-1-wallet-consent")
    popup.get_by_role("button", name="Share").click()

    expect(rental.get_by_test_id("rp-status")).to_have_text("Verified", timeout=20_000)
    shown = rental.locator("dl.claims [data-claim]")
    claims = sorted(shown.evaluate_all("(els) => els.map((e) => e.dataset.claim)"))
    assert claims == [f"{MDL_NS}.age_over_18", f"{MDL_NS}.driving_privileges"]
    expect(rental.get_by_test_id("issuing-country")).to_contain_text("Thailand")
    shot(rental, "mdl-2-rental-verified")
    # The DeviceResponse travelled encrypted; the verifier checked it over the DC API SessionTranscript.
    assert [set(r["body"]["data"]) for r in relayed] == [{"response"}]
    assert rental.script_errors == []


_VERIFY = """async ([origin, change]) => {
  const { verifyDcRequest } = await import("/static/js/dcapi.js");
  const { b64uDecode, b64uEncode, dec, enc } = await import("/static/js/util.js");
  const tx = await fetch("/rp/api/my-bank/dc-transactions", { method: "POST" }).then((r) => r.json());
  const url = `/rp/api/my-bank/transactions/${tx.transaction_id}/dc-request`;
  const request = await fetch(url).then((r) => r.json());
  const anchors = (await fetch("/config.json").then((r) => r.json())).rp_anchors;
  const [head, body, signature] = request.data.request.split(".");
  const flip = (s) => s.slice(0, -2) + (s.at(-2) === "A" ? "B" : "A") + s.at(-1);
  const claims = JSON.parse(dec.decode(b64uDecode(body)));
  claims.expected_origins.push(origin); // what a replaying site would need
  const widened = b64uEncode(enc.encode(JSON.stringify(claims)));
  if (change === "unsigned") request.protocol = "openid4vp-v1-unsigned";
  if (change === "signature") request.data.request = [head, body, flip(signature)].join(".");
  if (change === "origins") request.data.request = [head, widened, signature].join(".");
  try {
    const verified = await verifyDcRequest(request, origin, change === "anchors" ? [] : anchors);
    return { ok: true, mode: verified.claims.response_mode, origins: verified.claims.expected_origins };
  } catch (err) {
    return { ok: false, code: err.code };
  }
}"""


def test_the_wallet_checks_a_dc_api_request_like_a_link(stack: Stack, page: Any) -> None:
    """verifyDcRequest on real requests of the verifier; each refusal is the twin of the first call."""
    page.goto(f"{stack.wallet}/")
    verified = page.evaluate(_VERIFY, [stack.wallet, None])
    assert verified == {"ok": True, "mode": "dc_api.jwt", "origins": [stack.wallet]}
    elsewhere = stack.wallet.replace("127.0.0.1", "localhost")
    assert page.evaluate(_VERIFY, [elsewhere, None]) == {"ok": False, "code": "origin_mismatch"}
    assert page.evaluate(_VERIFY, [stack.wallet + "/", None]) == {"ok": False, "code": "origin_mismatch"}
    assert page.evaluate(_VERIFY, [stack.wallet, "unsigned"]) == {"ok": False, "code": "unsigned_request"}
    assert page.evaluate(_VERIFY, [stack.wallet, "signature"]) == {"ok": False, "code": "bad_signature"}
    # A site that adds itself to expected_origins breaks the signature.
    assert page.evaluate(_VERIFY, [elsewhere, "origins"]) == {"ok": False, "code": "bad_signature"}
    assert page.evaluate(_VERIFY, [stack.wallet, "anchors"]) == {"ok": False, "code": "bad_certificate"}
