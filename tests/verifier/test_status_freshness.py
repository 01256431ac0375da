"""Revocation arrives in time, and status lists come only from where the issuer publishes them.

Issue #12 class 7: a status list is cached per its own ``ttl``/``exp`` but never longer than the
deployment's ``max_cache`` (the revocation window), and a policy may demand a fresh fetch
(``status_max_age: 0``). Class 9: the verifier fetches only https URLs on the issuer identifier's
origin (loopback http in development only), and all fetches of one verification share a deadline.
The status list here is served in-process through the fetch port, so the test can count fetches.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from idcore.errors import Reason, StatusListError
from idcore.jose import KeySigner
from idcore.ports import FixedClock
from idcore.sdjwt import HolderCredential
from idcore.sdjwt_vc import issue_sd_jwt_vc
from idcore.status_list import sign_status_list_token
from idcore.x509 import x5c_from_certificates
from tests.verifier.world import PID_CLAIMS, RANDOM, T0, World, new_key
from verifier.pipeline import Check, Expectation, Pipeline, Rejection
from verifier.policy import Policy, load_config
from verifier.settings import DEFAULT_CONFIG
from verifier.status import StatusChecker, status_uri_allowed

AUD = "x509_hash:abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
NONCE = "n-fresh-0123"
HOLDER = KeySigner(new_key())
POLICY = load_config(DEFAULT_CONFIG).policies["pid-onboarding"]
IDX = 9  # unused by the other tests of the shared world
SLUG = "sg-pid"


class Served:
    """The issuer's status list behind the fetch port, with a long ttl (so only max_cache bounds it)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.fetched: list[str] = []

    def __call__(self, url: str, timeout: float) -> bytes:
        self.fetched.append(url)
        issuer = self.world.issuers[SLUG]
        token = sign_status_list_token(
            self.world.status_lists[SLUG],
            sub=url,
            iat=T0 - 60,
            signer=issuer.signer,
            ttl=3600,
            x5c=x5c_from_certificates(issuer.chain),
        )
        return token.encode()


@pytest.fixture
def served(world: World) -> Iterator[Served]:
    yield Served(world)
    world.status_lists[SLUG].set(IDX, 0)  # the shared world as it was


def _pipeline(world: World, clock: FixedClock, fetch: Any, *, loopback: bool = True) -> Pipeline:
    status = StatusChecker(fetch, clock, max_cache=60, timeout=2.0)
    return Pipeline(
        trust=world.trust_cache(clock).snapshot, status=status, clock=clock, allow_insecure_loopback=loopback
    )


def _present(credential: str) -> str:
    holder = HolderCredential.parse(credential)
    paths = [[name] for name in PID_CLAIMS if name != "document_number"]
    return holder.present(holder.select(paths), signer=HOLDER, aud=AUD, nonce=NONCE, iat=T0)


def _verify(pipeline: Pipeline, presentation: str, policy: Policy = POLICY) -> list[Any]:
    return pipeline.verify({"pid": [presentation]}, Expectation(policy.query, policy, NONCE, AUD))


def _rejection(pipeline: Pipeline, presentation: str, policy: Policy = POLICY) -> tuple[Check, str]:
    with pytest.raises(Rejection) as caught:
        _verify(pipeline, presentation, policy)
    return caught.value.check, caught.value.reason.value


def _fresh_policy(max_age: int) -> Policy:
    fields = {name: getattr(POLICY, name) for name in POLICY.__slots__}  # type: ignore[attr-defined]
    return Policy(**(fields | {"status_max_age": max_age}))


def test_a_revocation_is_seen_once_the_cache_window_ends(world: World, served: Served) -> None:
    clock = FixedClock(T0)
    pipeline = _pipeline(world, clock, served)
    presentation = _present(world.issue(SLUG, dict(PID_CLAIMS), dict(HOLDER.public_jwk), idx=IDX))
    assert _verify(pipeline, presentation)
    world.status_lists[SLUG].set(IDX, 1)  # revoked at the issuer
    # Twin: inside the window the cached list (ttl 3600) still says valid, without a fetch.
    assert _verify(pipeline, presentation)
    assert len(served.fetched) == 1
    # The list's own ttl says an hour; the deployment's maximum (60 s) wins.
    clock.advance(61)
    assert _rejection(pipeline, presentation) == (Check.STATUS, "revoked")
    assert len(served.fetched) == 2


