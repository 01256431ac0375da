"""Witness cosignatures on the registry's checkpoints: C2SP ``tlog-cosignature`` v1 (Ed25519).

A witness keeps, per log, the largest checkpoint it has verified; it cosigns a newer checkpoint
only when an RFC 9162 Section 2.1.4 consistency proof shows the new tree extends that one
(:class:`idcore.trust.checkpoint.CheckpointMonitor`). A log that shows one party a history
and another party a different one (a split view), or that truncates or rewrites its history,
cannot then gather a quorum of cosignatures for both: any relying party that demands a quorum
(:func:`require_cosignatures`) detects it.

Format (c2sp.org/tlog-cosignature, "Format" and "Ed25519 signed message"):

* signature line ``— <name> base64(key ID || timestamped_signature)``, where the key ID is
  ``SHA-256(<name> || 0x0A || 0x04 || public key)[:4]`` and ``timestamped_signature`` is the
  big-endian u64 POSIX ``timestamp`` followed by the 64-byte Ed25519 signature;
* signed message: ``cosignature/v1\\n`` ``time <timestamp>\\n`` then the whole note body of the
  checkpoint (with its final newline, without signature lines);
* verifier key (``vkey``): ``<name>+<hex key ID>+base64(0x04 || public key)``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from idcore.errors import Reason, TrustError
from idcore.trust.checkpoint import MAX_NOTE_BYTES, Checkpoint, CheckpointMonitor, CheckpointVerifier, ProofSource

__all__ = ["CosignatureVerifier", "Cosigner", "Witness", "require_cosignatures"]

_COSIGNATURE = b"\x04"
_DASH = "\u2014 "
_HEADER = "cosignature/v1\n"
_MAX_TIMESTAMP = 2**63 - 1


def _key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + _COSIGNATURE + public).digest()[:4]


def _message(body: str, timestamp: int) -> bytes:
    return f"{_HEADER}time {timestamp}\n{body}".encode()


def _split(note: str) -> tuple[str, list[str]]:
    """The note body (with its final newline) and its signature lines; ``checkpoint_invalid`` if no block."""
    if len(note) > MAX_NOTE_BYTES or not note.endswith("\n"):
        raise TrustError(Reason.CHECKPOINT_INVALID, "note too large or without a final newline")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise TrustError(Reason.CHECKPOINT_INVALID, "note has no signature block")
    return note[: cut + 1], note[cut + 2 : -1].split("\n")


class Cosigner:
    """A witness's Ed25519 cosigning key and name (a schema-less URL, e.g. ``witness.gov.my/w1``)."""

    def __init__(self, name: str, key: Ed25519PrivateKey) -> None:
        """``name`` must be non-empty without spaces or ``+``; ``ValueError`` otherwise."""
        if not name or any(c in name for c in " +\n") or not name.isprintable():
            raise ValueError("cosigner name must be non-empty, printable, without spaces or '+'")
        self.name = name
        self._key = key
        self._public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._key_id = _key_id(name, self._public)

    @property
    def vkey(self) -> str:
        """The verifier key relying parties pin: ``name+hexid+base64(0x04 || key)``."""
        encoded = base64.b64encode(_COSIGNATURE + self._public).decode("ascii")
        return f"{self.name}+{self._key_id.hex()}+{encoded}"

    def cosign(self, note: str, timestamp: int) -> str:
        """``note`` with this cosigner's signature line appended (the caller verified it first)."""
        if not 0 <= timestamp <= _MAX_TIMESTAMP:
            raise ValueError("timestamp out of range")
        body, _ = _split(note)
        signature = self._key.sign(_message(body, timestamp))
        blob = base64.b64encode(self._key_id + timestamp.to_bytes(8, "big") + signature).decode("ascii")
        return f"{note}{_DASH}{self.name} {blob}\n"


