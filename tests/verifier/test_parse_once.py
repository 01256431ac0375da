"""A presentation is parsed, and its validity checked, exactly once on the verify path (issue #13).

The real functions are wrapped by counting wrappers wherever a loaded ``idcore``/``verifier``
module holds them (so a second parse through any import path would be counted); nothing is
mocked: the wrapped functions run, with real keys, a real status list server and the pipeline.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from idcore.dcql import parse_query
from idcore.ports import FixedClock
from idcore.sdjwt import check_time_claims, parse_presentation, process_payload
from tests.verifier.test_pipeline import AUD, NONCE, _tamper_signature, pid, present, with_policy
from tests.verifier.world import World
from verifier.pipeline import Check, Expectation, Pipeline, Rejection
from verifier.status import HttpStatusFetcher, StatusChecker

_OWN = ("idcore", "verifier", "lintas")


def count_calls(monkeypatch: pytest.MonkeyPatch, original: Callable[..., Any]) -> list[int]:
    """Replace ``original`` by a counting wrapper in every loaded module of ours that binds it."""
    calls = [0]

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    bound = 0
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(_OWN):
            continue
        for attribute, value in list(vars(module).items()):
            if value is original:
                monkeypatch.setattr(module, attribute, counting)
                bound += 1
    assert bound, f"{original.__name__} is bound nowhere: the count would prove nothing"
    return calls


@pytest.fixture(scope="module")
def pipeline(world: World, clock: FixedClock) -> Iterator[Pipeline]:
    with httpx.Client(timeout=2.0) as client:
        fetch = HttpStatusFetcher(timeout=2.0, max_bytes=100_000, client=client)
        yield Pipeline(
            trust=world.trust_cache(clock).snapshot,
            status=StatusChecker(fetch, clock, max_cache=0),
            clock=clock,
            allow_insecure_loopback=True,
        )


def _expect(multiple: bool) -> Expectation:
    raw = {
        "credentials": [
            {
                "id": "pid",
                "format": "dc+sd-jwt",
                "multiple": multiple,
                "meta": {"vct_values": ["https://lintas.asean.example/vct/pid/v1"]},
                "claims": [{"path": ["given_name"]}],
            }
        ]
    }
    policy = with_policy(dcql=raw, query=parse_query(raw), require_true=())
    return Expectation(policy.query, policy, NONCE, AUD)


@pytest.fixture
def counters(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[int]]:
    return {
        "parse": count_calls(monkeypatch, parse_presentation),
        "process": count_calls(monkeypatch, process_payload),
        "validity": count_calls(monkeypatch, check_time_claims),
    }


@pytest.mark.parametrize("n", [1, 3])
def test_n_credentials_are_parsed_and_time_checked_n_times(
    pipeline: Pipeline, world: World, counters: dict[str, list[int]], n: int
) -> None:
    presentations = [present(pid(world)) for _ in range(n)]  # built before counting starts
    for counter in counters.values():
        counter[0] = 0
    checked = pipeline.verify({"pid": presentations}, _expect(multiple=n > 1))
    assert len(checked) == n
    assert {name: c[0] for name, c in counters.items()} == {"parse": n, "process": n, "validity": n}


def test_a_rejected_signature_stops_before_the_validity_check(
    pipeline: Pipeline, world: World, counters: dict[str, list[int]]
) -> None:
    """The twin: parsed once, never time-checked, when the issuer signature fails."""
    presentation = _tamper_signature(world)
    for counter in counters.values():
        counter[0] = 0
    with pytest.raises(Rejection) as info:
        pipeline.verify({"pid": [presentation]}, _expect(multiple=False))
    assert info.value.check is Check.ISSUER_SIGNATURE
    assert {name: c[0] for name, c in counters.items()} == {"parse": 1, "process": 1, "validity": 0}
