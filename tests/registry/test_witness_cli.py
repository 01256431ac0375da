"""``lintas registry witness``: a witness cosigns the live registry's checkpoints and refuses a truncated log.

A real registry under uvicorn; the witness is the CLI a separate party would run, with its own
key and state file. Truncation is done the way an operator with store access would do it
(records, lists and the sequence number removed), then the registry restarts on that store.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from idcore.ports import FixedClock
from idcore.trust.checkpoint import CheckpointVerifier
from idcore.trust.witness import CosignatureVerifier, require_cosignatures
from lintas.kv import open_store
from lintas_cli.main import main
from trust_registry.app import STORE_NAMESPACE
from trust_registry.ledger import SEQ_KEY, list_key, log_key

from .helpers import SG_PID, make_settings, start_registry

NAME = "witness.gov.my/w1"


def _change(registry, clock: FixedClock, actions: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    for action in actions:
        clock.advance(1)
        response = registry.post(f"/v1/governance/issuers/{action}", "operator-sg", {"issuer_id": SG_PID})
        assert response.status_code == 200, response.text


def test_witness_cosigns_an_append_only_log_and_refuses_its_truncation(
    tmp_path: Path, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    store = open_store(None, data_dir, STORE_NAMESPACE)
    witness_dir = tmp_path / "witness"
    key, state, out = witness_dir / "key.pem", witness_dir / "state", witness_dir / "cosigned.txt"
    assert main(["registry", "witness-key", "--name", NAME, "--key", str(key)]) == 0
    vkey = capsys.readouterr().out.strip()
    assert key.stat().st_mode & 0o077 == 0
    assert "PRIVATE" not in vkey
    registry = start_registry(make_settings(data_dir), store, clock)
    try:
        log_vkey = registry.http.get("/v1/audit-log/checkpoint-key").text.strip()
        args = ["registry", "witness", "--registry", str(registry.server.base_url), "--log-key", log_vkey]
        args += ["--name", NAME, "--key", str(key), "--state", str(state), "--out", str(out)]
        _change(registry, clock, ("suspend", "reinstate", "suspend"))
        assert main(args) == 0
        first = out.read_text()
        _change(registry, clock, ("reinstate",))
        assert main(args) == 0
        second = out.read_text()
        size = CheckpointVerifier(log_vkey).open(second).size
        assert size > CheckpointVerifier(log_vkey).open(first).size
        assert require_cosignatures(second, [CosignatureVerifier(vkey)], 1, now=int(time.time())) == [NAME]
    finally:
        registry.http.close()
        registry.server.stop()
    # The operator drops the two newest records and restarts the registry on the shortened store.
    for seq in (size - 1, size - 2):
        store.delete(log_key(seq))
        store.delete(list_key(seq))
    store.set(SEQ_KEY, str(size - 3).encode())
    capsys.readouterr()
    registry = start_registry(make_settings(data_dir), store, clock)
    try:
        args[args.index("--registry") + 1] = str(registry.server.base_url)
        assert main(args) == 1
        assert "log_inconsistent" in capsys.readouterr().err
        assert state.read_text() == CheckpointVerifier(log_vkey).open(second).text()  # the witness's view is kept
        assert out.read_text() == second  # and nothing new was cosigned
    finally:
        registry.http.close()
        registry.server.stop()
        store.close()
