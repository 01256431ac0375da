"""First end-to-end check in-process: offer -> pre-authorized token -> credential -> verify."""

from __future__ import annotations

from tests.issuer.conftest import Harness


def test_pre_authorized_pid(harness: Harness) -> None:
    created = harness.offer("sg-tan-wei-ling")
    wallet = harness.wallet()
    offer = wallet.resolve_offer(created["offer_link_by_reference"])
    issued = wallet.obtain(offer, created["tx_code"])
    assert len(issued.credentials) == 1