class CosignatureVerifier:
    """Checks one pinned witness's cosignature on a note."""

    def __init__(self, vkey: str) -> None:
        """Parse a type-0x04 ``vkey``; ``ValueError`` if malformed or its key ID does not match."""
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise ValueError("vkey is name+hexid+base64key")
        name, hex_id, encoded = parts
        raw = base64.b64decode(encoded, validate=True)
        if len(raw) != 33 or raw[:1] != _COSIGNATURE:
            raise ValueError("vkey is not an Ed25519 cosignature/v1 key")
        self.name = name
        self._public = Ed25519PublicKey.from_public_bytes(raw[1:])
        self._key_id = _key_id(name, raw[1:])
        if bytes.fromhex(hex_id) != self._key_id:
            raise ValueError("vkey's key ID does not match its key")

    def timestamp(self, note: str, *, now: int, max_future: int = 60) -> int | None:
        """The timestamp of this witness's valid cosignature on ``note``, or None if it has none.

        A line with this witness's name and key ID whose signature fails, or whose timestamp is
        more than ``max_future`` seconds ahead, raises ``checkpoint_invalid``: a forged line is
        an attack, not an absence.
        """
        body, lines = _split(note)
        for line in lines:
            if not line.startswith(_DASH) or line.count(" ") != 2:
                raise TrustError(Reason.CHECKPOINT_INVALID, "malformed signature line")
            name, encoded = line[len(_DASH) :].split(" ")
            try:
                blob = base64.b64decode(encoded, validate=True)
            except ValueError:
                raise TrustError(Reason.CHECKPOINT_INVALID, "signature is not base64") from None
            if name != self.name or len(blob) != 4 + 8 + 64 or not hmac.compare_digest(blob[:4], self._key_id):
                continue  # the log's own signature or another witness's
            timestamp = int.from_bytes(blob[4:12], "big")
            if timestamp > min(_MAX_TIMESTAMP, now + max_future):
                raise TrustError(Reason.CHECKPOINT_INVALID, f"cosignature by {self.name} is dated in the future")
            try:
                self._public.verify(blob[12:], _message(body, timestamp))
            except InvalidSignature:
                raise TrustError(Reason.CHECKPOINT_INVALID, f"cosignature by {self.name} does not verify") from None
            return timestamp
        return None


def require_cosignatures(
    note: str, witnesses: Sequence[CosignatureVerifier], quorum: int, *, now: int, max_age: int | None = None
) -> list[str]:
    """The names of the pinned witnesses that cosigned ``note``; ``checkpoint_invalid`` below ``quorum``.

    ``max_age`` (seconds) ignores cosignatures older than that, so a log cannot keep showing an
    old cosigned view forever. A quorum of 0 is refused: it would trust without any witness.
    """
    if quorum < 1 or quorum > len(witnesses):
        raise ValueError("quorum must be between 1 and the number of pinned witnesses")
    names = []
    for witness in witnesses:
        at = witness.timestamp(note, now=now)
        if at is not None and (max_age is None or now - at <= max_age):
            names.append(witness.name)
    if len(names) < quorum:
        raise TrustError(Reason.CHECKPOINT_INVALID, f"{len(names)} of {quorum} required witness cosignatures")
    return names


@dataclass
class Witness:
    """Verifies a log's checkpoints as append-only and cosigns them.

    ``last`` is the largest checkpoint this witness cosigned for the log: keep it where the log
    operator cannot write (the ``lintas registry witness`` command keeps it in a state file),
    or a truncation across a restart goes unnoticed.
    """

    cosigner: Cosigner
    log: CheckpointVerifier
    last: Checkpoint | None = None

    def witness(self, note: str, proof: ProofSource, *, now: int) -> str:
        """Verify ``note`` (log signature, origin, consistency with :attr:`last`) and cosign it.

        Raises ``checkpoint_invalid`` or ``log_inconsistent`` and keeps :attr:`last` on failure.
        """
        monitor = CheckpointMonitor(self.log, last=self.last)
        accepted = monitor.update(note, proof)
        body, signatures = _split(note)
        own = f"{_DASH}{self.cosigner.name} "
        kept = [line for line in signatures if not line.startswith(own)]  # re-witnessing replaces our line
        signed = self.cosigner.cosign(body + "\n" + "\n".join(kept) + "\n", now)
        self.last = accepted
        return signed
