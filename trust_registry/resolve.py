"""The trust anchor's resolve endpoint: OpenID Federation 1.0 Section 8.3 ("Resolve Entity").

The registry, as the ASEAN trust anchor, resolves an entity's trust chain to itself and answers
with a signed *resolve response* (Section 8.3.2): a JWT of ``typ`` ``resolve-response+jwt``
signed with the anchor's federation key (``kid`` its RFC 7638 thumbprint), whose claims are
``iss`` (the anchor), ``sub``, ``iat``, ``exp`` (the minimum of the chain's and of every included
trust mark's ``exp``), ``metadata`` (the resolved metadata, only the requested entity types),
``trust_chain`` (the statements, the subject's configuration first and the anchor's last) and
``trust_marks`` (only the entries that validated).

**Only subjects the federation vouches for are resolved**: the anchor itself, the member states'
intermediates and the subordinates those intermediates issue statements about *now*
(:meth:`trust_registry.federation_members.MemberStates.subordinates`). Anything else is
``not_found`` before any network request, so the endpoint is no open proxy to arbitrary URLs.
The only statement fetched over the network is the subject's own entity configuration (a leaf's),
with the bounded :class:`lintas.federation_fetch.StatementFetcher`; the intermediate's and the
anchor's statements are produced in-process by :attr:`RegistryService.federation` (no HTTP call
to itself). The chain is then validated by :func:`idcore.trust.federation.validate_chain` against
the anchor's own ``TrustAnchor(entity_id, jwks)`` (Section 10.2), so metadata policies
(Section 6.1) are applied and trust marks checked exactly as a verifier does.

Bounds: a global cap on concurrent outbound resolutions (when full: ``temporarily_unavailable``,
never a queue), one time budget per resolution, and a short bounded cache of answers per
(subject, entity types) so a flood costs one fetch. The vouching check runs before the cache, so
a suspended issuer stops resolving at once. Errors are :class:`ResolveError`, carrying the
Section 8.9 error code and HTTP status.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from idcore.errors import IdcoreError, Reason, TrustError
from idcore.jose import parse_compact, sign_compact
from idcore.ports import Signer
from idcore.trust.federation import TrustAnchor, parse_statement, validate_chain
from idcore.trust.federation_marks import valid_trust_marks
from lintas.federation_fetch import FetchRefused, StatementFetcher
from trust_registry.federation import TrustAnchorStatements
from trust_registry.service import RegistryService

__all__ = ["RESOLVE_MEDIA_TYPE", "ResolveError", "Resolver"]

RESOLVE_RESPONSE_TYP = "resolve-response+jwt"
RESOLVE_MEDIA_TYPE = "application/resolve-response+jwt"
#: As many trust marks as idcore's mark check considers (``idcore.trust.federation_marks``).
_MAX_MARKS = 16
#: Seconds a leaf's refusal (slow, oversized, mis-signed) is remembered: a flood against a failing
#: leaf costs one fetch, and a leaf that has fixed its configuration resolves again soon.
_REFUSAL_SECONDS = 10


class ResolveError(Exception):
    """A refusal in the federation's error format (Section 8.9): ``error`` code and HTTP status."""

    def __init__(self, status: int, error: str, description: str) -> None:
        """``status`` the HTTP status the spec names for ``error``."""
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def _not_found() -> ResolveError:
    return ResolveError(404, "not_found", "the trust anchor does not vouch for this entity")


def _invalid_chain(description: str) -> ResolveError:
    return ResolveError(400, "invalid_trust_chain", description)


def sign_resolve_response(claims: Mapping[str, Any], signer: Signer, kid: str) -> str:
    """Sign a resolve response (Section 8.3.2): ``typ`` ``resolve-response+jwt`` and the key's ``kid``."""
    return sign_compact({"typ": RESOLVE_RESPONSE_TYP, "kid": kid}, claims, signer)


@dataclass(frozen=True, slots=True)
class _Subject:
    """Where a vouched-for subject sits: the anchor, an intermediate, or a leaf below some intermediates."""

    kind: str  # "anchor" | "intermediate" | "leaf"
    countries: tuple[str, ...] = ()


