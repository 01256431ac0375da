"""OpenID Federation 1.0: entity statements, trust chains to a configured trust anchor, and
credential issuers trusted through them (issue #16 item 2).

* **Entity statements** (Section 3): JWS with ``typ`` ``entity-statement+jwt``, an ``alg``
  allow-list (ES256, as HAIP asks of the ecosystem's keys) and a ``kid`` naming a key of the
  ``jwks`` that must verify it; claims ``iss``, ``sub``, ``iat``, ``exp``, ``jwks`` required.
  An *entity configuration* has ``iss == sub`` and is served at ``/.well-known/openid-federation``
  (Section 9); a *subordinate statement* is issued by a superior about ``sub`` and served by its
  ``federation_fetch_endpoint`` (Section 8.1).
* **Trust chain validation** (Section 10.2): every statement's ``iat`` in the past and ``exp``
  in the future; ``ES[0]`` self-issued and verifying with its own ``jwks``; ``ES[j].iss ==
  ES[j+1].sub`` and ``ES[j]`` verifying with ``ES[j+1].jwks``; the last statement the trust
  anchor's entity configuration, verifying with the anchor's *configured* keys (never with keys
  the chain brings). Then metadata is resolved (Section 6.1, :mod:`idcore.trust.federation_policy`):
  the immediate superior's ``metadata`` overrides the subject's parameters, and the merged
  ``metadata_policy`` of every subordinate statement, the anchor's first, is applied. The chain
  expires at its smallest ``exp`` (Section 10.3).
* **Resolution** (Section 10.1): from the subject's entity configuration up its
  ``authority_hints`` (the configured anchor preferred, otherwise the first hint), fetching each
  superior's configuration and its subordinate statement about the entity below, at most
  :data:`MAX_CHAIN_LENGTH` statements. The network is a port: ``fetch(url) -> bytes`` or ``None``
  when the server answers 404 (a superior that no longer vouches for its subordinate).

Trust marks: :mod:`idcore.trust.federation_marks` (anchor-issued marks only).
Not (yet) done: ``constraints`` (Section 6.2), ``crit`` and
``metadata_policy_crit`` (refused if present), resolve endpoints and multiple anchors.
Refusals are :class:`TrustError` ``federation_chain_invalid`` or ``federation_policy_error``;
a superior without a statement about the subject is ``untrusted_issuer``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any
from urllib.parse import quote

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from idcore.errors import IdcoreError, Reason, TrustError
from idcore.jose import ParsedJws, parse_compact, sign_compact, verify_parsed
from idcore.jwk import PublicKey, jwk_thumbprint, public_jwk, public_key_from_jwk
from idcore.ports import Signer
from idcore.trust.federation_marks import MAX_SKEW, valid_trust_marks
from idcore.trust.federation_policy import apply_policy, merge_policies
from idcore.trust.framework import IssuerEvidence, TrustedIssuer, TrustJudgement
from idcore.trust.model import check_identifier
from idcore.x509 import load_der_certificate

__all__ = [
    "ISSUER_ENTITY_TYPE",
    "META_COUNTRY",
    "META_LEVEL",
    "META_VCTS",
    "VERIFIER_ENTITY_TYPE",
    "WELL_KNOWN_PATH",
    "FederationTrust",
    "TrustAnchor",
    "parse_statement",
    "resolve_chain",
    "sign_entity_statement",
    "validate_chain",
]

ENTITY_STATEMENT_TYP = "entity-statement+jwt"
ENTITY_STATEMENT_ALGS = frozenset({"ES256"})
WELL_KNOWN_PATH = "/.well-known/openid-federation"
#: Leaf configuration, up to three subordinate statements, the anchor's configuration.
MAX_CHAIN_LENGTH = 5
#: A leaf's configuration carries its whole protocol metadata: a PID issuer's, with its SD-JWT VC
#: and mdoc configurations labelled in the 12 languages of ASEAN, is over 64 KiB signed. 256 KiB
#: leaves room for that and bounds a whole chain at 1.25 MiB (the verifier's fetcher reads no
#: more than this either).
MAX_STATEMENT_BYTES = 256 * 1024
_MAX_KEYS = 16
_REQUIRED = ("iss", "sub", "iat", "exp", "jwks")
#: ``fetch(url)`` returns the body, ``None`` for 404, or raises for any other failure.
Fetch = Callable[[str], bytes | None]


def _invalid(detail: str) -> TrustError:
    return TrustError(Reason.FEDERATION_CHAIN_INVALID, detail)


@dataclass(frozen=True, slots=True)
class EntityStatement:
    """A parsed (not yet verified) entity statement."""

    iss: str
    sub: str
    iat: int
    exp: int
    jwks: tuple[Mapping[str, Any], ...]
    claims: Mapping[str, Any]
    jws: ParsedJws = field(repr=False, compare=False)

    @property
    def authority_hints(self) -> tuple[str, ...]:
        """The superiors the entity names (entity configurations only)."""
        hints = self.claims.get("authority_hints", [])
        return tuple(h for h in hints if isinstance(h, str)) if isinstance(hints, list) else ()

    @property
    def metadata(self) -> Mapping[str, Any]:
        """``metadata`` by entity type (empty when absent)."""
        value = self.claims.get("metadata", {})
        return value if isinstance(value, dict) else {}

    def fetch_endpoint(self) -> str | None:
        """The ``federation_fetch_endpoint`` of this entity's configuration, if it has one."""
        entity = self.metadata.get("federation_entity", {})
        endpoint = entity.get("federation_fetch_endpoint") if isinstance(entity, dict) else None
        return endpoint if isinstance(endpoint, str) and endpoint.startswith(("https://", "http://")) else None


