"""Steps the browser journeys share, and decoding of what the wallet posted."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs, urlencode

import cbor2

from idcore.b64 import b64u_decode, b64u_encode
from idcore.mdoc.cbor import TAG_EMBEDDED, decode, encode
from tests.e2e.stack import Stack

PID = "asean_pid_sd_jwt"
BUSINESS = "asean_business_registration_sd_jwt"


def receive_with_pin(page: Any, stack: Stack, country: str, subject: str, configuration: str = PID) -> dict[str, Any]:
    """Open an operator-created offer at the wallet's link handler, enter the PIN, wait for the card."""
    offer = stack.offer(country, subject, configuration)
    page.goto(f"{stack.wallet}/receive?{urlencode({'offer': offer['offer_link_by_reference']})}")
    page.get_by_test_id("offer").wait_for()
    page.fill("#pin", offer["tx_code"])
    page.get_by_role("button", name="Receive credential").click()
    page.get_by_test_id("received").wait_for()
    return offer


def start_rp(page: Any, stack: Stack, slug: str) -> str:
    """Open a relying-party demo page, start a request, return its cross-device request link."""
    page.goto(f"{stack.wallet}/rp/{slug}")
    page.get_by_test_id("start").click()
    link = page.get_by_test_id("request-link")
    link.wait_for()
    return str(link.input_value())


def open_request(page: Any, stack: Stack, link: str) -> None:
    """Paste a request link into the wallet's present page."""
    page.goto(f"{stack.wallet}/present")
    page.fill("#request-link", link)
    page.get_by_role("button", name="Continue").click()


def answers_to_verifier(page: Any, stack: Stack) -> list[str]:
    """From now on, the bodies of the page's posts that answer a request (vp_token, response, error)."""
    seen: list[str] = []
    keys = ("vp_token=", "response=", "error=")

    def watch(request: Any) -> None:
        body = request.post_data or ""
        if request.method == "POST" and request.url.startswith(stack.verifier) and body.startswith(keys):
            seen.append(body)

    page.on("request", watch)
    return seen


def _b64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def disclosed_claims(presentation: str) -> set[str]:
    """Names of the claims (or array markers) an SD-JWT presentation discloses."""
    parts = presentation.split("~")
    disclosures = parts[1:-1]  # issuer JWT first, KB-JWT last
    names = set()
    for disclosure in disclosures:
        decoded = json.loads(_b64u(disclosure))
        names.add(decoded[1] if len(decoded) == 3 else "[]")
    return names


def posted_vp_token(post_data: str) -> dict[str, list[str]]:
    """The ``vp_token`` of a ``direct_post`` form body."""
    form = parse_qs(post_data, strict_parsing=True)
    token: dict[str, list[str]] = json.loads(form["vp_token"][0])
    return token


def kb_jwt_payload(presentation: str) -> dict[str, Any]:
    """The payload of the presentation's KB-JWT."""
    kb = presentation.split("~")[-1]
    payload: dict[str, Any] = json.loads(_b64u(kb.split(".")[1]))
    return payload


_STRAY = """() => [...document.querySelectorAll("body *")].flatMap((el) => [...el.childNodes])
  .filter((n) => n.nodeType === 3 && /^(null|undefined|NaN|\\[object Object\\])$/.test(n.textContent.trim())).length"""


def assert_no_stray_text(page: Any) -> None:
    """No ``null``/``undefined`` leaked into the page as text (a rendering bug users would see)."""
    assert page.evaluate(_STRAY) == 0


def alter_mdoc_element(raw: str, namespace: str, element: str, value: Any) -> str:
    """A base64url IssuerSigned with one element's value replaced; the signed MSO (its digests) untouched."""
    signed = decode(b64u_decode(raw), "IssuerSigned", max_bytes=1 << 20)
    items = signed["nameSpaces"][namespace]
    for i, tagged in enumerate(items):
        item = decode(tagged.value, "IssuerSignedItem", max_bytes=1 << 20)
        if item["elementIdentifier"] == element:
            item["elementValue"] = value
            items[i] = cbor2.CBORTag(TAG_EMBEDDED, encode(item))
    return b64u_encode(encode(signed))
