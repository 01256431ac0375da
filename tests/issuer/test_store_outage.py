"""A Redis outage answers 503 (retryable), never 500, and the issuer recovers when Redis is back."""

from __future__ import annotations

from pathlib import Path

from idcore.oid4vci import PRE_AUTHORIZED_GRANT
from lintas.kv import open_store
from lintas.testing import RedisServer
from tests.issuer.conftest import Harness, make_settings


def test_redis_outage_is_503_and_recovery_works(tmp_path: Path) -> None:
    with RedisServer(appendonly=True) as redis:
        store = open_store(redis.url, tmp_path, "issuer-outage", timeout=0.5)
        harness = Harness(make_settings(tmp_path / "data"), store)
        try:
            created = harness.offer("sg-tan-wei-ling")
            code = created["credential_offer"]["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
            form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, "tx_code": created["tx_code"]}
            redis.stop()
            for answer in (
                harness.client.post(f"{harness.pid}/token", data=form),
                harness.client.post(f"{harness.pid}/nonce"),
                harness.client.get("/healthz"),
            ):
                assert answer.status_code == 503, answer.text
                assert answer.headers["content-type"] == "application/problem+json"
            redis.start()
            token = harness.client.post(f"{harness.pid}/token", data=form)
            assert token.status_code == 200, token.text  # the code survived the outage (append-only file)
        finally:
            harness.close()
            store.close()
