"""The operator demo page in a real browser (Playwright, Debian's Chromium) against a real server.

The operator types the client secret, the page obtains a token and creates an offer; the QR code,
the same-device link and the PIN appear. Twin: a wrong secret shows a login failure and no offer.

Playwright's sync API refuses to start in a thread whose event loop is running (a session-wide
browser fixture elsewhere in the suite leaves the main thread's loop running), so each browser
session here runs in its own thread.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright

from issuer.app import create_app
from issuer.operators import clients_file
from issuer.settings import IssuerSettings
from lintas.testing import UvicornServer, free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def in_browser(script: Callable[[Page], None]) -> None:
    """Run ``script`` on a fresh Chromium page in a thread of its own; re-raise its failure."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                try:
                    page = browser.new_page()
                    page.set_default_timeout(15_000)
                    script(page)
                finally:
                    browser.close()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, name="playwright")
    thread.start()
    thread.join(120)
    if errors:
        raise errors[0]
    assert not thread.is_alive(), "the browser session did not finish"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    settings = IssuerSettings(country="MY", public_url=f"http://127.0.0.1:{port}", data_dir=tmp_path, development=True)
    with UvicornServer(create_app(settings), port=port) as running:
        yield running.base_url, tmp_path


def test_operator_creates_an_offer_in_the_browser(server: tuple[str, Path]) -> None:
    base, data_dir = server
    secret = json.loads(clients_file(data_dir, "MY").read_text())["operator"]["secret"]
    seen: dict[str, str] = {}

    def script(page: Page) -> None:
        page.goto(f"{base}/operator")
        page.select_option("#subject", label="Nur Aisyah binti Ahmad — ASEAN Person Identification")
        page.fill("#secret", secret)
        page.click("button[type=submit]")
        page.wait_for_selector("#tx-code")
        seen["pin"] = page.text_content("#tx-code") or ""
        seen["link"] = page.get_attribute("#offer-link", "href") or ""
        qr = page.locator("img[alt='QR code of the credential offer']")
        seen["qr_width"] = str(qr.evaluate("img => img.complete ? img.naturalWidth : 0"))

    in_browser(script)
    assert seen["pin"].startswith("PIN for the holder: ")
    assert seen["pin"].removeprefix("PIN for the holder: ").isdigit()
    assert seen["link"].startswith("openid-credential-offer://?credential_offer_uri=")
    offer_uri = httpx.URL(seen["link"]).params["credential_offer_uri"]
    assert httpx.get(offer_uri).json()["credential_issuer"] == f"{base}/my"


def test_wrong_secret_creates_nothing(server: tuple[str, Path]) -> None:
    base, _ = server
    seen: dict[str, object] = {}

    def script(page: Page) -> None:
        page.goto(f"{base}/operator")
        page.fill("#secret", "not-the-secret")
        page.click("button[type=submit]")
        page.wait_for_function("document.getElementById('result').textContent.includes('failed')")
        seen["offers"] = page.locator("#tx-code").count()

    in_browser(script)
    assert seen["offers"] == 0
