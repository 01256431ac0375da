"""DCQL, the Digital Credentials Query Language: OpenID4VP 1.0 Sections 6 and 7.

* :mod:`~idcore.dcql.query` parses and validates a query (Section 6) into the frozen
  dataclasses of :mod:`~idcore.dcql.model`;
* :mod:`~idcore.dcql.claims_path` processes claims path pointers (Section 7.1.1, 7.2.1);
* :mod:`~idcore.dcql.wallet` answers a query from the Wallet's credentials (Section 6.4);
* :mod:`~idcore.dcql.verifier` checks a verified VP Token against the query (Section 8.6).

Every rejection is a :class:`~idcore.errors.DcqlError`: ``INVALID_QUERY`` for a bad query,
``DCQL_UNSATISFIED`` for a presentation that does not answer it, ``MISSING_CLAIM`` when a
claims path pointer selects nothing, ``MALFORMED`` for a malformed credential description.
"""

from idcore.dcql.claims_path import select_claims, select_mdoc_claim
from idcore.dcql.credentials import PresentedCredential, WalletCredential
from idcore.dcql.model import FORMAT_MSO_MDOC, FORMAT_SD_JWT_VC, DcqlQuery
from idcore.dcql.query import parse_query, parse_query_json
from idcore.dcql.verifier import check_presentation
from idcore.dcql.wallet import MatchResult, match_query

__all__ = [
    "FORMAT_MSO_MDOC",
    "FORMAT_SD_JWT_VC",
    "DcqlQuery",
    "MatchResult",
    "PresentedCredential",
    "WalletCredential",
    "check_presentation",
    "match_query",
    "parse_query",
    "parse_query_json",
    "select_claims",
    "select_mdoc_claim",
]