def test_a_policy_can_demand_a_fresh_status_list(world: World, served: Served) -> None:
    clock = FixedClock(T0)
    pipeline = _pipeline(world, clock, served)
    presentation = _present(world.issue(SLUG, dict(PID_CLAIMS), dict(HOLDER.public_jwk), idx=IDX))
    assert _verify(pipeline, presentation)
    world.status_lists[SLUG].set(IDX, 1)
    assert _rejection(pipeline, presentation, _fresh_policy(0)) == (Check.STATUS, "revoked")
    assert len(served.fetched) == 2
    # Twin: a policy content with a minute-old list keeps the cached answer (revoked, from the fetch above)
    # even though the issuer has reinstated the credential since; a fresh fetch sees the reinstatement.
    world.status_lists[SLUG].set(IDX, 0)
    assert _rejection(pipeline, presentation, _fresh_policy(60)) == (Check.STATUS, "revoked")
    assert len(served.fetched) == 2
    assert _verify(pipeline, presentation, _fresh_policy(0))
    assert len(served.fetched) == 3


def _credential_with_status_uri(world: World, uri: str) -> str:
    who = world.issuers[SLUG]
    issued = issue_sd_jwt_vc(
        dict(PID_CLAIMS),
        who.signer,
        vct=who.vcts[0],
        random=RANDOM,
        iss=who.issuer_id,
        iat=T0 - 86400,
        exp=T0 + 86400,
        holder_jwk=dict(HOLDER.public_jwk),
        status={"status_list": {"idx": IDX, "uri": uri}},
        sd_paths=[[name] for name in PID_CLAIMS],
        header={"x5c": x5c_from_certificates(who.chain)},
    )
    return _present(issued.serialize())


def test_a_status_uri_off_the_issuers_origin_is_refused_before_any_fetch(world: World, served: Served) -> None:
    pipeline = _pipeline(world, FixedClock(T0), served)
    elsewhere = _credential_with_status_uri(world, "https://collector.example/status/sg-pid")
    assert _rejection(pipeline, elsewhere) == (Check.STATUS, "status_invalid")
    assert served.fetched == []
    # Twin: on the issuer's own origin the list is fetched (and the credential is valid).
    own = _credential_with_status_uri(world, f"{world.issuers[SLUG].issuer_id}/status/sg-pid")
    assert _verify(pipeline, own)
    assert served.fetched == [f"{world.issuers[SLUG].issuer_id}/status/sg-pid"]


def test_loopback_status_lists_only_in_development(world: World, served: Served) -> None:
    loopback = _present(world.issue(SLUG, dict(PID_CLAIMS), dict(HOLDER.public_jwk), idx=IDX))
    production = _pipeline(world, FixedClock(T0), served, loopback=False)
    assert _rejection(production, loopback) == (Check.STATUS, "status_invalid")
    assert served.fetched == []
    assert _verify(_pipeline(world, FixedClock(T0), served), loopback)  # twin: development


def test_the_status_fetches_of_one_verification_share_a_deadline(world: World) -> None:
    calls: list[float] = []

    def slow(url: str, timeout: float) -> bytes:
        calls.append(timeout)
        raise AssertionError("no fetch may start once the deadline has passed")

    status = StatusChecker(slow, FixedClock(T0), timeout=2.0)
    issuer = world.issuers[SLUG]
    with pytest.raises(StatusListError) as caught:
        status.verified_list(
            world.status_uri(SLUG),
            issuer.issuer_id,
            lambda _header: issuer.signer.private_key.public_key(),  # type: ignore[attr-defined]
            deadline=time.monotonic() - 0.01,
        )
    assert caught.value.reason is Reason.STATUS_UNAVAILABLE
    assert calls == []


@pytest.mark.parametrize(
    ("uri", "issuer", "loopback", "allowed"),
    [
        ("https://pid.sg.example/status/1", "https://pid.sg.example", False, True),
        ("https://pid.sg.example:443/status/1", "https://pid.sg.example", False, False),  # another origin by port
        ("https://status.sg.example/1", "https://pid.sg.example", False, False),
        ("http://pid.sg.example/status/1", "http://pid.sg.example", False, False),  # https only
        ("https://PID.sg.example/s", "https://pid.sg.example/sg", False, True),  # hosts compare case-insensitively
        ("http://127.0.0.1:8101/s", "https://pid.sg.example", False, False),
        ("http://127.0.0.1:8101/s", "https://pid.sg.example", True, True),
        ("ftp://127.0.0.1/s", "https://pid.sg.example", True, False),
        ("https://[::1", "https://pid.sg.example", True, False),
    ],
)
def test_status_uri_rule(uri: str, issuer: str, loopback: bool, allowed: bool) -> None:
    assert status_uri_allowed(uri, issuer, allow_loopback=loopback) is allowed
