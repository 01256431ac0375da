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
from idcore.mdoc.issuer_signed import check_mso_validity
from idcore.mdoc.verification import read_device_response
from idcore.ports import FixedClock
from idcore.sdjwt import HolderCredential, check_time_claims, parse_presentation, process_payload
from tests.verifier.test_pipeline import AUD, HOLDER, NONCE, _tamper_signature, pid, present, with_policy
from tests.verifier.test_pipeline_mdoc import DCQL, mdl, presentation, transcript
from tests.verifier.test_pipeline_mdoc import NONCE as MDOC_NONCE
from tests.verifier.world import T0, World, document_signer
from verifier.pipeline import Check, Expectation, Pipeline, Rejection
from verifier.policy import policy_from_json
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


def test_an_mdoc_beside_an_sd_jwt_is_read_and_time_checked_once(
    pipeline: Pipeline, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each format's reader and validity check run once per credential of that format."""

    ds = document_signer(world, "TH", world.issuers["th-mdl"].issuer_id)
    raw = {"credentials": [*DCQL["credentials"], _expect(multiple=False).policy.dcql["credentials"][0]]}
    policy = policy_from_json({"name": "both", "dcql_query": raw})
    expect = Expectation(policy.query, policy, MDOC_NONCE, AUD, transcript())

    holder = HolderCredential.parse(pid(world))
    sd_jwt = holder.present(holder.select([["given_name"]]), signer=HOLDER, aud=AUD, nonce=MDOC_NONCE, iat=T0)
    vp_token = {"mdl": [presentation(mdl(world, ds))], "pid": [sd_jwt]}
    counts = {
        "parse": count_calls(monkeypatch, parse_presentation),
        "validity": count_calls(monkeypatch, check_time_claims),
        "mdoc_read": count_calls(monkeypatch, read_device_response),
        "mdoc_validity": count_calls(monkeypatch, check_mso_validity),
    }
    assert len(pipeline.verify(vp_token, expect)) == 2
    assert {name: c[0] for name, c in counts.items()} == {"parse": 1, "validity": 1, "mdoc_read": 1, "mdoc_validity": 1}
