"""A Malaysian bank accepts a Vietnamese PID because Malaysia recognises it for KYC (issue #16 item 4).

Real sockets, real Redis, the scripted wallet. The bank's policy judges foreign credentials by its
country's signed recognition decisions (``"recognition": {"purpose": "kyc"}``), fetched through the
verifier's pinned recognition cache; the result names the decision that applied. Twins: after the
decision is withdrawn, for another purpose, below its level, with no decisions at all, and a list
signed by another key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from idcore.errors import Reason
from idcore.jose import KeySigner
from idcore.ports import FixedClock
from idcore.trust import TrustListPin, certificate_sha256_hex
from idcore.trust.asean_list import AseanTrustList
from idcore.trust.combined import CombinedTrust
from idcore.trust.recognition import RecognitionList, decision_id, sign_recognition_list
from idcore.trust.recognition_cache import RecognitionCache
from idcore.trust.vct import VCT_PID
from lintas.testing import RedisServer
from tests.verifier.conftest import RunningVerifier, start_verifier
from tests.verifier.wallet_client import ScriptedWallet
from tests.verifier.world import PID_CLAIMS, T0, World, new_key
from verifier.pipeline import _list_sequence as list_sequence

VN_CLAIMS = {**PID_CLAIMS, "full_name": "Nguyen Thi Lan", "nationality": "VN", "document_number": "079190001234"}
DECISION = decision_id("MY", 8)


def _decision(purposes: list[str], level: str = "substantial", withdrawn_at: int | None = None) -> dict[str, Any]:
    decision: dict[str, Any] = {
        "id": DECISION,
        "recognising_country": "MY",
        "recognised_country": "VN",
        "vct": VCT_PID,
        "min_assurance": level,
        "purposes": purposes,
        "valid_from": T0 - 86400,
        "valid_until": T0 + 365 * 86400,
        "decided_at": T0 - 86400,
    }
    return decision if withdrawn_at is None else {**decision, "withdrawn_at": withdrawn_at}


@dataclass
class Registry:
    """What the registry publishes beside trust list 7: a signed recognition list, re-issued on change."""

    world: World
    token: str = ""
    sequence: int = 7

    def publish(self, *decisions: dict[str, Any], signer: KeySigner | None = None) -> None:
        self.sequence += 1
        recognitions = RecognitionList.from_json(
            {
                "format": "lintas-recognition-list/1",
                "iss": "https://registry.lintas.test",
                "iat": T0 - 60,
                "sequence_number": self.sequence,
                "next_update": T0 + 86400,
                "decisions": list(decisions),
            }
        )
        self.token = sign_recognition_list(
            recognitions, signer or KeySigner(self.world.registry_key), [self.world.registry_cert]
        )


@pytest.fixture(scope="module")
def registry(world: World) -> Registry:
    return Registry(world)


@pytest.fixture(scope="module")
def cache(registry: Registry, world: World, clock: FixedClock) -> RecognitionCache:
    pin = TrustListPin(certificate_sha256=certificate_sha256_hex(world.registry_cert))
    return RecognitionCache(fetch=lambda: registry.token, pin=pin, clock=clock)


@pytest.fixture(scope="module")
def bank(
    tmp_path_factory: pytest.TempPathFactory,
    world: World,
    clock: FixedClock,
    redis_server: RedisServer,
    cache: RecognitionCache,
) -> Iterator[RunningVerifier]:
    """A verifier whose Malaysian bank judges foreign PIDs by Malaysia's recognition decisions for KYC."""
    tmp = tmp_path_factory.mktemp("recognition")
    pid = {"id": "pid", "vct_values": [VCT_PID], "claims": [["full_name"], ["nationality"]]}
    config = {
        "policies": {
            "kyc": {"purpose": "Open an account", "credentials": [pid], "recognition": {"purpose": "kyc"}},
            "age": {"purpose": "Age check", "credentials": [pid], "recognition": {"purpose": "age_verification"}},
        },
        "relying_parties": {"my-bank": {"name": "Bank (MY)", "country": "MY", "policies": ["kyc", "age"]}},
    }
    (tmp / "config.json").write_text(json.dumps(config))
    yield from start_verifier(
        tmp, world, clock, redis_server.url, {"recognitions": cache.snapshot}, config_file=tmp / "config.json"
    )


def _present(bank: RunningVerifier, world: World, clock: FixedClock, policy: str, issuer: str) -> dict[str, Any]:
    wallet = ScriptedWallet(bank.http, bank_ca(bank), clock, KeySigner(new_key()))
    created = bank.create("my-bank", policy=policy)
    request = wallet.fetch(created["request_link"])
    claims = VN_CLAIMS if issuer.startswith("vn") else PID_CLAIMS
    credential = world.issue(issuer, claims, dict(wallet.holder.public_jwk), idx=1)
    wallet.post(request, wallet.response_form(request, {"pid": [wallet.present(request, credential)]}))
    return bank.status("my-bank", created["transaction_id"])


def bank_ca(bank: RunningVerifier) -> list[Any]:
    from idcore.x509 import certificate_from_pem

    return [certificate_from_pem(bank.http.get(f"{bank.url}/.well-known/lintas/rp-ca.pem").content)]


