"""``lintas registry backup`` / ``restore``: a verified copy, and every damaged copy refused untouched.

A real registry writes its log; the backup is restored into a fresh data directory holding only
the registry's keys, and a registry started there serves the same list. Tampered twins: an
edited record, a truncated backup, a backup whose checkpoint was altered, a target that already
holds a log.
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest

from idcore.ports import FixedClock
from lintas.kv import open_store
from lintas_cli.main import main
from trust_registry.app import STORE_NAMESPACE
from trust_registry.ledger import SEQ_KEY, list_key, log_key

from .helpers import SG_PID, make_settings, start_registry


@pytest.fixture
def backup(tmp_path: Path, clock: FixedClock) -> tuple[Path, Path, str]:
    """A registry with five changes, backed up; returns (its data dir, the backup, its served ETag)."""
    data = tmp_path / "live"
    store = open_store(None, data, STORE_NAMESPACE)
    registry = start_registry(make_settings(data), store, clock)
    try:
        for action in ("suspend", "reinstate", "suspend", "reinstate"):
            clock.advance(1)
            assert registry.post(f"/v1/governance/issuers/{action}", "operator-sg", {"issuer_id": SG_PID}).is_success
        etag = registry.http.get("/v1/trust-list").headers["etag"]
    finally:
        registry.http.close()
        registry.server.stop()
        store.close()
    out = tmp_path / "registry-backup.json"
    assert main(["registry", "backup", "--data", str(data), "--out", str(out)]) == 0
    return data, out, etag


def _fresh_target(tmp_path: Path, live: Path) -> Path:
    """A new data directory holding only the registry's keys and certificate (what an HSM/key backup restores)."""
    target = tmp_path / "restored"
    shutil.copytree(live / "registry", target / "registry")
    assert not any(target.glob("*.sqlite*"))
    return target


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    backup = json.loads(path.read_text())
    change(backup["entries"], backup)
    path.write_text(json.dumps(backup))


def test_backup_restores_into_an_empty_store_and_the_registry_serves_the_same_list(
    tmp_path: Path, clock: FixedClock, backup: tuple[Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    live, out, etag = backup
    target = _fresh_target(tmp_path, live)
    assert main(["registry", "restore", "--data", str(target), "--from", str(out)]) == 0
    assert "verified from genesis" in capsys.readouterr().out
    assert main(["registry", "audit-verify", "--data", str(target)]) == 0
    store = open_store(None, target, STORE_NAMESPACE)
    registry = start_registry(make_settings(target), store, clock)
    try:
        assert registry.http.get("/v1/trust-list").headers["etag"] == etag
    finally:
        registry.http.close()
        registry.server.stop()
        store.close()
    # A second restore onto the now-populated store is refused (exit 2), never merged.
    assert main(["registry", "restore", "--data", str(target), "--from", str(out)]) == 2


def _flip_record(entries: dict[str, str], _: dict[str, object]) -> None:
    raw = bytearray(base64.b64decode(entries[log_key(2)]))
    raw[len(raw) // 2] ^= 1
    entries[log_key(2)] = base64.b64encode(bytes(raw)).decode()


def _truncate(entries: dict[str, str], _: dict[str, object]) -> None:
    last = int(base64.b64decode(entries[SEQ_KEY]))
    del entries[log_key(last)], entries[list_key(last)]
    entries[SEQ_KEY] = base64.b64encode(str(last - 1).encode()).decode()


def _forge_checkpoint(_: dict[str, str], backup: dict[str, object]) -> None:
    backup["checkpoint"] = str(backup["checkpoint"]).replace("\n5\n", "\n4\n", 1)


def _extra_entry(entries: dict[str, str], _: dict[str, object]) -> None:
    entries["ratelimit:x"] = base64.b64encode(b"1").decode()


@pytest.mark.parametrize(
    ("change", "code", "says"),
    [
        (_flip_record, 1, "problem"),
        (_truncate, 1, "truncated"),
        (_forge_checkpoint, 1, "checkpoint_invalid"),
        (_extra_entry, 2, "unexpected entry"),
    ],
    ids=["edited-record", "truncated", "forged-checkpoint", "foreign-entry"],
)
def test_a_damaged_backup_is_refused_and_nothing_is_written(
    tmp_path: Path,
    backup: tuple[Path, Path, str],
    capsys: pytest.CaptureFixture[str],
    change: object,
    code: int,
    says: str,
) -> None:
    live, out, _ = backup
    _edit(out, change)
    target = _fresh_target(tmp_path, live)
    capsys.readouterr()
    assert main(["registry", "restore", "--data", str(target), "--from", str(out)]) == code
    assert says in capsys.readouterr().err
    store = open_store(None, target, STORE_NAMESPACE)
    try:
        assert store.get(SEQ_KEY) is None
        assert store.scan_prefix("log:") == []
    finally:
        store.close()


def test_a_damaged_live_log_is_not_backed_up(tmp_path: Path, backup: tuple[Path, Path, str]) -> None:
    live, _, _ = backup
    store = open_store(None, live, STORE_NAMESPACE)
    try:
        store.delete(log_key(2))
    finally:
        store.close()
    assert main(["registry", "backup", "--data", str(live), "--out", str(tmp_path / "second.json")]) == 1
    assert not (tmp_path / "second.json").exists()
