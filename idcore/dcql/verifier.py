"""Verifier side of DCQL: does a verified VP Token satisfy the query? OpenID4VP 1.0 Section 8.6.

Section 8.6 step 2.2 ("Validate that the returned Credential(s) meet all criteria defined in
the query") and step 3 ("the set of Presentations returned satisfies all requirements ... (6.4)"),
with Section 14.9: the Verifier "MUST NOT rely on the Wallet to enforce these constraints".

:func:`check_presentation` runs after every Presentation was verified cryptographically and
raises ``DcqlError(Reason.DCQL_UNSATISFIED, detail)`` unless all of these hold:

* every ``vp_token`` key is a Credential Query id, and its array is non-empty (8.1);
* a Credential Query without ``multiple: true`` got exactly one Presentation (8.1);
* each Presentation meets its Credential Query: format, ``vct_values`` / ``doctype_value``,
  a *verified* Holder Binding when required, and all claims of at least one claim set present
  with an allowed value (6.4.1; any claim set is accepted, the Wallet "can deviate" from the
  preferred order);
* without ``credential_sets`` every Credential Query is answered (6.4.2); with them every
  required set has an option whose ids were all answered, and every answered id belongs to an
  option that was answered in full (a conforming response is a union of whole options, 6.4.2,
  so anything else is a credential the Verifier did not request).

``trusted_authorities`` is not checked here: issuer trust is the trust module's decision (6.1.1
note "Verifiers must verify that the issuer of a received presentation is trusted on their own").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from idcore.dcql.credentials import PresentedCredential
from idcore.dcql.evaluate import evaluate_credential
from idcore.dcql.model import CredentialQuery, DcqlQuery
from idcore.errors import DcqlError, Reason

__all__ = ["check_presentation"]


def _unsatisfied(detail: str) -> DcqlError:
    return DcqlError(Reason.DCQL_UNSATISFIED, detail)


def _check_answer(query: CredentialQuery, answer: Sequence[PresentedCredential]) -> None:
    if not answer:
        raise _unsatisfied(f"empty presentation array for credential query {query.id!r}")
    if not query.multiple and len(answer) != 1:
        raise _unsatisfied(f"credential query {query.id!r} allows exactly one presentation")
    for presented in answer:
        if not isinstance(presented, PresentedCredential):
            raise _unsatisfied(f"credential query {query.id!r}: not a verified presentation")
        selection = evaluate_credential(
            query,
            fmt=presented.format,
            credential_type=presented.credential_type,
            holder_binding=presented.holder_binding_verified,
            claims=presented.claims,
        )
        if selection is None:
            raise _unsatisfied(f"a presentation for {query.id!r} does not meet its credential query")


def _check_sets(query: DcqlQuery, answered: set[str]) -> None:
    if query.credential_sets is None:
        missing = [qid for qid in query.credential_ids if qid not in answered]
        if missing:
            raise _unsatisfied(f"credential queries not answered: {sorted(missing)}")
        return
    covered: set[str] = set()
    for index, credential_set in enumerate(query.credential_sets):
        complete = [option for option in credential_set.options if set(option) <= answered]
        if credential_set.required and not complete:
            raise _unsatisfied(f"required credential set {index} has no fully answered option")
        for option in complete:
            covered.update(option)
    extra = answered - covered
    if extra:
        raise _unsatisfied(f"presentations outside any answered credential set option: {sorted(extra)}")


def check_presentation(query: DcqlQuery, presented: Mapping[str, Sequence[PresentedCredential]]) -> None:
    """Raise ``DcqlError(DCQL_UNSATISFIED)`` unless ``presented`` satisfies ``query`` (8.6, 6.4).

    ``presented`` maps each ``vp_token`` key (a Credential Query id) to the credentials verified
    from its Presentations.
    """
    known = set(query.credential_ids)
    unknown = [key for key in presented if key not in known]
    if unknown:
        # Do not echo attacker-chosen keys into logs verbatim beyond a count.
        raise _unsatisfied(f"{len(unknown)} vp_token key(s) name no credential query")
    for query_id, answer in presented.items():
        _check_answer(query.credential(query_id), answer)
    _check_sets(query, set(presented))
