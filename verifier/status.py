"""Status list retrieval for the pipeline's ``status_list`` check (draft-ietf-oauth-status-list).

* Section "Status List Request": ``GET`` the ``uri`` with ``Accept: application/statuslist+jwt``;
  the fetch has a timeout and a size cap, redirects are not followed (an attacker-chosen issuer
  must not make the verifier walk the network), and plain http is allowed only on loopback in
  development (the caller decides through :func:`idcore.status_list.parse_status_reference`).
* Section "Validation Rules": the token is verified (``statuslist+jwt``, ``sub`` = ``uri``, times),
  signed by the credential's issuer — an ``x5c`` chain to the issuer's national anchor naming
  ``iss``, or else the issuer's own credential key.
* Section "Caching" / ``ttl``: a verified list is cached until its ``ttl``/``exp`` (or a default),
  per (``uri``, issuer), so a hot path costs one dict lookup.

The network is a port (``fetch(url) -> bytes``) so tests and benchmarks run it against a real
local server or in-process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from idcore.errors import IdcoreError, Reason, StatusListError
from idcore.jwk import PublicKey
from idcore.ports import Clock
from idcore.status_list import StatusReference, VerifiedStatusList, check_status, verify_status_list_token
from idcore.trust import TrustSnapshot
from verifier.issuers import chain_key_for

__all__ = ["HttpStatusFetcher", "StatusChecker"]

Fetch = Callable[[str], bytes]
_MAX_CACHE = 4096


def _unavailable(exc: Exception) -> StatusListError:
    return StatusListError(Reason.STATUS_UNAVAILABLE, f"status list fetch failed: {type(exc).__name__}")


class HttpStatusFetcher:
    """``fetch(url) -> bytes`` over httpx with a timeout, a size cap and no redirects."""

    def __init__(self, *, timeout: float, max_bytes: int, client: httpx.Client | None = None) -> None:
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self._max_bytes = max_bytes

    def __call__(self, url: str) -> bytes:
        """Fetch a status list token; raise ``status_unavailable`` on any failure."""
        try:
            with self._client.stream("GET", url, headers={"Accept": "application/statuslist+jwt"}) as response:
                if response.status_code != 200:
                    raise StatusListError(Reason.STATUS_UNAVAILABLE, f"status list answered {response.status_code}")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > self._max_bytes:
                        raise StatusListError(Reason.STATUS_UNAVAILABLE, "status list larger than allowed")
                return bytes(body)
        except httpx.HTTPError as exc:
            raise _unavailable(exc) from None

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()


@dataclass(frozen=True, slots=True)
class _Cached:
    verified: VerifiedStatusList
    until: int


class StatusChecker:
    """Fetch, verify and cache status lists; evaluate a credential's status reference."""

    def __init__(self, fetch: Fetch, clock: Clock, *, default_ttl: int = 300, max_skew: int = 60) -> None:
        self._fetch = fetch
        self._clock = clock
        self._default_ttl = default_ttl
        self._max_skew = max_skew
        self._cache: dict[tuple[str, str], _Cached] = {}
        self._lock = threading.Lock()

    def _key_resolver(
        self, snapshot: TrustSnapshot, iss: str, issuer_key: PublicKey
    ) -> Callable[[Mapping[str, Any]], PublicKey]:
        def resolve(header: Mapping[str, Any]) -> PublicKey:
            if "x5c" in header:
                return chain_key_for(snapshot, iss, header["x5c"], self._clock.now())
            return issuer_key

        return resolve

    def _load(self, uri: str, snapshot: TrustSnapshot, iss: str, issuer_key: PublicKey) -> VerifiedStatusList:
        try:
            token = self._fetch(uri).decode("ascii").strip()
        except IdcoreError:
            raise
        except Exception as exc:  # the port failed in a way we did not foresee: fail closed
            raise _unavailable(exc) from None
        verified = verify_status_list_token(
            token, self._key_resolver(snapshot, iss, issuer_key), algorithms=("ES256",),
            expected_sub=uri, clock=self._clock, max_skew=self._max_skew,
        )  # fmt: skip
        return verified

    def verified_list(self, uri: str, snapshot: TrustSnapshot, iss: str, issuer_key: PublicKey) -> VerifiedStatusList:
        """The verified list at ``uri`` signed for ``iss``, from the cache while fresh."""
        now = self._clock.now()
        cached = self._cache.get((uri, iss))
        if cached is not None and now < cached.until:
            return cached.verified
        verified = self._load(uri, snapshot, iss, issuer_key)
        until = verified.refresh_after(now)
        until = now + self._default_ttl if until is None else min(until, now + 24 * 3600)
        with self._lock:
            if len(self._cache) >= _MAX_CACHE:
                self._cache.clear()  # bounded memory beats a perfect cache
            self._cache[(uri, iss)] = _Cached(verified, until)
        return verified

    def check(self, reference: StatusReference, snapshot: TrustSnapshot, iss: str, issuer_key: PublicKey) -> int:
        """Evaluate ``reference``: 0 (valid), else raise ``revoked`` / ``suspended`` / ``status_*``."""
        return check_status(reference, self.verified_list(reference.uri, snapshot, iss, issuer_key))

    def clear(self) -> None:
        """Forget every cached list (admin, tests)."""
        with self._lock:
            self._cache.clear()