class _AnswerCache:
    """Answers (tokens or refusals) per key until a deadline; at most ``entries``, oldest evicted first."""

    def __init__(self, seconds: int, entries: int) -> None:
        self._seconds = seconds
        self._entries = entries
        self._answers: OrderedDict[tuple[str, tuple[str, ...]], tuple[str | ResolveError, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, tuple[str, ...]], now: int) -> str | ResolveError | None:
        """The answer remembered for ``key`` if it is still fresh at ``now``."""
        with self._lock:
            found = self._answers.get(key)
            if found is None or now >= found[1]:
                self._answers.pop(key, None)
                return None
            return found[0]

    def put(self, key: tuple[str, tuple[str, ...]], answer: str | ResolveError, now: int, exp: int) -> None:
        """Remember ``answer`` until ``exp`` at most (never past the configured seconds; 0: nothing kept)."""
        if self._seconds <= 0:
            return
        with self._lock:
            self._answers[key] = (answer, min(now + self._seconds, exp))
            self._answers.move_to_end(key)
            while len(self._answers) > self._entries:
                self._answers.popitem(last=False)


class Resolver:
    """Resolves vouched-for entities to signed resolve responses; one per app, thread-safe."""

    def __init__(
        self,
        service: RegistryService,
        fetcher: StatementFetcher,
        *,
        max_concurrent: int = 4,
        cache_seconds: int = 60,
        cache_entries: int = 1024,
    ) -> None:
        """``fetcher`` fetches leaf configurations; at most ``max_concurrent`` of them at once."""
        self._service = service
        self._federation: TrustAnchorStatements = service.federation
        self._fetcher = fetcher
        self._outbound = threading.BoundedSemaphore(max_concurrent)
        self._cache = _AnswerCache(cache_seconds, cache_entries)

    @property
    def entity_id(self) -> str:
        """The trust anchor's entity identifier (the only ``trust_anchor`` this resolver serves)."""
        return self._federation.entity_id

    def resolve(self, sub: str, entity_types: Sequence[str]) -> str:
        """The signed resolve response for ``sub`` (metadata of ``entity_types`` only, if any given).

        Raises :class:`ResolveError`: ``not_found`` for a subject the federation does not vouch for
        now (nothing fetched), ``temporarily_unavailable`` when the outbound cap is reached,
        ``invalid_trust_chain`` / ``invalid_metadata`` when the chain does not validate.
        """
        now = self._service.clock.now()
        subject = self._locate(sub, now)
        key = (sub, tuple(sorted(set(entity_types))))
        cached = self._cache.get(key, now)
        if isinstance(cached, ResolveError):
            raise cached
        if cached is not None:
            return cached
        if subject.kind != "leaf":
            return self._answer(key, self._local_chain(sub, subject, now), now)
        if not self._outbound.acquire(blocking=False):
            raise ResolveError(503, "temporarily_unavailable", "too many resolutions in progress; retry shortly")
        try:
            return self._answer(key, self._leaf_chain(sub, subject, now), now)
        except ResolveError as refusal:
            self._cache.put(key, refusal, now, now + _REFUSAL_SECONDS)
            raise
        finally:
            self._outbound.release()

    def _locate(self, sub: str, now: int) -> _Subject:
        """Where ``sub`` sits in the federation now; ``not_found`` if nowhere (checked before any fetch)."""
        if sub == self.entity_id:
            return _Subject("anchor")
        trust_list = self._service.current().trust_list
        members = self._federation.members
        country = members.country(trust_list, sub) if sub.startswith(self.entity_id + "/") else None
        if country is not None and sub == members.entity_id(country.code):
            return _Subject("intermediate", (country.code,))
        fabric = self._service.current_fabric()
        codes = tuple(c.code for c in trust_list.countries if sub in members.subordinates(c, fabric, now))
        if not codes:
            raise _not_found()
        return _Subject("leaf", codes)

    def _local_chain(self, sub: str, subject: _Subject, now: int) -> list[str]:
        """The anchor's or an intermediate's chain, every statement produced in-process."""
        trust_list = self._service.current().trust_list
        anchor_configuration = self._federation.configuration(trust_list, now)
        if subject.kind == "anchor":
            return [anchor_configuration]
        country = trust_list.country(subject.countries[0])
        about = self._federation.statement(trust_list, self._service.current_fabric(), sub, now)
        if country is None or about is None:
            raise _not_found()  # withdrawn between the two reads
        return [self._federation.members.configuration(country, now), about, anchor_configuration]

    def _leaf_chain(self, sub: str, subject: _Subject, now: int) -> list[str]:
        """Fetch the leaf's configuration (bounded) and put the local statements above it."""
        leaf = self._fetch_configuration(sub)
        try:
            hints = parse_statement(leaf).authority_hints
        except TrustError as exc:
            raise _invalid_chain(f"the subject's entity configuration is unusable: {exc.detail}") from None
        members = self._federation.members
        # The superior is one the leaf names itself (Section 10.1), among those that vouch for it.
        code = next((c for h in hints for c in subject.countries if h == members.entity_id(c)), None)
        trust_list = self._service.current().trust_list
        country = trust_list.country(code) if code is not None else None
        if country is None:
            raise _invalid_chain("the subject names no superior of this federation that vouches for it")
        fabric = self._service.current_fabric()
        about_leaf = members.statement(country, fabric, sub, now)
        about_member = self._federation.statement(trust_list, fabric, members.entity_id(country.code), now)
        if about_leaf is None or about_member is None:
            raise _not_found()  # withdrawn while the configuration was fetched
        anchor_configuration = self._federation.configuration(trust_list, now)
        return [leaf.decode("ascii").strip(), about_leaf, about_member, anchor_configuration]

    def _fetch_configuration(self, sub: str) -> bytes:
        """The subject's entity configuration, within the fetcher's limits and one time budget."""
        try:
            with self._fetcher.resolution():
                body = self._fetcher(TrustAnchorStatements.well_known(sub))
        except FetchRefused as exc:
            raise _invalid_chain(f"the subject's entity configuration was refused: {exc}") from None
        except httpx.HTTPError as exc:
            raise _invalid_chain(
                f"the subject's entity configuration could not be fetched: {type(exc).__name__}"
            ) from None
        if body is None:
            raise ResolveError(404, "not_found", "the subject serves no entity configuration")
        return body

    def _answer(self, key: tuple[str, tuple[str, ...]], tokens: list[str], now: int) -> str:
        """Validate ``tokens`` as the anchor's verifiers would, sign the response and cache it."""
        anchor = TrustAnchor(self.entity_id, tuple(self._federation.jwks["keys"]))
        # The anchor as subject has the one-statement chain [its configuration] (Section 4); validating
        # it as [configuration, configuration] checks exactly that: self-signed by the anchor's keys, in date.
        checked = tokens if len(tokens) > 1 else tokens * 2
        try:
            chain = validate_chain(checked, anchor, now)
        except TrustError as exc:
            if exc.reason is Reason.FEDERATION_POLICY_ERROR:
                raise ResolveError(400, "invalid_metadata", exc.detail) from None
            raise _invalid_chain(exc.detail) from None
        subject, anchor_configuration = chain.statements[0], chain.statements[-1]
        marks, exp = _valid_marks(subject.claims, anchor_configuration.claims, anchor, chain.expires_at, now)
        claims: dict[str, Any] = {
            "iss": self.entity_id,
            "sub": key[0],
            "iat": now,
            "exp": exp,
            "metadata": {t: v for t, v in chain.metadata.items() if not key[1] or t in key[1]},
            "trust_chain": tokens,
        }
        if marks:
            claims["trust_marks"] = marks
        signer_jwk = self._federation.jwks["keys"][0]
        token = sign_resolve_response(claims, self._service.keys.list_signer, signer_jwk["kid"])
        self._cache.put(key, token, now, exp)
        return token


