"""Relying parties and their verification policies (the configuration file), and the policy check.

A policy names what a relying party asks for and what it accepts: a DCQL query (OpenID4VP 1.0
Section 6; written in full or as a shorthand list of credential types and claim paths), the
purpose shown to the user, accepted issuing countries, maximum credential age, whether holder
binding is required, a minimum issuer assurance level and claims that must be ``true`` (age).

:func:`check_policy` is the pipeline's last check: the wallet is never trusted to have applied
any of it (Section 14.9).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from idcore.dcql import DcqlQuery, parse_query
from idcore.errors import IdcoreError, Reason
from idcore.oid4vp.dc_api import check_origin
from idcore.trust.recognition import PURPOSES, RecognitionSnapshot, recognised_for
from idcore.trust.vct import ASEAN_COUNTRIES, ASSURANCE_LEVELS
from verifier.asean_checks import check_asean_credentials, claim_is_true
from verifier.policy_schema import validate_config_text

__all__ = [
    "ConfigError",
    "Policy",
    "PolicyViolation",
    "Recognition",
    "RelyingParty",
    "VerifiedCredentialView",
    "VerifierConfig",
    "check_policy",
    "load_config",
    "policy_from_json",
    "policy_from_request",
]

_MAX_AGE_LIMIT = 20 * 365 * 86400


class ConfigError(ValueError):
    """The relying-party configuration (or an ad-hoc request) is invalid."""


class PolicyViolation(IdcoreError):
    """A verified presentation does not meet the relying party's policy."""


