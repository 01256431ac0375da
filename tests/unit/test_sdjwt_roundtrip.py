"""Issue -> present -> verify round trips (hypothesis), and tamper-evidence of whole presentations."""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idcore.errors import IdcoreError
from idcore.sdjwt import SD, HolderCredential, issue_sd_jwt, mark_disclosable, verify_sd_jwt
from tests.unit.sdjwt_helpers import AUD, NONCE, NOW, Keys, options, random

KEYS = Keys.generate()
ISSUER_KEY = KEYS.issuer.private_key.public_key()

names = st.text(alphabet=string.ascii_letters + "_-äñ", min_size=1, max_size=8).filter(
    lambda n: n not in {"_sd", "...", "_sd_alg", "exp", "nbf", "iat", "cnf"}
)
leaves = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=12)


def maybe_sd(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(value, value.map(SD))


trees = st.recursive(
    leaves,
    lambda inner: st.lists(maybe_sd(inner), max_size=4) | st.dictionaries(names, maybe_sd(inner), max_size=4),
    max_leaves=20,
)
claim_sets = st.dictionaries(names, maybe_sd(trees), max_size=6)


def unwrap(value: Any) -> Any:
    if isinstance(value, SD):
        return unwrap(value.value)
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def issue(claims: dict[str, Any], decoys: tuple[int, int] = (0, 2)) -> str:
    body = {"cnf": {"jwk": dict(KEYS.holder.public_jwk)}, **claims}
    return issue_sd_jwt(body, KEYS.issuer, random=random(), header={"typ": "example+sd-jwt"}, decoys=decoys).serialize()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claim_sets)
def test_issue_present_all_verify_round_trips(claims: dict[str, Any]) -> None:
    holder = HolderCredential.parse(issue(claims))
    presentation = holder.present(holder.disclosures, signer=KEYS.holder, aud=AUD, nonce=NONCE, iat=NOW)
    verified = verify_sd_jwt(presentation, ISSUER_KEY, options())
    assert verified.payload == {"cnf": {"jwk": dict(KEYS.holder.public_jwk)}, **unwrap(claims)}


@settings(max_examples=100, deadline=None)
@given(claim_sets, st.data())
def test_presenting_a_subset_reveals_exactly_that_subset(claims: dict[str, Any], data: st.DataObject) -> None:
    holder = HolderCredential.parse(issue(claims))
    top_level = sorted(k for k, v in claims.items() if isinstance(v, SD))
    chosen = data.draw(st.lists(st.sampled_from(top_level), unique=True) if top_level else st.just([]))
    selection = holder.select([[name] for name in chosen])
    presentation = holder.present(selection, signer=KEYS.holder, aud=AUD, nonce=NONCE, iat=NOW)
    payload = verify_sd_jwt(presentation, ISSUER_KEY, options()).payload
    always = {k for k, v in claims.items() if not isinstance(v, SD)}
    assert set(payload) == {"cnf"} | always | set(chosen)
    for name in chosen:
        assert payload[name] == unwrap(claims[name])


PID_CLAIMS = mark_disclosable(
    {
        "given_name": "Siti",
        "family_name": "Rahman",
        "birthdate": "1990-04-01",
        "address": {"street_address": "1 Jalan Ampang", "locality": "Kuala Lumpur", "country": "MY"},
        "nationalities": ["MY", "SG"],
        "age_over_18": True,
    },
    [
        ["given_name"],
        ["family_name"],
        ["birthdate"],
        ["address"],
        ["address", "locality"],
        ["nationalities", None],
        ["age_over_18"],
    ],
)
PID_HOLDER = HolderCredential.parse(issue(PID_CLAIMS))
PRESENTATION = PID_HOLDER.present(PID_HOLDER.disclosures, signer=KEYS.holder, aud=AUD, nonce=NONCE, iat=NOW)
ALPHABET = string.ascii_letters + string.digits + "-_.~=+/ \n\x00é~ß中"


def test_the_untampered_presentation_verifies() -> None:
    payload = verify_sd_jwt(PRESENTATION, ISSUER_KEY, options()).payload
    assert payload["address"]["locality"] == "Kuala Lumpur"
    assert payload["nationalities"] == ["MY", "SG"]


@settings(max_examples=400, deadline=None)
@given(st.integers(0, len(PRESENTATION) - 1), st.sampled_from(ALPHABET))
def test_any_single_character_change_is_rejected(index: int, char: str) -> None:
    if PRESENTATION[index] == char:
        char = "A" if char != "A" else "B"
    tampered = PRESENTATION[:index] + char + PRESENTATION[index + 1 :]
    with pytest.raises(IdcoreError):
        verify_sd_jwt(tampered, ISSUER_KEY, options())


def test_every_position_of_the_kb_jwt_and_disclosures_is_covered() -> None:
    """Exhaustive over the tail (disclosures and KB-JWT), one substitution per position."""
    start = PRESENTATION.index("~")
    for index in range(start, len(PRESENTATION)):
        char = "A" if PRESENTATION[index] != "A" else "B"
        tampered = PRESENTATION[:index] + char + PRESENTATION[index + 1 :]
        with pytest.raises(IdcoreError):
            verify_sd_jwt(tampered, ISSUER_KEY, options())


def test_holder_refuses_foreign_disclosures() -> None:
    other = HolderCredential.parse(issue(PID_CLAIMS))
    with pytest.raises(IdcoreError) as info:
        PID_HOLDER.present(other.disclosures[:1])
    assert info.value.reason.value == "unreferenced_disclosure"


def test_mark_disclosable_nests_and_holder_selects_parents() -> None:
    holder = HolderCredential.parse(issue(PID_CLAIMS, decoys=(0, 0)))
    chosen = holder.select([["address", "locality"]])
    assert sorted(d.name or "" for d in chosen) == ["address", "locality"]
    everything = holder.select([["nationalities", None]])
    assert [d.value for d in everything] == ["MY", "SG"]
