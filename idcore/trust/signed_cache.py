"""What the verifier-side caches of the registry's signed lists share (the trust list, issue #3;
the recognition list, issue #16): verify against the pin, refuse rollbacks and forks, keep the last
good list when a refresh fails, and retry politely.

* every fetched token is verified against the pin by the cache's ``verify``;
* a list numbered lower than the one held is a rollback, a different list under the same number
  a fork: both are refused with ``trust_list_rollback`` and the held list stays;
* a failed fetch or verification is recorded, logged and not raised; the next attempt waits at
  least ``retry_interval`` seconds, so an outage never turns every verification into a network
  call. When a list is *due* and whether a held list is still *usable* are each cache's own rules
  (:class:`~idcore.trust.cache.TrustListCache`, :class:`~idcore.trust.recognition_cache.RecognitionCache`).

The network is a port: ``fetch()`` returns the compact JWS or raises. Thread-safe.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Generic, TypeVar

from idcore.errors import Reason, TrustError
from idcore.ports import Clock
from idcore.trust.signed import TrustListPin

__all__ = ["SignedListCache"]

_log = logging.getLogger(__name__)

L = TypeVar("L")


class SignedListCache(ABC, Generic[L]):
    """Holds the newest good signed list of one kind ``L``; see the module docstring."""

    #: Names the list in errors and log lines.
    kind = "list"

    def __init__(
        self,
        *,
        fetch: Callable[[], bytes | str],
        pin: TrustListPin,
        clock: Clock,
        verify: Callable[[bytes | str, TrustListPin], L],
        max_staleness: int,
        refresh_interval: int,
        retry_interval: int,
    ) -> None:
        """Configure; nothing is fetched here (constructors do no work)."""
        self._fetch = fetch
        self._pin = pin
        self._clock = clock
        self._verify = verify
        self._max_staleness = max_staleness
        self._refresh_interval = refresh_interval
        self._retry_interval = retry_interval
        self._lock = threading.Lock()
        self._current: L | None = None
        self._fetched_at = 0
        self._last_failure: int | None = None
        self._last_error = ""

    @staticmethod
    @abstractmethod
    def _sequence(held: L) -> int:
        """The list's sequence number."""

    @staticmethod
    @abstractmethod
    def _same(one: L, other: L) -> bool:
        """Whether two lists under one number are the same list (else it is a fork)."""

    @abstractmethod
    def _installed(self, held: L) -> None:
        """Called under the lock when ``held`` becomes the current list (build its snapshot)."""

    def _install(self, verified: L) -> None:
        current = self._current
        new = self._sequence(verified)
        if current is not None:
            old = self._sequence(current)
            if new < old:
                raise TrustError(Reason.TRUST_LIST_ROLLBACK, f"{self.kind} sequence {new} < {old}")
            if new == old and not self._same(verified, current):
                raise TrustError(Reason.TRUST_LIST_ROLLBACK, f"two different {self.kind}s numbered {new}")
        self._fetched_at = self._clock.now()
        if current is None or new > self._sequence(current):
            self._current = verified
            self._installed(verified)

    def _accept(self, token: bytes | str) -> None:
        verified = self._verify(token, self._pin)
        with self._lock:
            self._install(verified)

    def _retry_wait(self, now: int) -> bool:
        """Whether a recent failure says: do not ask again yet."""
        return self._last_failure is not None and now - self._last_failure < self._retry_interval

    def _refresh_when(self, due: Callable[[int], bool], *, force: bool) -> bool:
        """Fetch and install a list if ``due(now)`` (or ``force``); return whether one was accepted.

        Failures are recorded, not raised: the caller keeps the last good list.
        """
        with self._lock:
            now = self._clock.now()
            if not force and not due(now):
                return False
            try:
                self._install(self._verify(self._fetch(), self._pin))
            except Exception as exc:  # the fetch port may raise anything; the last good list stays
                self._last_error = f"{type(exc).__name__}: {exc}"
                self._last_failure = now
                _log.warning("%s refresh failed: %s", self.kind, self._last_error)
                return False
            self._last_error = ""
            self._last_failure = None
            return True
