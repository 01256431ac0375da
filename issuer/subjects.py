"""The demo's registered persons and businesses (``issuer/seed/subjects.json``) and their claims.

A national issuer asserts what its own registers hold; this file stands in for those registers.
Every subject is validated when the file is loaded (:mod:`idcore.asean`: names, partial birth
dates, the national identifier's format and check digit, business registration numbers and
LEI), so the issuer refuses to start rather than sign a malformed register entry. Derived claims
(``age_over_18``, ``age_over_21``, ``age_in_years``, ``national_id_masked``) are computed at
issuance time with the injected clock, conservatively for partial birth dates
(:func:`idcore.asean.pid.derived_claims`), so a credential never states an age that was not
certainly true when it was signed.

A person may also hold a driving licence (``driving_licence`` beside ``claims``: the licence
register's Latin-script names, document number, dates and ``driving_privileges``), the source of
the mDL; it is kept apart from ``claims`` so it never enters the PID.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from idcore.asean.errors import AseanDataError
from idcore.asean.mandate import check_business_claims, check_mandate_claims
from idcore.asean.pid import check_person_claims, derived_claims

__all__ = ["Subject", "SubjectRegistry", "credential_claims", "load_subjects"]

_FORMAT = "lintas-issuer-subjects/1"
_CHECKS = {"pid": check_person_claims, "business": check_business_claims, "mandate": check_mandate_claims}


@dataclass(frozen=True, slots=True)
class Subject:
    """A person ("pid"), a business ("business") or a person's mandate for a business ("mandate")."""

    id: str
    kind: str
    country: str
    login: str
    display_name: str
    claims: dict[str, Any]
    driving_licence: dict[str, Any] | None = None


class SubjectRegistry:
    """Subjects of one country, looked up by id."""

    def __init__(self, subjects: list[Subject]) -> None:
        self._by_id = {s.id: s for s in subjects}

    def get(self, subject_id: str, kind: str | None = None) -> Subject | None:
        """The subject with ``subject_id`` (and of ``kind`` if given), or ``None``."""
        subject = self._by_id.get(subject_id)
        return subject if subject is not None and (kind is None or subject.kind == kind) else None

    def of_kind(self, kind: str) -> list[Subject]:
        """All subjects of ``kind`` in seed order."""
        return [s for s in self._by_id.values() if s.kind == kind]


_LICENCE_TEXT = ("family_name", "given_name", "document_number", "issuing_authority")


def _iso_date(value: Any, name: str) -> date:
    if not isinstance(value, str):
        raise ValueError(f"driving_licence {name} must be a YYYY-MM-DD date")
    return date.fromisoformat(value)  # a ValueError names the bad date


def check_driving_licence(licence: Any) -> None:
    """Validate a register entry for the mDL: names and number as text, ISO dates, privileges."""
    if not isinstance(licence, dict):
        raise ValueError("driving_licence must be an object")
    for name in _LICENCE_TEXT:
        if not isinstance(licence.get(name), str) or not licence[name].strip():
            raise ValueError(f"driving_licence.{name} must be non-empty text")
    if _iso_date(licence.get("expiry_date"), "expiry_date") <= _iso_date(licence.get("issue_date"), "issue_date"):
        raise ValueError("driving_licence expiry_date must follow issue_date")
    privileges = licence.get("driving_privileges")
    if not isinstance(privileges, list) or not privileges:
        raise ValueError("driving_licence.driving_privileges must be a non-empty array")
    for privilege in privileges:
        code = privilege.get("vehicle_category_code") if isinstance(privilege, dict) else None
        if not isinstance(code, str) or not code:
            raise ValueError("each driving privilege needs a vehicle_category_code")
        for key in ("issue_date", "expiry_date"):
            if key in privilege:
                _iso_date(privilege[key], key)


def load_subjects(path: Path, country: str) -> SubjectRegistry:
    """Read the subjects of ``country`` from a ``lintas-issuer-subjects/1`` file."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
        raise ValueError(f"{path} is not a {_FORMAT} file")
    subjects = [
        Subject(
            str(e["id"]),
            kind,
            str(e["country"]),
            str(e["login"]),
            str(e["display_name"]),
            dict(e["claims"]),
            e.get("driving_licence"),
        )
        for kind, key in (("pid", "persons"), ("business", "businesses"), ("mandate", "mandates"))
        for e in doc.get(key, [])
        if e.get("country") == country
    ]
    for subject in subjects:
        try:
            _CHECKS[subject.kind](subject.claims)
            if subject.driving_licence is not None:
                check_driving_licence(subject.driving_licence)
        except (AseanDataError, ValueError) as exc:
            raise ValueError(f"{path}: subject {subject.id}: {exc}") from None
    return SubjectRegistry(subjects)


def credential_claims(subject: Subject, now: int) -> dict[str, Any]:
    """The claims to issue for ``subject`` at time ``now`` (derived age claims added for persons)."""
    claims: dict[str, Any] = json.loads(json.dumps(subject.claims))  # deep copy: issuance marks nested values
    if subject.kind == "pid":
        claims.update(derived_claims(claims, datetime.fromtimestamp(now, UTC).date()))
    return claims
