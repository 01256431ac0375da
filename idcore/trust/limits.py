"""Field limits, per-country quotas and country binding of trust list entries (issue #12, class 2).

Why: the list is one signed document shared by eleven member states, and every verifier
refuses a list larger than :data:`~idcore.trust.signed.MAX_TRUST_LIST_BYTES` (2 MiB). Without
limits one national operator, acting within its own scope, could grow the list past that cap
and every verifier in the region would fail closed. So each field has a size limit that the
model enforces when parsing (registry and verifiers agree on it), and governance enforces
per-country quotas; together they bound the whole list (see ``worst-case size`` in the
registry README, and ``tests/security/test_registry_quota.py`` which fills every country to
its quota and measures the signed list).

Country binding (governance only; a verifier never refuses a signed list for it): an issuer
identifier must lie in its country's namespace (a host label or the first path segment is the
lower-case ISO 3166-1 alpha-2 code, e.g. ``https://pid.sg.example`` or
``https://issuers.example/sg/business``) and must not name another member state's code as a
host label (including the country-code TLD) or path segment; issuer names must not contain
another member state's listed name or its code as a separate upper-case word. An operator
therefore cannot create entries that look like another country's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from idcore.trust.vct import ASEAN_COUNTRIES

__all__ = [
    "MAX_ANCHORS_PER_COUNTRY",
    "MAX_ANCHOR_DER_BYTES",
    "MAX_HISTORY",
    "MAX_ID_CHARS",
    "MAX_ISSUERS_PER_COUNTRY",
    "MAX_NAME_BYTES",
    "MAX_NAME_LANGUAGES",
    "MAX_NOTE_CHARS",
    "MAX_VCTS_PER_ISSUER",
    "check_issuer_binding",
    "check_names_binding",
    "text_problem",
]

#: Issuers one member state may list (all statuses count: a withdrawn issuer stays listed).
MAX_ISSUERS_PER_COUNTRY = 10
#: National trust anchors per member state (two during a rotation, one spare).
MAX_ANCHORS_PER_COUNTRY = 3
#: DER size of one anchor certificate (an EC P-256/P-384 root is 400-800 bytes).
MAX_ANCHOR_DER_BYTES = 2048
#: Credential types (``vct`` values) one issuer may be authorised for.
MAX_VCTS_PER_ISSUER = 4
#: Status changes kept per issuer (suspend/reinstate cycles cannot grow the list for ever).
MAX_HISTORY = 16
#: Length of an issuer identifier or ``vct`` URL (ASCII).
MAX_ID_CHARS = 200
#: Languages per ``names`` map (English plus up to three local languages: Singapore has four).
MAX_NAME_LANGUAGES = 4
#: UTF-8 size of one name.
MAX_NAME_BYTES = 256
#: Characters of a free-text governance note written to the audit log.
MAX_NOTE_CHARS = 500

# Format characters some scripts need inside words (Khmer, Lao, Burmese, Thai use U+200B as a
# word break); every other format/control/private/unassigned code point is refused because it
# can hide or reorder what a reader sees (bidi overrides) or break JSON/UTF-8 round trips.
_ALLOWED_FORMAT = frozenset({"\u200b", "\u200c", "\u200d"})
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_ISSUER_ID = re.compile(r"^https?://[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::[0-9]{1,5})?(?:/[a-z0-9._~-]+)*$")


def text_problem(value: str, *, max_bytes: int, quotes: bool = False) -> str | None:
    """Why ``value`` is not acceptable display text, or ``None`` if it is.

    Refused: empty, over ``max_bytes`` of UTF-8, surrogates, control, bidi and other format
    characters (except zero-width space/joiners), and ``"``/``\\`` unless ``quotes`` (so a name
    is written into JSON byte for byte and its serialised size is its UTF-8 size).
    """
    if not value or value != value.strip():
        return "must be non-empty without leading or trailing spaces"
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        return "is not valid Unicode text"
    if size > max_bytes:
        return f"is longer than {max_bytes} bytes"
    for char in value:
        if unicodedata.category(char) in _REFUSED_CATEGORIES and char not in _ALLOWED_FORMAT:
            return f"contains the control or format character U+{ord(char):04X}"
        if not quotes and char in '"\\':
            return "contains a quote or backslash"
    return None


def _labels(issuer_id: str) -> tuple[list[str], list[str]]:
    parts = urlsplit(issuer_id)
    host = parts.hostname or ""
    return host.split("."), [s for s in parts.path.split("/") if s]


def _in_namespace(country: str, labels: list[str], segments: list[str]) -> bool:
    code = country.lower()
    if code in labels:
        return True
    first = segments[0] if segments else ""
    # "sg", "sg2", "sg-business" are Singapore's; "sgmy" is not (a letter follows the code).
    return first == code or (first.startswith(code) and not first[len(code)].isalpha())


def check_issuer_binding(issuer_id: str, country: str) -> str | None:
    """Why ``issuer_id`` may not be an issuer of ``country``, or ``None`` if it may."""
    if len(issuer_id) > MAX_ID_CHARS or not _ISSUER_ID.match(issuer_id):
        return "identifier must be a lower-case ASCII URL without query, fragment, '%' or trailing '/'"
    labels, segments = _labels(issuer_id)
    others = {c.lower() for c in ASEAN_COUNTRIES if c != country}
    claimed = sorted(others.intersection(labels) | others.intersection(segments))
    if claimed:
        return f"identifier names another member state's code {claimed[0].upper()!r}"
    if not _in_namespace(country, labels, segments):
        return f"identifier must lie in {country}'s namespace (host label or first path segment {country.lower()!r})"
    return None


def _fold(text: str) -> str:
    """Compatibility-normalised, case-folded letters and digits only: "Ｖｉｅｔ-Nam" -> "vietnam"."""
    return "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalnum())


def check_names_binding(
    names: Mapping[str, str], country: str, country_names: Mapping[str, Iterable[str]]
) -> str | None:
    """Why ``names`` may not name an issuer of ``country``, or ``None`` if they may.

    ``country_names`` maps each member state to its listed names (English and local). A name
    with another state's ISO code as a separate upper-case word (``"PID (MY)"``; ``ID`` excepted)
    or containing another state's name (compared after NFKC and case folding, on letters and digits
    only, so spacing, hyphens and zero-width characters do not hide it) is refused.
    """
    folded = [_fold(v) for v in names.values()]
    normalised = [unicodedata.normalize("NFKC", v) for v in names.values()]
    for other, other_names in country_names.items():
        if other == country:
            continue
        # "ID" is ordinary vocabulary ("National ID"), so Indonesia's code is matched by name only.
        code = re.compile(rf"(?<![A-Za-z]){other}(?![A-Za-z])")
        if other != "ID" and any(code.search(name) for name in normalised):
            return f"issuer names contain another member state's code {other!r}"
        for other_name in other_names:
            needle = _fold(other_name)
            if len(needle) >= 4 and any(needle in name for name in folded):
                return f"issuer names contain another member state's name {other_name!r} ({other})"
    return None
