"""The bounded fetcher of OpenID Federation 1.0 entity statements, shared by the services.

:class:`StatementFetcher` is the network port of trust-chain resolution
(:func:`idcore.trust.federation.resolve_chain`, Section 10.1): the verifier resolves issuers'
chains with it, and the registry's resolve endpoint (Section 8.3) fetches the subject's entity
configuration with it. Its limits are those of the registry's list fetcher
(:class:`lintas.trust_fetch.TrustListFetcher`): a time budget for the whole resolution of one chain
(all its fetches together), redirects never followed, the body read in chunks and refused past
:data:`MAX_STATEMENT_BYTES`, and only ``application/entity-statement+jwt`` answers. It is a
fetcher of its own because its URLs are many and come from the statements (the list fetcher has
one configured URL and an ETag), and because a 404 means something here: the superior does not
vouch for the subject. As the URLs come from credentials and statements, only https URLs are
fetched, and no host that is ``localhost`` or an IP literal outside the global address space; in
development, loopback hosts only (http or https). (Host names are not resolved here: a deployment
that must stop DNS names resolving to private addresses does so in its egress proxy.)
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx

from lintas.devmode import is_loopback_host
from lintas.trust_fetch import read_bounded

__all__ = [
    "MAX_STATEMENT_BYTES",
    "MEDIA_TYPE",
    "FetchRefused",
    "StatementFetcher",
    "check_trust_mark_endpoint",
    "endpoint_allowed",
]

MEDIA_TYPE = "application/entity-statement+jwt"
#: Largest statement read: the limit of idcore's statement parser (``idcore.trust.federation``), which
#: refuses anything larger anyway; reading stops here so a larger body is never held in memory.
MAX_STATEMENT_BYTES = 256 * 1024


class FetchRefused(Exception):
    """A statement URL or answer outside the limits (resolution fails closed with the chain invalid)."""


def endpoint_allowed(url: str, development: bool) -> bool:
    """https to a public host; in development, loopback only (http or https). No credentials or fragment.

    The one rule for every federation fetch (statements, trust marks, the registry's resolver): an
    IP literal outside the global address space is refused in production (host names are not
    resolved here; an egress proxy stops names resolving to private addresses).
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host or parts.username or parts.password or parts.fragment or parts.scheme not in ("https", "http"):
        return False
    if development:
        return is_loopback_host(host)
    if parts.scheme != "https" or host == "localhost":
        return False
    try:
        return ipaddress.ip_address(host.strip("[]")).is_global
    except ValueError:
        return True  # a DNS name (see the module docstring)


def check_trust_mark_endpoint(endpoint: str | None, hints: Sequence[str], development: bool) -> None:
    """A service's trust mark endpoint setting: ``ValueError`` unless it is usable.

    A mark is carried in an entity configuration, so the endpoint needs superiors (``hints``); it is
    fetched as every federation URL (:func:`endpoint_allowed`) and takes its own query, so has none.
    """
    if endpoint is None:
        return
    if not hints:
        raise ValueError("federation_trust_mark_endpoint needs federation_authority_hints (no configuration)")
    if not endpoint_allowed(endpoint, development) or urlsplit(endpoint).query:
        raise ValueError(
            "federation_trust_mark_endpoint must be an https URL to a public host without query "
            "(a loopback URL in development)"
        )


class StatementFetcher:
    """``fetch(url) -> bytes | None`` for :func:`idcore.trust.federation.resolve_chain`; thread-safe.

    Inside :meth:`resolution` every fetch of the calling thread shares one time budget, so a chain
    of slow superiors costs at most ``timeout`` seconds in all, not ``timeout`` per statement.
    """

    def __init__(self, client: httpx.Client, *, timeout: float = 3.0, development: bool = False) -> None:
        """Fetch with ``client`` (the caller's, and the caller closes it); ``development``: loopback only."""
        self._client = client
        self._budget = timeout
        self._development = development
        self._deadline = threading.local()

    @contextmanager
    def resolution(self) -> Iterator[None]:
        """Every fetch of this thread inside the block shares one budget of ``timeout`` seconds."""
        self._deadline.until = time.monotonic() + self._budget
        try:
            yield
        finally:
            self._deadline.until = None

    def _remaining(self) -> float:
        until: float | None = getattr(self._deadline, "until", None)
        if until is None:
            return self._budget
        remaining = until - time.monotonic()
        if remaining <= 0:
            raise FetchRefused("the resolution's time budget is spent")
        return remaining

    def __call__(self, url: str) -> bytes | None:
        """The statement at ``url``; ``None`` when the server answers 404; raises otherwise."""
        if not endpoint_allowed(url, self._development):
            raise FetchRefused("statement URL is not https to a public host (or loopback in development)")
        headers = {"Accept": MEDIA_TYPE}
        timeout = httpx.Timeout(self._remaining())
        with self._client.stream("GET", url, headers=headers, timeout=timeout, follow_redirects=False) as answer:
            if answer.status_code == 404:
                return None
            if answer.status_code != 200:
                raise FetchRefused(f"answered HTTP {answer.status_code}")
            if answer.headers.get("content-type", "").split(";")[0].strip().lower() != MEDIA_TYPE:
                raise FetchRefused("not an entity statement")
            return self._read(answer)

    def _read(self, answer: httpx.Response) -> bytes:
        # A body trickled in small chunks must not outlast the budget either: checked per chunk.
        body = read_bounded(answer, MAX_STATEMENT_BYTES, self._remaining)
        if body is None:
            raise FetchRefused("statement larger than the size limit")
        return body
