"""Signed checkpoints of the registry's audit log (issue #12, class 9): truncation is detectable.

The audit records ``log:<n>`` (:mod:`trust_registry.ledger`) are the leaves of an RFC 9162
Section 2.1 Merkle tree, in sequence order: leaf ``n-1`` is ``SHA-256(0x00 || stored record n)``
(the compact JWS bytes as stored). The registry publishes the tree head as a C2SP
tlog-checkpoint signed note (:mod:`idcore.trust.checkpoint`) under the origin
``<public host and path>/audit-log`` with its Ed25519 checkpoint key, and serves RFC 9162
Section 2.1.4 consistency proofs between any two sizes. A client that remembers the last
checkpoint it saw (:class:`~idcore.trust.checkpoint.CheckpointMonitor`) detects a truncated or
rewritten log, which the store alone cannot show (``audit-verify`` checks the chain of what is
there, not what was removed from its end).

Leaf hashes are cached in memory and extended as the log grows; a log that shrinks under a
running registry is refused (:class:`LogDamaged`) rather than signed: a log never signs a
checkpoint inconsistent with one it signed before (tlog-checkpoint, "Signatures"). Designed to
grow into the transparency log of issue #16: inclusion proofs (:meth:`AuditTree.inclusion`) and
witness cosignatures.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

from idcore.trust.checkpoint import Checkpoint, CheckpointSigner
from idcore.trust.merkle import consistency_proof, inclusion_proof, leaf_hash, root_hash
from trust_registry.ledger import Ledger

__all__ = ["AuditTree", "LogDamaged", "checkpoint_origin"]


class LogDamaged(Exception):
    """The stored log lost entries the registry already saw (or one is missing): nothing is signed."""


def checkpoint_origin(public_url: str) -> str:
    """The origin line (and key name): the registry URL without scheme, plus ``/audit-log``."""
    parts = urlsplit(public_url.rstrip("/"))
    return f"{parts.netloc}{parts.path}/audit-log"


class AuditTree:
    """The Merkle tree over the audit records; one per process, thread-safe."""

    def __init__(self, ledger: Ledger, signer: CheckpointSigner) -> None:
        """Nothing is read here; the first call loads the records."""
        self._ledger = ledger
        self._signer = signer
        self._lock = threading.Lock()
        self._leaves: list[bytes] = []
        self._signed: tuple[int, str] | None = None

    @property
    def vkey(self) -> str:
        """The verifier key string clients pin."""
        return self._signer.vkey

    def _sync(self) -> list[bytes]:
        size = self._ledger.sequence()
        if size < len(self._leaves):
            raise LogDamaged(f"the audit log shrank from {len(self._leaves)} to {size} records")
        for seq in range(len(self._leaves) + 1, size + 1):
            record = self._ledger.record(seq)
            if record is None:
                raise LogDamaged(f"audit record {seq} is missing")
            self._leaves.append(leaf_hash(record))
        return self._leaves

    def checkpoint(self) -> str:
        """The signed note for the current log size (signed once per size)."""
        with self._lock:
            leaves = self._sync()
            if self._signed is None or self._signed[0] != len(leaves):
                head = Checkpoint(self._signer.name, len(leaves), root_hash(leaves))
                self._signed = (len(leaves), self._signer.sign(head))
            return self._signed[1]

    def size(self) -> int:
        """The current number of records (leaves)."""
        with self._lock:
            return len(self._sync())

    def consistency(self, first: int, second: int) -> list[bytes]:
        """RFC 9162 ``PROOF(first, D[second])``; ``ValueError`` unless ``0 <= first <= second <= size``."""
        with self._lock:
            leaves = self._sync()
            if not 0 <= first <= second <= len(leaves):
                raise ValueError(f"need 0 <= first <= second <= {len(leaves)}")
            return consistency_proof(first, leaves[:second])

    def inclusion(self, sequence: int, size: int) -> tuple[bytes, list[bytes]]:
        """Audit record ``sequence`` and RFC 9162 ``PATH(sequence - 1, D[size])``.

        ``ValueError`` unless ``1 <= sequence <= size <= current size``.
        """
        with self._lock:
            leaves = self._sync()
            if not 1 <= sequence <= size <= len(leaves):
                raise ValueError(f"need 1 <= sequence <= size <= {len(leaves)}")
            record = self._ledger.record(sequence)
            if record is None or leaf_hash(record) != leaves[sequence - 1]:
                raise LogDamaged(f"audit record {sequence} changed or vanished")
            return record, inclusion_proof(sequence - 1, leaves[:size])