@dataclass(frozen=True, slots=True)
class Policy:
    """One verification policy; ``dcql`` is the raw query sent to wallets, ``query`` its parsed form."""

    name: str
    purpose: str
    dcql: dict[str, Any]
    query: DcqlQuery
    accepted_countries: frozenset[str] = ASEAN_COUNTRIES
    max_credential_age: int | None = None
    require_holder_binding: bool = True
    min_assurance: str | None = None
    require_true: tuple[str, ...] = ()
    #: Oldest status list (seconds since it was fetched) this policy accepts; 0: fetch now; None: the cache's window.
    status_max_age: int | None = None
    #: Judge foreign credentials by the member states' signed recognition decisions for this purpose
    #: (:data:`idcore.trust.recognition.PURPOSES`); None: by ``accepted_countries`` alone.
    recognition_purpose: str | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON form, stored with each transaction so every replica judges the same way."""
        return {
            "name": self.name,
            "purpose": self.purpose,
            "dcql_query": self.dcql,
            "accepted_countries": sorted(self.accepted_countries),
            "max_credential_age": self.max_credential_age,
            "require_holder_binding": self.require_holder_binding,
            "min_assurance_level": self.min_assurance,
            "require_true": list(self.require_true),
            "status_max_age": self.status_max_age,
            **({"recognition": {"purpose": self.recognition_purpose}} if self.recognition_purpose else {}),
        }


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """A relying party: OAuth client id, display name, country, allowed policies, redirect and webhook."""

    client_id: str
    name: str
    country: str
    policies: tuple[str, ...]
    redirect_uri: str | None = None
    webhook_url: str | None = None
    #: Ad-hoc DCQL queries, and then only for claims its own policies name (closed by default).
    allow_custom_queries: bool = False
    #: Requests per minute for this relying party; ``None`` uses the verifier-wide setting.
    rate_limit_per_minute: int | None = None
    #: Key Binding audiences that are this relying party's, for offline ``/v1/verify`` (default: its client id).
    audiences: tuple[str, ...] = ()
    #: Web origins of its pages that call the Digital Credentials API (the requests' ``expected_origins``);
    #: empty: this relying party cannot use ``dc_api`` / ``dc_api.jwt``.
    origins: tuple[str, ...] = ()

    @property
    def own_audiences(self) -> tuple[str, ...]:
        """The audiences an offline presentation may be bound to when this relying party submits it."""
        return self.audiences or (self.client_id,)


@dataclass(frozen=True, slots=True)
class VerifierConfig:
    """All relying parties and policies of one verifier."""

    policies: Mapping[str, Policy]
    relying_parties: Mapping[str, RelyingParty] = field(default_factory=dict)

    def policy_for(self, rp: RelyingParty, name: str) -> Policy:
        """The named policy if this relying party may use it; :class:`ConfigError` otherwise."""
        if name not in rp.policies or name not in self.policies:
            raise ConfigError(f"policy {name!r} is not available to this relying party")
        return self.policies[name]

    def check_within_registration(self, rp: RelyingParty, policy: Policy) -> None:
        """Refuse an ad-hoc policy that asks for more than the relying party's own policies do.

        Every credential query must name credential types and claim paths that one of its
        registered policies names for that type; a query without claims (everything) is refused.
        """
        registered = {(vct, tuple(path)) for name in rp.policies for vct, path in _asked(self.policies[name].dcql)}
        for vct, path in _asked(policy.dcql, strict=True):
            if (vct, tuple(path)) not in registered:
                claim = "/".join(map(str, path))
                raise ConfigError(f"claim {claim} of {vct} is outside this relying party's registration")


@dataclass(frozen=True, slots=True)
class Recognition:
    """The recognition decisions in force beside the trust list, and whose decisions count."""

    snapshot: RecognitionSnapshot
    verifier_country: str


@dataclass(frozen=True, slots=True)
class VerifiedCredentialView:
    """What the policy check needs to know about one verified credential."""

    query_id: str
    vct: str
    issuer: str
    country: str
    assurance_level: str
    iat: int
    claims: Mapping[str, Any]


def _asked(dcql: Mapping[str, Any], *, strict: bool = False) -> list[tuple[str, list[Any]]]:
    """(credential type, claim path) pairs a DCQL query asks for; ``strict`` refuses a query asking for every claim."""
    pairs: list[tuple[str, list[Any]]] = []
    for credential in dcql.get("credentials", []):
        meta = credential.get("meta") or {}
        types = meta.get("vct_values") or ([meta["doctype_value"]] if "doctype_value" in meta else [])
        claims = credential.get("claims")
        if strict and (not types or not claims):
            raise ConfigError("an ad-hoc query must name its credential types and claims")
        pairs.extend((str(t), list(c.get("path", []))) for t in types for c in claims or [])
    return pairs


def _shorthand_dcql(credentials: Any) -> dict[str, Any]:
    if not isinstance(credentials, list):  # from a request body: anything may arrive here
        raise ConfigError("credentials must be a list of credential queries")
    queries = []
    for item in credentials:
        if not isinstance(item, Mapping) or not isinstance(item.get("claims"), list):
            raise ConfigError("each credential needs an id, vct_values and a list of claim paths")
        queries.append(
            {
                "id": item.get("id"),
                "format": "dc+sd-jwt",
                "meta": {"vct_values": item.get("vct_values")},
                "claims": [{"path": list(p) if isinstance(p, list) else [p]} for p in item["claims"]],
            }
        )
    return {"credentials": queries}


def _countries(raw: Any) -> frozenset[str]:
    if raw is None:
        return ASEAN_COUNTRIES
    # Strings first: issuperset() hashes the items, and a request body may hold lists or objects there.
    if (
        not isinstance(raw, list)
        or not raw
        or not all(isinstance(c, str) for c in raw)
        or not (ASEAN_COUNTRIES.issuperset(raw))
    ):
        raise ConfigError("accepted_countries must be a non-empty list of ASEAN country codes")
    return frozenset(raw)


def _optional_int(raw: Any, name: str, upper: int) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw <= upper:
        raise ConfigError(f"{name} must be a positive integer of at most {upper}")
    return raw


def _parse_policy(name: str, raw: Any, *, allow_unbound: bool = True) -> Policy:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"policy {name!r} must be an object")
    if ("dcql_query" in raw) == ("credentials" in raw):
        raise ConfigError(f"policy {name!r} needs exactly one of dcql_query and credentials")
    dcql = raw["dcql_query"] if "dcql_query" in raw else _shorthand_dcql(raw["credentials"])
    try:
        query = parse_query(dcql)
    except IdcoreError as exc:
        raise ConfigError(f"policy {name!r}: invalid DCQL query ({exc.detail})") from None
    purpose = raw.get("purpose", "")
    binding = raw.get("require_holder_binding", True)
    level = raw.get("min_assurance_level")
    require_true = raw.get("require_true", [])
    if not isinstance(purpose, str) or len(purpose) > 300 or not isinstance(binding, bool):
        raise ConfigError(f"policy {name!r}: purpose must be a short string, require_holder_binding a boolean")
    unbound = not binding or not all(c.require_cryptographic_holder_binding for c in query.credentials)
    if unbound and not allow_unbound:
        raise ConfigError(
            f"policy {name!r} turns holder binding off, which needs LINTAS_VERIFIER_ALLOW_UNBOUND_PRESENTATIONS=true"
        )
    if level is not None and level not in ASSURANCE_LEVELS:
        raise ConfigError(f"policy {name!r}: unknown assurance level")
    if not isinstance(require_true, list) or not all(isinstance(c, str) and c for c in require_true):
        raise ConfigError(f"policy {name!r}: require_true must list claim names")
    return Policy(
        name,
        purpose,
        json.loads(json.dumps(dcql)),
        query,
        _countries(raw.get("accepted_countries")),
        _optional_int(raw.get("max_credential_age"), "max_credential_age", _MAX_AGE_LIMIT),
        binding,
        level,
        tuple(require_true),
        _status_max_age(raw.get("status_max_age")),
        _recognition(name, raw.get("recognition")),
    )


def _recognition(name: str, raw: Any) -> str | None:
    """``{"purpose": P}`` with P one of the registry's recognition purposes, or absent."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or set(raw) != {"purpose"} or raw["purpose"] not in PURPOSES:
        raise ConfigError(f'policy {name!r}: recognition must be {{"purpose": one of {sorted(PURPOSES)}}}')
    return str(raw["purpose"])


