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
verification into a network call. The cache is thread-safe. Verification, rollback refusal and
the keep-the-last-good refresh are :class:`~idcore.trust.signed_cache.SignedListCache`'s, shared
with the recognition list's cache.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from idcore.errors import Reason, TrustError
from idcore.ports import Clock
from idcore.trust.decision import Decision, TrustSnapshot, is_authorised
from idcore.trust.signed import TrustListPin, VerifiedTrustList, verify_trust_list
from idcore.trust.signed_cache import SignedListCache

__all__ = ["TrustListCache"]


@dataclass(frozen=True, slots=True)
class CacheStatus:
    """What the cache holds, for health checks and metrics."""

    sequence_number: int
    next_update: int
    fetched_at: int
    last_error: str
    stale: bool


class TrustListCache(SignedListCache[VerifiedTrustList]):
    """Holds the newest good list and decides when to refetch; see the module docstring."""

    kind = "trust list"

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
        super().__init__(
            fetch=fetch,
            pin=pin,
            clock=clock,
            verify=verify,
            max_staleness=max_staleness,
            refresh_interval=refresh_interval,
            retry_interval=retry_interval,
        )
        self._snapshot = TrustSnapshot.empty()

    @staticmethod
    def _sequence(held: VerifiedTrustList) -> int:
        return held.trust_list.sequence_number

    @staticmethod
    def _same(one: VerifiedTrustList, other: VerifiedTrustList) -> bool:
        return one.payload_sha256 == other.payload_sha256

    def _installed(self, held: VerifiedTrustList) -> None:
        self._snapshot = TrustSnapshot(held.trust_list)

    def accept(self, token: bytes | str) -> TrustSnapshot:
        """Verify ``token`` and make it current unless it is a rollback; return the snapshot."""
        self._accept(token)
        return self._snapshot

    def _due(self, now: int) -> bool:
        if self._retry_wait(now):
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
        return self._refresh_when(self._due, force=force)

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