def parse_statement(token: bytes | str) -> EntityStatement:
    """Parse an entity statement and check its shape (``typ``, required claims); no signature yet."""
    try:
        text = token.decode("ascii") if isinstance(token, bytes) else token
        jws = parse_compact(text.strip(), max_bytes=MAX_STATEMENT_BYTES)
        claims = jws.claims()
    except (IdcoreError, UnicodeDecodeError) as exc:
        raise _invalid(f"entity statement does not parse: {exc}") from None
    if jws.header.get("typ") != ENTITY_STATEMENT_TYP or "crit" in jws.header or "metadata_policy_crit" in claims:
        raise _invalid("not an entity-statement+jwt (or names critical extensions)")
    missing = [c for c in _REQUIRED if c not in claims]
    if missing:
        raise _invalid(f"entity statement lacks {missing}")
    iss, sub, iat, exp = claims["iss"], claims["sub"], claims["iat"], claims["exp"]
    if not isinstance(iss, str) or not isinstance(sub, str) or not _is_time(iat) or not _is_time(exp):
        raise _invalid("iss/sub must be strings and iat/exp integers")
    keys = claims["jwks"].get("keys") if isinstance(claims["jwks"], dict) else None
    if not isinstance(keys, list) or not keys or len(keys) > _MAX_KEYS or not all(isinstance(k, dict) for k in keys):
        raise _invalid(f"{sub}: jwks must hold 1 to {_MAX_KEYS} keys")
    return EntityStatement(iss, sub, iat, exp, tuple(keys), claims, jws)


def _is_time(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53


def _verify(statement: EntityStatement, jwks: Sequence[Mapping[str, Any]], what: str) -> None:
    """Verify with the key of ``jwks`` the header's ``kid`` names (a kid is required: no guessing)."""
    kid = statement.jws.header.get("kid")
    key_jwk = next((k for k in jwks if isinstance(kid, str) and k.get("kid") == kid), None)
    if key_jwk is None:
        raise _invalid(f"{what}: signed with a key ({kid!r}) that is not in the expected jwks")
    try:
        verify_parsed(statement.jws, public_key_from_jwk(key_jwk), algorithms=ENTITY_STATEMENT_ALGS, typ=None)
    except IdcoreError as exc:
        raise _invalid(f"{what}: {exc.reason.value}: {exc.detail}") from None


@dataclass(frozen=True, slots=True)
class TrustAnchor:
    """A configured trust anchor: its entity identifier and its keys (obtained out of band)."""

    entity_id: str
    jwks: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True, slots=True)
class ResolvedChain:
    """A validated chain: subject, statements (subject's configuration first), resolved metadata."""

    subject: str
    anchor: str
    statements: tuple[EntityStatement, ...]
    metadata: Mapping[str, Any]
    expires_at: int
    #: Types of the valid trust marks the subject carries (:mod:`idcore.trust.federation_marks`).
    trust_marks: frozenset[str] = frozenset()