def _valid_marks(
    subject: Mapping[str, Any], anchor_configuration: Mapping[str, Any], anchor: TrustAnchor, expires_at: int, now: int
) -> tuple[list[dict[str, Any]], int]:
    """The subject's ``trust_marks`` entries that validate, each on its own, and the response's ``exp``.

    ``subject`` and ``anchor_configuration`` are the claims of a validated chain's first and last
    statements. Section 8.3: the response holds only verified trust marks, and its ``exp`` is the
    minimum of the chain's (``expires_at``) and theirs.
    """
    entries = subject.get("trust_marks", [])
    kept: list[dict[str, Any]] = []
    exp = expires_at
    for entry in entries[:_MAX_MARKS] if isinstance(entries, list) else []:
        alone = {"sub": subject.get("sub"), "trust_marks": [entry]}
        if not valid_trust_marks(alone, anchor_configuration, anchor.jwks, now):
            continue
        kept.append(dict(entry))
        mark_exp = _mark_exp(entry["trust_mark"])
        exp = min(exp, mark_exp) if mark_exp is not None else exp
    return kept, exp


def _mark_exp(token: str) -> int | None:
    """``exp`` of a trust mark that has validated (so it parses; ``None`` when it has no ``exp``)."""
    try:
        exp = parse_compact(token).claims().get("exp")
    except IdcoreError:
        return None
    return exp if isinstance(exp, int) else None
