"""The wallet refuses requests that do not check out, and its holder keys cannot leave the page."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import open_request, receive_with_pin, start_rp
from tests.e2e.stack import Stack


def _flip_signature(jwt: str) -> str:
    header, payload, signature = jwt.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[10] ^= 0x01
    return f"{header}.{payload}.{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}"


def _swap_payload_claim(jwt: str) -> str:
    # Re-encode the payload with another purpose but keep the original signature.
    header, payload, signature = jwt.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["purpose"] = "Nothing to see here"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize("tamper", [_flip_signature, _swap_payload_claim])
def test_request_with_bad_signature_is_refused(stack: Stack, context: Any, page: Any, shot: Any, tamper: Any) -> None:
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    link = start_rp(context.new_page(), stack, "age-check")

    def serve_tampered(route: Any) -> None:
        original = route.fetch()
        route.fulfill(response=original, body=tamper(original.text()))

    page.route(f"{stack.verifier}/wallet/request/**", serve_tampered)
    open_request(page, stack, link)
    expect(page.get_by_test_id("error")).to_contain_text("Request refused: The signature does not verify")
    expect(page.get_by_test_id("request")).to_have_count(0)  # nothing of the request is shown
    shot(page, f"refused-{tamper.__name__}")
    page.goto(f"{stack.wallet}/history")
    expect(page.get_by_test_id("history")).to_contain_text("refused a request")


def test_untampered_request_is_shown(stack: Stack, context: Any, page: Any) -> None:
    """The twin: the same request served unmodified (through the same route hook) is accepted."""
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    link = start_rp(context.new_page(), stack, "age-check")
    page.route(f"{stack.verifier}/wallet/request/**", lambda route: route.fulfill(response=route.fetch()))
    open_request(page, stack, link)
    expect(page.get_by_test_id("purpose")).to_contain_text("18 or older")


def test_x509_san_dns_request_is_accepted(stack: Stack, page: Any) -> None:
    """The twin of the forged x509_san_dns link: a genuine x509_san_dns request is shown and answered."""
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    secret = json.loads((stack.data / "verifier" / "rp-clients.json").read_text())["age-check"]
    token = httpx.post(
        f"{stack.verifier}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("age-check", secret),
        timeout=10,
    ).json()["access_token"]
    body = {"policy": "age-check", "client_id_prefix": "x509_san_dns"}
    created = httpx.post(
        f"{stack.verifier}/v1/presentations", headers={"Authorization": f"Bearer {token}"}, json=body, timeout=10
    ).json()
    assert created["client_id"] == "x509_san_dns:localhost"
    open_request(page, stack, created["request_link"])
    expect(page.get_by_test_id("request")).to_contain_text("x509_san_dns:localhost")
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_test_id("sent")).to_be_visible()


def _other_hash(link: str) -> str:
    params = dict(parse_qsl(link.split("?", 1)[1]))
    digest = hashlib.sha256(b"another certificate").digest()
    params["client_id"] = "x509_hash:" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return "openid4vp://?" + urlencode(params)


def _san_dns(link: str) -> str:
    params = dict(parse_qsl(link.split("?", 1)[1]))
    params["client_id"] = "x509_san_dns:bank.example"
    return "openid4vp://?" + urlencode(params)


def _unsigned(link: str) -> str:
    return "openid4vp://?" + urlencode(
        {
            "client_id": "redirect_uri:http://127.0.0.1:9/cb",
            "response_uri": "http://127.0.0.1:9/cb",
            "dcql_query": "{}",
            "nonce": "n",
        }
    )


@pytest.mark.parametrize(
    ("forge", "message"),
    [
        (_other_hash, "client"),
        (_san_dns, "client"),
        (_unsigned, "not signed"),
    ],
)
def test_request_with_bad_client_id_is_refused(
    stack: Stack, context: Any, page: Any, shot: Any, forge: Any, message: str
) -> None:
    link = start_rp(context.new_page(), stack, "age-check")
    open_request(page, stack, forge(link))
    expect(page.get_by_test_id("error")).to_contain_text("Request refused")
    expect(page.get_by_test_id("error")).to_contain_text(message)
    shot(page, f"refused-{forge.__name__}")


_KEY_PROBE = """async () => {
  const db = await new Promise((ok, ko) => {
    const r = indexedDB.open("lintas-wallet");
    r.onsuccess = () => ok(r.result);
    r.onerror = ko;
  });
  const keys = await new Promise((ok) => {
    const r = db.transaction("keys").objectStore("keys").getAll();
    r.onsuccess = () => ok(r.result);
  });
  db.close();
  const out = [];
  for (const k of keys) {
    const tries = [];
    for (const format of ["pkcs8", "jwk"]) {
      try {
        await crypto.subtle.exportKey(format, k.privateKey);
        tries.push("exported");
      } catch (e) {
        tries.push(e.name);
      }
    }
    out.push({ extractable: k.privateKey.extractable, type: k.privateKey.type, usages: k.privateKey.usages, tries });
  }
  return out;
}"""

_CONTROL_PROBE = """async () => {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]);
  try {
    await crypto.subtle.exportKey("pkcs8", pair.privateKey);
    return { extractable: pair.privateKey.extractable, tries: ["exported"] };
  } catch (e) {
    return { extractable: pair.privateKey.extractable, tries: [e.name] };
  }
}"""


def test_holder_private_key_cannot_be_exported(stack: Stack, page: Any) -> None:
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    keys = page.evaluate(_KEY_PROBE)
    assert len(keys) == 1
    assert keys[0] == {"extractable": False, "type": "private", "usages": ["sign"], "tries": ["InvalidAccessError"] * 2}
    # The control: the same probe does export an extractable key, so it can tell the difference.
    control = page.evaluate(_CONTROL_PROBE)
    assert control == {"extractable": True, "tries": ["exported"]}


def test_delete_and_reset(stack: Stack, page: Any) -> None:
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    page.once("dialog", lambda d: d.dismiss())  # the twin: changing one's mind keeps everything
    page.get_by_role("button", name="Delete this credential").click()
    page.goto(f"{stack.wallet}/")
    expect(page.get_by_test_id("credential-card")).to_have_count(1)
    assert len(page.evaluate(_KEY_PROBE)) == 1
    page.get_by_test_id("credential-card").click()
    page.locator("[data-checked=true]").wait_for()
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Delete this credential").click()
    page.wait_for_url(f"{stack.wallet}/")
    expect(page.get_by_text("Your wallet is empty.")).to_be_visible()
    assert page.evaluate(_KEY_PROBE) == []  # the key went with the credential
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    page.goto(f"{stack.wallet}/history")
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Reset wallet").click()
    page.wait_for_url(f"{stack.wallet}/personas")
    page.goto(f"{stack.wallet}/")
    expect(page.get_by_text("Your wallet is empty.")).to_be_visible()


def test_script_redirect_from_a_verifier_is_not_followed(stack: Stack, context: Any, page: Any) -> None:
    """A response_uri answering ``redirect_uri: javascript:...`` is ignored (journey 2 is the http twin)."""
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    link = start_rp(context.new_page(), stack, "age-check")
    body = json.dumps({"redirect_uri": "javascript:document.title='pwned'"})
    page.route(
        f"{stack.verifier}/wallet/response",
        lambda route: route.fulfill(status=200, content_type="application/json", body=body),
    )
    open_request(page, stack, link)
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_test_id("sent")).to_be_visible()
    assert page.url.startswith(f"{stack.wallet}/present")
    assert page.title() != "pwned"


_SWAP_X5C = """async (x5c) => {
  const db = await new Promise((ok) => {
    const r = indexedDB.open("lintas-wallet");
    r.onsuccess = () => ok(r.result);
  });
  const all = await new Promise((ok) => {
    const r = db.transaction("credentials").objectStore("credentials").getAll();
    r.onsuccess = () => ok(r.result);
  });
  const record = { ...all[0], header: { ...all[0].header, x5c } };
  await new Promise((ok) => {
    const r = db.transaction("credentials", "readwrite").objectStore("credentials").put(record);
    r.onsuccess = ok;
  });
  db.close();
  return record.id;
}"""


def test_registry_badge_needs_the_certificate_under_the_national_root(stack: Stack, page: Any) -> None:
    """A credential whose certificate is another country's is not shown as listed, whatever its ``iss`` says."""
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    expect(page.get_by_test_id("registry").first).to_contain_text("Listed in the ASEAN trust registry")
    page.locator("[data-checked=true]").wait_for()  # the page has stored its registry check
    pem = (stack.data / "issuers" / "vn-pid" / "certificate.pem").read_text()
    foreign = "".join(line for line in pem.splitlines() if "CERTIFICATE" not in line)
    page.evaluate(_SWAP_X5C, [foreign])
    page.reload()
    expect(page.get_by_test_id("registry").last).to_contain_text("Not listed in the trust registry")
    expect(page.get_by_test_id("registry").last).to_contain_text("national root")