def _check_times(statements: Sequence[EntityStatement], now: int) -> None:
    for statement in statements:
        if statement.iat > now + MAX_SKEW:  # a bounded skew: statements are signed per request (see MAX_SKEW)
            raise _invalid(f"statement about {statement.sub} issued in the future")
        if statement.exp <= now:
            raise _invalid(f"statement about {statement.sub} by {statement.iss} has expired")


def validate_chain(tokens: Sequence[bytes | str], anchor: TrustAnchor, now: int) -> ResolvedChain:
    """Validate a trust chain (Section 10.2) and resolve its subject's metadata (Section 6.1)."""
    if not 2 <= len(tokens) <= MAX_CHAIN_LENGTH:
        raise _invalid(f"a trust chain has 2 to {MAX_CHAIN_LENGTH} statements")
    chain = [parse_statement(t) for t in tokens]
    _check_times(chain, now)
    subject, last = chain[0], chain[-1]
    if subject.iss != subject.sub:
        raise _invalid("the chain does not start with an entity configuration")
    if last.iss != anchor.entity_id or last.sub != anchor.entity_id:
        raise _invalid(f"the chain ends at {last.iss}, not at the trust anchor {anchor.entity_id}")
    for middle in chain[1:-1]:
        if middle.iss == middle.sub:
            raise _invalid(f"{middle.iss}: a subordinate statement must be about another entity")
    # Cheap checks first (Section 10.2 allows it); then every signature, the anchor's by its configured keys.
    for below, above in pairwise(chain):
        if below.iss != above.sub:
            raise _invalid(f"{below.iss} issued a statement but the next one is about {above.sub}")
    _verify(subject, subject.jwks, f"configuration of {subject.sub}")
    for below, above in pairwise(chain):
        _verify(below, above.jwks, f"statement by {below.iss} about {below.sub}")
    _verify(last, anchor.jwks, f"configuration of the trust anchor {anchor.entity_id}")
    metadata = _resolve_metadata(chain)
    marks = valid_trust_marks(subject.claims, last.claims, anchor.jwks, now)
    return ResolvedChain(subject.sub, anchor.entity_id, tuple(chain), metadata, min(s.exp for s in chain), marks)


def _resolve_metadata(chain: Sequence[EntityStatement]) -> dict[str, Any]:
    subordinate_statements = chain[1:-1]
    own = {t: dict(v) for t, v in chain[0].metadata.items() if isinstance(v, dict)}
    if subordinate_statements:
        # The immediate superior's metadata takes precedence over the subject's own (Section 6.1.4.2 step 2).
        for entity_type, params in subordinate_statements[0].metadata.items():
            if isinstance(params, dict):
                own.setdefault(entity_type, {}).update(params)
    policies = [s.claims["metadata_policy"] for s in reversed(subordinate_statements) if "metadata_policy" in s.claims]
    return apply_policy(merge_policies(policies), own)


def _well_known(entity_id: str) -> str:
    return entity_id.rstrip("/") + WELL_KNOWN_PATH


def _get(fetch: Fetch, url: str) -> bytes:
    try:
        body = fetch(url)
    except Exception as exc:  # the port may raise anything; resolution fails closed
        raise _invalid(f"cannot fetch {url}: {type(exc).__name__}") from None
    if body is None:
        raise TrustError(Reason.UNTRUSTED_ISSUER, f"{url}: not found")
    return body


