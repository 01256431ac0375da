"""WCAG 2.2 AA by measure (issue #19 item 7): axe-core (npm, pinned in wallet_demo's lock) finds no
violation on the wallet's and the relying party's main pages, in every one of the 12 languages, at the
phone viewport. axe runs in the page through Playwright (the page's CSP does not apply to it).
The twin shows the same check reports a page made inaccessible on purpose.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.e2e.helpers import receive_with_pin
from tests.e2e.stack import Stack

AXE = Path(__file__).resolve().parents[2] / "wallet_demo" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_RUN = """async (tags) => {
  const result = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
  return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe-core's browser build from the npm lock (installed by scripts/setup.sh)."""
    if not AXE.is_file():
        pytest.skip("axe-core not installed: run scripts/setup.sh")
    return AXE.read_text(encoding="utf-8")


def violations(page: Any, axe_source: str) -> list[str]:
    """axe's WCAG 2.2 A/AA violations on the page as shown now."""
    if not page.evaluate("() => typeof axe === 'object'"):
        page.evaluate(axe_source)
    found: list[str] = page.evaluate(_RUN, TAGS)
    return found


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A fresh phone-sized profile."""
    ctx = browser.new_context(viewport=PHONE, locale="en-GB")
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


def _settled(page: Any) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    expect(page.locator("main .progress")).to_have_count(0, timeout=15_000)


@pytest.mark.parametrize("lang", ["en", "ms", "id", "th", "vi", "fil", "km", "lo", "my", "tet", "ta", "zh"])
def test_main_pages_have_no_wcag_violations(stack: Stack, phone: Any, axe_source: str, lang: str, shot: Any) -> None:
    page = phone.new_page()
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    detail = urlsplit(page.url).path
    page.evaluate("(lang) => localStorage.setItem('lintas-language', lang)", lang)
    found: dict[str, list[str]] = {}
    for route in ("/", detail, "/receive", "/history", "/personas", "/settings", "/rp"):
        page.goto(f"{stack.wallet}{route}")
        _settled(page)
        assert page.evaluate("() => document.documentElement.lang") == lang
        found[route] = violations(page, axe_source)

    rp = phone.new_page()
    rp.goto(f"{stack.wallet}/rp/my-bank")
    rp.get_by_test_id("start").click()
    same_device = rp.get_by_test_id("same-device")
    expect(same_device).to_be_visible()
    found["/rp/my-bank (started)"] = violations(rp, axe_source)
    page.goto(f"{stack.wallet}{same_device.get_attribute('href')}")
    expect(page.get_by_test_id("request")).to_be_visible()
    found["/present (consent)"] = violations(page, axe_source)
    shot(page, f"consent-{lang}")
    page.locator("form[aria-labelledby=what] button[type=submit]").click()
    page.wait_for_url(f"{stack.wallet}/rp/my-bank*")  # same device: the verifier's redirect brings the result
    expect(page.get_by_test_id("verified-credential")).to_be_visible(timeout=20_000)
    found["/rp/my-bank (verified)"] = violations(page, axe_source)
    shot(page, f"verified-{lang}")
    assert {route: v for route, v in found.items() if v} == {}


def test_axe_reports_an_inaccessible_page(stack: Stack, phone: Any, axe_source: str) -> None:
    """The twin: an unlabelled field and unreadable text are reported."""
    page = phone.new_page()
    page.goto(f"{stack.wallet}/history")
    _settled(page)
    page.evaluate(
        """() => { const main = document.querySelector('main');
          main.append(document.createElement('input'));
          const p = document.createElement('p'); p.textContent = 'faint'; p.style.color = '#eeeeee';
          main.append(p); }"""
    )
    found = " ".join(violations(page, axe_source))
    assert "label" in found
    assert "color-contrast" in found
