"""Verifiers registered as OpenID Federation 1.0 leaf entities of a member state (issue #16 item 2).

A member state's operator registers the verifiers (relying-party back ends, OpenID4VP 1.0) it
vouches for: the verifier's *entity identifier* (its public https URL, where its entity
configuration is served, Section 9) and its *federation entity keys* (the ``jwks`` its
configuration is signed with, Section 3.1). The registry publishes every registration, signed,
in the recognition list beside each trust list, so it is in the audit log and every replica
serves the same; the member state's intermediate issues subordinate statements about the
entities registered under it and active now, binding those keys (Section 3.1, fetch endpoint
Section 8.1), and the anchor issues them the "registered relying party" trust mark
(:data:`~idcore.trust.federation_marks.REGISTERED_RELYING_PARTY`).

Each registration ``{"entity_id", "country", "keys", "from"}`` gains ``"until"`` when withdrawn:
active on ``[from, until)``, the history kept in the list the way relying-party CAs keep theirs
(:mod:`idcore.trust.rp_ca`). A withdrawal is final: that country cannot register the same entity
identifier again (a compromised or retired verifier does not come back silently; it registers
under a new identifier, which the audit log shows). Re-registering an active entity replaces its
keys (a key rollover: at most :data:`~idcore.trust.federation_keys.MAX_FEDERATION_KEYS` at once).
The same verifier may be registered by several member states (one registration each).

Bounds: :data:`MAX_VERIFIER_ENTITIES_PER_COUNTRY` active registrations and
:data:`MAX_WITHDRAWN_PER_COUNTRY` withdrawn ones kept per country (governance drops the oldest
withdrawn first; the audit log keeps all; an identifier dropped that way could be registered
again, and the audit log shows both),
entity identifiers of at most :data:`~idcore.trust.limits.MAX_ID_CHARS` characters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from idcore.errors import Reason, TrustError
from idcore.trust.federation_keys import parse_key_set
from idcore.trust.model import check_identifier
from idcore.trust.vct import ASEAN_COUNTRIES

__all__ = [
    "MAX_VERIFIER_ENTITIES_PER_COUNTRY",
    "MAX_WITHDRAWN_PER_COUNTRY",
    "VerifierEntity",
    "active_registrations",
    "parse_verifier_entities",
]

#: Active registrations per member state. With :data:`MAX_WITHDRAWN_PER_COUNTRY` withdrawn ones kept
#: beside them, the worst case (every state full, longest identifiers, two keys each) is about 0.2 MB
#: of the recognition list's 1 MiB, next to the decisions' own worst case of about 0.57 MB.
MAX_VERIFIER_ENTITIES_PER_COUNTRY = 16
#: Withdrawn registrations kept in the list per member state (the audit log keeps all of them).
MAX_WITHDRAWN_PER_COUNTRY = 8
_MAX_INT = 2**53
_MEMBERS = frozenset({"entity_id", "country", "keys", "from"})


def _invalid(detail: str) -> TrustError:
    return TrustError(Reason.TRUST_LIST_INVALID, detail)


def _time(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < _MAX_INT:
        raise _invalid(f"verifier entity {name!r} must be a non-negative integer below 2**53")
    return value


@dataclass(frozen=True, slots=True)
class VerifierEntity:
    """One member state's registration of one verifier entity."""

    entity_id: str
    country: str
    keys: tuple[Mapping[str, str], ...]
    since: int
    until: int | None = None

    def active_at(self, now: int) -> bool:
        """Whether the country vouches for the entity at ``now``."""
        return self.since <= now and (self.until is None or now < self.until)

    def withdrawn(self, at: int) -> VerifierEntity:
        """This registration, withdrawn from ``at`` (never before it began)."""
        return replace(self, until=max(at, self.since))

    def to_json(self) -> dict[str, Any]:
        """JSON form (an entry of the recognition list's ``verifier_entities``)."""
        value: dict[str, Any] = {
            "entity_id": self.entity_id,
            "country": self.country,
            "keys": [dict(k) for k in self.keys],
            "from": self.since,
        }
        if self.until is not None:
            value["until"] = self.until
        return value

    @classmethod
    def from_json(cls, value: Any) -> VerifierEntity:
        """Parse and check one registration (its keys as :func:`.federation_keys.parse_key_set` admits them)."""
        if not isinstance(value, dict) or not _MEMBERS <= set(value) <= _MEMBERS | {"until"}:
            raise _invalid("a verifier entity is {entity_id, country, keys, from[, until]}")
        entity_id = check_identifier(value["entity_id"], allow_loopback_http=True)
        country = value["country"]
        if country not in ASEAN_COUNTRIES:
            raise _invalid(f"{entity_id}: {country!r} is not an ASEAN member state")
        keys = parse_key_set(value["keys"], entity_id)
        since = _time(value["from"], "from")
        until = _time(value["until"], "until") if "until" in value else None
        if until is not None and until < since:
            raise _invalid(f"{entity_id}: withdrawn before it was registered")
        return cls(entity_id, str(country), keys, since, until)


def parse_verifier_entities(raw: Any) -> tuple[VerifierEntity, ...]:
    """The recognition list's ``verifier_entities``: one registration per (country, entity), bounded."""
    per_country = MAX_VERIFIER_ENTITIES_PER_COUNTRY + MAX_WITHDRAWN_PER_COUNTRY
    if not isinstance(raw, list) or len(raw) > per_country * len(ASEAN_COUNTRIES):
        raise _invalid("'verifier_entities' must be an array within the per-country bounds")
    entries = tuple(VerifierEntity.from_json(item) for item in raw)
    if len({(e.country, e.entity_id) for e in entries}) != len(entries):
        raise _invalid("a member state registers a verifier entity twice")
    for country in {e.country for e in entries}:
        mine = [e for e in entries if e.country == country]
        active = sum(1 for e in mine if e.until is None)
        if active > MAX_VERIFIER_ENTITIES_PER_COUNTRY or len(mine) - active > MAX_WITHDRAWN_PER_COUNTRY:
            raise _invalid(f"{country} registers more verifier entities than the per-country bounds")
    return entries


def active_registrations(entries: Iterable[VerifierEntity], entity_id: str, now: int) -> list[VerifierEntity]:
    """The registrations of ``entity_id`` in force at ``now`` (by any member state)."""
    return [e for e in entries if e.entity_id == entity_id and e.active_at(now)]
