"""The wallet's message catalogues (``wallet_demo/static/i18n/<lang>.json``, issue #19 item 2).

Every language has every key English has, no key English lacks, the same ``{placeholders}`` in
each message, and no empty message; every key the pages use (``t("...")``, ``tn("...")`` and
``data-i18n`` in the HTML, plus the families built at run time) is in English. Each check has a
twin showing it fails on a broken catalogue.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "wallet_demo" / "static"
LANGUAGES = ("en", "ms", "id", "th", "vi", "fil", "km", "lo", "my", "tet", "ta", "zh")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_LITERAL_KEY = re.compile(r"\btn?\(\s*\"([a-z_]+\.[A-Za-z0-9_.-]+)\"")
_HTML_KEY = re.compile(r"data-i18n(?:-label)?=\"([^\"]+)\"")
#: Keys the pages build at run time (`status.${known}` and the like), listed in full.
DYNAMIC = {
    "status": ("valid", "suspended", "revoked", "expiring", "expired", "unknown"),
    "persona.ask": ("citizen", "business", "mandate"),
    "share.blocked": ("revoked", "suspended", "expired"),
    "share.refuse": ("revoked", "suspended", "expired"),
    "rp.assurance": ("low", "substantial", "high"),
}
PLURALS = ("pin.wrong", "offer.pin_wrong", "offer.pin_left")
REASONS = re.compile(r"const REASONS = \[(.*?)\];", re.DOTALL)


def catalogue(lang: str) -> dict[str, str]:
    """One language's messages."""
    messages: dict[str, str] = json.loads((STATIC / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
    return messages


def used_keys() -> set[str]:
    """Every message key the wallet and relying-party pages ask for."""
    keys: set[str] = set()
    for source in [*STATIC.glob("js/*.js"), STATIC / "rp.js"]:
        keys |= set(_LITERAL_KEY.findall(source.read_text(encoding="utf-8")))
    for page in STATIC.glob("*.html"):
        keys |= set(_HTML_KEY.findall(page.read_text(encoding="utf-8")))
    for prefix, names in DYNAMIC.items():
        sep = "." if prefix == "status" else "_"
        keys |= {f"{prefix}{sep}{n}" for n in names}
    found = REASONS.search((STATIC / "rp.js").read_text(encoding="utf-8"))
    assert found is not None
    keys |= {f"reason.{r}" for r in re.findall(r"\"(\w+)\"", found.group(1))}
    keys |= {f"{p}.{form}" for p in PLURALS for form in ("one", "other")}
    return keys - set(PLURALS)


def problems(english: dict[str, str], other: dict[str, str]) -> list[str]:
    """What is wrong with ``other`` against English: missing/extra keys, placeholders, empty text."""
    found = [f"missing {k}" for k in english if k not in other]
    found += [f"extra {k}" for k in other if k not in english]
    for key, text in other.items():
        if not isinstance(text, str) or not text.strip():
            found.append(f"empty {key}")
        elif key in english and set(_PLACEHOLDER.findall(text)) != set(_PLACEHOLDER.findall(english[key])):
            found.append(f"placeholders of {key}")
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_has_every_key(lang: str) -> None:
    assert problems(catalogue("en"), catalogue(lang)) == []


def test_every_key_the_pages_use_is_in_english() -> None:
    keys = used_keys()
    assert len(keys) > 150  # the scan found the pages' keys, not nothing
    assert sorted(keys - set(catalogue("en"))) == []


def test_switcher_lists_exactly_the_catalogues() -> None:
    source = (STATIC / "js" / "i18n.js").read_text(encoding="utf-8")
    listed = re.search(r"export const LANGUAGES = \[(.*?)\];", source)
    assert listed is not None
    assert tuple(re.findall(r"\"(\w+)\"", listed.group(1))) == LANGUAGES
    assert sorted(p.stem for p in (STATIC / "i18n").glob("*.json")) == sorted(LANGUAGES)


def test_broken_catalogues_are_caught() -> None:
    """The twins: a missing key, an extra key, a lost placeholder and an empty message all show."""
    english = catalogue("en")
    broken = dict(catalogue("th"))
    broken.pop("share.share")
    broken["share.bogus"] = "x"
    broken["persona.play"] = "เล่น"  # {name} lost
    broken["nav.history"] = " "
    assert sorted(problems(english, broken)) == [
        "empty nav.history",
        "extra share.bogus",
        "missing share.share",
        "placeholders of persona.play",
    ]
    assert "share.share" in used_keys()
