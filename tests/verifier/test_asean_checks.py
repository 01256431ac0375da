"""ASEAN checks in the verifier pipeline: PID + mandate in one presentation, identifiers, partial-date ages.

A Vietnamese director signs in to the Thai procurement portal with a VN PID and a mandate from
the VN business registry (``supplier-mandate`` policy, DCQL ``credential_sets``). Each accepted
journey has refused twins: the mandate names another person, another business, comes from
another country's registry, or arrives without a PID.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from idcore.asean.mandate import pid_mandate_query
from idcore.errors import Reason
from idcore.jose import KeySigner
from idcore.ports import FixedClock
from idcore.sdjwt import HolderCredential
from idcore.trust.vct import VCT_BUSINESS_REGISTRATION, VCT_MANDATE, VCT_PID
from lintas.testing import UvicornServer, free_port
from tests.verifier.world import T0, World, new_key, status_app
from verifier.pipeline import Check, Expectation, Pipeline, Rejection
from verifier.policy import Policy, load_config, policy_from_request
from verifier.settings import DEFAULT_CONFIG
from verifier.status import HttpStatusFetcher, StatusChecker

AUD = "x509_hash:abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
NONCE = "n-asean-1"
HOLDER = KeySigner(new_key())

VN_PID = {
    "full_name": "Nguyễn Văn An",
    "full_name_latin": "Nguyễn Văn An",
    "name_order": "family_given",
    "birthdate": "1985-09-02",
    "nationality": "VN",
    "issuing_country": "VN",
    "national_id_type": "VN-CCCD",
    "national_id": "001085012345",
    "age_over_18": True,
}
MANDATE = {
    "person_full_name": "Nguyễn Văn An",
    "person_issuing_country": "VN",
    "person_national_id_type": "VN-CCCD",
    "person_national_id": "001085012345",
    "business_legal_name": "Song Hong Trading Joint Stock Company",
    "business_country": "VN",
    "business_registration_number": "0101234565",
    "role": "director",
    "scope": ["procurement", "contracts"],
}
BUSINESS = {
    "legal_name": "Song Hong Trading Joint Stock Company",
    "country": "VN",
    "registration_number": "0101234565",
    "registration_status": "active",
}


@pytest.fixture(scope="module")
def asean_world() -> Iterator[World]:
    """A world with a VN PID issuer and mandate-issuing business registries in VN and TH."""
    port = free_port()
    world = World(f"http://127.0.0.1:{port}")
    world.issuers["vn-pid"] = world._issuer("vn-pid", "VN", (VCT_PID,), "high")  # the VN root exists already
    for slug in ("vn-biz", "th-biz"):
        world.issuers[slug].vcts = (VCT_BUSINESS_REGISTRATION, VCT_MANDATE)
    world.status_lists["vn-pid"] = type(world.status_lists["vn-biz"])(2, 128)
    world.token = world.sign_list()
    with UvicornServer(status_app(world), port=port):
        yield world


@pytest.fixture(scope="module")
def pipeline(asean_world: World) -> Iterator[Pipeline]:
    clock = FixedClock(T0)
    with httpx.Client(timeout=2.0) as client:
        fetch = HttpStatusFetcher(timeout=2.0, max_bytes=100_000, client=client)
        yield Pipeline(
            trust=asean_world.trust_cache(clock).snapshot,
            status=StatusChecker(fetch, clock, max_cache=0),
            clock=clock,
            allow_insecure_loopback=True,
        )


def _present(world: World, slug: str, claims: dict[str, Any], vct: str) -> str:
    issued = world.issue(slug, claims, dict(HOLDER.public_jwk), vct=vct)
    held = HolderCredential.parse(issued)
    return held.present(held.select([[name] for name in claims]), signer=HOLDER, aud=AUD, nonce=NONCE, iat=T0)


def _supplier_policy() -> Policy:
    policy = load_config(DEFAULT_CONFIG).policies["supplier-mandate"]
    assert policy.query.credential_sets is not None  # the shipped policy is the credential_sets query
    return policy


def _verify(pipeline: Pipeline, vp_token: dict[str, list[str]], policy: Policy | None = None) -> list[Any]:
    policy = policy or _supplier_policy()
    return pipeline.verify(vp_token, Expectation(policy.query, policy, NONCE, AUD))


def _journey(
    world: World,
    *,
    pid: dict[str, Any] | None = None,
    mandate: dict[str, Any] | None = None,
    mandate_slug: str = "vn-biz",
    business: dict[str, Any] | None = None,
) -> dict[str, list[str]]:
    token = {
        "pid": [_present(world, "vn-pid", pid or VN_PID, VCT_PID)],
        "mandate": [_present(world, mandate_slug, mandate or MANDATE, VCT_MANDATE)],
    }
    if business is not None:
        token["business"] = [_present(world, "vn-biz", business, VCT_BUSINESS_REGISTRATION)]
    return token


def _refused(pipeline: Pipeline, vp_token: dict[str, list[str]], reason: Reason, policy: Policy | None = None) -> None:
    with pytest.raises(Rejection) as caught:
        _verify(pipeline, vp_token, policy)
    assert (caught.value.check, caught.value.reason) == (Check.POLICY, reason)


def test_shipped_query_matches_the_one_idcore_builds() -> None:
    assert _supplier_policy().dcql == pid_mandate_query(VCT_PID, VCT_MANDATE, VCT_BUSINESS_REGISTRATION)


def test_vietnamese_director_with_pid_and_mandate_is_accepted(pipeline: Pipeline, asean_world: World) -> None:
    checked = _verify(pipeline, _journey(asean_world))
    assert {c.vct for c in checked} == {VCT_PID, VCT_MANDATE}
    with_business = _verify(pipeline, _journey(asean_world, business=BUSINESS))
    assert {c.vct for c in with_business} == {VCT_PID, VCT_MANDATE, VCT_BUSINESS_REGISTRATION}


def test_mandate_naming_another_person_is_refused(pipeline: Pipeline, asean_world: World) -> None:
    other = {**MANDATE, "person_national_id": "001085099999"}
    _refused(pipeline, _journey(asean_world, mandate=other), Reason.MANDATE_MISMATCH)


def test_mandate_naming_another_business_is_refused(pipeline: Pipeline, asean_world: World) -> None:
    other_business = {**BUSINESS, "registration_number": "0100233488"}
    _refused(pipeline, _journey(asean_world, business=other_business), Reason.MANDATE_MISMATCH)


def test_mandate_from_another_countrys_registry_is_refused(pipeline: Pipeline, asean_world: World) -> None:
    _refused(pipeline, _journey(asean_world, mandate_slug="th-biz"), Reason.MANDATE_MISMATCH)


def test_mandate_without_a_pid_is_refused(pipeline: Pipeline, asean_world: World) -> None:
    policy = policy_from_request(
        {
            "credentials": [
                {"id": "mandate", "vct_values": [VCT_MANDATE], "claims": [["person_national_id"], ["business_country"]]}
            ]
        }
    )
    token = {"mandate": [_present(asean_world, "vn-biz", MANDATE, VCT_MANDATE)]}
    _refused(pipeline, token, Reason.MANDATE_MISMATCH, policy)


def test_pid_with_an_invalid_national_identifier_is_refused(pipeline: Pipeline, asean_world: World) -> None:
    bad = {**VN_PID, "national_id": "003085012345"}  # 003 is no province code
    _refused(
        pipeline,
        _journey(asean_world, pid=bad, mandate={**MANDATE, "person_national_id": "003085012345"}),
        Reason.INVALID_IDENTIFIER,
    )
    wrong_type = {**VN_PID, "national_id_type": "TH-ID"}
    _refused(
        pipeline,
        _journey(asean_world, pid=wrong_type, mandate={**MANDATE, "person_national_id_type": "TH-ID"}),
        Reason.INVALID_IDENTIFIER,
    )


def test_pid_whose_issuing_country_is_not_its_issuers_is_refused(pipeline: Pipeline, asean_world: World) -> None:
    # A VN issuer cannot vouch for a Lao person reference, so no Lao mandate can be matched to it.
    lao = {**VN_PID, "issuing_country": "LA", "national_id_type": "LA-NID", "national_id": "0987654"}
    mandate = {
        **MANDATE,
        "person_issuing_country": "LA",
        "person_national_id_type": "LA-NID",
        "person_national_id": "0987654",
    }
    _refused(pipeline, _journey(asean_world, pid=lao, mandate=mandate), Reason.INVALID_CLAIM)


def _age_policy() -> Policy:
    base = policy_from_request({"credentials": [{"id": "pid", "vct_values": [VCT_PID], "claims": [["birthdate"]]}]})
    return replace(base, require_true=("age_over_18",))


@pytest.mark.parametrize(
    ("birthdate", "accepted"),
    [
        ("2007", True),
        ("2008", False),
        ("2008-04", True),
        ("2008-05", False),
        ("2008-05-28", True),
        ("2008-05-29", False),
    ],
)
def test_age_from_a_partial_birthdate_is_judged_for_every_possible_day(
    pipeline: Pipeline, asean_world: World, birthdate: str, accepted: bool
) -> None:
    # T0 is 2026-05-28 (UTC): an 18th birthday must fall on or before that day for every reading.
    token = {"pid": [_present(asean_world, "vn-pid", {"birthdate": birthdate, "issuing_country": "VN"}, VCT_PID)]}
    if accepted:
        assert _verify(pipeline, token, _age_policy())
    else:
        _refused(pipeline, token, Reason.POLICY_NOT_MET, _age_policy())


def test_a_disclosed_false_age_claim_is_not_overruled_by_the_birthdate(pipeline: Pipeline, asean_world: World) -> None:
    claims = {"birthdate": "1990", "issuing_country": "VN", "age_over_18": False}
    token = {"pid": [_present(asean_world, "vn-pid", claims, VCT_PID)]}
    _refused(pipeline, token, Reason.POLICY_NOT_MET, _age_policy())
    token = {"pid": [_present(asean_world, "vn-pid", {**claims, "age_over_18": True}, VCT_PID)]}
    assert _verify(pipeline, token, _age_policy())
