"""Fixtures for the browser tests: the real stack on loopback and Debian's Chromium via Playwright.

One stack per session (:func:`tests.e2e.stack.start_stack`: registry, SG, VN, TH and MM issuers,
verifier, wallet demo, all in a temporary data directory); one fresh browser context per test
(its own IndexedDB, so every journey starts with an empty wallet) at a phone-sized viewport.
Screenshots go to ``test-artifacts/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.stack import Stack, start_stack

playwright_api = pytest.importorskip("playwright.sync_api")
# Assertions retry for up to 10 s: enough on a loaded 2-core machine, still quick to fail.
playwright_api.expect.set_options(timeout=10_000)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Registry, issuers, verifier and wallet on 127.0.0.1 free ports."""
    data = tmp_path_factory.mktemp("lintas-data")
    running = start_stack(data)
    yield running
    running.exits.close()
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Debian Chromium, per module: Playwright's sync API keeps an event loop marked as
    running on the main thread, which must be gone before other suites' asyncio tests run."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium not installed at /usr/bin/chromium")
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: object) -> Iterator[object]:
    """A fresh browser profile (empty IndexedDB) at 390×844."""
    ctx = browser.new_context(viewport=PHONE, locale="en-GB")  # type: ignore[attr-defined]
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: object) -> object:
    """A page that fails the test on any uncaught script error."""
    tab = context.new_page()  # type: ignore[attr-defined]
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.script_errors = errors
    return tab


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[object, str], None]:
    """``shot(page, name)`` saves a full-page screenshot under test-artifacts/screenshots/<test>/."""
    folder = SCREENSHOTS / request.node.name.replace("[", "_").replace("]", "")
    folder.mkdir(parents=True, exist_ok=True)

    def save(tab: object, name: str) -> None:
        tab.screenshot(path=str(folder / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]

    return save
