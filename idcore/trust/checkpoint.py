"""Signed checkpoints of an append-only log: C2SP ``tlog-checkpoint`` in a C2SP ``signed-note``.

Note text (c2sp.org/tlog-checkpoint, "Note text"): the origin line, the tree size in decimal
without leading zeros, the base64 (RFC 4648 Section 4, standard alphabet) root hash of the
RFC 9162 Section 2.1 Merkle tree (:mod:`idcore.trust.merkle`), each ending in a newline; this
module writes no extension lines and ignores those it reads.

Signature (c2sp.org/signed-note): after a blank line, ``U+2014 U+0020 <key name> U+0020
base64(key ID || signature)`` and a newline. Type ``0x01`` Ed25519 over the note text, key ID
``SHA-256(key name || 0x0A || 0x01 || public key)[:4]``. The verifier key string is
``<name>+<hex key ID>+<base64(0x01 || public key)>`` (the ``vkey`` form witnesses use). A note
is accepted only when a signature by the pinned key (same name and key ID) verifies; signatures
by unknown keys are ignored (so witnesses can cosign later, issue #16); a failing signature by
the pinned key rejects the whole note.

:class:`CheckpointMonitor` is the client side: it keeps the last checkpoint it accepted and
takes a newer one only with an RFC 9162 Section 2.1.4 consistency proof, so a log that was
truncated or rewritten (a fork) is detected (``log_inconsistent``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from idcore.errors import Reason, TrustError
from idcore.trust.merkle import verify_consistency

__all__ = [
    "MAX_NOTE_BYTES",
    "Checkpoint",
    "CheckpointMonitor",
    "CheckpointSigner",
    "CheckpointVerifier",
]

#: Size limit of a checkpoint note (signed-note: verifiers SHOULD bound it; 16 Ed25519
#: signatures of witnesses fit many times over).
MAX_NOTE_BYTES = 16 * 1024
_ED25519 = b"\x01"
_DASH = "\u2014 "


def _invalid(detail: str) -> TrustError:
    return TrustError(Reason.CHECKPOINT_INVALID, detail)


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid("bad base64") from None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head: ``size`` leaves with Merkle root ``root`` in the log called ``origin``."""

    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        """The note text (three lines, each ending in a newline)."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode('ascii')}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a note text; extension lines are allowed but ignored."""
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
            raise _invalid("checkpoint needs origin, size and root hash lines")
        origin, size, root = lines[0], lines[1], lines[2]
        if not size.isdigit() or not size.isascii() or (size != "0" and size.startswith("0")) or len(size) > 19:
            raise _invalid("tree size must be a decimal without leading zeros")
        digest = _b64decode(root)
        if len(digest) != 32:
            raise _invalid("root hash must be 32 bytes")
        return cls(origin, int(size), digest)


def _key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + _ED25519 + public).digest()[:4]


def _check_name(name: str) -> str:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise ValueError("a key name is non-empty, without spaces or '+'")
    return name


class CheckpointSigner:
    """Signs checkpoints with an Ed25519 key under a key name (the log's origin)."""

    def __init__(self, name: str, key: Ed25519PrivateKey) -> None:
        """Keep the key; the key name should equal the checkpoints' origin line."""
        self.name = _check_name(name)
        self._key = key
        self._public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._key_id = _key_id(name, self._public)

    @property
    def vkey(self) -> str:
        """The verifier key string ``name+hexid+base64(0x01||pub)`` to pin out of band."""
        encoded = base64.b64encode(_ED25519 + self._public).decode("ascii")
        return f"{self.name}+{self._key_id.hex()}+{encoded}"

    def sign(self, checkpoint: Checkpoint) -> str:
        """The signed note: text, blank line, one signature line."""
        text = checkpoint.text()
        signature = base64.b64encode(self._key_id + self._key.sign(text.encode("utf-8"))).decode("ascii")
        return f"{text}\n{_DASH}{self.name} {signature}\n"


