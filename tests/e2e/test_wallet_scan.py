"""The wallet's QR scanner with a fake camera (issue #19 item 3, acceptance: "a scan journey").

Chromium plays a Y4M video as its camera (``--use-fake-device-for-media-stream`` with
``--use-file-for-fake-video-capture``): a frame showing the relying party's QR code, made at
test time with ``segno``. Headless Chromium on Linux has no BarcodeDetector, so this runs the
``jsqr`` path. The journey completes at the bank; the twin plays an empty frame, finds nothing,
and stops without contacting the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import segno
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.e2e.helpers import answers_to_verifier, receive_with_pin, start_rp
from tests.e2e.stack import Stack

WIDTH, HEIGHT = 640, 480


def write_y4m(path: Path, text: str | None) -> Path:
    """A short 4:2:0 Y4M video of ``text`` as a black-on-white QR code (or an empty white frame)."""
    luma = bytearray(b"\xeb" * (WIDTH * HEIGHT))  # video white
    if text is not None:
        rows = [list(row) for row in segno.make(text, error="m").matrix]
        scale = min(WIDTH, HEIGHT) // (len(rows) + 8)
        left, top = (WIDTH - scale * len(rows)) // 2, (HEIGHT - scale * len(rows)) // 2
        for y, row in enumerate(rows):
            for x, dark in enumerate(row):
                if dark:
                    for dy in range(scale):
                        start = (top + y * scale + dy) * WIDTH + left + x * scale
                        luma[start : start + scale] = b"\x10" * scale  # video black
    chroma = b"\x80" * (WIDTH * HEIGHT // 4)
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    path.write_bytes(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * 10)
    return path


@pytest.fixture
def camera_browser(browser: Any, tmp_path: Path) -> Iterator[Any]:
    """``launch(video_text)`` starts a Chromium whose camera shows ``video_text`` as a QR code
    (through the module's Playwright: one sync Playwright may run at a time)."""
    launched: list[Any] = []

    def launch(text: str | None) -> Any:
        video = write_y4m(tmp_path / f"camera-{len(launched)}.y4m", text)
        args = [
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ]
        camera = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=args)
        launched.append(camera)
        return camera

    yield launch
    for camera in launched:
        camera.close()


def _phone(browser: Any, stack: Stack) -> Any:
    ctx = browser.new_context(viewport=PHONE, locale="en-GB")
    ctx.grant_permissions(["camera"], origin=stack.wallet)
    ctx.set_default_timeout(20_000)
    return ctx.new_page()


def test_scan_journey_reads_the_qr_from_the_camera(stack: Stack, context: Any, camera_browser: Any, shot: Any) -> None:
    bank = context.new_page()
    link = start_rp(bank, stack, "my-bank")
    page = _phone(camera_browser(link), stack)
    receive_with_pin(page, stack, "SG", "sg-tan-wei-ling")
    page.goto(f"{stack.wallet}/present")
    page.get_by_test_id("scan").click()
    expect(page.get_by_test_id("request")).to_be_visible(timeout=30_000)
    expect(page.locator("#request-link")).to_have_value(link)
    expect(page.get_by_test_id("verifier-name")).to_contain_text("Bank Rakyat Contoh")
    shot(page, "scanned-consent")
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_test_id("sent")).to_be_visible()
    expect(bank.get_by_test_id("rp-status")).to_have_text("Verified", timeout=20_000)


def test_a_camera_without_a_code_reads_nothing(stack: Stack, camera_browser: Any) -> None:
    """The twin: an empty picture is never taken for a request; stopping ends the scan."""
    page = _phone(camera_browser(None), stack)
    sent = answers_to_verifier(page, stack)
    page.goto(f"{stack.wallet}/present")
    page.get_by_test_id("scan").click()
    expect(page.locator("video.scanner")).to_be_visible()
    page.wait_for_timeout(2_000)  # ten frames read and decoded: nothing found
    page.get_by_role("button", name="Stop scanning").click()
    expect(page.get_by_test_id("error")).to_contain_text("Scanning stopped")
    expect(page.get_by_test_id("request")).to_have_count(0)
    assert page.locator("#request-link").input_value() == ""
    assert sent == []
