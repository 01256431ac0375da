"""The operator demo page in a real browser (Playwright, Debian's Chromium) against a real server.

The operator types the client secret, the page obtains a token and creates an offer; the QR code,
the same-device link and the PIN appear. Twin: a wrong secret shows a login failure and no offer.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from issuer.app import create_app
from issuer.clients import clients_file
from issuer.settings import IssuerSettings
from lintas.testing import UvicornServer, free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    settings = IssuerSettings(country="MY", public_url=f"http://127.0.0.1:{port}", data_dir=tmp_path, development=True)
    with UvicornServer(create_app(settings), port=port) as running:
        yield running.base_url, tmp_path


def test_operator_creates_an_offer_in_the_browser(browser: Browser, server: tuple[str, Path]) -> None:
    base, data_dir = server
    secret = json.loads(clients_file(data_dir, "MY").read_text())["operator"]["secret"]
    page = browser.new_page()
    page.goto(f"{base}/operator")
    page.select_option("#subject", label="Nur Aisyah binti Ahmad — ASEAN Person Identification")
    page.fill("#secret", secret)
    page.click("button[type=submit]")
    page.wait_for_selector("#tx-code")
    pin = page.text_content("#tx-code") or ""
    assert pin.startswith("PIN for the holder: ")
    assert pin.removeprefix("PIN for the holder: ").isdigit()
    link = page.get_attribute("#offer-link", "href") or ""
    assert link.startswith("openid-credential-offer://?credential_offer_uri=")
    assert page.locator("img[alt='QR code of the credential offer']").evaluate("img => img.naturalWidth") > 0
    offer_uri = httpx.URL(link).params["credential_offer_uri"]
    assert httpx.get(offer_uri).json()["credential_issuer"] == f"{base}/my"
    page.close()


def test_wrong_secret_creates_nothing(browser: Browser, server: tuple[str, Path]) -> None:
    base, _ = server
    page = browser.new_page()
    page.goto(f"{base}/operator")
    page.fill("#secret", "not-the-secret")
    page.click("button[type=submit]")
    page.wait_for_function("document.getElementById('result').textContent.includes('failed')")
    assert page.locator("#tx-code").count() == 0
    page.close()