class CheckpointVerifier:
    """Verifies notes against one pinned Ed25519 ``vkey`` and expected origin."""

    def __init__(self, vkey: str, *, origin: str | None = None) -> None:
        """Parse ``vkey``; ``origin`` defaults to the key name. ``ValueError`` if malformed."""
        parts = vkey.split("+", 2)  # base64 may contain "+"; the name and hex key ID may not
        if len(parts) != 3:
            raise ValueError("vkey is name+hexid+base64key")
        name, hex_id, encoded = parts
        raw = base64.b64decode(encoded, validate=True)
        if len(raw) != 33 or raw[:1] != _ED25519:
            raise ValueError("vkey is not an Ed25519 note key")
        self.name = _check_name(name)
        self._public = Ed25519PublicKey.from_public_bytes(raw[1:])
        self._key_id = _key_id(name, raw[1:])
        if bytes.fromhex(hex_id) != self._key_id:
            raise ValueError("vkey's key ID does not match its key")
        self.origin = origin or name

    def _signed_by_pin(self, text: str, signatures: Sequence[str]) -> bool:
        verified = False
        for line in signatures:
            if not line.startswith(_DASH) or line.count(" ") != 2:
                raise _invalid("malformed signature line")
            name, encoded = line[len(_DASH) :].split(" ")
            blob = _b64decode(encoded)
            if name != self.name or len(blob) < 4 or not hmac.compare_digest(blob[:4], self._key_id):
                continue  # an unknown key (a witness, a rotated key): ignored, as the spec says
            try:
                self._public.verify(blob[4:], text.encode("utf-8"))
            except InvalidSignature:
                raise _invalid("the pinned key's signature does not verify") from None
            verified = True
        return verified

    def open(self, note: str | bytes) -> Checkpoint:
        """Verify ``note`` and return its checkpoint; raises ``checkpoint_invalid``."""
        if len(note) > MAX_NOTE_BYTES:
            raise _invalid("note too large")
        try:
            text = note.decode("utf-8") if isinstance(note, bytes) else note
        except UnicodeDecodeError:
            raise _invalid("note is not UTF-8") from None
        if any(ord(c) < 0x20 and c != "\n" for c in text) or not text.endswith("\n"):
            raise _invalid("note has control characters or no final newline")
        cut = text.rfind("\n\n")
        if cut < 0:
            raise _invalid("note has no signature block")
        body, signatures = text[: cut + 1], text[cut + 2 : -1].split("\n")
        if not self._signed_by_pin(body, signatures):
            raise _invalid("no signature by the pinned key")
        checkpoint = Checkpoint.parse(body)
        if checkpoint.origin != self.origin:
            raise _invalid(f"checkpoint of another log {checkpoint.origin!r}")
        return checkpoint


ProofSource = Callable[[int, int], Sequence[bytes]]


class CheckpointMonitor:
    """Accepts a log's checkpoints only as append-only extensions of the last one it saw.

    ``last`` (optional) restores the state kept from an earlier run; keep :attr:`last` somewhere
    the log operator cannot write, or truncation across a restart goes unnoticed.
    """

    def __init__(self, verifier: CheckpointVerifier, *, last: Checkpoint | None = None) -> None:
        """Start from ``last`` (``None``: trust on first use of the first checkpoint)."""
        self._verifier = verifier
        self._lock = threading.Lock()
        self.last = last

    def update(self, note: str | bytes, proof: ProofSource) -> Checkpoint:
        """Verify ``note`` and, when it is newer, a consistency proof from ``proof(old, new)``.

        Raises ``checkpoint_invalid`` for a bad note and ``log_inconsistent`` when the new tree
        is smaller than the last one (truncation), has the same size and another root, or its
        proof does not show that it extends the last one (a fork or a rewritten entry). The
        last accepted checkpoint is kept on every failure.
        """
        new = self._verifier.open(note)
        with self._lock:
            old = self.last
            if old is not None:
                self._check(old, new, proof)
            self.last = new
            return new

    @staticmethod
    def _check(old: Checkpoint, new: Checkpoint, proof: ProofSource) -> None:
        if new.size < old.size:
            raise TrustError(Reason.LOG_INCONSISTENT, f"log shrank from {old.size} to {new.size} entries")
        if new.size == old.size:
            if not hmac.compare_digest(new.root, old.root):
                raise TrustError(Reason.LOG_INCONSISTENT, f"two different trees of size {new.size}")
            return
        path = proof(old.size, new.size) if old.size > 0 else []
        if not verify_consistency(old.size, new.size, old.root, new.root, path):
            raise TrustError(Reason.LOG_INCONSISTENT, f"tree {new.size} does not extend tree {old.size}")
