"""The :class:`KeyStore` port and the key-id rule shared by every adapter."""

from __future__ import annotations

import re
from typing import Protocol, runtime_checkable

from idcore.errors import KeyStoreError, Reason
from idcore.jwk import PublicKey
from idcore.ports import Signer

__all__ = ["KeyStore", "check_key_id"]

#: Valid key ids. No ``/`` or ``\\``, so a file store can never be led outside its directory.
KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")


def check_key_id(key_id: str) -> str:
    """Return ``key_id`` if it is a valid key id, else raise KeyStoreError ``malformed``."""
    # fullmatch, not match + "$": "$" would also accept a trailing newline.
    if not isinstance(key_id, str) or KEY_ID_PATTERN.fullmatch(key_id) is None or set(key_id) == {"."}:
        raise KeyStoreError(Reason.MALFORMED, "key id must match [A-Za-z0-9._-]{1,64}")
    return key_id


@runtime_checkable
class KeyStore(Protocol):
    """A place that creates and holds named signing keys and hands out :class:`Signer` objects."""

    def create(self, key_id: str, alg: str = "ES256") -> Signer:
        """Create a new key named ``key_id``; KeyStoreError ``key_store`` if it already exists."""
        ...

    def signer(self, key_id: str) -> Signer:
        """Return a signer for an existing key; KeyStoreError ``key_not_found`` if there is none."""
        ...

    def public_key(self, key_id: str) -> PublicKey:
        """Return the public key of an existing key (KeyStoreError ``key_not_found`` if missing)."""
        ...

    def exists(self, key_id: str) -> bool:
        """Whether a key named ``key_id`` exists (KeyStoreError ``malformed`` for invalid ids)."""
        ...

    def get_or_create(self, key_id: str, alg: str = "ES256") -> Signer:
        """Return the signer for ``key_id``, creating the key first if it does not exist."""
        ...