def _status_max_age(raw: Any) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= 86400:
        raise ConfigError("status_max_age must be a number of seconds from 0 to 86400")
    return raw


def policy_from_request(body: Mapping[str, Any], *, allow_unbound: bool = False) -> Policy:
    """An ad-hoc policy from a relying party's explicit request (same rules as the file)."""
    return _parse_policy("custom", {k: v for k, v in body.items() if k != "policy"}, allow_unbound=allow_unbound)


def policy_from_json(raw: Mapping[str, Any]) -> Policy:
    """Rebuild a policy stored with a transaction (:meth:`Policy.to_json`)."""
    return _parse_policy(str(raw.get("name", "custom")), {k: v for k, v in raw.items() if k != "name"})


def _parse_rp(client_id: str, raw: Any, policies: Mapping[str, Policy]) -> RelyingParty:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"relying party {client_id!r} must be an object")
    names = raw.get("policies", [])
    if not isinstance(names, list) or not all(n in policies for n in names):
        raise ConfigError(f"relying party {client_id!r} names unknown policies")
    country = raw.get("country")
    if country not in ASEAN_COUNTRIES:
        raise ConfigError(f"relying party {client_id!r} needs an ASEAN country")
    for key in ("redirect_uri", "webhook_url"):
        if raw.get(key) is not None and not str(raw[key]).startswith(("https://", "http://")):
            raise ConfigError(f"relying party {client_id!r}: {key} must be an http(s) URL")
    return RelyingParty(
        client_id,
        str(raw.get("name", client_id)),
        str(country),
        tuple(names),
        raw.get("redirect_uri"),
        raw.get("webhook_url"),
        _flag(raw, "allow_custom_queries", client_id),
        _optional_int(raw.get("rate_limit_per_minute"), "rate_limit_per_minute", 1_000_000),
        _audiences(raw.get("audiences", []), client_id),
        _origins(raw.get("origins", []), client_id),
    )


def _flag(raw: Mapping[str, Any], key: str, client_id: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"relying party {client_id!r}: {key} must be true or false")
    return value


def _audiences(raw: Any, client_id: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(a, str) and 0 < len(a) <= 512 for a in raw):
        raise ConfigError(f"relying party {client_id!r}: audiences must be a list of strings")
    return tuple(raw)


