"""Issue #12 class 9 (audit checkpoints): truncating or rewriting the registry's audit log is detected.

Attack: whoever can write the registry's store deletes the newest audit records (and the
sequence number with them) or rewrites history; ``audit-verify`` checks only what is left. Now
the registry publishes signed checkpoints (C2SP tlog-checkpoint over an RFC 9162 Merkle tree of
the records) and a client that remembers the last one demands a consistency proof for the next:
truncation and forks are refused with ``log_inconsistent``. Each attack has an honest twin.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from idcore.errors import Reason, TrustError
from idcore.ports import FixedClock
from idcore.trust.checkpoint import MAX_NOTE_BYTES, Checkpoint, CheckpointMonitor, CheckpointSigner, CheckpointVerifier
from idcore.trust.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from lintas.kv import KeyValueStore
from tests.registry.helpers import MY_PID, SG_PID, Registry, make_settings, start_registry
from lintas.audit_log import AuditLogWatcher
from trust_registry.ledger import SEQ_KEY, list_key, log_key

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "merkle_rfc6962" / "tree_heads.json").read_text())


# --- RFC 9162 Merkle tree -------------------------------------------------------------------------


def test_roots_match_the_rfc_6962_reference_tree() -> None:
    leaves = [leaf_hash(bytes.fromhex(x)) for x in VECTORS["leaves_hex"]]
    for n, expected in enumerate(VECTORS["roots_hex"]):
        assert root_hash(leaves[:n]).hex() == expected
    assert EMPTY_ROOT.hex() == VECTORS["roots_hex"][0]


def test_twin_leaf_without_domain_separation_gives_another_root() -> None:
    leaves = [leaf_hash(bytes.fromhex(x)) for x in VECTORS["leaves_hex"]]
    raw = [bytes.fromhex(x) for x in VECTORS["leaves_hex"]]
    assert root_hash(raw).hex() != VECTORS["roots_hex"][8]
    # A node can't pass for a leaf: 0x00 vs 0x01 prefixes (second-preimage resistance).
    assert leaf_hash(leaves[0] + leaves[1]) != node_hash(leaves[0], leaves[1])


def mth(entries: list[bytes]) -> bytes:
    """RFC 9162 Section 2.1.1, straight from the definition (reference for the tests)."""
    if not entries:
        return EMPTY_ROOT
    if len(entries) == 1:
        return leaf_hash(entries[0])
    k = 1
    while k * 2 < len(entries):
        k *= 2
    return node_hash(mth(entries[:k]), mth(entries[k:]))


SIZES = range(1, 34)


def test_every_inclusion_proof_verifies_and_every_tampered_one_fails() -> None:
    for n in SIZES:
        entries = [bytes([i, i * 3 % 256]) for i in range(n)]
        leaves = [leaf_hash(e) for e in entries]
        root = root_hash(leaves)
        assert root == mth(entries)
        for i in range(n):
            proof = inclusion_proof(i, leaves)
            assert verify_inclusion(i, n, leaves[i], proof, root)
            assert not verify_inclusion(i, n, leaf_hash(b"other"), proof, root)
            assert not verify_inclusion((i + 1) % n, n, leaves[i], proof, root) or n == 1
            for j in range(len(proof)):
                bad = [*proof[:j], bytes(32), *proof[j + 1 :]]
                assert not verify_inclusion(i, n, leaves[i], bad, root)
            assert not verify_inclusion(i, n, leaves[i], [*proof, bytes(32)], root)


def test_every_consistency_proof_verifies_and_every_tampered_one_fails() -> None:
    for n in SIZES:
        leaves = [leaf_hash(bytes([i])) for i in range(n)]
        root = root_hash(leaves)
        for m in range(0, n + 1):
            old = root_hash(leaves[:m])
            proof = consistency_proof(m, leaves)
            assert verify_consistency(m, n, old, root, proof), (m, n)
            if 0 < m < n:
                for j in range(len(proof)):
                    bad = [*proof[:j], bytes(32), *proof[j + 1 :]]
                    assert not verify_consistency(m, n, old, root, bad), (m, n, j)
                assert not verify_consistency(m, n, old, root, proof[:-1])
                assert not verify_consistency(m, n, old, root, [*proof, bytes(32)])
                assert not verify_consistency(m, n, bytes(32), root, proof)  # another old tree: a fork
            assert not verify_consistency(n, m, root, old, proof) or m == n  # shrinking is never consistent


def test_a_rewritten_entry_cannot_be_proven_consistent() -> None:
    leaves = [leaf_hash(bytes([i])) for i in range(13)]
    forked = [*leaves[:4], leaf_hash(b"rewritten"), *leaves[5:]]
    for m, n in itertools.product(range(5, 13), range(5, 14)):
        if m <= n:
            proof = consistency_proof(m, forked[:n])
            assert not verify_consistency(m, n, root_hash(leaves[:m]), root_hash(forked[:n]), proof)


# --- C2SP signed note / checkpoint -----------------------------------------------------------------

NAME = "registry.example/audit-log"


@pytest.fixture
def signer() -> CheckpointSigner:
    return CheckpointSigner(NAME, Ed25519PrivateKey.generate())


def test_checkpoint_note_has_the_c2sp_shape(signer: CheckpointSigner) -> None:
    note = signer.sign(Checkpoint(NAME, 8, bytes.fromhex(VECTORS["roots_hex"][8])))
    text, signature = note.split("\n\n")
    root_b64 = base64.b64encode(bytes.fromhex(VECTORS["roots_hex"][8])).decode()  # standard alphabet, padded
    assert text == f"{NAME}\n8\n{root_b64}"
    assert signature.startswith(f"\u2014 {NAME} ")
    blob = base64.b64decode(signature.split(" ")[2])
    assert len(blob) == 4 + 64  # key ID and an Ed25519 signature
    name, key_id, key = signer.vkey.split("+", 2)
    assert (name, blob[:4].hex()) == (NAME, key_id)
    assert base64.b64decode(key)[0] == 1  # signature type 0x01, Ed25519
    checkpoint = CheckpointVerifier(signer.vkey).open(note)
    assert (checkpoint.origin, checkpoint.size) == (NAME, 8)


def _retext(note: str, old: str, new: str) -> str:
    return note.replace(old, new, 1)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda n: _retext(n, "\n8\n", "\n9\n"),  # a different size under the old signature
        lambda n: _retext(n, "\n8\n", "\n08\n"),
        lambda n: _retext(n, "Xcna", "Ycna"),  # another root
        lambda n: _retext(n, NAME + "\n", "other.example/log\n"),  # another origin
        lambda n: _retext(n, "\n\n", "\n"),  # no signature block
        lambda n: n.replace("\u2014", "-"),
        lambda n: n[:-2] + "A\n",  # signature bytes changed
        lambda n: n.rstrip("\n"),
        lambda n: _retext(n, "\n8\n", "\n8\x07\n"),
        lambda n: n + "\u2014 x " + "A" * MAX_NOTE_BYTES + "\n",
    ],
)
def test_tampered_notes_are_refused(signer: CheckpointSigner, tamper: Any) -> None:
    note = signer.sign(Checkpoint(NAME, 8, bytes.fromhex(VECTORS["roots_hex"][8])))
    verifier = CheckpointVerifier(signer.vkey)
    verifier.open(note)  # the twin
    with pytest.raises(TrustError) as info:
        verifier.open(tamper(note))
    assert info.value.reason is Reason.CHECKPOINT_INVALID


def test_note_by_another_key_of_the_same_name_is_refused(signer: CheckpointSigner) -> None:
    impostor = CheckpointSigner(NAME, Ed25519PrivateKey.generate())
    note = impostor.sign(Checkpoint(NAME, 3, root_hash([])))
    with pytest.raises(TrustError):
        CheckpointVerifier(signer.vkey).open(note)


def test_unknown_cosignatures_are_ignored(signer: CheckpointSigner) -> None:
    """Witness cosignatures (issue #16) may be added: the pinned key's signature still decides."""
    checkpoint = Checkpoint(NAME, 3, root_hash([leaf_hash(b"a")]))
    witness = CheckpointSigner("witness.example", Ed25519PrivateKey.generate())
    ours, theirs = signer.sign(checkpoint), witness.sign(checkpoint)
    both = ours + theirs.split("\n\n")[1]
    assert CheckpointVerifier(signer.vkey).open(both) == checkpoint
    with pytest.raises(TrustError):
        CheckpointVerifier(signer.vkey).open(theirs)


def test_monitor_refuses_truncation_and_forks_and_keeps_the_last_good(signer: CheckpointSigner) -> None:
    leaves = [leaf_hash(bytes([i])) for i in range(10)]
    forked = [*leaves[:6], leaf_hash(b"x"), *leaves[7:], leaf_hash(b"y")]
    monitor = CheckpointMonitor(CheckpointVerifier(signer.vkey))

    def note(tree: list[bytes]) -> str:
        return signer.sign(Checkpoint(NAME, len(tree), root_hash(tree)))

    def proof_from(tree: list[bytes]) -> Any:
        return lambda m, n: consistency_proof(m, tree[:n])

    assert monitor.update(note(leaves[:7]), proof_from(leaves)).size == 7
    assert monitor.update(note(leaves), proof_from(leaves)).size == 10  # honest growth
    attacks = ((leaves[:5], proof_from(leaves)), (forked, proof_from(forked)), (forked[:10], proof_from(forked)))
    for bad, proofs in attacks:
        with pytest.raises(TrustError) as info:
            monitor.update(note(bad), proofs)
        assert info.value.reason is Reason.LOG_INCONSISTENT
        assert monitor.last is not None
        assert monitor.last.size == 10
    assert monitor.update(note(leaves), proof_from(leaves)).size == 10  # same head again: fine


# --- through the registry --------------------------------------------------------------------------


@pytest.fixture
def store_and_dir(kv_store: KeyValueStore, tmp_path: Path) -> tuple[KeyValueStore, Path]:
    return kv_store, tmp_path / "data"


@pytest.fixture
def live(store_and_dir: tuple[KeyValueStore, Path]) -> Iterator[Registry]:
    store, data = store_and_dir
    reg = start_registry(make_settings(data), store, FixedClock(int(time.time())))
    try:
        yield reg
    finally:
        reg.http.close()
        reg.server.stop()


def watcher_for(registry: Registry, last: AuditLogWatcher | None = None) -> AuditLogWatcher:
    """A client of ``registry``; ``last``: the client before, whose last checkpoint it remembers."""
    vkey = registry.http.get("/v1/audit-log/checkpoint-key").text.strip()
    remembered = last.monitor.last if last is not None else None
    if last is not None:
        last.close()
    return AuditLogWatcher(registry.server.base_url, CheckpointVerifier(vkey), last=remembered)


def changes(registry: Registry, *actions: str) -> None:
    for action in actions:
        registry.clock.advance(1)
        response = registry.post(f"/v1/governance/issuers/{action}", "operator-sg", {"issuer_id": SG_PID})
        assert response.status_code == 200, response.text


def restart(registry: Registry) -> Registry:
    """A new registry process on the same store (keys loaded from the same data directory)."""
    registry.http.close()
    registry.server.stop()
    return start_registry(registry.settings, registry.store, registry.clock)


def test_checkpoint_endpoint_serves_a_signed_tree_head_of_the_audit_log(live: Registry) -> None:
    response = live.http.get("/v1/audit-log/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    watcher = watcher_for(live)
    head = watcher.check()
    assert head.origin == "registry.lintas.asean.example/audit-log"
    assert head.size == 1
    records = [live.store.get(log_key(1))]
    assert head.root == root_hash([leaf_hash(r or b"") for r in records])
    changes(live, "suspend", "reinstate")
    assert watcher.check().size == 3  # honest growth, with a consistency proof
    watcher.close()


def test_truncated_log_is_detected_by_a_client_that_saw_more(live: Registry) -> None:
    changes(live, "suspend", "reinstate", "suspend")
    watcher = watcher_for(live)
    assert watcher.check().size == 4
    # The attacker drops the last two records, their lists and the sequence number: the store is
    # self-consistent again (audit-verify passes) and the registry is restarted.
    for seq in (4, 3):
        live.store.delete(log_key(seq))
        live.store.delete(list_key(seq))
    live.store.set(SEQ_KEY, b"2")
    live = restart(live)
    watcher = watcher_for(live, watcher)  # the restarted registry listens on another port
    try:
        with pytest.raises(TrustError) as info:
            watcher.check()
        assert info.value.reason is Reason.LOG_INCONSISTENT
        # ... and it stays detected once new changes make the log longer than before (a fork).
        changes(live, "reinstate", "suspend", "reinstate", "suspend")  # the list after record 2 is suspended
        with pytest.raises(TrustError) as again:
            watcher.check()
        assert again.value.reason is Reason.LOG_INCONSISTENT
        assert watcher.monitor.last is not None
        assert watcher.monitor.last.size == 4
    finally:
        watcher.close()
        live.http.close()
        live.server.stop()


def test_twin_restart_without_tampering_is_consistent(live: Registry) -> None:
    changes(live, "suspend", "reinstate")
    watcher = watcher_for(live)
    assert watcher.check().size == 3
    live = restart(live)
    watcher = watcher_for(live, watcher)
    try:
        changes(live, "suspend")
        assert watcher.check().size == 4
    finally:
        watcher.close()
        live.http.close()
        live.server.stop()


def test_a_running_registry_refuses_to_sign_a_log_that_shrank(live: Registry) -> None:
    changes(live, "suspend")
    assert live.http.get("/v1/audit-log/checkpoint").status_code == 200
    live.store.delete(log_key(2))
    live.store.set(SEQ_KEY, b"1")
    response = live.http.get("/v1/audit-log/checkpoint")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"first": 2, "second": 1}, 400),
        ({"first": 1, "second": 99}, 400),
        ({"first": -1, "second": 1}, 400),
        ({"first": 10**13, "second": 10**13}, 400),
        ({"first": "x", "second": 1}, 400),
        ({"second": 1}, 400),
        ({"first": 1, "second": 3}, 200),
        ({"first": 0, "second": 3}, 200),
    ],
)
def test_consistency_endpoint_bounds(live: Registry, params: dict[str, Any], status: int) -> None:
    changes(live, "suspend", "reinstate")
    response = live.http.get("/v1/audit-log/consistency", params=params)
    assert response.status_code == status, response.text
    if status == 200:
        body = response.json()
        assert all(len(base64.b64decode(h)) == 32 for h in body["proof"])


def test_checkpoint_endpoints_are_rate_limited(store_and_dir: tuple[KeyValueStore, Path]) -> None:
    store, data = store_and_dir
    reg = start_registry(make_settings(data, rate_limit_per_minute=5), store, FixedClock(int(time.time())))
    try:
        codes = [reg.http.get("/v1/audit-log/checkpoint").status_code for _ in range(7)]
        assert codes[:5] == [200] * 5
        assert codes[5:] == [429, 429]
        limited = reg.http.get("/v1/audit-log/consistency", params={"first": 0, "second": 1})
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.headers["content-type"] == "application/problem+json"
        # Governance shares the address's bucket: a flood of writes is refused before it is read.
        refused = reg.http.post("/v1/governance/issuers/suspend", json={"issuer_id": MY_PID})
        assert refused.status_code == 429
        query = {"entity_id": SG_PID, "authority_id": "SG", "action": "issue", "resource": "https://x.example/vct"}
        assert reg.http.post("/v1/authorization", json=query).status_code == 429
        assert reg.http.get("/v1/trust-list").status_code == 200  # the list itself is not limited here
    finally:
        reg.http.close()
        reg.server.stop()
