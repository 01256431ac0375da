"""The key-value port: the interface both adapters implement, its error, and the entry rules they share."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Protocol

__all__ = ["Entry", "KeyValueStore", "StoreUnavailable", "as_counter", "check_entry"]

#: One write of a multi-key step: key, value, TTL in seconds (``None``: no expiry).
Entry = tuple[str, bytes, int | None]

_INTEGER_RE = re.compile(rb"-?[0-9]{1,19}")


class StoreUnavailable(Exception):
    """The storage backend cannot be reached or cannot answer; services answer 503."""


class KeyValueStore(Protocol):
    """Bytes values under string keys, with optional TTL in seconds."""

    def get(self, key: str) -> bytes | None:
        """Return the live value of ``key`` or ``None``."""
        ...

    def set(self, key: str, value: bytes, ttl: int | None = None) -> None:
        """Store ``value`` (replacing any previous value and TTL)."""
        ...

    def set_if_absent(self, key: str, value: bytes, ttl: int | None = None) -> bool:
        """Store ``value`` only if ``key`` has no live value; return whether this call stored it."""
        ...

    def consume(self, key: str) -> bytes | None:
        """Atomically return and delete the live value of ``key`` (single use)."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        ...

    def incr(self, key: str, ttl: int | None = None) -> int:
        """Increment an integer counter and return it; ``ttl`` applies when the counter is created."""
        ...

    def atomic_write(self, guard_key: str, expected: bytes | None, writes: Mapping[str, bytes]) -> bool:
        """Apply all ``writes`` (without TTL) iff ``guard_key``'s value equals ``expected``."""
        ...

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The live values of ``keys`` in order (``None`` where absent), read in one round trip."""
        ...

    def put_if_absent(self, entries: Sequence[Entry]) -> bool:
        """Store every entry (each with its TTL) iff the first entry's key has no live value, atomically."""
        ...

    def take_all(self, required: Sequence[str], delete: Sequence[str] = (), writes: Sequence[Entry] = ()) -> bool:
        """Iff every ``required`` key is live: delete them and ``delete``, store ``writes``; atomically.

        Exactly one of any number of concurrent callers naming the same required keys gets ``True``;
        a ``False`` changed nothing. One round trip: a single-use claim and what it records at once.
        """
        ...

    def scan_prefix(self, prefix: str) -> list[str]:
        """Return the sorted live keys starting with ``prefix`` (admin and listing only)."""
        ...

    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the backend answers."""
        ...

    def close(self) -> None:
        """Release connections; the store must not be used afterwards."""
        ...


def check_entry(key: str, value: bytes | None = None, ttl: int | None = None) -> None:
    """Refuse a key, value or TTL that no adapter accepts (TypeError / ValueError: a caller bug)."""
    # Both adapters validate identically, so a caller bug shows up the same way on both.
    if not isinstance(key, str) or not key:
        raise TypeError("key must be a non-empty str")
    if value is not None and not isinstance(value, bytes):
        raise TypeError("value must be bytes")
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0):
        raise ValueError("ttl must be a positive number of seconds")


def as_counter(value: bytes) -> int:
    """The integer a counter entry holds (ValueError when the entry is not a counter)."""
    if _INTEGER_RE.fullmatch(value) is None:
        raise ValueError("value is not an integer counter")
    return int(value)