def _origins(raw: Any, client_id: str) -> tuple[str, ...]:
    """Serialized web origins (OpenID4VP 1.0 Appendix A.2 ``expected_origins``), at most 16.

    ``http`` loopback origins parse here; outside development mode the DC API request refuses them.
    """
    if not isinstance(raw, list) or len(raw) > 16 or len(set(raw)) != len(raw):
        raise ConfigError(f"relying party {client_id!r}: origins must be a list of at most 16 distinct origins")
    try:
        return tuple(check_origin(origin, allow_loopback_http=True) for origin in raw)
    except IdcoreError as exc:
        raise ConfigError(f"relying party {client_id!r}: {exc.detail}") from None


def load_config(
    path: Path, *, allow_unbound: bool = False, extra_relying_parties: Mapping[str, Any] | None = None
) -> VerifierConfig:
    """Read and validate the configuration file; :class:`ConfigError` names the first problem.

    A policy that turns holder binding off is refused unless ``allow_unbound`` (the deployment
    setting ``allow_unbound_presentations``) says otherwise. ``extra_relying_parties`` are the
    registrations of the data directory (``lintas verifier rp add``); an id in both is refused.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    problems = validate_config_text(text, str(path))  # the shape first, with the line of each problem
    if problems:
        raise ConfigError("invalid configuration (schema: policy.schema.json):\n  " + "\n  ".join(problems))
    raw = json.loads(text)
    policies = {name: _parse_policy(name, p, allow_unbound=allow_unbound) for name, p in raw["policies"].items()}
    rps = raw.get("relying_parties", {})
    if not isinstance(rps, Mapping):
        raise ConfigError("'relying_parties' must be an object")
    twice = sorted(set(rps) & set(extra_relying_parties or {}))
    if twice:
        raise ConfigError(f"relying party {twice[0]!r} is both in {path.name} and registered in the data directory")
    merged = {**rps, **(extra_relying_parties or {})}
    parties = {cid: _parse_rp(cid, rp, policies) for cid, rp in merged.items()}
    return VerifierConfig(policies, parties)


def _violation(reason: Reason, detail: str) -> PolicyViolation:
    return PolicyViolation(reason, detail)


def check_policy(
    policy: Policy,
    credentials: Sequence[VerifiedCredentialView],
    now: int,
    *,
    recognition: Recognition | None = None,
) -> list[str | None]:
    """Raise :class:`PolicyViolation` unless every credential meets the policy (countries, age, level,
    claims, and, when the policy asks, its country's recognition decisions).

    Returns, per credential, the recognition decision that admitted it (None: domestic, or the
    policy does not judge by recognition), for the relying party's result.
    """
    for cred in credentials:
        if cred.country not in policy.accepted_countries:
            raise _violation(Reason.COUNTRY_NOT_ACCEPTED, f"issuing country {cred.country} not accepted")
        if policy.max_credential_age is not None and now - cred.iat > policy.max_credential_age:
            raise _violation(Reason.CREDENTIAL_TOO_OLD, "credential older than the policy allows")
        if policy.min_assurance is not None and (
            ASSURANCE_LEVELS.index(cred.assurance_level) < ASSURANCE_LEVELS.index(policy.min_assurance)
        ):
            raise _violation(Reason.ASSURANCE_TOO_LOW, "issuer assurance level below the policy's minimum")
    for claim in policy.require_true:
        # age_over_NN may also be met by a disclosed (possibly partial) birthdate, conservatively.
        if not any(claim_is_true(c.claims, claim, now) for c in credentials):
            raise _violation(Reason.POLICY_NOT_MET, f"claim {claim} is not true")
    check_asean_credentials(credentials)
    if policy.recognition_purpose is None:
        return [None] * len(credentials)
    if recognition is None:  # nothing to judge with: recognise nothing rather than too much
        raise _violation(Reason.NOT_RECOGNISED, "no recognition decisions available to this verifier")
    decisions: list[str | None] = []
    for cred in credentials:
        result = recognised_for(
            recognition.snapshot,
            recognition.verifier_country,
            policy.recognition_purpose,
            cred.country,
            cred.vct,
            cred.assurance_level,
            now,
        )
        if not result.recognised:
            reason = result.reason or Reason.NOT_RECOGNISED
            detail = f"{recognition.verifier_country} does not recognise {cred.country}'s {cred.vct}"
            raise _violation(
                reason, f"{detail} for {policy.recognition_purpose} ({result.decision_id or 'no decision'})"
            )
        decisions.append(result.decision_id)
    return decisions
