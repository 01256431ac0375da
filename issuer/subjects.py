"""The demo's registered persons and businesses (``issuer/seed/subjects.json``) and their claims.

A national issuer asserts what its own registers hold; this file stands in for those registers.
Derived claims (``age_over_18``, ``age_over_21``) are computed at issuance time from the birth date,
with the injected clock, so a credential never states an age that was not true when it was signed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

__all__ = ["Subject", "SubjectRegistry", "credential_claims", "load_subjects"]

_FORMAT = "lintas-issuer-subjects/1"


@dataclass(frozen=True, slots=True)
class Subject:
    """A person ("pid") or a business ("business") known to a national register."""

    id: str
    kind: str
    country: str
    login: str
    display_name: str
    claims: dict[str, Any]


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


def load_subjects(path: Path, country: str) -> SubjectRegistry:
    """Read the subjects of ``country`` from a ``lintas-issuer-subjects/1`` file."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
        raise ValueError(f"{path} is not a {_FORMAT} file")
    subjects = [
        Subject(str(e["id"]), kind, str(e["country"]), str(e["login"]), str(e["display_name"]), dict(e["claims"]))
        for kind, key in (("pid", "persons"), ("business", "businesses"))
        for e in doc.get(key, [])
        if e.get("country") == country
    ]
    return SubjectRegistry(subjects)


def _age_on(birthdate: str, today: date) -> int:
    born = date.fromisoformat(birthdate)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def credential_claims(subject: Subject, now: int) -> dict[str, Any]:
    """The claims to issue for ``subject`` at time ``now`` (derived age claims added for persons)."""
    claims: dict[str, Any] = json.loads(json.dumps(subject.claims))  # deep copy: issuance marks nested values
    if subject.kind == "pid":
        age = _age_on(str(claims["birthdate"]), datetime.fromtimestamp(now, UTC).date())
        claims["age_over_18"] = age >= 18
        claims["age_over_21"] = age >= 21
    return claims