def test_a_vn_pid_is_accepted_for_kyc_while_my_recognises_it_and_refused_once_withdrawn(
    bank: RunningVerifier, world: World, clock: FixedClock, registry: Registry, cache: RecognitionCache
) -> None:
    registry.publish(_decision(["kyc"]))
    cache.refresh(force=True)
    result = _present(bank, world, clock, "kyc", "vn-pid")
    assert result["status"] == "verified", result
    (cred,) = result["credentials"]
    assert (cred["issuing_country"], cred["recognition_decision"]) == ("VN", DECISION)
    # Malaysia withdraws the decision; the registry re-issues the list and the verifier picks it up.
    registry.publish(_decision(["kyc"], withdrawn_at=T0 - 10))
    cache.refresh(force=True)
    result = _present(bank, world, clock, "kyc", "vn-pid")
    assert (result["status"], result["check"], result["reason"]) == ("rejected", "rp_policy", "recognition_withdrawn")


def test_recognition_is_per_purpose_and_level_and_domestic_needs_none(
    bank: RunningVerifier, world: World, clock: FixedClock, registry: Registry, cache: RecognitionCache
) -> None:
    registry.publish(_decision(["kyc"], level="high"))  # the VN PID issuer is at "substantial"
    cache.refresh(force=True)
    result = _present(bank, world, clock, "kyc", "vn-pid")
    assert (result["status"], result["reason"]) == ("rejected", "assurance_too_low")
    registry.publish(_decision(["kyc"]))
    cache.refresh(force=True)
    result = _present(bank, world, clock, "age", "vn-pid")  # recognised for KYC, not for age checks
    assert (result["status"], result["reason"]) == ("rejected", "not_recognised")
    result = _present(bank, world, clock, "kyc", "my-pid")  # Malaysia's own PID: domestic
    assert result["status"] == "verified", result
    assert "recognition_decision" not in result["credentials"][0]


def test_a_list_signed_by_another_key_is_refused_and_the_last_good_one_kept(
    registry: Registry, cache: RecognitionCache
) -> None:
    registry.publish(_decision(["kyc"]))
    cache.refresh(force=True)
    kept = cache.snapshot(7).sequence_number
    registry.publish(_decision(["kyc"], withdrawn_at=T0 - 10), signer=KeySigner(new_key()))
    assert cache.refresh(force=True) is False
    assert cache.snapshot(7).sequence_number == kept


def test_without_decisions_a_recognition_policy_recognises_nothing() -> None:
    from verifier.policy import PolicyViolation, VerifiedCredentialView, check_policy, policy_from_json

    pid = {"id": "pid", "vct_values": [VCT_PID], "claims": [["full_name"]]}
    policy = policy_from_json({"name": "kyc", "credentials": [pid], "recognition": {"purpose": "kyc"}})
    view = VerifiedCredentialView("pid", VCT_PID, "https://vn", "VN", "high", T0, {"full_name": "x"})
    with pytest.raises(PolicyViolation) as refused:
        check_policy(policy, [view], T0)  # no recognition context: the verifier has no decisions
    assert refused.value.reason is Reason.NOT_RECOGNISED
    plain = policy_from_json({"name": "plain", "credentials": [pid]})
    assert check_policy(plain, [view], T0) == [None]  # the twin: without "recognition", countries decide


def test_the_schema_offers_exactly_the_registry_purposes() -> None:
    from idcore.trust.recognition import PURPOSES
    from verifier.policy_schema import config_schema

    offered = config_schema()["$defs"]["RecognitionModel"]["properties"]["purpose"]["enum"]
    assert set(offered) == set(PURPOSES)


@pytest.mark.parametrize("bad", [{"purpose": "gambling"}, {"purpose": "kyc", "extra": 1}, "kyc", {}])
def test_a_policy_with_an_unknown_recognition_purpose_is_refused(bad: Any, tmp_path: Path) -> None:
    from verifier.policy import ConfigError, policy_from_json

    pid = {"id": "pid", "vct_values": [VCT_PID], "claims": [["full_name"]]}
    with pytest.raises(ConfigError):
        policy_from_json({"name": "kyc", "credentials": [pid], "recognition": bad})


class _NoOpinion:
    """A framework that never trusts (stands in for a federation with no chain)."""

    def judge(self, evidence: Any) -> Any:  # pragma: no cover - never asked here
        raise AssertionError("not asked")


def test_recognition_goes_with_the_list_judged_with_in_every_trust_mode(world: World, clock: FixedClock) -> None:
    """``list`` and ``both`` look decisions up beside the list's own sequence (a withdrawal published
    with a newer list is fetched at once); ``federation`` alone has no list and takes the newest."""
    listed = AseanTrustList(world.trust_cache(clock).snapshot())
    sequence = listed.snapshot.sequence_number
    assert sequence > 0
    assert list_sequence(listed) == sequence
    assert list_sequence(CombinedTrust([_NoOpinion(), listed])) == sequence
    assert list_sequence(CombinedTrust([_NoOpinion()])) == 0  # the twin: no list inside
