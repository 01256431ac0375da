"""``lintas registry verify-log``: the whole log from genesis, recognition lists included; its tree
head equals the registry's signed checkpoint, and a replaced recognition list is reported."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from idcore.ports import FixedClock
from idcore.trust import VCT_PID
from lintas.kv import open_store
from lintas_cli.main import main
from trust_registry.app import STORE_NAMESPACE
from trust_registry.ledger import recognitions_key

from .helpers import SG_PID, make_settings, start_registry


def test_verify_log_from_genesis_matches_the_checkpoint_and_catches_tampering(
    tmp_path: Path, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    store = open_store(None, data_dir, STORE_NAMESPACE)
    registry = start_registry(make_settings(data_dir), store, clock)
    try:
        decision = {
            "recognised_country": "VN",
            "vct": VCT_PID,
            "min_assurance": "substantial",
            "purposes": ["kyc"],
            "valid_until": int(time.time()) + 86400,
        }
        assert registry.post("/v1/governance/countries/MY/recognitions", "operator-my", decision).status_code == 201
        clock.advance(1)
        assert registry.post("/v1/governance/issuers/suspend", "operator-sg", {"issuer_id": SG_PID}).status_code == 200
        note = registry.http.get("/v1/audit-log/checkpoint").text
        args = ["registry", "verify-log", "--data", str(data_dir)]
        capsys.readouterr()
        assert main(args) == 0
        out = capsys.readouterr().out
        size, root = note.splitlines()[1], note.splitlines()[2]
        assert f"tree head: size {size} root {root}" in out
        assert "ok: 3 records checked" in out
        # The twin: the recognition list of change 2 replaced by the (validly signed) one before it.
        earlier = store.get(recognitions_key(1))
        assert earlier is not None
        store.set(recognitions_key(2), earlier)
        assert main(args) == 1
        assert "recognition list 2" in capsys.readouterr().out
    finally:
        registry.http.close()
        registry.server.stop()
        store.close()
