"""Witness cosignatures (C2SP tlog-cosignature v1): truncation, forks and split views are caught.

The log here is a real Merkle tree (``idcore.trust.merkle``) signed as C2SP checkpoints; each
witness keeps its own last checkpoint, as separate parties would.
"""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from idcore.errors import TrustError
from idcore.trust.checkpoint import Checkpoint, CheckpointSigner, CheckpointVerifier
from idcore.trust.merkle import consistency_proof, leaf_hash, root_hash
from idcore.trust.witness import CosignatureVerifier, Cosigner, Witness, require_cosignatures

ORIGIN = "registry.asean.example/audit"
NOW = 1_800_000_000


class Log:
    """An append-only log that can also lie (rewrite or drop entries) when a test tells it to."""

    def __init__(self) -> None:
        self.signer = CheckpointSigner(ORIGIN, Ed25519PrivateKey.generate())
        self.leaves: list[bytes] = []

    def append(self, *entries: str) -> str:
        self.leaves.extend(leaf_hash(e.encode()) for e in entries)
        return self.note()

    def note(self, leaves: list[bytes] | None = None) -> str:
        tree = self.leaves if leaves is None else leaves
        return self.signer.sign(Checkpoint(ORIGIN, len(tree), root_hash(tree)))

    def proof(self, leaves: list[bytes] | None = None):  # type: ignore[no-untyped-def]
        tree = self.leaves if leaves is None else leaves
        return lambda first, second: consistency_proof(first, tree[:second])


def witness(log: Log, name: str = "witness.gov.my/w1") -> Witness:
    return Witness(Cosigner(name, Ed25519PrivateKey.generate()), CheckpointVerifier(log.signer.vkey))


def verifier_of(w: Witness) -> CosignatureVerifier:
    return CosignatureVerifier(w.cosigner.vkey)


def test_an_honest_log_gathers_a_quorum_as_it_grows() -> None:
    log = Log()
    a, b = witness(log, "witness.gov.my/w1"), witness(log, "witness.gov.th/w1")
    log.append("e1", "e2", "e3")
    for w in (a, b):
        w.witness(log.note(), log.proof(), now=NOW)
    note = log.append("e4", "e5")
    cosigned = b.witness(a.witness(note, log.proof(), now=NOW + 10), log.proof(), now=NOW + 11)
    names = require_cosignatures(cosigned, [verifier_of(a), verifier_of(b)], 2, now=NOW + 20)
    assert names == ["witness.gov.my/w1", "witness.gov.th/w1"]
    assert a.last is not None
    assert a.last.size == 5
    # The cosigned note still opens under the log's pinned key (witness lines are ignored there).
    assert CheckpointVerifier(log.signer.vkey).open(cosigned).size == 5


def test_truncation_is_refused_and_the_witness_keeps_its_view() -> None:
    log = Log()
    w = witness(log)
    w.witness(log.append("e1", "e2", "e3", "e4"), log.proof(), now=NOW)
    shorter = log.leaves[:3]
    with pytest.raises(TrustError) as caught:
        w.witness(log.note(shorter), log.proof(shorter), now=NOW + 1)
    assert caught.value.reason.value == "log_inconsistent"
    assert w.last is not None
    assert w.last.size == 4


def test_a_rewritten_history_is_refused() -> None:
    log = Log()
    w = witness(log)
    w.witness(log.append("e1", "e2", "e3"), log.proof(), now=NOW)
    forged = [leaf_hash(e) for e in (b"e1", b"E2-rewritten", b"e3", b"e4")]
    with pytest.raises(TrustError) as caught:
        w.witness(log.note(forged), log.proof(forged), now=NOW + 1)
    assert caught.value.reason.value == "log_inconsistent"
    same_size_fork = [leaf_hash(e) for e in (b"e1", b"e2", b"e3-other")]
    with pytest.raises(TrustError):
        w.witness(log.note(same_size_fork), log.proof(same_size_fork), now=NOW + 1)


def test_a_split_view_cannot_reach_a_quorum_of_two() -> None:
    """The log shows each witness a different history: neither note carries both cosignatures."""
    log = Log()
    a, b = witness(log, "witness.gov.my/w1"), witness(log, "witness.gov.th/w1")
    view_a = [leaf_hash(e) for e in (b"e1", b"e2", b"recognise VN")]
    view_b = [leaf_hash(e) for e in (b"e1", b"e2", b"withdraw VN")]
    note_a = a.witness(log.note(view_a), log.proof(view_a), now=NOW)
    note_b = b.witness(log.note(view_b), log.proof(view_b), now=NOW)
    pinned = [verifier_of(a), verifier_of(b)]
    for note in (note_a, note_b):
        with pytest.raises(TrustError) as caught:
            require_cosignatures(note, pinned, 2, now=NOW)
        assert caught.value.reason.value == "checkpoint_invalid"
    # Twin: with one honest view each witness's cosignature alone is enough for a quorum of one.
    assert require_cosignatures(note_a, pinned, 1, now=NOW) == ["witness.gov.my/w1"]


def _tamper_last_line(note: str) -> str:
    lines = note.rstrip("\n").split("\n")
    name, blob = lines[-1].rsplit(" ", 1)
    raw = bytearray(base64.b64decode(blob))
    raw[-1] ^= 1
    lines[-1] = f"{name} {base64.b64encode(bytes(raw)).decode()}"
    return "\n".join(lines) + "\n"


def test_a_forged_cosignature_is_an_error_not_an_absence() -> None:
    log = Log()
    w = witness(log)
    good = w.witness(log.append("e1"), log.proof(), now=NOW)
    assert verifier_of(w).timestamp(good, now=NOW) == NOW
    with pytest.raises(TrustError) as caught:
        verifier_of(w).timestamp(_tamper_last_line(good), now=NOW)
    assert caught.value.reason.value == "checkpoint_invalid"


def test_future_and_stale_cosignatures() -> None:
    log = Log()
    w = witness(log)
    note = w.witness(log.append("e1"), log.proof(), now=NOW + 3600)
    with pytest.raises(TrustError):
        verifier_of(w).timestamp(note, now=NOW)  # dated an hour ahead of the relying party's clock
    fresh = witness(log)
    old = fresh.witness(log.note(), log.proof(), now=NOW - 7200)
    assert require_cosignatures(old, [verifier_of(fresh)], 1, now=NOW) == [fresh.cosigner.name]
    with pytest.raises(TrustError):
        require_cosignatures(old, [verifier_of(fresh)], 1, now=NOW, max_age=3600)


def test_vkeys_and_quorum_bounds() -> None:
    log = Log()
    w = witness(log)
    assert CosignatureVerifier(w.cosigner.vkey).name == w.cosigner.name
    name, _key_id, key = w.cosigner.vkey.split("+", 2)
    with pytest.raises(ValueError, match="key ID"):
        CosignatureVerifier(f"{name}+{'00' * 4}+{key}")
    with pytest.raises(ValueError, match="cosignature"):
        CosignatureVerifier(log.signer.vkey)  # a log (0x01) key is not a cosigner (0x04) key
    with pytest.raises(ValueError, match="quorum"):
        require_cosignatures(log.append("e1"), [verifier_of(w)], 0, now=NOW)
