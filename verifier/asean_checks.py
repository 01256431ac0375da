"""ASEAN policy checks on verified credentials: identifiers, partial-date ages, PID + mandate.

Run by :func:`verifier.policy.check_policy` after every signature, status and DCQL check, on
what the holder disclosed; the wallet is never trusted to have applied them (OpenID4VP 1.0
Section 14.9). The rules are those the issuer applies at issuance (:mod:`idcore.asean`):

* a disclosed ``national_id`` must be valid for the PID's ``issuing_country`` (format and check
  digit where the scheme publishes one) and of the disclosed ``national_id_type``;
* ``age_over_NN`` required by a policy is met by the claim itself when disclosed (``false``
  refuses), otherwise by a disclosed ``birthdate`` (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``)
  that makes the person that old for every day it could be
  (:func:`idcore.asean.dates.is_certainly_at_least`);
* a mandate is accepted only with the PID of the person it names and, when the business
  registration is presented too, of the business it names; it must come from an issuer of the
  business's own country (:func:`idcore.asean.mandate.check_mandate_binding`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from idcore.asean.dates import PartialDate, is_certainly_at_least
from idcore.asean.errors import AseanDataError
from idcore.asean.identifiers import parse_national_id
from idcore.asean.mandate import check_mandate_binding
from idcore.errors import Reason
from idcore.trust.vct import VCT_BUSINESS_REGISTRATION, VCT_MANDATE, VCT_PID

__all__ = ["check_asean_credentials", "claim_is_true"]

_AGE_CLAIM = re.compile(r"age_over_([0-9]{1,3})")


class _View(Protocol):
    """What these checks read of a verified credential (``verifier.policy.VerifiedCredentialView``)."""

    @property
    def vct(self) -> str: ...
    @property
    def country(self) -> str: ...
    @property
    def claims(self) -> Mapping[str, Any]: ...


def claim_is_true(claims: Mapping[str, Any], name: str, now: int) -> bool:
    """Whether ``name`` is ``true`` in ``claims``; if undisclosed, ``age_over_NN`` certain from ``birthdate``."""
    if name in claims:
        # The issuer's own statement wins, also when it says false: evidence against is never overruled.
        return claims[name] is True
    match = _AGE_CLAIM.fullmatch(name)
    birthdate = claims.get("birthdate")
    if match is None or not isinstance(birthdate, str):
        return False
    try:
        birth = PartialDate.parse(birthdate)
    except AseanDataError:
        return False
    return is_certainly_at_least(birth, int(match.group(1)), datetime.fromtimestamp(now, UTC).date())


def _check_identifier(pid: _View) -> None:
    # The country comes from the trust decision; a disclosed issuing_country must agree with it,
    # so the identifier is judged (and a mandate matched) against the country that vouched for it.
    if pid.claims.get("issuing_country", pid.country) != pid.country:
        raise AseanDataError(Reason.INVALID_CLAIM, "issuing_country is not the country of the PID's issuer")
    value = pid.claims.get("national_id")
    if value is None:
        return
    parsed = parse_national_id(pid.country, value)  # raises INVALID_IDENTIFIER
    declared = pid.claims.get("national_id_type", parsed.scheme)
    if parsed.value != value or declared != parsed.scheme:
        raise AseanDataError(Reason.INVALID_IDENTIFIER, "national_id is not a canonical value of its scheme")


def check_asean_credentials(credentials: Sequence[_View]) -> None:
    """Raise an ``AseanDataError`` (INVALID_CLAIM, INVALID_IDENTIFIER, MANDATE_MISMATCH) unless all checks pass."""
    pids = [c for c in credentials if c.vct == VCT_PID]
    mandates = [c for c in credentials if c.vct == VCT_MANDATE]
    businesses = [c for c in credentials if c.vct == VCT_BUSINESS_REGISTRATION]
    for pid in pids:
        _check_identifier(pid)
    if not mandates:
        return
    # One person and one business per presentation: a second PID or business could pair with the
    # wrong credential, so the combination is refused rather than guessed.
    if len(pids) != 1 or len(mandates) != 1 or len(businesses) > 1:
        raise AseanDataError(Reason.MANDATE_MISMATCH, "a mandate is accepted with exactly one PID and one business")
    mandate = mandates[0]
    check_mandate_binding(
        pids[0].claims,
        mandate.claims,
        mandate_issuer_country=mandate.country,
        business=businesses[0].claims if businesses else None,
    )
