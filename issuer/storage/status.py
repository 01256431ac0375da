"""Token Status Lists of one issuer process (draft-ietf-oauth-status-list, 2 bits per entry).

Each tenant has one list (``<tenant>/status-lists/1``). Indices are drawn uniformly at random
among the unused ones (:func:`idcore.status_list.allocate_index`; HAIP: "unique, unpredictable
status list index") and claimed with ``SET NX`` so two concurrent issuances never share one
("Default Values and Double Allocation"). A status change rewrites the list bytes, bumps a
version and updates the credential's record in one :meth:`KeyValueStore.atomic_write` guarded
by that version: committed (durable) before the admin API answers, or retried.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from idcore.errors import Reason, StatusListError
from idcore.ports import RandomSource
from idcore.status_list import StatusList, allocate_index
from lintas.kv import KeyValueStore

__all__ = ["StatusLists"]

BITS = 2
_LIST_ID = "1"
_MAX_RETRIES = 50


class StatusLists:
    """Allocation and updates of the tenants' status lists."""

    def __init__(self, store: KeyValueStore, size: int) -> None:
        self.store = store
        self.size = size

    def _key(self, slug: str, list_id: str, part: str) -> str:
        return f"status:{slug}:{list_id}:{part}"

    def allocate(
        self,
        slug: str,
        credential_id: str,
        random: RandomSource,
        records: Callable[[str, int], Mapping[str, bytes]] | None = None,
    ) -> tuple[str, int]:
        """Claim a fresh random index for ``credential_id``; return ``(list_id, idx)``.

        ``records(list_id, idx)`` gives further writes (the credential's index records) committed in
        the same transaction as the claim, so a credential is never indexed without its status entry.
        """
        used: Callable[[int], bool] = lambda i: self.store.get(self._key(slug, _LIST_ID, f"idx:{i}")) is not None  # noqa: E731
        unchecked: Callable[[int], bool] = lambda i: False  # noqa: E731
        for attempt in range(_MAX_RETRIES):
            # A sparse list almost never collides: claim first, look before drawing only after a miss.
            idx = allocate_index(used if attempt else unchecked, self.size, random)
            key = self._key(slug, _LIST_ID, f"idx:{idx}")
            writes = {key: credential_id.encode(), **(records(_LIST_ID, idx) if records else {})}
            if self.store.atomic_write(key, None, writes):  # guard absent = SET NX, plus the records
                return _LIST_ID, idx
        raise StatusListError(Reason.STATUS_UNAVAILABLE, "could not claim a status index")

    def load(self, slug: str, list_id: str) -> StatusList | None:
        """The current list, or ``None`` for an unknown list id."""
        if list_id != _LIST_ID:
            return None
        data = self.store.get(self._key(slug, list_id, "data"))
        if data is None:
            return StatusList(BITS, self.size)
        return StatusList.from_bytes(BITS, data)

    def update(self, slug: str, list_id: str, idx: int, value: int, record_key: str, record: dict[str, Any]) -> None:
        """Set entry ``idx`` to ``value`` and store ``record`` atomically (optimistic, retried)."""
        version_key = self._key(slug, list_id, "version")
        for _ in range(_MAX_RETRIES):
            version = self.store.get(version_key)
            current = self.load(slug, list_id)
            if current is None:
                raise StatusListError(Reason.STATUS_INVALID, "unknown status list")
            current.set(idx, value)
            next_version = str(int(version or b"0") + 1).encode()
            writes = {
                self._key(slug, list_id, "data"): current.to_bytes(),
                version_key: next_version,
                record_key: json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode(),
            }
            if self.store.atomic_write(version_key, version, writes):
                return
        raise StatusListError(Reason.STATUS_UNAVAILABLE, "status list busy; retry")
