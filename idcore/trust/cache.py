"""The verifier-side trust list cache: a small state machine over a pinned, signed list.

Rules (issue #3, point 5; ETSI TS 119 602 "NextUpdate" semantics):

* every list must verify against the pin (:func:`~idcore.trust.signed.verify_trust_list`);
* a list whose sequence number is lower than one already accepted is a rollback and is
  refused (``trust_list_rollback``), as is a different list under the same number;
* a list is used without refetching until ``refresh_interval`` has passed or its
  ``next_update`` is reached, whichever comes first;
* if the registry cannot be reached, the last good list is kept until ``next_update +
  max_staleness``; after that every use fails closed with ``trust_list_stale``;
* before any list has been obtained the cache trusts nobody (the empty snapshot).

The network is a port: ``fetch()`` returns the compact JWS bytes or raises. Failed fetches
are retried at most every ``retry_interval`` seconds so an outage does not turn every
verification into a network call. The cache is thread-safe.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from idcore.errors import Reason, TrustError
from idcore.ports import Clock
from idcore.trust.decision import Decision, TrustSnapshot, is_authorised
from idcore.trust.signed import TrustListPin, VerifiedTrustList, verify_trust_list

__all__ = ["TrustListCache"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CacheStatus:
    """What the cache holds, for health checks and metrics."""

    sequence_number: int
    next_update: int
    fetched_at: int
    last_error: str
    stale: bool


class TrustListCache:
    """Holds the newest good list and decides when to refetch; see the module docstring."""

    def __init__(
        self,
        *,
        fetch: Callable[[], bytes | str],
        pin: TrustListPin,
        clock: Clock,
        max_staleness: int = 3600,
        refresh_interval: int = 300,
        retry_interval: int = 30,
        verify: Callable[[bytes | str, TrustListPin], VerifiedTrustList] = verify_trust_list,
    ) -> None:
        """Configure the cache; no fetch happens here (constructors do no work).

        ``verify`` checks a fetched token against the pin: the list's own format by default,
        :func:`idcore.trust.etsi.verify_lote_list` for the ETSI TS 119 602 binding.
        """
        self._verify = verify
        self._fetch = fetch
        self._pin = pin
        self._clock = clock
        self._max_staleness = max_staleness
        self._refresh_interval = refresh_interval
        self._retry_interval = retry_interval
        self._lock = threading.Lock()
        self._current: VerifiedTrustList | None = None
        self._snapshot = TrustSnapshot.empty()
        self._fetched_at = 0
        self._last_failure: int | None = None
        self._last_error = ""

    def accept(self, token: bytes | str) -> TrustSnapshot:
        """Verify ``token`` and make it current unless it is a rollback; return the snapshot."""
        verified = self._verify(token, self._pin)
        with self._lock:
            return self._install(verified)

    def _install(self, verified: VerifiedTrustList) -> TrustSnapshot:
        current = self._current
        new_seq = verified.trust_list.sequence_number
        if current is not None:
            old_seq = current.trust_list.sequence_number
            if new_seq < old_seq:
                raise TrustError(Reason.TRUST_LIST_ROLLBACK, f"sequence {new_seq} < {old_seq}")
            if new_seq == old_seq and verified.payload_sha256 != current.payload_sha256:
                raise TrustError(Reason.TRUST_LIST_ROLLBACK, f"two different lists numbered {new_seq}")
        self._fetched_at = self._clock.now()
        if current is None or new_seq > current.trust_list.sequence_number:
            self._current = verified
            self._snapshot = TrustSnapshot(verified.trust_list)
        return self._snapshot

    def _due(self, now: int) -> bool:
        if self._last_failure is not None and now - self._last_failure < self._retry_interval:
            return False  # an outage must not turn every verification into a network call
        if self._current is None:
            return True
        since_fetch = now - self._fetched_at
        if now >= self._current.trust_list.next_update:
            # Past next_update the registry may still serve the same list; ask again, but politely.
            return since_fetch >= self._retry_interval
        return since_fetch >= self._refresh_interval

    def refresh(self, *, force: bool = False) -> bool:
        """Fetch and install a new list if due (or ``force``); return whether one was accepted.

        Fetch and verification failures are recorded, not raised: the caller keeps the last
        good list, and :meth:`snapshot` decides whether it is still usable.
        """
        with self._lock:
            now = self._clock.now()
            if not force and not self._due(now):
                return False
            try:
                verified = self._verify(self._fetch(), self._pin)
                self._install(verified)
            except Exception as exc:  # the fetch port may raise anything; we fail over to the cache
                self._last_error = f"{type(exc).__name__}: {exc}"
                self._last_failure = now
                _log.warning("trust list refresh failed: %s", self._last_error)
                return False
            self._last_error = ""
            self._last_failure = None
            return True

    def snapshot(self) -> TrustSnapshot:
        """The list to decide with, refreshing first if due.

        Raises ``trust_list_stale`` when the last good list is older than ``next_update +
        max_staleness``. Returns the empty snapshot (trusts nobody) if no list was ever had.
        """
        self.refresh()
        current = self._current
        if current is None:
            return self._snapshot
        if self._clock.now() > current.trust_list.next_update + self._max_staleness:
            raise TrustError(
                Reason.TRUST_LIST_STALE,
                f"list {current.trust_list.sequence_number} expired and the registry is unreachable",
            )
        return self._snapshot

    def decide(self, issuer_id: str, vct: str, issued_at: int) -> Decision:
        """Convenience: :func:`is_authorised` on the current snapshot at the clock's now."""
        return is_authorised(self.snapshot(), issuer_id, vct, issued_at, self._clock.now())

    def status(self) -> CacheStatus:
        """A summary of the cache state (sequence 0 when empty)."""
        current = self._current
        if current is None:
            return CacheStatus(0, 0, 0, self._last_error, True)
        next_update = current.trust_list.next_update
        stale = self._clock.now() > next_update + self._max_staleness
        return CacheStatus(current.trust_list.sequence_number, next_update, self._fetched_at, self._last_error, stale)
