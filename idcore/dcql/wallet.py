"""Wallet side of DCQL: which held credentials answer a query. OpenID4VP 1.0 Section 6.4.

For each Credential Query, every held credential is evaluated (format, ``meta``, Holder Binding,
claims and values: :mod:`idcore.dcql.evaluate`), plus ``trusted_authorities`` (6.1.1).
Credentials that do not match "are treated as if they would not exist in the Wallet" (6.4.2).

Credential sets (6.4.2): an option can be met when every Credential Query it names has at least
one matching credential. The whole query can be satisfied when every required Credential Set
Query has an option that can be met, or, without ``credential_sets``, when every Credential Query
has a match. When it cannot, the Wallet "MUST NOT return any Credential(s)": callers check
:attr:`MatchResult.can_be_satisfied` before building a response.

``trusted_authorities`` (6.1.1) is a privacy filter ("SHOULD match"), not a trust decision: the
Verifier checks issuer trust itself. Only ``aki`` (6.1.1.1) can be evaluated here. A credential
passes when one ``aki`` value is among its issuer chain's Authority Key Identifiers, or when the
query also names a type this module cannot evaluate (``etsi_tl``, ``openid_federation``, ...),
which is then left to the Verifier rather than silently withholding the credential.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from idcore.dcql.claims_path import ClaimsPath
from idcore.dcql.credentials import WalletCredential
from idcore.dcql.evaluate import evaluate_credential
from idcore.dcql.model import CredentialQuery, CredentialSetQuery, DcqlQuery

__all__ = ["MatchResult", "match_query"]


@dataclass(frozen=True, slots=True)
class CredentialMatch:
    """One held credential that answers a Credential Query, and the claims it would disclose."""

    credential_index: int
    claim_set: tuple[str, ...] | None
    claim_paths: tuple[ClaimsPath, ...]


@dataclass(frozen=True, slots=True)
class CredentialQueryMatch:
    """All held credentials that answer one Credential Query, in Wallet order."""

    query_id: str
    matches: tuple[CredentialMatch, ...]

    @property
    def matching_credential_indices(self) -> tuple[int, ...]:
        """Indices into the Wallet's credential list."""
        return tuple(match.credential_index for match in self.matches)

    @property
    def satisfiable(self) -> bool:
        """True when at least one held credential matches."""
        return bool(self.matches)


@dataclass(frozen=True, slots=True)
class CredentialSetMatch:
    """A Credential Set Query and the options that the Wallet can meet, in query order."""

    required: bool
    satisfied_options: tuple[tuple[str, ...], ...]

    @property
    def satisfiable(self) -> bool:
        """True when at least one option can be met."""
        return bool(self.satisfied_options)


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The Wallet's answer to a DCQL query (see the module docstring for the rules)."""

    credential_queries: Mapping[str, CredentialQueryMatch]
    credential_sets: tuple[CredentialSetMatch, ...] | None
    can_be_satisfied: bool


def _authorities_allow(query: CredentialQuery, credential: WalletCredential) -> bool:
    if query.trusted_authorities is None:
        return True
    akis = credential.authority_key_identifiers or frozenset()
    for authority in query.trusted_authorities:
        if authority.type != "aki":
            return True
        if akis.intersection(authority.values):
            return True
    return False


def _match_one(query: CredentialQuery, credentials: Sequence[WalletCredential]) -> CredentialQueryMatch:
    matches: list[CredentialMatch] = []
    for index, credential in enumerate(credentials):
        selection = evaluate_credential(
            query,
            fmt=credential.format,
            credential_type=credential.credential_type,
            holder_binding=credential.cryptographic_holder_binding,
            claims=credential.claims,
        )
        if selection is not None and _authorities_allow(query, credential):
            matches.append(CredentialMatch(index, selection.claim_set, selection.claim_paths))
    return CredentialQueryMatch(query_id=query.id, matches=tuple(matches))


def _match_set(credential_set: CredentialSetQuery, by_id: Mapping[str, CredentialQueryMatch]) -> CredentialSetMatch:
    met = tuple(option for option in credential_set.options if all(by_id[qid].satisfiable for qid in option))
    return CredentialSetMatch(required=credential_set.required, satisfied_options=met)


def match_query(query: DcqlQuery, credentials: Sequence[WalletCredential]) -> MatchResult:
    """Evaluate a parsed DCQL query against the Wallet's credentials (Section 6.4)."""
    by_id = {cq.id: _match_one(cq, credentials) for cq in query.credentials}
    if query.credential_sets is None:
        return MatchResult(
            credential_queries=by_id,
            credential_sets=None,
            can_be_satisfied=all(match.satisfiable for match in by_id.values()),
        )
    sets = tuple(_match_set(credential_set, by_id) for credential_set in query.credential_sets)
    return MatchResult(
        credential_queries=by_id,
        credential_sets=sets,
        can_be_satisfied=all(s.satisfiable for s in sets if s.required),
    )
