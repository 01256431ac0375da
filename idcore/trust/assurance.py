"""Assurance mapping (issue #16 item 5): national levels of assurance onto one regional scale.

Each member state names the assurance of its identity credentials in its own framework (Thailand's
ETDA/DGA identity assurance levels, Viet Nam's level-1/level-2 electronic identification
accounts, ...). Relying parties and recognition decisions (:mod:`idcore.trust.recognition`)
compare levels on one *common scale*: ``low`` / ``substantial`` / ``high``, the eIDAS levels
of Regulation (EU) No 910/2014 Article 8 as specified by Commission Implementing Regulation
(EU) 2015/1502 (identity proofing, authentication means and management each graded low /
substantial / high; ISO/IEC 29115 levels 2-4 read the same way). ASEAN has no regional scale
of its own, so the mapping is the scheme's: every row says what it rests on and whether it is an
*assumption* (no official crosswalk published by the member state) — see the README table.

An issuer *declares* its national level in a framework (:class:`AssuranceDeclaration`); the
registry publishes the declaration, signed, in the recognition list and keeps the issuer's
``assurance_level`` in the trust list equal to the declaration's common level. Unknown
frameworks or levels are refused (``trust_list_invalid``): a level nobody can map is no level.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from idcore.errors import Reason, TrustError
from idcore.trust.vct import ASEAN_COUNTRIES, ASSURANCE_LEVELS

__all__ = [
    "COMMON_SCALE_SOURCE",
    "FRAMEWORKS",
    "AssuranceDeclaration",
    "LevelMapping",
    "NationalFramework",
    "at_least",
    "common_level",
]

#: The definition of the common scale.
COMMON_SCALE_SOURCE = (
    "Commission Implementing Regulation (EU) 2015/1502, Annex (levels of assurance low, substantial, high "
    "under Regulation (EU) No 910/2014 Article 8)"
)


@dataclass(frozen=True, slots=True)
class LevelMapping:
    """One national level and the common level it maps to, with what the mapping rests on."""

    national: str
    common: str
    assumption: bool
    basis: str


@dataclass(frozen=True, slots=True)
class NationalFramework:
    """A member state's assurance framework: its source document and its levels' mapping."""

    framework_id: str
    country: str
    title: str
    source: str
    levels: tuple[LevelMapping, ...]

    def level(self, national: str) -> LevelMapping | None:
        """The mapping of one national level, if the framework defines it."""
        return next((m for m in self.levels if m.national == national), None)


def _declared(country: str) -> NationalFramework:
    """A placeholder for a state whose national framework is not recorded here yet.

    The operator declares the common level directly; every row is an assumption until the
    state's own framework and crosswalk are added.
    """
    basis = "no national framework recorded in the scheme: the national operator declares the common level"
    return NationalFramework(
        f"{country.lower()}-declared",
        country,
        f"{country}: level declared on the common scale by the national operator",
        "none recorded (assumption)",
        tuple(LevelMapping(level, level, True, basis) for level in ASSURANCE_LEVELS),
    )


_TH = NationalFramework(
    "th-etda-ial",
    "TH",
    "Thailand: identity assurance levels (IAL) of the ETDA digital identity guideline",
    "ETDA Recommendation on ICT Standard for Electronic Transactions, Digital Identity Guideline for Thailand - "
    "Identity Proofing (ขมธอ. 19-2561), applied to government services by DGA standard DGS 1-1:2564 (มรด. 1-1:2564)",
    (
        LevelMapping("IAL1.1", "low", True, "self-asserted or remotely checked identity: eIDAS low proofing"),
        LevelMapping("IAL1.2", "low", True, "as IAL1.1"),
        LevelMapping("IAL1.3", "low", True, "as IAL1.1"),
        LevelMapping("IAL2.1", "substantial", True, "evidence verified against an authoritative source"),
        LevelMapping("IAL2.2", "substantial", True, "as IAL2.1"),
        LevelMapping("IAL2.3", "substantial", True, "as IAL2.1, with biometric comparison"),
        LevelMapping("IAL3", "high", True, "in-person proofing with the chip identity card: eIDAS high proofing"),
    ),
)

_VN = NationalFramework(
    "vn-decree-59-2022",
    "VN",
    "Viet Nam: levels of electronic identification accounts (VNeID)",
    "Decree No. 59/2022/ND-CP of 5 September 2022 on electronic identification and authentication, Article 12",
    (
        LevelMapping("level-1", "low", True, "personal data and a portrait photo registered through the app"),
        LevelMapping(
            "level-2", "high", True, "level 1 plus fingerprints, enrolled in person by the public security agency"
        ),
    ),
)

#: Frameworks by identifier: the documented ones, and a declared placeholder per state (for issuers they miss).
FRAMEWORKS: Mapping[str, NationalFramework] = {
    f.framework_id: f for f in (_TH, _VN, *(_declared(c) for c in sorted(ASEAN_COUNTRIES)))
}


def _invalid(detail: str) -> TrustError:
    return TrustError(Reason.TRUST_LIST_INVALID, detail)


def common_level(framework_id: str, national: str) -> str:
    """The common level of ``national`` in ``framework_id``; ``trust_list_invalid`` if either is unknown."""
    framework = FRAMEWORKS.get(framework_id)
    mapping = framework.level(national) if framework is not None else None
    if mapping is None:
        raise _invalid(f"no mapping for level {national!r} of framework {framework_id!r}")
    return mapping.common


def at_least(level: str, required: str) -> bool:
    """Whether common ``level`` meets ``required`` (an unknown level meets nothing)."""
    if level not in ASSURANCE_LEVELS or required not in ASSURANCE_LEVELS:
        return False
    return ASSURANCE_LEVELS.index(level) >= ASSURANCE_LEVELS.index(required)


@dataclass(frozen=True, slots=True)
class AssuranceDeclaration:
    """An issuer's declared national level of assurance, in a framework of its own country."""

    issuer_id: str
    framework_id: str
    national_level: str

    @property
    def common(self) -> str:
        """The declared level on the common scale."""
        return common_level(self.framework_id, self.national_level)

    @property
    def framework(self) -> NationalFramework:
        """The framework (checked to exist when the declaration was parsed)."""
        return FRAMEWORKS[self.framework_id]

    def to_json(self) -> dict[str, Any]:
        """JSON form, with the common level and the source spelled out for readers."""
        mapping = self.framework.level(self.national_level)
        return {
            "issuer": self.issuer_id,
            "framework": self.framework_id,
            "national_level": self.national_level,
            "common_level": self.common,
            "assumption": mapping.assumption if mapping is not None else True,
            "source": self.framework.source,
        }

    @classmethod
    def from_json(cls, value: Any, country: str | None = None) -> AssuranceDeclaration:
        """Parse and check: a known framework (of ``country`` when given) and level; the derived
        members, when present, must agree with the mapping (a list cannot restate it)."""
        if not isinstance(value, dict) or not isinstance(value.get("issuer"), str):
            raise _invalid("an assurance declaration must be an object naming its issuer")
        framework = FRAMEWORKS.get(str(value.get("framework")))
        if framework is None or (country is not None and framework.country != country):
            raise _invalid(f"{value['issuer']}: unknown framework {value.get('framework')!r} for its country")
        declaration = cls(value["issuer"], framework.framework_id, str(value.get("national_level")))
        common = declaration.common
        derived = declaration.to_json()
        for member in ("common_level", "assumption", "source"):
            if member in value and value[member] != derived[member]:
                raise _invalid(f"{value['issuer']}: {member!r} differs from the scheme's mapping ({common})")
        if not set(value) <= set(derived):
            raise _invalid(f"{value['issuer']}: unknown members in an assurance declaration")
        return declaration
