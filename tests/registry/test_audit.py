"""The hash-chained audit log: every change is recorded; changing any stored record is detected."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest
from cryptography import x509

from idcore.b64 import b64u_decode, b64u_encode, json_dumps, json_loads
from idcore.jose import KeySigner, sign_compact
from idcore.keystore import FileKeyStore
from idcore.ports import FixedClock
from idcore.x509 import certificate_from_pem
from lintas.kv import KeyValueStore, open_store
from lintas.testing import free_port
from lintas_cli.main import main
from trust_registry.app import STORE_NAMESPACE
from trust_registry.audit import verify_audit_log
from trust_registry.ledger import AUDIT_TYP, GENESIS_HASH, list_key, log_key, sha256_hex
from trust_registry.pki import ensure_registry_keys

from .helpers import MY_PID, SG_PID, Registry, make_settings, start_registry


def make_changes(registry: Registry) -> None:
    """Five changes by three actors: the log then holds records 1 (seed) to 6."""
    for client_id, action, issuer in [
        ("operator-sg", "suspend", SG_PID),
        ("operator-sg", "reinstate", SG_PID),
        ("operator-my", "suspend", MY_PID),
        ("scheme-operator", "withdraw", MY_PID),
        ("scheme-operator", "suspend", SG_PID),
    ]:
        registry.clock.advance(5)
        response = registry.post(f"/v1/governance/issuers/{action}", client_id, {"issuer_id": issuer})
        assert response.status_code == 200, response.text


def signing_cert(registry: Registry) -> x509.Certificate:
    return certificate_from_pem((registry.settings.data_dir / "registry" / "signing-cert.pem").read_bytes())


def test_every_change_is_logged_with_actor_and_chain(registry: Registry) -> None:
    make_changes(registry)
    records = registry.http.get("/v1/audit-log").json()["records"]
    assert [r["sequence"] for r in records] == [1, 2, 3, 4, 5, 6]
    actions = ["seed", "suspend", "reinstate", "suspend", "withdraw", "suspend"]
    assert [r["payload"]["action"] for r in records] == actions
    assert [r["payload"]["actor"] for r in records][:3] == ["system", "operator-sg", "operator-sg"]
    assert records[0]["payload"]["prev_hash"] == GENESIS_HASH
    for before, after in pairwise(records):
        assert after["payload"]["prev_hash"] == before["hash"]
    assert records[-1]["payload"]["list_sha256"] == sha256_hex(registry.http.get("/v1/trust-list").content)
    report = verify_audit_log(registry.store, signing_cert(registry))
    assert report.ok, report.problems
    assert report.records == 6


def _flip_payload(raw: bytes, change: dict[str, object]) -> bytes:
    """Rewrite a JWS payload, keeping the old signature."""
    h, p, s = raw.decode().split(".")
    payload = json_loads(b64u_decode(p))
    payload.update(change)
    return f"{h}.{b64u_encode(json_dumps(payload))}.{s}".encode()


def _rewrite_actor(store: KeyValueStore, n: int) -> None:
    store.set(log_key(n), _flip_payload(store.get(log_key(n)) or b"", {"actor": "x"}))


def _flip_bytes(store: KeyValueStore, n: int) -> None:
    store.set(log_key(n), (store.get(log_key(n)) or b"")[:-3] + b"AAA")


def _older_list(store: KeyValueStore, n: int) -> None:
    store.set(list_key(n), store.get(list_key(n - 1 if n > 1 else 2)) or b"")


def _swap_records(store: KeyValueStore, n: int) -> None:
    a, b = log_key(n), log_key(n % 6 + 1)
    va, vb = store.get(a), store.get(b)
    store.set(a, vb or b"")
    store.set(b, va or b"")


TAMPERINGS: dict[str, Callable[[KeyValueStore, int], None]] = {
    "record_actor_rewritten": _rewrite_actor,
    "record_byte_flipped": _flip_bytes,
    "record_deleted": lambda store, n: store.delete(log_key(n)),
    "list_replaced_by_older": _older_list,
    "list_deleted": lambda store, n: store.delete(list_key(n)),
    "records_swapped": _swap_records,
}


@pytest.mark.parametrize("tampering", sorted(TAMPERINGS))
def test_changing_any_stored_record_is_detected(registry: Registry, tampering: str) -> None:
    make_changes(registry)
    pristine = registry.state()
    cert = signing_cert(registry)
    assert verify_audit_log(registry.store, cert).ok
    for which in range(1, 7):
        TAMPERINGS[tampering](registry.store, which)
        report = verify_audit_log(registry.store, cert)
        assert not report.ok, which
        for key, value in pristine.items():  # restore, and check the twin verifies again
            registry.store.set(key, value or b"")
        assert verify_audit_log(registry.store, cert).ok


def test_rewritten_and_resigned_record_is_detected(registry: Registry) -> None:
    """An attacker with the store but not the list key rewrites record 3 and signs it themselves."""
    make_changes(registry)
    raw = registry.store.get(log_key(3))
    assert raw is not None
    payload = json_loads(b64u_decode(raw.decode().split(".")[1]))
    from idcore.keys import generate_private_key

    forged = sign_compact({"typ": AUDIT_TYP}, {**payload, "actor": "nobody"}, KeySigner(generate_private_key("ES256")))
    registry.store.set(log_key(3), forged.encode())
    report = verify_audit_log(registry.store, signing_cert(registry))
    assert any("seq 3" in p for p in report.problems)


def test_record_resigned_with_the_real_key_still_breaks_the_chain(registry: Registry) -> None:
    """Even with the list key, rewriting record 3 changes its hash, which record 4 pins."""
    make_changes(registry)
    signer = FileKeyStore(registry.settings.data_dir / "registry" / "keys").signer("list-signing")
    raw = registry.store.get(log_key(3))
    assert raw is not None
    payload = json_loads(b64u_decode(raw.decode().split(".")[1]))
    registry.store.set(log_key(3), sign_compact({"typ": AUDIT_TYP}, {**payload, "actor": "nobody"}, signer).encode())
    report = verify_audit_log(registry.store, signing_cert(registry))
    assert any("record 4" in p for p in report.problems)


def test_entries_beyond_the_sequence_are_detected(registry: Registry) -> None:
    make_changes(registry)
    registry.store.set(log_key(7), registry.store.get(log_key(6)) or b"")
    assert not verify_audit_log(registry.store, signing_cert(registry)).ok


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_cli_audit_verify(
    backend: str, tmp_path: Path, clock: FixedClock, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    """``lintas registry audit-verify`` opens the registry's own store, as configured."""
    data_dir = tmp_path / "data"
    extra: list[str] = []
    redis_url = None
    if backend == "redis":
        # A database of its own, because the CLI uses the registry's fixed namespace.
        redis_url = request.getfixturevalue("redis_server").url.rsplit("/", 1)[0] + "/7"
        extra = ["--redis-url", redis_url]
    store = open_store(redis_url, data_dir, STORE_NAMESPACE)
    registry = start_registry(make_settings(data_dir), store, clock)
    try:
        make_changes(registry)
        args = ["registry", "audit-verify", "--data", str(data_dir), *extra]
        assert main(args) == 0
        assert "ok: 6 records checked" in capsys.readouterr().out
        store.set(log_key(2), _flip_payload(store.get(log_key(2)) or b"", {"actor": "x"}))
        assert main(args) == 1
        out = capsys.readouterr().out
        assert "FAILED" in out
        assert "problem: seq 2" in out
    finally:
        registry.http.close()
        registry.server.stop()
        for key in store.scan_prefix(""):
            store.delete(key)
        store.close()


def test_cli_audit_verify_without_registry_or_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["registry", "audit-verify", "--data", str(tmp_path)]) == 2
    assert "no registry signing certificate" in capsys.readouterr().err
    data_dir = tmp_path / "data"
    ensure_registry_keys(data_dir, now=1_800_000_000, days=30, public_url="https://registry.example")
    dead = f"redis://127.0.0.1:{free_port()}/0"
    assert main(["registry", "audit-verify", "--data", str(data_dir), "--redis-url", dead]) == 2
    assert "store unavailable" in capsys.readouterr().err
