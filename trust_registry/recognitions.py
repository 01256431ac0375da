"""Governance of mutual-recognition decisions (issue #16 item 4), as pure functions.

A national operator of country A proposes "A recognises B's credential type T at assurance level
L for purposes P, from .. until" (:func:`propose`) and may withdraw it (:func:`withdraw`); the
registry publishes the result in the recognition list re-issued with every trust list and logs
each change (:mod:`trust_registry.ledger`). Like :mod:`trust_registry.changes`, each function
validates against the current state, returns the new decisions and writes nothing; a refusal
is a :class:`~trust_registry.changes.ChangeError` (problem+json, nothing written).

Rules beyond the model's (:class:`~idcore.trust.recognition.RecognitionDecision`):

* B must be another listed member state that lists at least one issuer of T (a mistyped type
  or country is refused rather than published as a decision that never matches);
* ``valid_from`` defaults to now and may not lie in the past (no backdated decisions);
* at most :data:`MAX_ACTIVE_PER_COUNTRY` decisions of A may be in force or pending; when A's
  entries reach the model's cap, the oldest withdrawn or expired ones leave the list (the
  audit log keeps them);
* a decision is withdrawn from now, once, by its own country only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from idcore.errors import TrustError
from idcore.trust.assurance import AssuranceDeclaration
from idcore.trust.model import TrustList
from idcore.trust.recognition import (
    MAX_DECISIONS_PER_COUNTRY,
    RecognitionDecision,
    decision_id,
)
from trust_registry.changes import ChangeError, update_issuer

__all__ = ["MAX_ACTIVE_PER_COUNTRY", "declare_assurance", "propose", "withdraw"]

#: Decisions in force or pending per recognising country; the rest of the model's cap holds history.
MAX_ACTIVE_PER_COUNTRY = MAX_DECISIONS_PER_COUNTRY // 2


def _live(decision: RecognitionDecision, now: int) -> bool:
    return decision.withdrawn_at is None and decision.valid_until > now


def _check_subject(trust_list: TrustList, country: str, recognised: object, vct: object) -> None:
    if recognised == country:
        raise ChangeError(400, "Invalid decision", "a country does not recognise its own credentials by decision")
    entry = trust_list.country(recognised) if isinstance(recognised, str) else None
    if entry is None:
        raise ChangeError(400, "Invalid decision", f"{recognised!r} is not a listed member state")
    if not any(vct in issuer.vcts for issuer in entry.issuers):
        raise ChangeError(400, "Invalid decision", f"{entry.code} lists no issuer of {vct!r}")


def _make_room(decisions: tuple[RecognitionDecision, ...], country: str, now: int) -> tuple[RecognitionDecision, ...]:
    """Drop ``country``'s oldest withdrawn or expired decisions until one more fits under the cap."""
    own = [d for d in decisions if d.recognising == country]
    if sum(_live(d, now) for d in own) >= MAX_ACTIVE_PER_COUNTRY:
        raise ChangeError(409, "Quota exceeded", f"{country} already has {MAX_ACTIVE_PER_COUNTRY} decisions in force")
    excess = len(own) + 1 - MAX_DECISIONS_PER_COUNTRY
    # Decisions are appended, so list order is age order; with fewer than half live, enough are stale.
    stale = [d.decision_id for d in own if not _live(d, now)][: max(excess, 0)]
    return tuple(d for d in decisions if d.decision_id not in stale)


def propose(
    decisions: tuple[RecognitionDecision, ...],
    trust_list: TrustList,
    country: str,
    body: Mapping[str, Any],
    now: int,
    sequence_number: int,
) -> tuple[tuple[RecognitionDecision, ...], RecognitionDecision]:
    """Add ``country``'s decision described by ``body``, published as change ``sequence_number``."""
    _check_subject(trust_list, country, body.get("recognised_country"), body.get("vct"))
    valid_from = body.get("valid_from")
    valid_from = now if valid_from is None else valid_from
    if isinstance(valid_from, int) and valid_from < now:
        raise ChangeError(400, "Invalid decision", "'valid_from' may not lie in the past")
    raw = {
        "id": decision_id(country, sequence_number),
        "recognising_country": country,
        "recognised_country": body.get("recognised_country"),
        "vct": body.get("vct"),
        "min_assurance": body.get("min_assurance"),
        "purposes": body.get("purposes"),
        "valid_from": valid_from,
        "valid_until": body.get("valid_until"),
        "decided_at": now,
    }
    try:
        decision = RecognitionDecision.from_json(raw)
    except TrustError as exc:
        raise ChangeError(400, "Invalid decision", exc.detail) from None
    return (*_make_room(decisions, country, now), decision), decision


def withdraw(
    decisions: tuple[RecognitionDecision, ...], country: str, identifier: str, now: int
) -> tuple[tuple[RecognitionDecision, ...], RecognitionDecision]:
    """Withdraw ``country``'s decision ``identifier`` from ``now``; 404 if it has none, 409 if done."""
    found = next((d for d in decisions if d.decision_id == identifier and d.recognising == country), None)
    if found is None:
        raise ChangeError(404, "Unknown decision", f"{country} has no recognition decision {identifier!r}")
    if found.withdrawn_at is not None:
        raise ChangeError(409, "Already withdrawn", f"{identifier} was withdrawn at {found.withdrawn_at}")
    withdrawn = replace(found, withdrawn_at=max(now, found.decided_at))
    return tuple(withdrawn if d is found else d for d in decisions), withdrawn


def declare_assurance(
    trust_list: TrustList,
    declarations: tuple[AssuranceDeclaration, ...],
    issuer_id: str,
    framework: str,
    national_level: str,
    *,
    development: bool,
) -> tuple[TrustList, tuple[AssuranceDeclaration, ...], AssuranceDeclaration]:
    """Record ``issuer_id``'s national level in ``framework`` (of its own country) and set its
    common ``assurance_level`` in the list to the mapped level, in one change (issue #16 item 5)."""
    issuer = trust_list.issuer(issuer_id)
    if issuer is None:
        raise ChangeError(404, "Unknown issuer", f"{issuer_id!r} is not in the list")
    raw = {"issuer": issuer_id, "framework": framework, "national_level": national_level}
    try:
        declaration = AssuranceDeclaration.from_json(raw, issuer.country)
        common = declaration.common
    except TrustError as exc:
        raise ChangeError(400, "Invalid declaration", exc.detail) from None
    if common != issuer.assurance_level:
        trust_list, _ = update_issuer(trust_list, issuer_id, {"assurance_level": common}, development=development)
    kept = tuple(d for d in declarations if d.issuer_id != issuer_id)
    return trust_list, (*kept, declaration), declaration
