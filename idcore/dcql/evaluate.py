"""Does one credential meet one Credential Query? OpenID4VP 1.0 Sections 6.1, 6.3 and 6.4.1.

Shared by the Wallet (:mod:`idcore.dcql.wallet`) and the Verifier (:mod:`idcore.dcql.verifier`),
so both sides apply one reading of the rules:

* format equal to the query's ``format``; ``vct`` in ``meta.vct_values`` (Appendix B.3.5, exact
  string match: type inheritance needs SD-JWT VC Type Metadata, which this module does not
  resolve) or ``doctype`` equal to ``meta.doctype_value`` (B.2.3). Unknown formats never match;
* Cryptographic Holder Binding present when ``require_cryptographic_holder_binding`` is true;
* claims (6.4.1): no ``claims`` -> nothing selectively disclosable is requested; ``claims``
  without ``claim_sets`` -> all of them; with ``claim_sets`` -> the first option in query order
  whose claims are all available;
* a claim is available when its claims path pointer selects something (Section 7) and, when
  ``values`` is present, at least one selected element equals one of the values in type and
  value (6.3: ``"90210"`` does not match ``90210``, ``true`` does not match ``1``). A claim whose
  value does not match is "treated the same as if it did not exist" (6.4.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from idcore.dcql.claims_path import ClaimsPath, select_claims, select_mdoc_claim
from idcore.dcql.model import FORMAT_MSO_MDOC, FORMAT_SD_JWT_VC, ClaimsQuery, ClaimValue, CredentialQuery
from idcore.errors import DcqlError

__all__ = ["evaluate_credential"]


@dataclass(frozen=True, slots=True)
class ClaimSelection:
    """The claims to disclose for one credential: the chosen claim set (if the query has
    ``claim_sets``) and the claims path pointers, in the order the query lists them."""

    claim_set: tuple[str, ...] | None
    claim_paths: tuple[ClaimsPath, ...]


def _same_value(actual: Any, expected: ClaimValue) -> bool:
    # "type and value ... match exactly": compare exact types so 1 != True and "1" != 1.
    return type(actual) is type(expected) and actual == expected


def claim_available(fmt: str, claim: ClaimsQuery, claims: Mapping[str, Any]) -> bool:
    """True when ``claim`` selects a value in ``claims`` that passes its ``values`` filter."""
    try:
        if fmt == FORMAT_MSO_MDOC:
            selected = [select_mdoc_claim(claim.path, claims)]
        else:
            selected = select_claims(claim.path, claims)
    except DcqlError:
        return False
    if claim.values is None:
        return True
    return any(_same_value(item, allowed) for item in selected for allowed in claim.values)


def _select_claims(query: CredentialQuery, claims: Mapping[str, Any]) -> ClaimSelection | None:
    if query.claims is None:
        return ClaimSelection(claim_set=None, claim_paths=())
    if query.claim_sets is None:
        if all(claim_available(query.format, claim, claims) for claim in query.claims):
            return ClaimSelection(claim_set=None, claim_paths=tuple(c.path for c in query.claims))
        return None
    available: dict[str, bool] = {}
    for option in query.claim_sets:
        for claim_id in option:
            if claim_id not in available:
                available[claim_id] = claim_available(query.format, query.claim_by_id(claim_id), claims)
        if all(available[claim_id] for claim_id in option):
            paths = tuple(query.claim_by_id(claim_id).path for claim_id in option)
            return ClaimSelection(claim_set=option, claim_paths=paths)
    return None


def type_matches(query: CredentialQuery, fmt: str, credential_type: str) -> bool:
    """True when format and ``vct`` / ``doctype`` meet the query's ``format`` and ``meta``."""
    if fmt != query.format:
        return False
    if fmt == FORMAT_SD_JWT_VC:
        return credential_type in (query.vct_values or ())
    if fmt == FORMAT_MSO_MDOC:
        return credential_type == query.doctype_value
    return False


def evaluate_credential(
    query: CredentialQuery,
    *,
    fmt: str,
    credential_type: str,
    holder_binding: bool,
    claims: Mapping[str, Any],
) -> ClaimSelection | None:
    """Return the claims to disclose if the credential meets ``query``, else ``None``."""
    if not type_matches(query, fmt, credential_type):
        return None
    if query.require_cryptographic_holder_binding and not holder_binding:
        return None
    return _select_claims(query, claims)
