"""Checking the audit log: hash chain, record signatures and the signatures of past lists.

For every sequence number ``n`` from 1 to the stored ``seq`` (see :mod:`trust_registry.ledger`):

* record ``n`` is a JWS (``lintas-audit+jwt``, ES256) signed by the pinned list certificate,
  whose ``sequence`` is ``n`` and whose ``prev_hash`` is the SHA-256 of stored record ``n-1``
  (64 zeros for the first);
* list ``n`` verifies against the same pin, has sequence number ``n``, its SHA-256 equals
  the record's ``list_sha256`` and its ``audit_prev_hash`` equals the record's ``prev_hash``;
* when the record names ``recognitions_sha256``, the recognition list ``n`` exists, verifies
  against the same pin, carries sequence number ``n`` and hashes to it; a recognition list
  that its record does not name is a problem too;
* no record or list exists beyond ``seq``.

Changing, removing or reordering any stored record or list is therefore detected; so is a
record whose content was rewritten and re-hashed, because its signature no longer verifies.

Removing the newest records together with ``seq`` leaves a store that checks out. Given a
checkpoint saved earlier (:mod:`trust_registry.checkpoints`), :func:`check_checkpoint` also
requires the stored log to extend it: at least as many records, and the first ``size`` records
hashing to its root (issue #12).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.errors import IdcoreError
from idcore.jose import verify_compact
from idcore.trust.checkpoint import Checkpoint
from idcore.trust.merkle import leaf_hash, root_hash
from idcore.trust.recognition import verify_recognition_list
from idcore.trust.signed import TrustListPin, certificate_sha256_hex, verify_trust_list
from lintas.kv import KeyValueStore
from trust_registry.ledger import AUDIT_TYP, GENESIS_HASH, SEQ_KEY, list_key, log_key, recognitions_key, sha256_hex

__all__ = ["check_checkpoint", "tree_head", "verify_audit_log"]


@dataclass
class AuditReport:
    """The outcome: how many records were checked and every problem found."""

    records: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the chain and every signature check out."""
        return not self.problems


def _check_record(raw: bytes, seq: int, prev_hash: str, key: ec.EllipticCurvePublicKey) -> dict[str, object]:
    _, payload = verify_compact(raw.decode("ascii"), key, algorithms=["ES256"], typ=AUDIT_TYP, max_bytes=len(raw))
    if payload.get("sequence") != seq:
        raise ValueError(f"record {seq}: says it is record {payload.get('sequence')}")
    if payload.get("prev_hash") != prev_hash:
        raise ValueError(f"record {seq}: prev_hash does not match record {seq - 1}")
    return payload


def _check_list(raw: bytes | None, seq: int, record: dict[str, object], pin: TrustListPin) -> None:
    if raw is None:
        raise ValueError(f"list {seq} is missing")
    verified = verify_trust_list(raw, pin)
    if verified.trust_list.sequence_number != seq:
        raise ValueError(f"list {seq}: carries sequence number {verified.trust_list.sequence_number}")
    if sha256_hex(raw) != record.get("list_sha256"):
        raise ValueError(f"list {seq}: hash differs from the one in its audit record")
    if verified.trust_list.audit_prev_hash != record.get("prev_hash"):
        raise ValueError(f"list {seq}: audit_prev_hash differs from its record's prev_hash")


def _check_recognitions(raw: bytes | None, seq: int, record: dict[str, object], pin: TrustListPin) -> None:
    expected = record.get("recognitions_sha256")
    if expected is None:
        if raw is not None:
            raise ValueError(f"recognition list {seq} is not named by its audit record")
        return
    if raw is None:
        raise ValueError(f"recognition list {seq} is missing")
    if sha256_hex(raw) != expected:
        raise ValueError(f"recognition list {seq}: hash differs from the one in its audit record")
    if verify_recognition_list(raw, pin).sequence_number != seq:
        raise ValueError(f"recognition list {seq}: carries another sequence number")


def _extra_keys(store: KeyValueStore, last: int) -> list[str]:
    numbers = range(1, last + 1)
    allowed = {list_key(n) for n in numbers} | {log_key(n) for n in numbers} | {recognitions_key(n) for n in numbers}
    found = store.scan_prefix("list:") + store.scan_prefix("log:") + store.scan_prefix("recog:")
    return [k for k in found if k not in allowed]


def verify_audit_log(store: KeyValueStore, signing_cert: x509.Certificate) -> AuditReport:
    """Walk the whole log and every past list; collect problems instead of stopping at the first."""
    report = AuditReport()
    pin = TrustListPin(certificate_sha256=certificate_sha256_hex(signing_cert))
    key = signing_cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        report.problems.append("the signing certificate does not hold an EC key")
        return report
    raw_seq = store.get(SEQ_KEY)
    last = int(raw_seq) if raw_seq is not None and raw_seq.isdigit() else 0
    if raw_seq is not None and not raw_seq.isdigit():
        report.problems.append("the stored sequence number is not a number")
    prev_hash = GENESIS_HASH
    for seq in range(1, last + 1):
        raw = store.get(log_key(seq))
        try:
            if raw is None:
                raise ValueError(f"record {seq} is missing")
            record = _check_record(raw, seq, prev_hash, key)
            _check_list(store.get(list_key(seq)), seq, record, pin)
            _check_recognitions(store.get(recognitions_key(seq)), seq, record, pin)
        except (ValueError, IdcoreError, UnicodeDecodeError) as exc:
            report.problems.append(str(exc) if isinstance(exc, ValueError) else f"seq {seq}: {exc}")
        report.records += 1
        prev_hash = sha256_hex(raw) if raw is not None else "missing"
    report.problems.extend(f"unexpected entry {k} beyond sequence {last}" for k in _extra_keys(store, last))
    return report


def check_checkpoint(store: KeyValueStore, checkpoint: Checkpoint) -> list[str]:
    """Problems found comparing the stored log with a checkpoint seen before (empty: it extends it)."""
    raw_seq = store.get(SEQ_KEY)
    last = int(raw_seq) if raw_seq is not None and raw_seq.isdigit() else 0
    if last < checkpoint.size:
        return [f"the log has {last} records but checkpoint {checkpoint.size} was signed: truncated"]
    leaves = []
    for seq in range(1, checkpoint.size + 1):
        record = store.get(log_key(seq))
        if record is None:
            return [f"record {seq} of checkpoint {checkpoint.size} is missing"]
        leaves.append(leaf_hash(record))
    if root_hash(leaves) != checkpoint.root:
        return [f"the first {checkpoint.size} records differ from the checkpoint: the log was rewritten"]
    return []


def tree_head(store: KeyValueStore) -> tuple[int, bytes]:
    """Size and RFC 9162 root of the stored audit records (leaf: the stored bytes; a missing record hashes as empty)."""
    raw = store.get(SEQ_KEY)
    size = int(raw) if raw is not None and raw.isdigit() else 0
    leaves = [leaf_hash(store.get(log_key(n)) or b"") for n in range(1, size + 1)]
    return size, root_hash(leaves)
