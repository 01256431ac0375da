"""Trusting issuers through OpenID Federation 1.0 (issue #16 item 2): the verifier's side.

``LINTAS_VERIFIER_TRUST_MODE=federation`` (or ``both``) makes the verifier resolve each issuer's
trust chain (Section 10) from the issuer's entity configuration up to the *one* configured trust
anchor, whose entity id and JWK Set are configured out of band (Section 10.2: the anchor's keys
are never taken from the chain). The judgement is :class:`idcore.trust.federation.FederationTrust`'s,
with the same reason codes as the list (``untrusted_issuer``, ``not_authorised``, ...).

:class:`StatementFetcher` is the network port of the resolution, with the limits of the
registry's list fetcher (:class:`lintas.trust_fetch.TrustListFetcher`): a time budget for the
whole resolution of one chain (``LINTAS_VERIFIER_FEDERATION_TIMEOUT``, all its fetches together),
redirects never followed, the body read in chunks and refused past
:data:`MAX_STATEMENT_BYTES`, and only ``application/entity-statement+jwt``
answers. It is a fetcher of its own because its URLs are many and come from the statements
(the list fetcher has one configured URL and an ETag), and because a 404 means something here:
the superior does not vouch for the subject (the chain fails with ``untrusted_issuer``). As the
URLs come from the credential and the statements, only https URLs are fetched, and no host that
is ``localhost`` or an IP literal outside the global address space; in development, loopback
hosts only (http or https). (Host names are not resolved here: a deployment that must stop DNS names resolving
to private addresses does so in its egress proxy.)
"""

from __future__ import annotations

import ipaddress
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx

from idcore.errors import IdcoreError
from idcore.jose import verify_parsed
from idcore.jwk import public_key_from_jwk
from idcore.trust import AseanTrustList, ChainCache, TrustFramework, TrustSnapshot
from idcore.trust.combined import CombinedTrust
from idcore.trust.federation import (
    WELL_KNOWN_PATH,
    FederationTrust,
    TrustAnchor,
    parse_statement,
)
from idcore.trust.federation_keys import normalise_jwk
from idcore.trust.framework import IssuerEvidence, TrustJudgement
from lintas.devmode import is_loopback_host
from lintas.trust_fetch import read_bounded
from verifier.settings import VerifierSettings

__all__ = ["check_anchor", "federation_source"]

MEDIA_TYPE = "application/entity-statement+jwt"
#: Largest statement read: the limit of idcore's statement parser (``idcore.trust.federation``), which
#: refuses anything larger anyway; reading stops here so a larger body is never held in memory.
MAX_STATEMENT_BYTES = 256 * 1024
_MAX_ANCHOR_KEYS = 4


class FetchRefused(Exception):
    """A statement URL or answer outside the limits (resolution fails closed with the chain invalid)."""


def _allowed(url: str, development: bool) -> bool:
    """https to a public host; in development, loopback only (http or https)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host or parts.username or parts.password or parts.scheme not in ("https", "http"):
        return False
    if development:
        return is_loopback_host(host)
    if parts.scheme != "https" or host == "localhost":
        return False
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return True  # a DNS name (see the module docstring)


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
        if not _allowed(url, self._development):
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


def load_anchor(settings: VerifierSettings) -> TrustAnchor:
    """The configured trust anchor; ``ValueError`` (start-up refused) when its keys are unusable.

    Keys are public EC P-256 JWKs (ES256, the federation's algorithm here), 1 to 4 of them (a
    rollover), ``kid`` their RFC 7638 thumbprint (added when absent); private members are refused.
    """
    if settings.federation_trust_anchor is None:
        raise ValueError("no federation trust anchor is configured")
    path = settings.federation_trust_anchor_jwks_file
    try:
        text = path.read_text(encoding="utf-8") if path is not None else str(settings.federation_trust_anchor_jwks)
        document: Any = json.loads(text)
    except (OSError, ValueError) as exc:
        raise ValueError(f"federation trust anchor JWK Set unreadable: {type(exc).__name__}") from None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not 1 <= len(keys) <= _MAX_ANCHOR_KEYS:
        raise ValueError(f"the federation trust anchor JWK Set must hold 1 to {_MAX_ANCHOR_KEYS} keys")
    try:
        jwks = tuple(normalise_jwk(key) for key in keys)
    except IdcoreError as exc:
        raise ValueError(f"federation trust anchor key: {exc.detail}") from None
    return TrustAnchor(settings.federation_trust_anchor, jwks)


class BudgetedFederation:
    """:class:`FederationTrust` with one time budget per judgement (:meth:`StatementFetcher.resolution`)."""

    def __init__(self, federation: FederationTrust, fetcher: StatementFetcher) -> None:
        """Judge with ``federation``, whose fetches go through ``fetcher``."""
        self.federation = federation
        self._fetcher = fetcher

    def judge(self, evidence: IssuerEvidence) -> TrustJudgement:
        """The federation's judgement, its resolution (if the chain is not cached) within the budget."""
        with self._fetcher.resolution():
            return self.federation.judge(evidence)


