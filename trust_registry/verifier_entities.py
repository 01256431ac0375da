"""Governance of the verifier entities a member state registers in the ASEAN federation (issue #16 item 2).

Pure functions over the recognition list's registrations (:mod:`idcore.trust.verifier_entities`),
raising :class:`~trust_registry.changes.ChangeError`; the ledger signs, numbers and audits the result
(:meth:`trust_registry.service.RegistryService.change_fabric`). Rules:

* register: an entity identifier (https URL; http on loopback only in development; not the
  registry's own federation paths) and 1 to 2 public EC P-256 keys (400 ``Invalid verifier
  entity`` otherwise). A new registration starts now; re-registering an active one replaces its
  keys (rollover); one this country withdrew is final (409 ``Withdrawn verifier entity``); at most
  :data:`~idcore.trust.verifier_entities.MAX_VERIFIER_ENTITIES_PER_COUNTRY` active (409 ``Quota
  exceeded``); beyond :data:`~idcore.trust.verifier_entities.MAX_WITHDRAWN_PER_COUNTRY` withdrawn
  ones, the oldest withdrawn is dropped from the list (the audit log keeps it);
* withdraw: the active registration ends now (404 if this country has none, 409 if withdrawn).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from idcore.errors import TrustError
from idcore.trust.model import TrustList
from idcore.trust.recognition import RecognitionList
from idcore.trust.verifier_entities import MAX_VERIFIER_ENTITIES_PER_COUNTRY, MAX_WITHDRAWN_PER_COUNTRY, VerifierEntity
from trust_registry.changes import ChangeError
from trust_registry.ledger import Change
from trust_registry.service import FabricBuild

__all__ = ["register_verifier_entity", "registration", "withdraw_verifier_entity"]

Registrations = tuple[VerifierEntity, ...]


def _parse(entity_id: str, country: str, keys: Sequence[Any], now: int, development: bool) -> VerifierEntity:
    try:
        entry = VerifierEntity.from_json({"entity_id": entity_id, "country": country, "keys": list(keys), "from": now})
    except TrustError as exc:
        raise ChangeError(400, "Invalid verifier entity", exc.detail) from None
    if entity_id.startswith("http://") and not development:
        raise ChangeError(400, "Invalid verifier entity", "the entity identifier must be an https URL")
    return entry


def register_verifier_entity(
    current: Registrations,
    country: str,
    entity_id: str,
    keys: Sequence[Any],
    now: int,
    *,
    registry_url: str,
    development: bool = False,
) -> tuple[Registrations, VerifierEntity]:
    """``country`` vouches for ``entity_id`` with ``keys`` from now (or its keys are replaced)."""
    entry = _parse(entity_id, country, keys, now, development)
    anchor = registry_url.rstrip("/")
    if entity_id.rstrip("/") == anchor or entity_id.startswith(anchor + "/federation"):
        raise ChangeError(400, "Invalid verifier entity", "the registry's own federation entities are not verifiers")
    earlier = next((e for e in current if e.country == country and e.entity_id == entity_id), None)
    if earlier is not None and earlier.until is not None:
        raise ChangeError(409, "Withdrawn verifier entity", f"{country} withdrew {entity_id}: a withdrawal is final")
    if earlier is not None:
        updated = replace(earlier, keys=entry.keys)  # a rollover keeps the registration's start
        return tuple(updated if e is earlier else e for e in current), updated
    mine = [e for e in current if e.country == country]
    if sum(1 for e in mine if e.until is None) >= MAX_VERIFIER_ENTITIES_PER_COUNTRY:
        raise ChangeError(
            409, "Quota exceeded", f"{country} has {MAX_VERIFIER_ENTITIES_PER_COUNTRY} active verifier entities"
        )
    return (*current, entry), entry


def registration(
    country: str, entity_id: str, keys: Sequence[Any], note: str, *, registry_url: str, development: bool
) -> FabricBuild:
    """The recognition-list change "``country`` registers ``entity_id`` with ``keys``" (audited with ``note``).

    What the governance route and the demo launcher hand to
    :meth:`~trust_registry.service.RegistryService.change_fabric`.
    """

    def build(trust_list: TrustList, current: RecognitionList, now: int, seq: int) -> tuple[Change, dict[str, Any]]:
        new, entry = register_verifier_entity(
            current.verifier_entities, country, entity_id, keys, now, registry_url=registry_url, development=development
        )
        payload = {"verifier_entity": entry.to_json(), "note": note}
        change = Change(trust_list, "register_verifier_entity", payload, verifier_entities=new)
        return change, {"verifier_entity": entry.to_json()}

    return build


def withdraw_verifier_entity(
    current: Registrations, country: str, entity_id: str, now: int
) -> tuple[Registrations, VerifierEntity]:
    """``country`` stops vouching for ``entity_id`` from now; the oldest withdrawn beyond the bound are dropped."""
    found = next((e for e in current if e.country == country and e.entity_id == entity_id), None)
    if found is None:
        raise ChangeError(404, "Unknown verifier entity", f"{country} has not registered {entity_id}")
    if found.until is not None:
        raise ChangeError(409, "Status conflict", "this verifier entity is withdrawn already")
    withdrawn = found.withdrawn(now)
    kept = [withdrawn if e is found else e for e in current]
    ours = sorted((e for e in kept if e.country == country and e.until is not None), key=lambda e: e.until or 0)
    dropped = {id(e) for e in ours[: max(0, len(ours) - MAX_WITHDRAWN_PER_COUNTRY)]}
    return tuple(e for e in kept if id(e) not in dropped), withdrawn
