"""Single use under races, on SQLite and Redis: one winner per pre-authorized code and c_nonce,
distinct status indices for concurrent issuances."""

from __future__ import annotations

from authlib.oauth2.rfc6749.errors import InvalidGrantError

from idcore.oid4vci import PRE_AUTHORIZED_GRANT
from idcore.ports import SystemRandom
from lintas.testing import race
from tests.issuer.conftest import Harness


def test_pre_authorized_code_has_one_winner(kv_harness: Harness) -> None:
    created = kv_harness.offer("sg-tan-wei-ling")
    code = created["credential_offer"]["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    authz = kv_harness.service.tenants[0].authz

    def redeem(_: int) -> bool:
        try:
            authz.redeem_pre_authorized(code, created["tx_code"])
        except InvalidGrantError:
            return False
        return True

    assert sorted(race(8, redeem)) == [False] * 7 + [True]


def test_c_nonce_has_one_winner(kv_harness: Harness) -> None:
    tenant = kv_harness.service.tenants[0]
    nonce = kv_harness.service.new_c_nonce(tenant)
    records = kv_harness.service.records
    wins = race(8, lambda _: records.take_secret(f"cnonce:{tenant.spec.slug}", nonce) is not None)
    assert sorted(wins) == [False] * 7 + [True]


def test_concurrent_allocations_get_distinct_indices(kv_harness: Harness) -> None:
    lists = kv_harness.service.status_lists
    small = type(lists)(lists.store, 64)  # a small list makes collisions likely
    indices = race(16, lambda i: small.allocate("race", f"cred-{i}", SystemRandom())[1])
    assert len(set(indices)) == 16