def federation_trust(settings: VerifierSettings, http: httpx.Client) -> BudgetedFederation:
    """The federation as configured: the pinned anchor, the bounded fetcher, chains cached briefly."""
    fetch = StatementFetcher(http, timeout=settings.federation_timeout, development=settings.development)
    federation = FederationTrust(
        load_anchor(settings),
        fetch,
        allow_loopback_http=settings.development,
        max_cache=settings.federation_max_cache,
    )
    return BudgetedFederation(federation, fetch)


def federation_source(
    settings: VerifierSettings,
    http: httpx.Client,
    listed: Callable[[], TrustSnapshot] | None = None,
    metadata_fetch: Callable[[str], Mapping[str, Any]] | None = None,
) -> Callable[[], TrustFramework]:
    """The trust source of ``trust_mode`` federation (``listed`` None) or both (the list judged first).

    In ``both`` the list's snapshot is taken per verification (a stale list fails it closed, as in
    list mode) and combined with the federation by :class:`~idcore.trust.combined.CombinedTrust`:
    a revocation on either path wins, else the first that trusts.
    """
    federation = federation_trust(settings, http)
    if listed is None:
        return lambda: federation
    chains = ChainCache()

    def both() -> TrustFramework:
        asean = AseanTrustList(listed(), metadata_fetch=metadata_fetch, chains=chains)
        return CombinedTrust([asean, federation])

    return both


def check_anchor(settings: VerifierSettings, http: httpx.Client, now: int) -> str:
    """Resolve the configured anchor (``check-config``): its configuration, signed by a pinned key, valid now.

    Returns a one-line description; raises ``ValueError`` saying what is wrong.
    """
    anchor = load_anchor(settings)
    fetch = StatementFetcher(http, timeout=settings.federation_timeout, development=settings.development)
    url = anchor.entity_id + WELL_KNOWN_PATH
    try:
        token = fetch(url)
    except (FetchRefused, httpx.HTTPError) as exc:
        raise ValueError(f"{url}: {type(exc).__name__} {exc}") from None
    if token is None:
        raise ValueError(f"{url} answered 404: is this the trust anchor's entity id?")
    try:
        statement = parse_statement(token)
        kid = statement.jws.header.get("kid")
        key = next((k for k in anchor.jwks if k["kid"] == kid), None)
        if key is None:
            raise ValueError(f"the anchor's configuration is signed with key {kid!r}, which is not pinned")
        verify_parsed(statement.jws, public_key_from_jwk(key), algorithms=frozenset({"ES256"}), typ=None)
    except IdcoreError as exc:
        raise ValueError(f"the anchor's configuration does not verify: {exc.reason.value}: {exc.detail}") from None
    if statement.iss != anchor.entity_id or statement.sub != anchor.entity_id:
        raise ValueError(f"{url} is the configuration of {statement.sub}, not of {anchor.entity_id}")
    if not statement.iat <= now < statement.exp:
        raise ValueError("the anchor's configuration is not valid now: check the clock")
    subordinates = statement.metadata.get("federation_entity", {})
    return f"trust anchor {anchor.entity_id} resolves, signed by pinned key {kid} (fetch endpoint: " + (
        "yes)" if isinstance(subordinates, dict) and "federation_fetch_endpoint" in subordinates else "none)"
    )
