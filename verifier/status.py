"""Status list retrieval for the pipeline's ``status_list`` check (draft-ietf-oauth-status-list).

* Section "Status List Request": ``GET`` the ``uri`` with ``Accept: application/statuslist+jwt``;
  the fetch has a timeout and a size cap, redirects are not followed (an attacker-chosen issuer
  must not make the verifier walk the network), and plain http is allowed only on loopback in
  development (the caller decides through :func:`idcore.status_list.parse_status_reference`).
* Section "Validation Rules": the token is verified (``statuslist+jwt``, ``sub`` = ``uri``, times),
  signed by the credential's issuer — the caller's key resolver decides what that means (the
  pipeline asks the credential's trust framework about the token's ``x5c``, or else uses the
  issuer's own credential key).
* Section "Caching" / ``ttl``: a verified list is cached per (``uri``, issuer) until its own
  ``ttl``/``exp`` say to refresh, and never longer than the deployment's ``max_cache`` (60 s by
  default), so a revocation reaches the verifier within that window; a policy may ask for a list
  no older than ``max_age`` seconds (0: fetch now).
* Where it may come from: only ``https`` URLs on the issuer identifier's own origin (plain http
  on loopback in development only) — an issuer, or whoever forged its credential, cannot make the
  verifier fetch from anywhere else — and all the fetches of one verification share one deadline.

The network is a port (``fetch(url) -> bytes``) so tests and benchmarks run it against a real
local server or in-process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import httpx

from idcore.credentials import VerifiedCredential
from idcore.errors import IdcoreError, Reason, StatusListError
from idcore.jwk import PublicKey
from idcore.ports import Clock
from idcore.status_list import StatusReference, VerifiedStatusList, check_status, verify_status_list_token
from idcore.trust import TrustFramework
from idcore.trust.framework import FORMAT_SD_JWT_VC
from lintas.trust_fetch import read_bounded

__all__ = ["HttpStatusFetcher", "IssuerStatusKey", "StatusChecker", "status_uri_allowed"]

#: ``fetch(url, timeout) -> bytes``: the network port; ``timeout`` is what is left of the deadline.
Fetch = Callable[[str, float], bytes]
#: ``resolve(token_header) -> key``: the key a Status List Token of this issuer must verify with.
KeyResolver = Callable[[Mapping[str, Any]], PublicKey]
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port


def status_uri_allowed(uri: str, issuer_id: str, *, allow_loopback: bool) -> bool:
    """Whether the verifier may fetch ``uri`` for a credential of ``issuer_id``.

    Only an https URL on the issuer identifier's origin (scheme, host and port); with
    ``allow_loopback`` (development) also any URL on a loopback host.
    """
    target, own = _origin(uri), _origin(issuer_id)
    if target is None:
        return False
    if allow_loopback and target[1] in _LOOPBACK and target[0] in ("http", "https"):
        return True
    return own is not None and target[0] == "https" and target == own


_MAX_CACHE = 4096


@dataclass(frozen=True, slots=True)
class IssuerStatusKey:
    """A :data:`KeyResolver` for the status lists of one verified credential.

    "Validation Rules": the Status List Token must be signed by the credential's issuer. A token
    with an ``x5c`` is judged by the same trust framework with the same question as the
    credential (issuer, type, time), the chain in the JOSE certificate profile (a Status List
    Token is a JWT whatever the credential's format); without one, the key that signed the
    credential (as the framework established it) must have signed the token.
    """

    framework: TrustFramework
    credential: VerifiedCredential

    def __call__(self, header: Mapping[str, Any]) -> PublicKey:
        """The key the token must verify with; raise an IdcoreError when its chain is not the issuer's."""
        if "x5c" not in header:
            return self.credential.issuer_key
        x5c = header["x5c"]
        if not isinstance(x5c, list) or not all(isinstance(item, str) for item in x5c):
            raise StatusListError(Reason.STATUS_INVALID, "status list x5c must be an array of strings")
        evidence = replace(self.credential.evidence, format=FORMAT_SD_JWT_VC, x5c=tuple(x5c), key_id=None)
        judgement = self.framework.judge(evidence)
        if not judgement.trusted or judgement.key is None:
            raise judgement.error()
        return judgement.key


def _unavailable(exc: Exception) -> StatusListError:
    return StatusListError(Reason.STATUS_UNAVAILABLE, f"status list fetch failed: {type(exc).__name__}")


class HttpStatusFetcher:
    """``fetch(url) -> bytes`` over httpx with a timeout, a size cap and no redirects."""

    def __init__(self, *, timeout: float, max_bytes: int, client: httpx.Client | None = None) -> None:
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self._max_bytes = max_bytes

    def __call__(self, url: str, timeout: float) -> bytes:
        """Fetch a status list token within ``timeout`` seconds; raise ``status_unavailable`` on any failure."""
        try:
            with self._client.stream(
                "GET", url, headers={"Accept": "application/statuslist+jwt"}, timeout=timeout, follow_redirects=False
            ) as response:
                if response.status_code != 200:
                    raise StatusListError(Reason.STATUS_UNAVAILABLE, f"status list answered {response.status_code}")
                body = read_bounded(response, self._max_bytes)
                if body is None:
                    raise StatusListError(Reason.STATUS_UNAVAILABLE, "status list larger than allowed")
                return body
        except httpx.HTTPError as exc:
            raise _unavailable(exc) from None

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()


@dataclass(frozen=True, slots=True)
class _Cached:
    verified: VerifiedStatusList
    until: int
    fetched: int


class StatusChecker:
    """Fetch, verify and cache status lists; evaluate a credential's status reference."""

    def __init__(
        self, fetch: Fetch, clock: Clock, *, max_cache: int = 60, max_skew: int = 60, timeout: float = 3.0
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._max_cache = max_cache
        self._max_skew = max_skew
        self._timeout = timeout
        self._cache: dict[tuple[str, str], _Cached] = {}
        self._lock = threading.Lock()

    def deadline(self) -> float:
        """A fresh overall deadline (``time.monotonic()`` value) for the status fetches of one verification."""
        return time.monotonic() + self._timeout

    def _load(self, uri: str, resolve: KeyResolver, deadline: float) -> VerifiedStatusList:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise StatusListError(Reason.STATUS_UNAVAILABLE, "status list fetches took longer than allowed")
        try:
            token = self._fetch(uri, remaining).decode("ascii").strip()
        except IdcoreError:
            raise
        except Exception as exc:  # the port failed in a way we did not foresee: fail closed
            raise _unavailable(exc) from None
        verified = verify_status_list_token(
            token,
            resolve,
            algorithms=("ES256",),
            expected_sub=uri,
            clock=self._clock,
            max_skew=self._max_skew,
        )
        return verified

    def verified_list(
        self,
        uri: str,
        iss: str,
        resolve: KeyResolver,
        *,
        max_age: int | None = None,
        deadline: float | None = None,
    ) -> VerifiedStatusList:
        """The verified list at ``uri`` signed for ``iss`` (key from ``resolve``).

        From the cache while fresh and no older than ``max_age``.
        """
        now = self._clock.now()
        cached = self._cache.get((uri, iss))
        fresh_enough = max_age is None or (max_age > 0 and now - cached.fetched <= max_age) if cached else False
        if cached is not None and now < cached.until and fresh_enough:
            return cached.verified
        verified = self._load(uri, resolve, self.deadline() if deadline is None else deadline)
        # The list's own ttl/exp, never past the deployment's maximum (the revocation window).
        own = verified.refresh_after(now)
        until = now + self._max_cache if own is None else min(own, now + self._max_cache)
        with self._lock:
            if len(self._cache) >= _MAX_CACHE:
                self._cache.clear()  # bounded memory beats a perfect cache
            self._cache[(uri, iss)] = _Cached(verified, until, now)
        return verified

    def check(
        self,
        reference: StatusReference,
        iss: str,
        resolve: KeyResolver,
        *,
        max_age: int | None = None,
        deadline: float | None = None,
    ) -> int:
        """Evaluate ``reference`` of an ``iss`` credential: 0 (valid), else raise ``revoked``, ``suspended``, ..."""
        verified = self.verified_list(reference.uri, iss, resolve, max_age=max_age, deadline=deadline)
        return check_status(reference, verified)

    def clear(self) -> None:
        """Forget every cached list (admin, tests)."""
        with self._lock:
            self._cache.clear()
