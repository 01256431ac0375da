"""The issuer's wallet-facing endpoints share one per-address budget (lintas.ratelimit); metadata does not."""

from __future__ import annotations

from typing import Any


def test_wallet_endpoints_answer_429_with_retry_after_over_the_budget(make_harness: Any) -> None:
    harness = make_harness(wallet_rate_limit_per_minute=3)
    answers = [harness.client.post("/sg/nonce").status_code for _ in range(3)]
    assert answers == [200, 200, 200]
    refused = harness.client.post("/sg/token", data={"grant_type": "x"})  # another endpoint, the same budget
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    # Twin: public metadata is not wallet-facing work and stays answerable.
    assert harness.client.get("/.well-known/openid-credential-issuer/sg").status_code == 200
