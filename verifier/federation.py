"""Trusting issuers through OpenID Federation 1.0 (issue #16 item 2): the verifier's side.

``LINTAS_VERIFIER_TRUST_MODE=federation`` (or ``both``) makes the verifier resolve each issuer's
trust chain (Section 10) from the issuer's entity configuration up to the *one* configured trust
anchor, whose entity id and JWK Set are configured out of band (Section 10.2: the anchor's keys
are never taken from the chain). The judgement is :class:`idcore.trust.federation.FederationTrust`'s,
with the same reason codes as the list (``untrusted_issuer``, ``not_authorised``, ...), plus
``trust_mark_missing`` when ``LINTAS_VERIFIER_FEDERATION_REQUIRED_TRUST_MARKS`` names a mark the
issuer does not carry (in ``both`` this binds the federation path; the list path has no marks).

:class:`lintas.federation_fetch.StatementFetcher` is the network port of the resolution (shared
with the registry's resolve endpoint): one time budget for the whole resolution of one chain
(``LINTAS_VERIFIER_FEDERATION_TIMEOUT``, all its fetches together), redirects never followed, a
size cap, only ``application/entity-statement+jwt`` answers, and only https URLs to public hosts
(loopback only in development). A 404 means the superior does not vouch for the subject (the
chain fails with ``untrusted_issuer``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

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
from lintas.federation_fetch import FetchRefused, StatementFetcher
from verifier.settings import VerifierSettings

__all__ = ["check_anchor", "federation_source"]

_MAX_ANCHOR_KEYS = 4


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
    """The federation as configured: the pinned anchor, the bounded fetcher, chains cached briefly.

    An issuer must carry a valid mark of every type in ``federation_required_trust_marks``
    (``trust_mark_missing`` otherwise; OpenID Federation 1.0 section "Validating a Trust Mark").
    """
    fetch = StatementFetcher(http, timeout=settings.federation_timeout, development=settings.development)
    federation = FederationTrust(
        load_anchor(settings),
        fetch,
        required_marks=frozenset(settings.federation_required_trust_marks),
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