def resolve_chain(entity_id: str, anchor: TrustAnchor, fetch: Fetch, now: int) -> ResolvedChain:
    """Collect the chain from ``entity_id`` up to ``anchor`` (Section 10.1) and validate it."""
    tokens = [_get(fetch, _well_known(entity_id))]
    current = parse_statement(tokens[0])
    subject = current.sub
    if subject != entity_id:
        raise _invalid(f"{entity_id} served the configuration of {subject}")
    while len(tokens) < MAX_CHAIN_LENGTH - 1:
        hints = current.authority_hints
        if not hints:
            raise _invalid(f"{current.sub} names no superior and is not the trust anchor")
        superior_id = anchor.entity_id if anchor.entity_id in hints else hints[0]
        superior_token = _get(fetch, _well_known(superior_id))
        superior = parse_statement(superior_token)
        endpoint = superior.fetch_endpoint()
        if superior.sub != superior_id or endpoint is None:
            raise _invalid(f"{superior_id} is no federation authority (no fetch endpoint)")
        try:
            tokens.append(_get(fetch, f"{endpoint}?sub={quote(current.sub, safe='')}"))
        except TrustError as exc:
            if exc.reason is Reason.UNTRUSTED_ISSUER:
                raise TrustError(
                    Reason.UNTRUSTED_ISSUER, f"{superior_id} has no statement about {current.sub}"
                ) from None
            raise
        if superior_id == anchor.entity_id:
            tokens.append(superior_token)
            return validate_chain(tokens, anchor, now)
        current = superior
    raise _invalid(f"no trust anchor within {MAX_CHAIN_LENGTH} statements of {subject}")


def sign_entity_statement(claims: Mapping[str, Any], signer: Signer, kid: str) -> str:
    """Sign an entity statement (``typ`` ``entity-statement+jwt``, ``kid`` of the signing key)."""
    if signer.alg not in ENTITY_STATEMENT_ALGS:
        raise TrustError(Reason.ALG_NOT_ALLOWED, f"entity statements are signed with ES256, not {signer.alg}")
    return sign_compact({"typ": ENTITY_STATEMENT_TYP, "kid": kid}, claims, signer)


def leaf_key(metadata: Mapping[str, Any], kid: str | None) -> PublicKey | None:
    """The key of an entity type's metadata ``jwks`` with ``kid`` (or its only key), if any."""
    keys = metadata.get("jwks", {}).get("keys") if isinstance(metadata.get("jwks"), dict) else None
    if not isinstance(keys, list):
        return None
    chosen = [k for k in keys if isinstance(k, dict) and (kid is None or k.get("kid") == kid)]
    if len(chosen) != 1:
        return None
    try:
        return public_key_from_jwk(chosen[0])
    except IdcoreError:
        return None


#: The entity type of credential issuers (OpenID4VCI 1.0 Section 12.2.4 names it for federation).
ISSUER_ENTITY_TYPE = "openid_credential_issuer"
#: The entity type of OpenID4VP verifiers (OpenID Federation Wallet Architectures 1.0; its metadata
#: is the verifier's client metadata, OpenID4VP 1.0 Section 11.1).
VERIFIER_ENTITY_TYPE = "openid_credential_verifier"
#: Lintas parameters of that type, set by the trust anchor's policy: country, types, common level.
META_COUNTRY, META_VCTS, META_LEVEL = "lintas_country", "lintas_vcts", "lintas_assurance_level"
FRAMEWORK = "openid-federation"


