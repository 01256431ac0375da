"""A Myanmar citizen with one name passes a cross-border age check (issue #17, demo item 5).

Aung Kyaw (``mm-aung-kyaw``) is a mononym registered with a year-only birth date (1968): his
PID has a ``full_name`` in Myanmar script and its Latin transliteration, no given or family
name, and ``age_over_18`` true because every day of 1968 gives an adult. The age-check service
(``age-check`` policy: ``age_over_18`` only, required true) accepts him and learns nothing else.
The refused twin is Thiri (``mm-thiri``), a mononym minor registered as born in 2013: her
credential's ``age_over_18`` is false, and the same service refuses it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from playwright.sync_api import expect

from idcore.asean.dates import PartialDate, is_certainly_at_least
from tests.e2e.helpers import answers_to_verifier, assert_no_stray_text, open_request, receive_with_pin, start_rp
from tests.e2e.stack import Stack


def test_myanmar_mononym_passes_the_age_check(stack: Stack, context: Any, page: Any, shot: Any) -> None:
    receive_with_pin(page, stack, "MM", "mm-aung-kyaw")
    expect(page.get_by_test_id("credential-card")).to_contain_text("ASEAN Person Identification")
    expect(page.locator("[data-claim=full_name]")).to_have_text("အောင်ကျော်")
    expect(page.locator("[data-claim=full_name_latin]")).to_have_text("Aung Kyaw")
    expect(page.locator("[data-claim=given_name]")).to_have_count(0)
    expect(page.locator("[data-claim=family_name]")).to_have_count(0)
    expect(page.locator("[data-claim=birthdate]")).to_have_text("1968")
    shot(page, "1-mononym-pid")

    checker = context.new_page()
    open_request(page, stack, start_rp(checker, stack, "age-check"))
    answers = answers_to_verifier(page, stack)
    expect(page.get_by_test_id("purpose")).to_contain_text("18 or older")
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_test_id("sent")).to_be_visible()
    assert len(answers) == 1
    expect(checker.get_by_test_id("rp-status")).to_have_text("Verified", timeout=20_000)
    expect(checker.locator("[data-claim=age_over_18]")).to_have_text("Yes")
    expect(checker.get_by_test_id("issuing-country")).to_contain_text("Myanmar")
    for withheld in ("full_name", "full_name_latin", "birthdate", "national_id"):
        expect(checker.locator(f"[data-claim={withheld}]")).to_have_count(0)
    assert_no_stray_text(checker)
    shot(checker, "2-age-check-verified")
    assert page.script_errors == []


def test_myanmar_mononym_minor_is_refused_by_the_age_check(stack: Stack, context: Any, page: Any) -> None:
    today = datetime.now(UTC).date()
    # The twin needs a minor: Thiri (born 2013) is certainly 18 only from 31 December 2031.
    assert not is_certainly_at_least(PartialDate.parse("2013"), 18, today), "mm-thiri came of age: reseed her"
    receive_with_pin(page, stack, "MM", "mm-thiri")
    expect(page.locator("[data-claim=full_name]")).to_have_text("သီရိ")
    checker = context.new_page()
    open_request(page, stack, start_rp(checker, stack, "age-check"))
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_test_id("error")).to_contain_text("The verifier refused the presentation")
    expect(checker.get_by_test_id("rp-status")).to_contain_text(
        "the credential does not meet this service's policy", timeout=20_000
    )
    expect(checker.locator("[data-claim=age_over_18]")).to_have_count(0)
