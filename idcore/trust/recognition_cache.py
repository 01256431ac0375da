"""The verifier-side cache of the signed recognition list (issue #16 item 4).

The registry re-issues the recognition list with every trust list under the same sequence number
(:mod:`idcore.trust.recognition`), so this cache follows the trust list the verifier uses:

* every list must verify against the trust-list pin; a lower sequence number than one already
  held, or a different list under the same number (a fork), is refused (``trust_list_rollback``)
  and the last good list is kept;
* it refetches after ``refresh_interval``, at ``next_update``, and as soon as the trust list in
  use is newer than the recognition list held (a withdrawal reaches verifiers with the list that
  carries it); failed fetches are retried at most every ``retry_interval`` seconds;
* :meth:`RecognitionCache.snapshot` refuses a list older than the trust list in use or past
  ``next_update + max_staleness`` (:meth:`RecognitionSnapshot.current`): a verifier that cannot
  see withdrawals recognises nothing rather than too much. Before any list: nothing is recognised.

The network is a port: ``fetch()`` returns the compact JWS bytes or raises. Thread-safe. The
pin check, rollback refusal and keep-the-last-good refresh are
:class:`~idcore.trust.signed_cache.SignedListCache`'s, shared with the trust list's cache.
"""

from __future__ import annotations

from collections.abc import Callable

from idcore.ports import Clock
from idcore.trust.recognition import RecognitionList, RecognitionSnapshot, verify_recognition_list
from idcore.trust.signed import TrustListPin
from idcore.trust.signed_cache import SignedListCache

__all__ = ["RecognitionCache"]


class RecognitionCache(SignedListCache[RecognitionList]):
    """Holds the newest good recognition list; see the module docstring."""

    kind = "recognition list"

    def __init__(
        self,
        *,
        fetch: Callable[[], bytes | str],
        pin: TrustListPin,
        clock: Clock,
        max_staleness: int = 3600,
        refresh_interval: int = 300,
        retry_interval: int = 30,
    ) -> None:
        """Configure; nothing is fetched here."""
        super().__init__(
            fetch=fetch,
            pin=pin,
            clock=clock,
            verify=verify_recognition_list,
            max_staleness=max_staleness,
            refresh_interval=refresh_interval,
            retry_interval=retry_interval,
        )
        self._snapshot = RecognitionSnapshot(None)

    @staticmethod
    def _sequence(held: RecognitionList) -> int:
        return held.sequence_number

    @staticmethod
    def _same(one: RecognitionList, other: RecognitionList) -> bool:
        return one == other

    def _installed(self, held: RecognitionList) -> None:
        self._snapshot = RecognitionSnapshot(held)

    def accept(self, token: bytes | str) -> None:
        """Verify ``token`` and make it current unless it is a rollback (raises ``trust_list_rollback``)."""
        self._accept(token)

    def _due(self, now: int, trust_list_sequence: int) -> bool:
        if self._retry_wait(now):
            return False
        current = self._current
        if current is None or current.sequence_number < trust_list_sequence or now >= current.next_update:
            return True
        return now - self._fetched_at >= self._refresh_interval

    def refresh(self, trust_list_sequence: int = 0, *, force: bool = False) -> bool:
        """Fetch and install a newer list if due (or ``force``); failures are recorded, not raised."""
        return self._refresh_when(lambda now: self._due(now, trust_list_sequence), force=force)

    def snapshot(self, trust_list_sequence: int) -> RecognitionSnapshot:
        """The decisions to judge with beside trust list ``trust_list_sequence``, refreshing if due.

        Raises ``trust_list_rollback`` / ``trust_list_stale`` (see the module docstring); the
        empty snapshot (recognises nothing) before any list was had.
        """
        self.refresh(trust_list_sequence)
        current = self._current
        if current is None:
            return self._snapshot
        RecognitionSnapshot.current(
            current, trust_list_sequence=trust_list_sequence, now=self._clock.now(), max_staleness=self._max_staleness
        )
        return self._snapshot
