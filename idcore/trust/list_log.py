"""Is the trust list a verifier pins the one the registry's transparency log recorded? (issue #16 item 3)

The registry appends one audit record per published list (``trust_registry.ledger``): a signed
JWS whose payload names the list's ``sequence`` and ``list_sha256`` (SHA-256, hex, of the signed
list token exactly as served). The records are the leaves of an RFC 9162 Merkle tree whose heads
the registry signs as C2SP checkpoints (:mod:`idcore.trust.checkpoint`).

:func:`verify_list_logged` takes a list the caller already verified against its pin, the audit
record for that list's sequence number, the record's inclusion proof (RFC 9162 Section 2.1.3,
``PATH(sequence - 1, D[size])``) and a checkpoint the caller accepted as consistent with the last
one it saw (:class:`~idcore.trust.checkpoint.CheckpointMonitor`). It refuses, with
``log_inconsistent``, a list the log does not contain: a list signed with the registry's key but
never appended (a split view or a stolen key), a record for another list or another sequence, or a
proof that does not lead to the checkpoint's root. The record's JWS signature is not needed here:
its bytes are bound by the signed tree head.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from idcore.b64 import json_loads
from idcore.errors import IdcoreError, Reason, TrustError
from idcore.jose import parse_compact
from idcore.trust.checkpoint import Checkpoint
from idcore.trust.merkle import leaf_hash, verify_inclusion

__all__ = ["MAX_RECORD_BYTES", "verify_list_logged"]

#: An audit record is a small signed JWS (its payload names the change); refuse anything larger.
MAX_RECORD_BYTES = 256 * 1024


def _inconsistent(detail: str) -> TrustError:
    return TrustError(Reason.LOG_INCONSISTENT, detail)


def _record_payload(record: str) -> dict[str, object]:
    try:
        payload = json_loads(parse_compact(record, max_bytes=MAX_RECORD_BYTES).payload)
    except IdcoreError as exc:
        raise _inconsistent(f"audit record unreadable: {exc.reason.value}") from None
    if not isinstance(payload, dict):
        raise _inconsistent("audit record payload is not an object")
    return payload


def verify_list_logged(
    list_token: str, sequence: int, record: str, audit_path: Sequence[bytes], head: Checkpoint
) -> None:
    """Raise ``log_inconsistent`` unless list ``sequence`` (``list_token``) is a leaf under ``head``.

    ``record`` is the audit record the registry serves for ``sequence`` and ``audit_path`` its
    inclusion proof in the tree of ``head.size`` leaves (leaf index ``sequence - 1``).
    """
    if sequence < 1 or sequence > head.size:
        raise _inconsistent(f"list {sequence} is not in the checkpoint of {head.size} records")
    if not verify_inclusion(sequence - 1, head.size, leaf_hash(record.encode("ascii")), audit_path, head.root):
        raise _inconsistent(f"audit record {sequence} is not included in the checkpoint of {head.size} records")
    payload = _record_payload(record)
    if payload.get("sequence") != sequence:
        raise _inconsistent(f"audit record {sequence} names sequence {payload.get('sequence')!r}")
    named = payload.get("list_sha256")
    served = hashlib.sha256(list_token.strip().encode("ascii")).hexdigest()
    if not isinstance(named, str) or not hmac.compare_digest(named.encode("ascii", "replace"), served.encode("ascii")):
        raise _inconsistent(f"list {sequence} is not the list the log recorded for that sequence")
