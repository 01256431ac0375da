"""JSON records of the issuance flows, kept in the key-value store with their lifetimes.

Bearer secrets (pre-authorized codes, authorization codes, PAR request URIs, ``c_nonce`` values)
are stored under the SHA-256 of their value, so a copy of the store does not hand out working
codes. Single use is :meth:`KeyValueStore.consume` (atomic get-and-delete): of two concurrent
redemptions exactly one wins (OpenID4VCI 1.0 Section 4.1.1 "short lived and single use",
Section 13.2 replay prevention).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from lintas.kv import KeyValueStore

__all__ = ["IssuerRecords", "secret_key"]


#: scrypt parameters for a tx_code (RFC 7914): 16 MiB and ~50 ms per check, so a stolen offer record does
#: not give the short PIN away for the price of one SHA-256 per guess; the attempt limit bounds online guessing.
_TX_CODE_KDF = {"n": 2**14, "r": 8, "p": 1}
_TX_CODE_KDF_NAME = "scrypt-n16384-r8-p1"


def tx_code_verifier(pin: str, salt: bytes) -> dict[str, str]:
    """What an offer record keeps of its tx_code: a random salt and the scrypt of the PIN under it."""
    digest = hashlib.scrypt(pin.encode("utf-8"), salt=salt, dklen=32, **_TX_CODE_KDF)
    return {"kdf": _TX_CODE_KDF_NAME, "salt": salt.hex(), "hash": digest.hex()}


def tx_code_matches(verifier: Any, pin: str) -> bool:
    """Whether ``pin`` is the tx_code ``verifier`` was made from (constant-time); a malformed verifier never matches."""
    if not isinstance(verifier, dict) or verifier.get("kdf") != _TX_CODE_KDF_NAME or len(pin) > 64:
        return False
    try:
        salt = bytes.fromhex(str(verifier["salt"]))
        expected = bytes.fromhex(str(verifier["hash"]))
    except (KeyError, ValueError):
        return False
    return hmac.compare_digest(tx_code_verifier(pin, salt)["hash"], expected.hex())


def secret_key(kind: str, value: str) -> str:
    """The store key of a bearer secret: its kind and the SHA-256 hex of its value."""
    return f"{kind}:{hashlib.sha256(value.encode('utf-8')).hexdigest()}"


def _dump(record: dict[str, Any]) -> bytes:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _load(raw: bytes | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    value = json.loads(raw)
    return value if isinstance(value, dict) else None


class IssuerRecords:
    """Typed-enough access to the issuer's records; every method is one or two store calls."""

    def __init__(self, store: KeyValueStore) -> None:
        self.store = store

    # --- generic -------------------------------------------------------------------------
    def put(self, key: str, record: dict[str, Any], ttl: int | None = None) -> None:
        """Store a JSON record."""
        self.store.set(key, _dump(record), ttl)

    def get(self, key: str) -> dict[str, Any] | None:
        """Read a JSON record (``None`` if absent or expired)."""
        return _load(self.store.get(key))

    def take(self, key: str) -> dict[str, Any] | None:
        """Atomically read and delete a JSON record (single use)."""
        return _load(self.store.consume(key))

    # --- secrets -------------------------------------------------------------------------
    def put_secret(self, kind: str, value: str, record: dict[str, Any], ttl: int) -> None:
        """Store a record under a bearer secret (hashed key) with a lifetime."""
        self.put(secret_key(kind, value), record, ttl)

    def peek_secret(self, kind: str, value: str) -> dict[str, Any] | None:
        """Read the record of a bearer secret without using it up."""
        return self.get(secret_key(kind, value))

    def take_secret(self, kind: str, value: str) -> dict[str, Any] | None:
        """Use up a bearer secret: its record, or ``None`` if unknown, expired or already used."""
        return self.take(secret_key(kind, value))

    def count_failure(self, kind: str, value: str, ttl: int) -> int:
        """Count one failed attempt against a secret; return the attempts so far."""
        return self.store.incr(secret_key(f"{kind}-fail", value), ttl)

    def forget_secret(self, kind: str, value: str) -> None:
        """Invalidate a secret (too many failed attempts)."""
        self.store.delete(secret_key(kind, value))

    # --- issued credentials ------------------------------------------------------------
    @staticmethod
    def credential_writes(record: dict[str, Any]) -> dict[str, bytes]:
        """The writes indexing an issued credential, committed with its status index (without TTL).

        :meth:`expire_credential` gives them their lifetime right after: the store's atomic write
        takes no TTL.
        """
        return {
            f"cred:{record['credential_id']}": _dump(record),
            f"subject-cred:{record['subject_id']}:{record['credential_id']}": b"1",
        }

    def expire_credential(self, record: dict[str, Any], ttl: int) -> None:
        """Give a credential's index records a lifetime (retention after its ``exp``; status changes keep it)."""
        for key, value in self.credential_writes(record).items():
            self.store.set(key, value, ttl)

    def credential(self, credential_id: str) -> dict[str, Any] | None:
        """The index record of a credential."""
        return self.get(f"cred:{credential_id}")

    def credentials_of(self, subject_id: str) -> list[dict[str, Any]]:
        """Index records of every credential issued to ``subject_id`` (admin listing)."""
        prefix = f"subject-cred:{subject_id}:"
        records = (self.credential(key[len(prefix) :]) for key in self.store.scan_prefix(prefix))
        return [r for r in records if r is not None]
