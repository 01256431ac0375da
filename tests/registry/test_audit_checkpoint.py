"""``audit-verify --checkpoint``: the store must extend a checkpoint saved earlier (issue #12).

The store alone cannot show that its newest records were removed together with ``seq``; an
auditor who saved a checkpoint note can.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from idcore.ports import FixedClock
from lintas.kv import open_store
from lintas_cli.main import main
from trust_registry.app import STORE_NAMESPACE
from trust_registry.ledger import SEQ_KEY, list_key, log_key, recognitions_key

from .helpers import SG_PID, make_settings, start_registry


def test_audit_verify_detects_truncation_against_a_saved_checkpoint(
    tmp_path: Path, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    store = open_store(None, data_dir, STORE_NAMESPACE)
    registry = start_registry(make_settings(data_dir), store, clock)
    try:
        for action in ("suspend", "reinstate", "suspend"):
            clock.advance(1)
            response = registry.post(f"/v1/governance/issuers/{action}", "operator-sg", {"issuer_id": SG_PID})
            assert response.status_code == 200, response.text
        saved = tmp_path / "checkpoint.txt"
        saved.write_bytes(registry.http.get("/v1/audit-log/checkpoint").content)
        vkey = registry.http.get("/v1/audit-log/checkpoint-key").text.strip()
        args = ["registry", "audit-verify", "--data", str(data_dir), "--checkpoint", str(saved)]
        assert main(args) == 0  # the twin: the log extends the checkpoint
        assert main([*args, "--checkpoint-key", vkey]) == 0
        capsys.readouterr()
        for seq in (4, 3):  # drop the newest records with their lists and the sequence number
            store.delete(log_key(seq))
            store.delete(list_key(seq))
            store.delete(recognitions_key(seq))
        store.set(SEQ_KEY, b"2")
        assert main(["registry", "audit-verify", "--data", str(data_dir)]) == 0  # the store alone looks fine
        assert main(args) == 1
        assert "truncated" in capsys.readouterr().out
        # A note not signed by the pinned key is refused outright (exit 2).
        saved.write_bytes(saved.read_bytes().replace(b"\n4\n", b"\n2\n"))
        assert main(args) == 2
    finally:
        registry.http.close()
        registry.server.stop()
        store.close()
