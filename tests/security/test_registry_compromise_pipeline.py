"""Issue #12 class 3 end to end: real SD-JWT VCs through the verifier pipeline.

Two issuers of the test world stop on the same day: one reports its key stolen (suspension,
``key_compromise``), the other retires in an orderly way (withdrawal, ``cessation_of_operation``).
The same credential, backdated to before that day, is refused under the compromised key with
``issuer_key_compromised`` and accepted under the retired one; issued after retirement it is
refused. Everything else about the presentations is valid.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from idcore.ports import FixedClock
from idcore.status_list import StatusList
from idcore.trust.vct import VCT_PID
from lintas.testing import UvicornServer, free_port
from tests.verifier.test_pipeline import AUD, HOLDER, NONCE, POLICIES, present
from tests.verifier.world import PID_CLAIMS, T0, World, status_app
from verifier.pipeline import Check, Expectation, Pipeline, Rejection
from verifier.status import HttpStatusFetcher, StatusChecker

DAY = 86400
STOPPED = T0 - DAY  # both issuers stop one day before "now"


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    port = free_port()
    test_world = World(f"http://127.0.0.1:{port}")
    granted = {"status": "granted", "since": T0 - 10 * DAY}
    for slug, change in (
        ("th-pid-stolen", {"status": "suspended", "since": STOPPED, "reason": "key_compromise"}),
        ("th-pid-retired", {"status": "withdrawn", "since": STOPPED, "reason": "cessation_of_operation"}),
    ):
        test_world.issuers[slug] = test_world._issuer(slug, "TH", (VCT_PID,), "high", history=[granted, change])
        test_world.status_lists[slug] = StatusList(2, 128)
    test_world.token = test_world.sign_list()
    with UvicornServer(status_app(test_world), port=port):
        yield test_world


@pytest.fixture(scope="module")
def pipeline(world: World) -> Iterator[Pipeline]:
    clock = FixedClock(T0)
    with httpx.Client(timeout=2.0) as client:
        fetch = HttpStatusFetcher(timeout=2.0, max_bytes=100_000, client=client)
        yield Pipeline(
            trust=world.trust_cache(clock).snapshot,
            status=StatusChecker(fetch, clock, max_cache=0),
            clock=clock,
            allow_insecure_loopback=True,
        )


def verify(pipeline: Pipeline, world: World, slug: str, iat: int) -> list[Any]:
    credential = world.issue(slug, dict(PID_CLAIMS), dict(HOLDER.public_jwk), iat=iat)
    policy = POLICIES["pid-onboarding"]
    return pipeline.verify({"pid": [present(credential)]}, Expectation(policy.query, policy, NONCE, AUD))


def test_backdated_credential_under_the_stolen_key_is_refused(pipeline: Pipeline, world: World) -> None:
    with pytest.raises(Rejection) as info:
        verify(pipeline, world, "th-pid-stolen", iat=STOPPED - 3 * DAY)
    assert (info.value.check, info.value.reason.value) == (Check.REGISTRY, "issuer_key_compromised")


def test_twin_same_credential_under_the_retired_key_is_accepted(pipeline: Pipeline, world: World) -> None:
    (credential,) = verify(pipeline, world, "th-pid-retired", iat=STOPPED - 3 * DAY)
    assert credential.country == "TH"
    assert credential.claims["family_name"] == "Tan"


def test_credential_issued_after_retirement_is_refused(pipeline: Pipeline, world: World) -> None:
    with pytest.raises(Rejection) as info:
        verify(pipeline, world, "th-pid-retired", iat=STOPPED + 3600)
    assert (info.value.check, info.value.reason.value) == (Check.REGISTRY, "issuer_withdrawn")
