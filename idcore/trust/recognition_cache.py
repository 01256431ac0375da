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

The network is a port: ``fetch()`` returns the compact JWS bytes or raises. Thread-safe.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from idcore.errors import Reason, TrustError
from idcore.ports import Clock
from idcore.trust.recognition import RecognitionList, RecognitionSnapshot, verify_recognition_list
from idcore.trust.signed import TrustListPin

__all__ = ["RecognitionCache"]

_log = logging.getLogger(__name__)


class RecognitionCache:
    """Holds the newest good recognition list; see the module docstring."""

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
        self._fetch = fetch
        self._pin = pin
        self._clock = clock
        self._max_staleness = max_staleness
        self._refresh_interval = refresh_interval
        self._retry_interval = retry_interval
        self._lock = threading.Lock()
        self._current: RecognitionList | None = None
        self._snapshot = RecognitionSnapshot(None)
        self._fetched_at = 0
        self._last_failure: int | None = None

    def accept(self, token: bytes | str) -> None:
        """Verify ``token`` and make it current unless it is a rollback (raises ``trust_list_rollback``)."""
        verified = verify_recognition_list(token, self._pin)
        with self._lock:
            self._install(verified)

    def _install(self, verified: RecognitionList) -> None:
        current = self._current
        if current is not None and verified.sequence_number < current.sequence_number:
            raise TrustError(
                Reason.TRUST_LIST_ROLLBACK, f"recognition list {verified.sequence_number} < {current.sequence_number}"
            )
        if current is not None and verified.sequence_number == current.sequence_number and verified != current:
            raise TrustError(
                Reason.TRUST_LIST_ROLLBACK, f"two different recognition lists numbered {current.sequence_number}"
            )
        self._fetched_at = self._clock.now()
        if current is None or verified.sequence_number > current.sequence_number:
            self._current = verified
            self._snapshot = RecognitionSnapshot(verified)

    def _due(self, now: int, trust_list_sequence: int) -> bool:
        if self._last_failure is not None and now - self._last_failure < self._retry_interval:
            return False
        current = self._current
        if current is None or current.sequence_number < trust_list_sequence or now >= current.next_update:
            return True
        return now - self._fetched_at >= self._refresh_interval

    def refresh(self, trust_list_sequence: int = 0, *, force: bool = False) -> bool:
        """Fetch and install a newer list if due (or ``force``); failures are recorded, not raised."""
        with self._lock:
            now = self._clock.now()
            if not force and not self._due(now, trust_list_sequence):
                return False
            try:
                self._install(verify_recognition_list(self._fetch(), self._pin))
            except Exception as exc:  # the fetch port may raise anything; the last good list stays
                self._last_failure = now
                _log.warning("recognition list refresh failed: %s: %s", type(exc).__name__, exc)
                return False
            self._last_failure = None
            return True

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
