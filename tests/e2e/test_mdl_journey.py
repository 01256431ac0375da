"""The mDL journey in Chromium (issue #15 item 5, link/QR): a Thai citizen's ISO mDL at a Malaysian car rental.

Somchai receives an mDL (``org.iso.18013.5.1.mDL``, OpenID4VCI ``mso_mdoc``) from the real TH
issuer: the wallet's mdoc.js checks the IssuerSigned (issuer signature, doctype, validity, device
key, every element's digest) and the card shows the elements with their labels, driving
privileges readably. At the car rental's page (``/rp/my-car-rental``: name and country of the
relying party) the wallet matches the DCQL ``mso_mdoc`` query, lists exactly the two requested
elements with values, and answers by ``direct_post.jwt`` with a DeviceResponse signed over the
OpenID4VP SessionTranscript (Appendix B.2.6.1): the real verifier says ``verified`` and the page
shows age and driving privileges only. Twins: the holder declines (the page shows the refusal);
an mDL whose driving privileges were altered in IndexedDB after receipt is refused by the
verifier with ``digest_mismatch``, which the page names; and a credential whose element does not
match its digest (altered on its way from the issuer) is refused at receipt with a clear message,
nothing stored.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from playwright.sync_api import expect

from tests.e2e.helpers import alter_mdoc_element, assert_no_stray_text, open_request, receive_with_pin, start_rp
from tests.e2e.stack import Stack

MDL = "org.iso.18013.5.1.mDL"
NS = "org.iso.18013.5.1"
SOMCHAI = "th-somchai-jaidee"

# In the wallet's page: the stored mDL's element `element` re-encoded with `value` (raw and claims
# alike, as a tampered storage would hold it); the issuer's digests stay as they were.
_TAMPER = """async ({ element, value }) => {
  const { Tagged, decode, encode } = await import("/vendor/cborg/cborg.js");
  const store = await import("/static/js/store.js");
  const util = await import("/static/js/util.js");
  const options = { useMaps: true, tags: Tagged.preserve(0, 18, 24, 1004) };
  const [credential] = (await store.all("credentials")).filter((c) => c.format === "mso_mdoc");
  const signed = decode(util.b64uDecode(credential.raw), options);
  let changed = 0;
  for (const [namespace, items] of signed.get("nameSpaces")) {
    items.forEach((raw, i) => {
      const item = decode(raw.value, options);
      if (item.get("elementIdentifier") !== element) return;
      item.set("elementValue", value);
      items[i] = new Tagged(24, encode(item));
      credential.claims[namespace][element] = value;
      changed += 1;
    });
  }
  credential.raw = util.b64uEncode(encode(signed));
  await store.put("credentials", credential);
  return changed;
}"""

# The stored mDL's status as meta.js reads it, then for a copy naming issuer `iss` instead.
_STATUS = """async (iss) => {
  const store = await import("/static/js/store.js");
  const meta = await import("/static/js/meta.js");
  const [credential] = (await store.all("credentials")).filter((c) => c.format === "mso_mdoc");
  const other = { ...credential, payload: { ...credential.payload, iss } };
  return [(await meta.checkStatus(credential)).status, (await meta.checkStatus(other)).status];
}"""


def _receive_mdl(page: Any, stack: Stack) -> None:
    receive_with_pin(page, stack, "TH", SOMCHAI, MDL)
    expect(page.get_by_test_id("credential-card")).to_have_attribute("data-vct", MDL)


def _receive_mdl_at_the_desk(page: Any, stack: Stack, shot: Any) -> None:
    """Persona picker (Somchai as a driver) -> demo issuance desk -> offer -> PIN -> mDL card."""
    page.goto(f"{stack.wallet}/personas")
    driver = page.get_by_role("button", name="Play the driver Somchai Jaidee")
    expect(driver.locator("xpath=..")).to_contain_text("Driver licensed in Thailand")
    driver.click()
    expect(page.get_by_text("Ask your national issuer for your mobile driving licence (mDL):")).to_be_visible()
    page.get_by_role("button", name="Get it with a PIN (pre-authorized)").click()
    pin = page.locator(".sms").inner_text().rsplit(" ", 1)[-1]
    page.get_by_test_id("open-offer").click()
    expect(page.get_by_test_id("offer")).to_contain_text("Thailand")
    shot(page, "mdl-0-offer")
    page.fill("#pin", pin)
    page.get_by_role("button", name="Receive credential").click()
    page.get_by_test_id("received").wait_for()
    expect(page.get_by_test_id("credential-card")).to_have_attribute("data-vct", MDL)


def _consent(page: Any, stack: Stack, rental: Any) -> None:
    link = start_rp(rental, stack, "my-car-rental")
    open_request(page, stack, link)
    expect(page.get_by_test_id("verifier-name")).to_contain_text("Kereta Sewa Contoh")
    expect(page.get_by_test_id("rp-country")).to_contain_text("Malaysia")
    expect(page.get_by_test_id("registered")).to_be_visible()
    expect(page.get_by_test_id("beyond")).to_have_count(0)  # it asks what its policy registered


def test_thai_mdl_at_a_malaysian_car_rental(stack: Stack, context: Any, page: Any, shot: Any) -> None:
    _receive_mdl_at_the_desk(page, stack, shot)
    expect(page.get_by_test_id("credential-card")).to_contain_text("Thailand")
    expect(page.get_by_test_id("registry").first).to_contain_text("Listed in the ASEAN trust registry")
    # the MSO's status reference, read from the issuer's list (signed by its SD-JWT document signer)
    expect(page.get_by_test_id("status").first).to_have_text("Valid")
    # the twin: the same list is not believed for an mdoc of an issuer its signer does not speak for
    assert page.evaluate(_STATUS, "https://issuer.example/unlisted") == ["valid", "unknown"]
    card = page.locator("dl.claims")
    expect(card.locator(f"[data-claim='{NS}.given_name']")).to_have_text("Somchai")
    expect(card.locator(f"[data-claim='{NS}.age_over_18']")).to_have_text("Yes")
    privileges = card.locator(f"[data-claim='{NS}.driving_privileges']")
    expect(privileges).to_contain_text("Vehicle category code: B")
    expect(privileges).to_contain_text("20 August 2029")  # a full-date (tag 1004) read as a date
    expect(page.locator("dl.claims dt", has_text="Driving privileges")).to_have_count(1)  # the issuer's label
    expect(page.locator("dl.claims span[lang=th]").first).to_be_visible()  # and the Thai one beside it
    assert_no_stray_text(page)
    shot(page, "mdl-1-card")

    rental = context.new_page()
    _consent(page, stack, rental)
    expect(rental.locator("h1")).to_contain_text("Kereta Sewa Contoh")
    values = page.get_by_test_id("claim-value")
    expect(values).to_have_count(2)  # exactly the requested elements
    expect(page.locator(f"[data-claim='{NS}.age_over_18']")).to_have_text("Yes")
    expect(page.locator(f"[data-claim='{NS}.driving_privileges']")).to_contain_text("Vehicle category code: A")
    shot(page, "mdl-2-consent")
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_test_id("sent")).to_be_visible()

    expect(rental.get_by_test_id("rp-status")).to_have_text("Verified", timeout=20_000)
    shown = rental.locator("dl.claims [data-claim]")
    claims = sorted(shown.evaluate_all("(els) => els.map((e) => e.dataset.claim)"))
    assert claims == [f"{NS}.age_over_18", f"{NS}.driving_privileges"]  # nothing else disclosed
    expect(rental.locator("[data-testid=verified-credential] h2")).to_have_text("Mobile driving licence")
    expect(rental.locator("dl.claims dt").first).to_have_text("Driving privileges")  # the issuer's label
    expect(rental.locator(f"[data-claim='{NS}.driving_privileges']")).to_contain_text("Vehicle category code: B")
    expect(rental.get_by_test_id("issuing-country")).to_contain_text("Thailand")
    assert_no_stray_text(rental)
    shot(rental, "mdl-3-verified")
    assert page.script_errors == []


def test_declined_mdl_request_shows_a_refusal(stack: Stack, context: Any, page: Any) -> None:
    _receive_mdl(page, stack)
    rental = context.new_page()
    _consent(page, stack, rental)
    page.get_by_role("button", name="Decline").click()
    expect(rental.get_by_test_id("rp-status")).to_contain_text("declined", timeout=20_000)
    expect(rental.get_by_test_id("verified-credential")).to_have_count(0)


def test_altered_mdl_is_refused_by_the_verifier_with_digest_mismatch(stack: Stack, context: Any, page: Any) -> None:
    _receive_mdl(page, stack)
    altered = [{"vehicle_category_code": "C", "issue_date": "2008-09-01", "expiry_date": "2029-08-20"}]
    assert page.evaluate(_TAMPER, {"element": "driving_privileges", "value": altered}) == 1
    rental = context.new_page()
    _consent(page, stack, rental)
    expect(page.locator(f"[data-claim='{NS}.driving_privileges']")).to_contain_text("Vehicle category code: C")
    page.get_by_role("button", name="Share").click()
    status = rental.get_by_test_id("rp-status")
    expect(status).to_have_attribute("data-reason", "digest_mismatch", timeout=20_000)
    expect(status).to_contain_text("does not match the issuer's signature")
    expect(rental.get_by_test_id("verified-credential")).to_have_count(0)


def test_mdl_whose_element_does_not_match_its_digest_is_refused_at_receipt(stack: Stack, page: Any) -> None:
    def altered(route: Any) -> None:
        answer = route.fetch()
        body = answer.json()
        credential = body["credentials"][0]
        credential["credential"] = alter_mdoc_element(credential["credential"], NS, "age_over_18", False)
        route.fulfill(response=answer, json=body)

    page.route(f"{stack.issuers['TH']}/**/credential", altered)
    offer = stack.offer("TH", SOMCHAI, MDL)
    page.goto(f"{stack.wallet}/receive?{urlencode({'offer': offer['offer_link_by_reference']})}")
    page.fill("#pin", offer["tx_code"])
    page.get_by_role("button", name="Receive credential").click()
    expect(page.get_by_role("alert")).to_contain_text("age_over_18 does not match its digest")
    expect(page.get_by_test_id("received")).to_have_count(0)
    # nothing kept: no credential, and the key made for it is gone too
    stored = page.evaluate(
        """async () => { const s = await import("/static/js/store.js");
        return [(await s.all("credentials")).length, (await s.all("keys")).length]; }"""
    )
    assert stored == [0, 0]
    page.unroute(f"{stack.issuers['TH']}/**/credential")
    receive_with_pin(page, stack, "TH", SOMCHAI, MDL)  # the twin: the same offer path, unaltered, is stored
    expect(page.get_by_test_id("credential-card")).to_have_attribute("data-vct", MDL)
