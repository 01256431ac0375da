"""Demo data the wallet shows: personas (issuer seed subjects) and member states (registry seed).

Personas are the fictitious people and businesses of ``issuer/seed/subjects.json``; countries,
their names in English and the local language, come from the trust registry's governance seed.
Both are read as data, never imported as code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Persona", "load_countries", "load_personas"]

#: Shown first on the persona picker: a SG and a TH citizen, a VN business representative.
FEATURED = ("sg-tan-wei-ling", "th-somchai-jaidee", "vn-song-hong-trading")
PID_CONFIGURATION = "asean_pid_sd_jwt"
BUSINESS_CONFIGURATION = "asean_business_registration_sd_jwt"
MANDATE_CONFIGURATION = "asean_mandate_sd_jwt"
#: The ISO mDL (``mso_mdoc``), for persons whose register has a driving licence (issuer/types_mdoc.py).
MDL_CONFIGURATION = "org.iso.18013.5.1.mDL"
#: A driver persona's id: the person's id with this suffix (the desk issues to the person).
DRIVER_SUFFIX = ".mdl"


@dataclass(frozen=True, slots=True)
class Persona:
    """A demo identity the user can play."""

    id: str
    kind: str  # "citizen", "business", "mandate" or "driver"
    country: str
    name: str
    representative: str | None
    configuration_id: str
    #: The issuer's subject the desk asks an offer for, when it is not the persona's own id.
    subject_id: str | None = None

    @property
    def subject(self) -> str:
        """The issuer's subject id for this persona."""
        return self.subject_id or self.id

    def to_json(self) -> dict[str, Any]:
        """The browser's view."""
        return {
            "id": self.id,
            "kind": self.kind,
            "country": self.country,
            "name": self.name,
            "representative": self.representative,
            "configuration_id": self.configuration_id,
        }


def _representative(claims: dict[str, Any]) -> str | None:
    reps = claims.get("authorised_representatives") or []
    if not reps or not isinstance(reps[0], dict):
        return None
    return f"{reps[0].get('given_name', '')} {reps[0].get('family_name', '')}".strip() or None


def load_personas(path: Path) -> list[Persona]:
    """Every seeded person, business and mandate, and each licensed driver's mDL; featured ones first."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    personas = (
        [
            Persona(p["id"], "citizen", p["country"], p["display_name"], None, PID_CONFIGURATION)
            for p in doc.get("persons", [])
        ]
        + [
            Persona(
                b["id"],
                "business",
                b["country"],
                b["display_name"],
                _representative(b.get("claims", {})),
                BUSINESS_CONFIGURATION,
            )
            for b in doc.get("businesses", [])
        ]
        + [
            Persona(
                p["id"] + DRIVER_SUFFIX, "driver", p["country"], p["display_name"], None, MDL_CONFIGURATION, p["id"]
            )
            for p in doc.get("persons", [])
            if p.get("driving_licence")
        ]
        + [
            Persona(
                m["id"],
                "mandate",
                m["country"],
                m["display_name"],
                m["claims"].get("person_full_name"),
                MANDATE_CONFIGURATION,
            )
            for m in doc.get("mandates", [])
        ]
    )
    order = {pid: i for i, pid in enumerate(FEATURED)}
    return sorted(personas, key=lambda p: order.get(p.id, len(order)))


def load_countries(path: Path) -> dict[str, dict[str, str]]:
    """Country code -> names by locale (English first)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {c["code"]: dict(c["names"]) for c in doc.get("countries", [])}
