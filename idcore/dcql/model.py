"""Typed, immutable DCQL query objects: OpenID4VP 1.0 Section 6.

One dataclass per object of Section 6: :class:`DcqlQuery` (6, top level),
:class:`CredentialQuery` (6.1), :class:`TrustedAuthoritiesQuery` (6.1.1),
:class:`CredentialSetQuery` (6.2) and :class:`ClaimsQuery` (6.3). The format-specific
``meta`` members of Appendix B are lifted into typed fields: ``vct_values`` for
``dc+sd-jwt`` (B.3.5) and ``doctype_value`` for ``mso_mdoc`` (B.2.3).

Instances are built by :func:`idcore.dcql.query.parse_query`, which enforces every rule;
constructing them by hand skips validation and is meant for tests only.
"""

from __future__ import annotations

from dataclasses import dataclass

from idcore.dcql.claims_path import ClaimsPath
from idcore.errors import DcqlError, Reason

__all__ = [
    "FORMAT_MSO_MDOC",
    "FORMAT_SD_JWT_VC",
    "ClaimValue",
    "ClaimsQuery",
    "CredentialQuery",
    "CredentialSetQuery",
    "DcqlQuery",
    "TrustedAuthoritiesQuery",
]

#: Credential Format Identifiers this module understands (OpenID4VP 1.0 Appendix B.3.1, B.2).
FORMAT_SD_JWT_VC = "dc+sd-jwt"
FORMAT_MSO_MDOC = "mso_mdoc"

#: Section 6.3 ``values``: "strings, integers or boolean values".
ClaimValue = str | int | bool


@dataclass(frozen=True, slots=True)
class ClaimsQuery:
    """A Claims Query (Section 6.3)."""

    path: ClaimsPath
    id: str | None = None
    values: tuple[ClaimValue, ...] | None = None
    #: mso_mdoc only (Appendix B.2.4).
    intent_to_retain: bool | None = None


@dataclass(frozen=True, slots=True)
class TrustedAuthoritiesQuery:
    """A Trusted Authorities Query (Section 6.1.1): a ``type`` and its non-empty ``values``."""

    type: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CredentialQuery:
    """A Credential Query (Section 6.1) with its format-specific ``meta`` lifted into fields."""

    id: str
    format: str
    vct_values: tuple[str, ...] | None = None
    doctype_value: str | None = None
    claims: tuple[ClaimsQuery, ...] | None = None
    claim_sets: tuple[tuple[str, ...], ...] | None = None
    multiple: bool = False
    require_cryptographic_holder_binding: bool = True
    trusted_authorities: tuple[TrustedAuthoritiesQuery, ...] | None = None

    def claim_by_id(self, claim_id: str) -> ClaimsQuery:
        """Return the Claims Query with ``id == claim_id``; ``DcqlError`` if there is none."""
        for claim in self.claims or ():
            if claim.id == claim_id:
                return claim
        raise DcqlError(Reason.INVALID_QUERY, "claim_sets references an unknown claim id")


@dataclass(frozen=True, slots=True)
class CredentialSetQuery:
    """A Credential Set Query (Section 6.2); ``required`` defaults to true."""

    options: tuple[tuple[str, ...], ...]
    required: bool = True


@dataclass(frozen=True, slots=True)
class DcqlQuery:
    """A whole DCQL query (Section 6): ``credentials`` and optional ``credential_sets``."""

    credentials: tuple[CredentialQuery, ...]
    credential_sets: tuple[CredentialSetQuery, ...] | None = None

    @property
    def credential_ids(self) -> tuple[str, ...]:
        """The Credential Query ids, in query order."""
        return tuple(cq.id for cq in self.credentials)

    def credential(self, query_id: str) -> CredentialQuery:
        """Return the Credential Query with this ``id``; ``DcqlError`` if there is none."""
        for cq in self.credentials:
            if cq.id == query_id:
                return cq
        raise DcqlError(Reason.DCQL_UNSATISFIED, "unknown credential query id")