def _presented_key(evidence: IssuerEvidence, metadata: Mapping[str, Any]) -> PublicKey | None:
    """The credential's key, tied to the resolved metadata: the x5c leaf's key must be one of its jwks."""
    if evidence.x5c:
        try:
            cert_key = load_der_certificate(base64.b64decode(evidence.x5c[0], validate=True)).public_key()
        except ValueError:
            return None
        if not isinstance(cert_key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
            return None
        presented = jwk_thumbprint(public_jwk(cert_key))
        keys = metadata.get("jwks", {}).get("keys", []) if isinstance(metadata.get("jwks"), dict) else []
        match = next((k for k in keys if isinstance(k, dict) and _thumbprint(k) == presented), None)
        return public_key_from_jwk(match) if match is not None else None
    return leaf_key(metadata, evidence.key_id)


def _thumbprint(jwk: Mapping[str, Any]) -> str | None:
    try:
        return jwk_thumbprint(jwk)
    except IdcoreError:
        return None


class FederationTrust:
    """The OpenID Federation as a :class:`~idcore.trust.framework.TrustFramework`.

    An issuer is trusted when a chain from its entity configuration to ``anchor`` validates now
    and its resolved ``openid_credential_issuer`` metadata lists the credential type in
    ``lintas_vcts`` (which the anchor's policy narrows with ``subset_of``) for the claimed
    country, and carries a valid trust mark of every type in ``required_marks``. Reasons:
    ``trust_mark_missing``, ``untrusted_issuer`` (no chain: a superior has no statement about it, or
    the credential's key is not in the issuer's resolved ``jwks``), ``federation_chain_invalid``,
    ``federation_policy_error``, ``not_authorised`` (type not listed, country differs). A
    federation judges *now*: a statement that is withdrawn stops everything from its ``exp`` on.
    Validated chains are cached until they expire (Section 10.3).
    """

    def __init__(
        self,
        anchor: TrustAnchor,
        fetch: Fetch,
        *,
        required_marks: frozenset[str] = frozenset(),
        allow_loopback_http: bool = False,
        max_chains: int = 1024,
        max_cache: int | None = None,
    ) -> None:
        """Configure (``required_marks``: trust mark types an issuer must carry); nothing is fetched here.

        A resolved chain is reused until its earliest ``exp`` (Section 10.3), and at most
        ``max_cache`` seconds when set (0: resolve on every judgement), so an operator can bound how
        long a withdrawn subordinate statement still resolves from this cache.

        Only https issuer identifiers are resolved (``http://127.0.0.1``/``localhost`` too with
        ``allow_loopback_http``, for demos): the identifier comes from the credential, so it
        decides what the verifier fetches; ``fetch`` must also refuse private addresses.
        """
        self.anchor = anchor
        self.required_marks = required_marks
        self._loopback = allow_loopback_http
        self._fetch = fetch
        self._chains: dict[str, tuple[ResolvedChain, int]] = {}
        self._max = max_chains
        self._max_cache = max_cache

    def chain(self, entity_id: str, now: int) -> ResolvedChain:
        """A valid chain for ``entity_id`` at ``now`` (cached until its expiry); raises TrustError."""
        cached = self._chains.get(entity_id)
        if cached is not None and now < cached[1]:
            return cached[0]
        chain = resolve_chain(entity_id, self.anchor, self._fetch, now)
        if len(self._chains) >= self._max:
            self._chains.clear()
        until = chain.expires_at if self._max_cache is None else min(chain.expires_at, now + self._max_cache)
        self._chains[entity_id] = (chain, until)
        return chain

    def judge(self, evidence: IssuerEvidence) -> TrustJudgement:
        """Judge ``evidence`` through the federation (see the class docstring for the reasons)."""
        issuer_id = evidence.issuer_id
        if issuer_id is None:
            return TrustJudgement.refuse(Reason.UNTRUSTED_ISSUER, "the credential names no issuer", framework=FRAMEWORK)
        try:
            check_identifier(issuer_id, allow_loopback_http=self._loopback)
            chain = self.chain(issuer_id, evidence.at)
        except TrustError as exc:
            return TrustJudgement.refuse(exc.reason, exc.detail, framework=FRAMEWORK)
        metadata = chain.metadata.get(ISSUER_ENTITY_TYPE, {})
        key = _presented_key(evidence, metadata)
        country, vcts = metadata.get(META_COUNTRY), metadata.get(META_VCTS)
        level = metadata.get(META_LEVEL)
        if key is None or not isinstance(country, str) or not isinstance(level, str):
            why = f"{issuer_id}: the credential's key is not in its resolved metadata, or no country/level"
            return TrustJudgement.refuse(Reason.UNTRUSTED_ISSUER, why, framework=FRAMEWORK)
        record = TrustedIssuer(issuer_id, country, level)
        if evidence.country is not None and evidence.country != country:
            why = f"{issuer_id} is of {country}, not {evidence.country}"
            return TrustJudgement(False, Reason.NOT_AUTHORISED, why, key, record, FRAMEWORK)
        if not isinstance(vcts, list) or evidence.credential_type not in vcts:
            why = f"{issuer_id} is not authorised by {chain.anchor} for {evidence.credential_type}"
            return TrustJudgement(False, Reason.NOT_AUTHORISED, why, key, record, FRAMEWORK)
        missing = self.required_marks - chain.trust_marks
        if missing:
            why = f"{issuer_id} carries no valid trust mark {sorted(missing)}"
            return TrustJudgement(False, Reason.TRUST_MARK_MISSING, why, key, record, FRAMEWORK)
        why = f"trusted through {len(chain.statements)} statements to {chain.anchor}, until {chain.expires_at}"
        return TrustJudgement(True, None, why, key, record, FRAMEWORK)
