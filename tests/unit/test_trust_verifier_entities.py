"""Verifier entity registrations as the recognition list carries them (idcore.trust.verifier_entities)."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.errors import Reason, TrustError
from idcore.jwk import jwk_thumbprint, public_jwk
from idcore.trust.limits import MAX_ID_CHARS
from idcore.trust.recognition import (
    MAX_DECLARATIONS,
    MAX_RECOGNITION_LIST_BYTES,
    RecognitionList,
    sign_recognition_list,
    verify_recognition_list,
)
from idcore.trust.vct import ASEAN_COUNTRIES
from idcore.trust.verifier_entities import (
    MAX_VERIFIER_ENTITIES_PER_COUNTRY,
    MAX_WITHDRAWN_PER_COUNTRY,
    VerifierEntity,
    active_registrations,
    parse_verifier_entities,
)
from trust_registry.changes import ChangeError
from trust_registry.verifier_entities import register_verifier_entity, withdraw_verifier_entity

from .test_trust_cache import new_registry
from .test_trust_recognition import doc, worst_case_decisions

LONGEST = "https://" + "v" * (MAX_ID_CHARS - len("https://"))

BANK = "https://verifier.bank.my.example"


def key() -> dict[str, str]:
    jwk = public_jwk(ec.generate_private_key(ec.SECP256R1()).public_key())
    return {**jwk, "kid": jwk_thumbprint(jwk)}


def entry(**change: Any) -> dict[str, Any]:
    return {"entity_id": BANK, "country": "MY", "keys": [key()], "from": 1000, **change}


def test_round_trip_and_activity_window() -> None:
    parsed = VerifierEntity.from_json(entry(until=2000))
    assert VerifierEntity.from_json(parsed.to_json()) == parsed
    assert [parsed.active_at(t) for t in (999, 1000, 1999, 2000)] == [False, True, True, False]
    assert active_registrations([parsed], BANK, 1500) == [parsed]
    assert active_registrations([parsed], BANK, 2000) == []
    assert active_registrations([parsed], BANK + "/x", 1500) == []


@pytest.mark.parametrize(
    "bad",
    [
        entry(country="XX"),
        entry(entity_id="http://verifier.example"),
        entry(entity_id="https://" + "a" * MAX_ID_CHARS),
        entry(keys=[]),
        entry(keys=[key(), key(), key()]),
        entry(until=999),
        entry(**{"from": -1}),
        entry(extra=True),
        {"entity_id": BANK, "country": "MY", "keys": [key()]},
    ],
)
def test_malformed_registrations_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(TrustError) as refused:
        VerifierEntity.from_json(bad)
    assert refused.value.reason is Reason.TRUST_LIST_INVALID


def test_duplicates_and_per_country_bounds() -> None:
    one = entry()
    with pytest.raises(TrustError):
        parse_verifier_entities([one, {**one, "keys": [key()]}])
    assert len(parse_verifier_entities([one, {**one, "country": "SG"}])) == 2  # each state registers for itself
    active = [entry(entity_id=f"{BANK}/{n}") for n in range(MAX_VERIFIER_ENTITIES_PER_COUNTRY)]
    withdrawn = [entry(entity_id=f"{BANK}/w{n}", until=1001) for n in range(MAX_WITHDRAWN_PER_COUNTRY)]
    assert len(parse_verifier_entities(active + withdrawn)) == len(active) + len(withdrawn)
    with pytest.raises(TrustError):
        parse_verifier_entities([*active, entry(entity_id=BANK + "/over")])
    with pytest.raises(TrustError):
        parse_verifier_entities([*withdrawn, entry(entity_id=BANK + "/over", until=1001)])


def _worst_registrations() -> list[dict[str, Any]]:
    """Every member state at both bounds, the longest identifiers, two keys each."""
    per_country = MAX_VERIFIER_ENTITIES_PER_COUNTRY + MAX_WITHDRAWN_PER_COUNTRY
    entries = []
    for cc in sorted(ASEAN_COUNTRIES):
        for n in range(per_country):
            item = entry(entity_id=LONGEST[:-4] + f"{n:04d}", country=cc, keys=[key(), key()], **{"from": 2**53 - 9})
            if n >= MAX_VERIFIER_ENTITIES_PER_COUNTRY:
                item["until"] = 2**53 - 1
            entries.append(item)
    return entries


def test_worst_case_recognition_list_stays_under_its_cap() -> None:
    """The decisions' own worst case (test_trust_recognition), plus every registration bound at its
    maximum and two federation keys for each of the 110 issuers the list may hold."""
    registry = new_registry()
    decisions = worst_case_decisions()
    keys = [{"issuer": LONGEST[:-4] + f"{n:04d}", "keys": [key(), key()]} for n in range(MAX_DECLARATIONS)]
    full = {**doc(*decisions), "verifier_entities": _worst_registrations(), "federation_keys": keys}
    token = sign_recognition_list(RecognitionList.from_json(full), registry.signer, [registry.cert])
    # Room left for the 110 assurance declarations (under 0.1 MB even with the longest issuer ids).
    assert len(token) < MAX_RECOGNITION_LIST_BYTES - 100 * 1024
    parsed = verify_recognition_list(token, registry.pin)
    assert len(parsed.verifier_entities) == len(full["verifier_entities"])


def test_lists_without_verifier_entities_keep_their_form() -> None:
    doc = {
        "format": "lintas-recognition-list/1",
        "iss": "https://registry.lintas.asean.example",
        "iat": 1,
        "sequence_number": 1,
        "next_update": 2,
        "decisions": [],
    }
    assert "verifier_entities" not in RecognitionList.from_json(doc).to_json()


def test_governance_keeps_the_newest_withdrawn_registrations_and_refuses_a_comeback() -> None:
    """Withdrawing beyond the kept bound drops the oldest withdrawn (the audit log keeps it); a
    withdrawn registration still listed cannot come back; re-registering an active one rolls keys."""
    current: tuple[VerifierEntity, ...] = ()
    own = "https://registry.example"
    for n in range(MAX_WITHDRAWN_PER_COUNTRY + 2):
        current, _ = register_verifier_entity(current, "MY", f"{BANK}/{n}", [key()], 1000 + n, registry_url=own)
        current, _ = withdraw_verifier_entity(current, "MY", f"{BANK}/{n}", 2000 + n)
    kept = sorted(int(e.entity_id.rsplit("/", 1)[1]) for e in current)
    assert kept == list(range(2, MAX_WITHDRAWN_PER_COUNTRY + 2))
    assert parse_verifier_entities([e.to_json() for e in current]) == current
    with pytest.raises(ChangeError) as final:
        register_verifier_entity(current, "MY", f"{BANK}/5", [key()], 3000, registry_url=own)
    assert final.value.status == 409
    current, first = register_verifier_entity(current, "SG", BANK, [key()], 3000, registry_url=own)
    rolled, second = register_verifier_entity(current, "SG", BANK, [key()], 3100, registry_url=own)
    assert (second.since, len(rolled)) == (first.since, len(current))
    assert second.keys != first.keys
    with pytest.raises(ChangeError) as loopback:
        register_verifier_entity(current, "SG", "http://127.0.0.1:9/v", [key()], 3000, registry_url=own)
    assert loopback.value.status == 400
    assert (
        register_verifier_entity(
            current, "SG", "http://127.0.0.1:9/v", [key()], 3000, registry_url=own, development=True
        )[1].entity_id
        == "http://127.0.0.1:9/v"
    )
