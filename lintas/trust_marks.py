"""Keeping the trust mark an entity carries in its entity configuration (issue #16 item 2).

OpenID Federation 1.0 section "Trust Marks": a trust mark is a JWT (``typ`` ``trust-mark+jwt``)
by which a trust mark issuer states that ``sub`` meets the criteria of ``trust_mark_type``; its
subject carries it in the ``trust_marks`` claim of its entity configuration (Section 3.1) as
``{"trust_mark_type", "trust_mark"}``, and relying parties validate it themselves (section
"Validating a Trust Mark", :mod:`idcore.trust.federation_marks`). In the ASEAN federation the
registry issues marks from its trust mark endpoint (section "Trust Mark Endpoint"):
``GET <endpoint>?trust_mark_type=<type>&sub=<entity id>`` answers the current mark while the
subject qualifies, else 404.

:class:`TrustMarkKeeper` fetches one entity's mark of one type from such an endpoint, in the
background (:meth:`TrustMarkKeeper.running`, a lifespan task): at start, then every
:data:`MAX_INTERVAL` seconds or half the mark's remaining life, whichever is sooner. Rules:

* the endpoint is https to a public host; in development, loopback only
  (:func:`lintas.federation_fetch.endpoint_allowed`, the rule of every federation fetch); redirects are never
  followed; the body is read through :func:`lintas.trust_fetch.read_bounded` and refused past
  :data:`MAX_MARK_BYTES`;
* a mark is carried only if it parses as a compact JWS with ``typ`` ``trust-mark+jwt`` and an
  allowed ``alg`` (ES256), ``sub`` is the entity, ``trust_mark_type`` the requested type, and
  ``iat <= now + 30 s`` (clock skew), ``now < exp``; when the trust anchor's keys are configured,
  it must also be issued by the anchor (``iss``) and verify with the anchor key its ``kid`` names
  — a mark the anchor did not sign would be refused by every relying party anyway;
* a 200 answer decides: a valid mark replaces the carried one, an invalid or oversized one is
  refused and nothing is carried; a 404 drops the mark at once (the registry withdrew it); a
  network failure or another status keeps the carried mark until it expires (and never after);
* failures are logged with their reason, never with the token.

The keeper is generic — the mark type and the subject are parameters — so an issuer tenant can
carry its "recognised PID issuer" mark the same way.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from idcore.errors import IdcoreError
from idcore.jose import ParsedJws, parse_compact, verify_parsed
from idcore.jwk import public_key_from_jwk
from idcore.ports import Clock
from idcore.trust.federation_marks import TRUST_MARK_TYP
from lintas.federation_fetch import endpoint_allowed
from lintas.trust_fetch import read_bounded

__all__ = ["TrustMarkKeeper", "with_keepers"]

log = logging.getLogger("lintas.trust_marks")

#: Largest trust mark answer read (a mark is a few hundred bytes; idcore refuses marks above this too).
MAX_MARK_BYTES = 16 * 1024
#: Longest wait between two fetches (seconds): a withdrawn registration leaves the configuration this fast.
MAX_INTERVAL = 300
#: Shortest wait (seconds), so a mark about to expire cannot make the keeper spin.
MIN_INTERVAL = 5
#: Longest wait after a failed fetch before trying again (seconds).
RETRY_INTERVAL = 60
#: First wait after a failed fetch while no mark is held (seconds), doubled per failure up to
#: :data:`RETRY_INTERVAL`: an entity started before its registry (a demo, a rolling deployment)
#: carries its mark seconds after the registry answers, not a minute later.
FIRST_RETRY = 1
_ALGS = frozenset({"ES256"})
#: Seconds a mark's ``iat`` may lie ahead of this clock: the registry signs it with its own ``now``, and an
#: entity whose clock is a second behind would otherwise never carry its mark (relying parties allow the same).
_MAX_SKEW = 30


class MarkRefused(Exception):
    """An answer that is not a valid mark for this entity and type; the message says why (never the token)."""


@dataclass(frozen=True, slots=True)
class _Held:
    token: str
    expires_at: int


class TrustMarkKeeper:
    """Fetch and hold one entity's trust mark of one type; :meth:`current` is what to carry now."""

    def __init__(
        self,
        endpoint: str,
        mark_type: str,
        subject: str,
        *,
        client: httpx.Client,
        clock: Clock,
        development: bool = False,
        anchor: tuple[str, Sequence[Mapping[str, Any]]] | None = None,
        timeout: float = 3.0,
    ) -> None:
        """Keep ``subject``'s mark of ``mark_type`` from ``endpoint`` (fetched with ``client``, the caller's).

        ``anchor`` is the trust anchor's entity id and JWK Set, when configured: then only marks
        the anchor issued and signed are kept. ``ValueError`` for an endpoint outside the rules.
        """
        if not endpoint_allowed(endpoint, development) or urlsplit(endpoint).query:
            raise ValueError("trust mark endpoint must be an https URL without query (loopback in development)")
        self.endpoint, self.mark_type, self.subject = endpoint, mark_type, subject
        self._client, self._clock, self._timeout = client, clock, timeout
        self._anchor = anchor
        self._lock = threading.Lock()
        self._held: _Held | None = None
        self._failures = 0

    def current(self, now: int) -> list[dict[str, str]]:
        """The ``trust_marks`` entries to carry at ``now``: the held mark until it expires, else none."""
        with self._lock:
            held = self._held
        if held is None or now >= held.expires_at:
            return []
        return [{"trust_mark_type": self.mark_type, "trust_mark": held.token}]

    def refresh(self) -> float:
        """Fetch the mark once and update what is held; return the seconds until the next fetch."""
        try:
            token = self._fetch()
            held = None if token is None else self._check(token, self._clock.now())
        except (httpx.HTTPError, _Unavailable) as exc:
            log.warning("trust mark fetch failed; the mark held (if any) is kept until it expires: %s", exc)
            self._failures += 1
            return self._after_failure()
        except MarkRefused as exc:
            self._failures = 0
            log.warning("trust mark refused, none is carried: %s", exc)
            self._set(None)
            return RETRY_INTERVAL
        self._failures = 0
        self._set(held)
        if held is None:
            log.warning("trust mark endpoint answered 404: no %s mark is carried", self.mark_type)
            return MAX_INTERVAL
        return max(MIN_INTERVAL, min(MAX_INTERVAL, (held.expires_at - self._clock.now()) // 2))

    def _set(self, held: _Held | None) -> None:
        with self._lock:
            self._held = held

    def _after_failure(self) -> float:
        with self._lock:
            held = self._held
        if held is None:
            return float(min(RETRY_INTERVAL, FIRST_RETRY << min(self._failures - 1, 6)))
        return max(MIN_INTERVAL, min(RETRY_INTERVAL, (held.expires_at - self._clock.now()) // 2))

    def _fetch(self) -> str | None:
        """The endpoint's answer: the token, ``None`` on 404; :class:`_Unavailable` or :class:`MarkRefused`."""
        params = {"trust_mark_type": self.mark_type, "sub": self.subject}
        headers = {"Accept": "application/trust-mark+jwt"}
        with self._client.stream(
            "GET", self.endpoint, params=params, headers=headers, timeout=self._timeout, follow_redirects=False
        ) as answer:
            if answer.status_code == 404:
                return None
            if answer.status_code != 200:
                raise _Unavailable(f"trust mark endpoint answered HTTP {answer.status_code}")
            body = read_bounded(answer, MAX_MARK_BYTES)
        if body is None:
            raise MarkRefused(f"the answer is larger than {MAX_MARK_BYTES} bytes")
        try:
            return body.decode("ascii").strip()
        except UnicodeDecodeError:
            raise MarkRefused("the answer is not a compact JWS") from None

    def _check(self, token: str, now: int) -> _Held:
        """The mark if it is valid for this entity and type at ``now``; else :class:`MarkRefused`."""
        try:
            jws = parse_compact(token, max_bytes=MAX_MARK_BYTES)
            header = jws.header
            if header.get("typ") != TRUST_MARK_TYP or header.get("alg") not in _ALGS:
                raise MarkRefused(f"not a {TRUST_MARK_TYP} signed with ES256")
            claims = self._verified(jws) if self._anchor is not None else jws.claims()
        except IdcoreError as exc:
            raise MarkRefused(f"not a valid JWS: {exc.reason.value}") from None
        if claims.get("sub") != self.subject:
            raise MarkRefused("the mark is for another entity")
        if claims.get("trust_mark_type") != self.mark_type:
            raise MarkRefused("the mark is of another type")
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int) or isinstance(iat, bool) or isinstance(exp, bool):
            raise MarkRefused("the mark has no integer iat and exp")
        if not iat <= now + _MAX_SKEW or now >= exp:
            raise MarkRefused("the mark is not valid now (iat in the future or expired)")
        return _Held(token, exp)

    def _verified(self, jws: ParsedJws) -> dict[str, Any]:
        """Claims of a mark issued and signed by the configured anchor (by the key its ``kid`` names)."""
        assert self._anchor is not None  # noqa: S101 - only called with an anchor
        anchor_id, keys = self._anchor
        kid = jws.header.get("kid")
        key = next((k for k in keys if isinstance(kid, str) and k.get("kid") == kid), None)
        if key is None:
            raise MarkRefused("the mark is not signed with a key of the trust anchor")
        claims = verify_parsed(jws, public_key_from_jwk(key), algorithms=_ALGS, typ=TRUST_MARK_TYP)
        if claims.get("iss") != anchor_id:
            raise MarkRefused("the mark was not issued by the trust anchor")
        return claims

    async def run(self) -> None:
        """Refresh forever (the blocking fetch in a worker thread); cancelled at shutdown."""
        while True:
            try:
                delay = await asyncio.to_thread(self.refresh)
            except Exception:  # never let the keeper die: the mark simply expires
                log.exception("trust mark keeper failed; retrying")
                delay = RETRY_INTERVAL
            await asyncio.sleep(delay)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run :meth:`run` as a background task for the duration of the block (an app's lifespan)."""
        task = asyncio.create_task(self.run(), name="trust-mark-keeper")
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task


Lifespan = Callable[[Any], AbstractAsyncContextManager[None]]


def with_keepers(inner: Lifespan, keepers: Iterable[TrustMarkKeeper]) -> Lifespan:
    """An app's ``lifespan``: ``inner``, with every keeper running in the background (``inner`` if none)."""
    running = list(keepers)
    if not running:
        return inner

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(inner(app))  # entered first, left last: resources outlive the keepers
            for keeper in running:
                await stack.enter_async_context(keeper.running())
            yield

    return lifespan


class _Unavailable(Exception):
    """The endpoint could not answer now (another status than 200 or 404): what is held is kept."""
