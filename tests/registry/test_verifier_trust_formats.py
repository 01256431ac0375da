"""A verifier configured with only the ETSI TS 119 602 list judges every issuer as with the Lintas list.

A real registry under uvicorn serves both formats; the verifier's own configuration path
(``LINTAS_VERIFIER_TRUST_LIST_FORMAT``, :func:`verifier.app.trust_source`) fetches, pins and
caches each. Every listed issuer and type gets the same decision and reason from both, before and
after a suspension for key compromise; twins: a wrong pin trusts nobody in either format.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from idcore.ports import FixedClock
from idcore.trust import TrustSnapshot, is_authorised
from idcore.trust.cache import TrustListCache
from verifier.app import trust_source
from verifier.settings import VerifierSettings

from .helpers import SG_PID, Registry


def _settings(registry: Registry, tmp_path: Path, fmt: str, pin: str) -> VerifierSettings:
    return VerifierSettings(
        public_url="http://127.0.0.1:9",
        data_dir=tmp_path / f"verifier-{fmt}",
        development=True,
        registry_url=str(registry.server.base_url),
        registry_pin_sha256=[pin],
        trust_list_format=fmt,
    )


def _decisions(snapshot: TrustSnapshot, now: int) -> dict[tuple[str, str], tuple[bool, str | None]]:
    assert snapshot.trust_list is not None
    out = {}
    for country in snapshot.trust_list.countries:
        for issuer in country.issuers:
            for vct in issuer.vcts:
                decision = is_authorised(snapshot, issuer.issuer_id, vct, now, now)
                out[(issuer.issuer_id, vct)] = (decision.authorised, decision.reason and decision.reason.value)
    return out


def _caches(
    registry: Registry, tmp_path: Path, clock: FixedClock, pin: str, http: httpx.Client
) -> dict[str, TrustListCache]:
    caches = {}
    for fmt in ("lintas", "etsi"):
        source = trust_source(_settings(registry, tmp_path, fmt, pin), None, http, clock)
        assert isinstance(source, TrustListCache)
        caches[fmt] = source
    return caches


def test_the_etsi_list_and_the_lintas_list_decide_alike(registry: Registry, tmp_path: Path, clock: FixedClock) -> None:
    pin = registry.http.get("/v1/registry-certificate").json()["sha256"]
    with httpx.Client(timeout=5) as http:
        _compare(registry, tmp_path, clock, _caches(registry, tmp_path, clock, pin, http))


def _compare(registry: Registry, tmp_path: Path, clock: FixedClock, caches: dict[str, TrustListCache]) -> None:
    now = clock.now()
    lintas, etsi = (_decisions(caches[f].snapshot(), now) for f in ("lintas", "etsi"))
    assert lintas == etsi
    assert lintas[(SG_PID, next(v for (i, v) in lintas if i == SG_PID))][0] is True
    clock.advance(1)
    answer = registry.post(
        "/v1/governance/issuers/suspend", "operator-sg", {"issuer_id": SG_PID, "reason": "key_compromise"}
    )
    assert answer.status_code == 200, answer.text
    clock.advance(1)
    for cache in caches.values():
        assert cache.refresh(force=True)
    now = clock.now()
    lintas, etsi = (_decisions(caches[f].snapshot(), now) for f in ("lintas", "etsi"))
    assert lintas == etsi
    suspended = {key: value for key, value in lintas.items() if key[0] == SG_PID}
    assert suspended
    assert all(not ok for ok, _ in suspended.values())


@pytest.mark.parametrize("fmt", ["lintas", "etsi"])
def test_a_wrong_pin_trusts_nobody_in_either_format(
    registry: Registry, tmp_path: Path, clock: FixedClock, fmt: str
) -> None:
    with httpx.Client(timeout=5) as http:
        source = trust_source(_settings(registry, tmp_path, fmt, "00" * 32), None, http, clock)
        assert isinstance(source, TrustListCache)
        snapshot = source.snapshot()  # the fetched list does not verify under the pin: nothing is installed
        assert snapshot.trust_list is None
        decision = is_authorised(snapshot, SG_PID, "https://lintas.asean.example/vct/pid/v1", clock.now(), clock.now())
        assert (decision.authorised, decision.reason and decision.reason.value) == (False, "untrusted_issuer")
