"""Mutual-recognition decisions (issue #16 item 4): "country A recognises country B's credential
type T at assurance level L for purposes P, from .. until".

ASEAN cooperation runs on such unilateral national decisions rather than on a shared list of
issuers: the ASEAN Framework on Digital Data Governance and the ASEAN Digital Economy Framework
Agreement leave recognition of foreign electronic identification to each member state. A
decision is the signed, published form of one of them. Its vocabulary follows ETSI TS 119 602
(a *scheme territory* recognising entities of another) and eIDAS Article 6 (mutual recognition
of electronic identification means at an assurance level "equal to or higher than" the one the
relying service requires).

The registry publishes every decision, in force or withdrawn, in a *recognition list*: a
compact JWS (``typ`` :data:`RECOGNITION_LIST_TYP`, ES256, ``x5c``) signed with the trust-list
key and verified against the same :class:`~idcore.trust.signed.TrustListPin`. It is re-issued
together with each trust list under the same ``sequence_number`` and ``next_update``, so a
verifier refreshes both together and can refuse an older one (rollback).

Evaluation (:func:`recognised_for`) is closed by default: an empty list recognises nothing;
a decision counts only for the exact ``(A, B, vct)``, a listed purpose, at a time in
``[valid_from, valid_until)`` before any withdrawal, and for a credential whose common
assurance level (:mod:`idcore.trust.assurance`) is at least the decision's. Recognition is a
policy layered *on top of* the trust list: it never makes an unlisted or suspended issuer
trusted (call :func:`~idcore.trust.decision.is_authorised` as well).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from idcore.errors import IdcoreError, Reason, TrustError
from idcore.jose import parse_compact, sign_compact, verify_parsed
from idcore.ports import Signer
from idcore.trust.assurance import AssuranceDeclaration
from idcore.trust.federation_keys import FederationKeys
from idcore.trust.model import check_identifier
from idcore.trust.signed import TRUST_LIST_ALGS, TrustListPin
from idcore.trust.signed import _leaf_certificate as leaf_certificate  # the list's own x5c rule, not a second one
from idcore.trust.vct import ASEAN_COUNTRIES, ASSURANCE_LEVELS
from idcore.trust.verifier_entities import VerifierEntity, parse_verifier_entities
from idcore.x509 import x5c_from_certificates

__all__ = [
    "MAX_DECISIONS_PER_COUNTRY",
    "MAX_RECOGNITION_LIST_BYTES",
    "MAX_VALIDITY_SECONDS",
    "PURPOSES",
    "RecognitionDecision",
    "RecognitionList",
    "RecognitionResult",
    "RecognitionSnapshot",
    "decision_id",
    "recognised_for",
    "sign_recognition_list",
    "verify_recognition_list",
]

RECOGNITION_FORMAT = "lintas-recognition-list/1"
RECOGNITION_LIST_TYP = "lintas-recognition-list+jwt"
#: A full list (11 countries x 64 decisions of ~450 bytes) is about 420 kB signed; refuse far larger.
MAX_RECOGNITION_LIST_BYTES = 1024 * 1024
#: Decisions one country may have listed, withdrawn ones included (governance drops the oldest
#: withdrawn ones first; the audit log keeps every decision for good).
MAX_DECISIONS_PER_COUNTRY = 64
#: One declaration per listed issuer at most (11 states x 10 issuers, the list's quota).
MAX_DECLARATIONS = 110
#: A decision runs at most ten years: recognition is reviewed, not granted for ever.
MAX_VALIDITY_SECONDS = 10 * 366 * 86400
#: Purposes a decision may name: a closed vocabulary, so that "KYC" and "kyc" cannot silently differ.
PURPOSES = frozenset(
    {
        "kyc",  # customer due diligence by regulated entities (banks, payment, telecoms)
        "age_verification",
        "public_services",
        "cross_border_travel",
        "employment",
        "education",
        "healthcare",
        "business_onboarding",
    }
)
_MAX_INT = 2**53
_DECISION_ID = re.compile(r"^urn:lintas:recognition:([A-Z]{2}):([1-9][0-9]{0,15})$")


def decision_id(country: str, sequence_number: int) -> str:
    """The identifier of the decision ``country`` made in the registry change ``sequence_number``."""
    return f"urn:lintas:recognition:{country}:{sequence_number}"


def _invalid(detail: str) -> TrustError:
    return TrustError(Reason.TRUST_LIST_INVALID, detail)


def _time(obj: Mapping[str, Any], name: str) -> int:
    value = obj.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < _MAX_INT:
        raise _invalid(f"{name!r} must be a non-negative integer below 2**53")
    return value


def _country(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if value not in ASEAN_COUNTRIES:
        raise _invalid(f"{name!r} must be an ASEAN member state code")
    return str(value)


@dataclass(frozen=True, slots=True)
class RecognitionDecision:
    """One decision of ``recognising`` about ``recognised``'s credentials of type ``vct``."""

    decision_id: str
    recognising: str
    recognised: str
    vct: str
    min_assurance: str
    purposes: frozenset[str]
    valid_from: int
    valid_until: int
    decided_at: int
    #: When the deciding country withdrew it (``None``: not withdrawn).
    withdrawn_at: int | None = None

    def in_force(self, at: int) -> bool:
        """Whether the decision applies at ``at`` (in its period and not withdrawn by then)."""
        if self.withdrawn_at is not None and at >= self.withdrawn_at:
            return False
        return self.valid_from <= at < self.valid_until

    def to_json(self) -> dict[str, Any]:
        """JSON form (purposes sorted, so equal decisions serialise equally)."""
        out: dict[str, Any] = {
            "id": self.decision_id,
            "recognising_country": self.recognising,
            "recognised_country": self.recognised,
            "vct": self.vct,
            "min_assurance": self.min_assurance,
            "purposes": sorted(self.purposes),
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "decided_at": self.decided_at,
        }
        if self.withdrawn_at is not None:
            out["withdrawn_at"] = self.withdrawn_at
        return out

    @classmethod
    def from_json(cls, value: Any) -> RecognitionDecision:
        """Parse and validate one decision; raises :class:`TrustError` ``trust_list_invalid``."""
        if not isinstance(value, dict) or not set(value) <= _DECISION_MEMBERS:
            raise _invalid("a recognition decision must be an object with known members only")
        recognising, recognised = _country(value, "recognising_country"), _country(value, "recognised_country")
        match = _DECISION_ID.match(value.get("id") or "") if isinstance(value.get("id"), str) else None
        if match is None or match.group(1) != recognising:
            raise _invalid("decision 'id' must be urn:lintas:recognition:<recognising country>:<sequence>")
        if recognising == recognised:
            raise _invalid(f"{match.group(0)}: a country does not recognise its own credentials by decision")
        vct = check_identifier(value.get("vct"), allow_loopback_http=True)
        level = value.get("min_assurance")
        if level not in ASSURANCE_LEVELS:
            raise _invalid(f"{match.group(0)}: unknown assurance level {level!r}")
        purposes = value.get("purposes")
        if not isinstance(purposes, list) or not purposes or len(set(purposes)) != len(purposes):
            raise _invalid(f"{match.group(0)}: 'purposes' must be a non-empty array without repeats")
        if not PURPOSES.issuperset(purposes):
            raise _invalid(f"{match.group(0)}: unknown purpose in {purposes!r}")
        start, end, decided = _time(value, "valid_from"), _time(value, "valid_until"), _time(value, "decided_at")
        if not start < end <= start + MAX_VALIDITY_SECONDS:
            raise _invalid(f"{match.group(0)}: 'valid_until' must follow 'valid_from' by at most ten years")
        withdrawn = _time(value, "withdrawn_at") if "withdrawn_at" in value else None
        if withdrawn is not None and withdrawn < decided:
            raise _invalid(f"{match.group(0)}: withdrawn before it was decided")
        return cls(
            match.group(0),
            recognising,
            recognised,
            vct,
            str(level),
            frozenset(purposes),
            start,
            end,
            decided,
            withdrawn,
        )


_DECISION_MEMBERS = frozenset(
    {
        "id",
        "recognising_country",
        "recognised_country",
        "vct",
        "min_assurance",
        "purposes",
        "valid_from",
        "valid_until",
        "decided_at",
        "withdrawn_at",
    }
)


@dataclass(frozen=True, slots=True)
class RecognitionList:
    """What the registry signs beside trust list ``sequence_number``: every decision."""

    issuer: str
    sequence_number: int
    issued_at: int
    next_update: int
    decisions: tuple[RecognitionDecision, ...]
    #: Issuers' national assurance declarations (:mod:`idcore.trust.assurance`), one per issuer at most.
    assurance: tuple[AssuranceDeclaration, ...] = ()
    #: Issuers' registered federation entity keys (:mod:`idcore.trust.federation_keys`).
    federation_keys: tuple[FederationKeys, ...] = ()
    #: Verifiers registered by member states as federation leaf entities (:mod:`idcore.trust.verifier_entities`).
    verifier_entities: tuple[VerifierEntity, ...] = ()

    def declaration(self, issuer_id: str) -> AssuranceDeclaration | None:
        """The national assurance declaration of ``issuer_id``, if published."""
        return next((a for a in self.assurance if a.issuer_id == issuer_id), None)

    def decision(self, identifier: str) -> RecognitionDecision | None:
        """The decision with this identifier, if listed."""
        return next((d for d in self.decisions if d.decision_id == identifier), None)

    def of_country(self, country: str) -> tuple[RecognitionDecision, ...]:
        """The decisions ``country`` made (in force or not)."""
        return tuple(d for d in self.decisions if d.recognising == country)

    def to_json(self) -> dict[str, Any]:
        """JSON form (the JWS payload)."""
        return {
            "format": RECOGNITION_FORMAT,
            "iss": self.issuer,
            "iat": self.issued_at,
            "sequence_number": self.sequence_number,
            "next_update": self.next_update,
            "decisions": [d.to_json() for d in self.decisions],
            "assurance": [a.to_json() for a in self.assurance],
            "federation_keys": [k.to_json() for k in self.federation_keys],
            # Only when there are some: lists from before verifier entities sign byte-identically.
            **({"verifier_entities": [v.to_json() for v in self.verifier_entities]} if self.verifier_entities else {}),
        }

    @classmethod
    def from_json(cls, value: Any) -> RecognitionList:
        """Parse and validate a whole list; raises :class:`TrustError` ``trust_list_invalid``."""
        if not isinstance(value, dict) or value.get("format") != RECOGNITION_FORMAT:
            raise _invalid("unknown recognition list format")
        issuer = check_identifier(value.get("iss"), allow_loopback_http=True)
        raw = value.get("decisions")
        if not isinstance(raw, list):
            raise _invalid("'decisions' must be an array")
        decisions = tuple(RecognitionDecision.from_json(d) for d in raw)
        _check_counts(decisions)
        issued_at, next_update = _time(value, "iat"), _time(value, "next_update")
        if next_update <= issued_at:
            raise _invalid("'next_update' must be after the issue time")
        assurance = _declarations(value.get("assurance", []))
        keys = _federation_keys(value.get("federation_keys", []))
        verifiers = parse_verifier_entities(value.get("verifier_entities", []))
        sequence = _time(value, "sequence_number")
        return cls(issuer, sequence, issued_at, next_update, decisions, assurance, keys, verifiers)


def _federation_keys(raw: Any) -> tuple[FederationKeys, ...]:
    if not isinstance(raw, list) or len(raw) > MAX_DECLARATIONS:
        raise _invalid(f"'federation_keys' must be an array of at most {MAX_DECLARATIONS} entries")
    entries = tuple(FederationKeys.from_json(item) for item in raw)
    if len({e.issuer_id for e in entries}) != len(entries):
        raise _invalid("an issuer's federation keys are listed twice")
    return entries


def _declarations(raw: Any) -> tuple[AssuranceDeclaration, ...]:
    if not isinstance(raw, list) or len(raw) > MAX_DECLARATIONS:
        raise _invalid(f"'assurance' must be an array of at most {MAX_DECLARATIONS} declarations")
    declarations = tuple(AssuranceDeclaration.from_json(item) for item in raw)
    if len({d.issuer_id for d in declarations}) != len(declarations):
        raise _invalid("an issuer declares its assurance twice")
    return declarations


def _check_counts(decisions: Iterable[RecognitionDecision]) -> None:
    seen: set[str] = set()
    per_country: dict[str, int] = {}
    for decision in decisions:
        if decision.decision_id in seen:
            raise _invalid(f"decision {decision.decision_id} is listed twice")
        seen.add(decision.decision_id)
        per_country[decision.recognising] = per_country.get(decision.recognising, 0) + 1
        if per_country[decision.recognising] > MAX_DECISIONS_PER_COUNTRY:
            raise _invalid(f"{decision.recognising} lists more than {MAX_DECISIONS_PER_COUNTRY} decisions")


def sign_recognition_list(recognitions: RecognitionList, signer: Signer, chain: Sequence[x509.Certificate]) -> str:
    """Sign as a compact JWS with ``x5c`` = ``chain`` (the trust-list signing certificate first)."""
    if signer.alg not in TRUST_LIST_ALGS:
        raise TrustError(Reason.ALG_NOT_ALLOWED, f"recognition lists are signed with ES256, not {signer.alg}")
    header = {"typ": RECOGNITION_LIST_TYP, "x5c": x5c_from_certificates(list(chain))}
    return sign_compact(header, recognitions.to_json(), signer)


def verify_recognition_list(token: str | bytes, pin: TrustListPin) -> RecognitionList:
    """Verify a signed recognition list against the trust-list ``pin`` and parse it.

    Every failure is :class:`TrustError` ``trust_list_invalid`` (JOSE details kept in the detail).
    Freshness is the caller's: compare ``sequence_number`` with the trust list in use and
    ``next_update`` with the clock (:class:`RecognitionSnapshot` does both).
    """
    try:
        text = token.decode("ascii") if isinstance(token, bytes) else token
        jws = parse_compact(text.strip(), max_bytes=MAX_RECOGNITION_LIST_BYTES)
        key = pin.check(leaf_certificate(jws.header))
        claims = verify_parsed(jws, key, algorithms=TRUST_LIST_ALGS, typ=RECOGNITION_LIST_TYP)
    except TrustError:
        raise
    except IdcoreError as exc:
        raise _invalid(f"{exc.reason.value}: {exc.detail}") from None
    except UnicodeDecodeError:
        raise _invalid("recognition list is not ASCII") from None
    return RecognitionList.from_json(claims)


@dataclass(frozen=True, slots=True)
class RecognitionResult:
    """The answer of :func:`recognised_for`, naming the decision it rests on.

    ``domestic`` is true when the credential comes from the verifier's own country (no
    decision is needed, ``decision`` is ``None``). On a refusal ``decision`` is the closest
    decision that did not apply (withdrawn, out of its period, too low a level), if any.
    """

    recognised: bool
    reason: Reason | None
    decision: RecognitionDecision | None
    sequence_number: int
    domestic: bool = False

    @property
    def decision_id(self) -> str | None:
        """The identifier of the decision the answer rests on (for the relying party's result)."""
        return self.decision.decision_id if self.decision is not None else None


class RecognitionSnapshot:
    """An indexed, verified recognition list; ``RecognitionSnapshot(None)`` recognises nothing."""

    __slots__ = ("_index", "recognition_list", "sequence_number")

    def __init__(self, recognition_list: RecognitionList | None) -> None:
        """Index the decisions by ``(recognising, recognised, vct)``."""
        self.recognition_list = recognition_list
        self.sequence_number = recognition_list.sequence_number if recognition_list is not None else 0
        self._index: dict[tuple[str, str, str], tuple[RecognitionDecision, ...]] = {}
        for decision in recognition_list.decisions if recognition_list is not None else ():
            key = (decision.recognising, decision.recognised, decision.vct)
            # Newest first: a refusal then names the most recent decision about the question.
            self._index[key] = (decision, *self._index.get(key, ()))

    @classmethod
    def current(
        cls, recognition_list: RecognitionList, *, trust_list_sequence: int, now: int, max_staleness: int
    ) -> RecognitionSnapshot:
        """Index a verified list after checking it goes with the trust list in use and is fresh.

        ``trust_list_rollback`` if it is older than the trust list ``trust_list_sequence`` (both
        are re-issued together, so an older recognition list may still hold a withdrawn
        decision); ``trust_list_stale`` once ``max_staleness`` seconds past its ``next_update``.
        """
        if recognition_list.sequence_number < trust_list_sequence:
            detail = (
                f"recognition list {recognition_list.sequence_number} is older than trust list {trust_list_sequence}"
            )
            raise TrustError(Reason.TRUST_LIST_ROLLBACK, detail)
        if now > recognition_list.next_update + max_staleness:
            raise TrustError(
                Reason.TRUST_LIST_STALE, f"recognition list past its next update {recognition_list.next_update}"
            )
        return cls(recognition_list)

    def candidates(self, recognising: str, recognised: str, vct: str) -> tuple[RecognitionDecision, ...]:
        """Decisions about ``(recognising, recognised, vct)``, newest first."""
        return self._index.get((recognising, recognised, vct), ())


def _refusal(decision: RecognitionDecision, at: int) -> Reason:
    if decision.withdrawn_at is not None and at >= decision.withdrawn_at:
        return Reason.RECOGNITION_WITHDRAWN
    if not decision.valid_from <= at < decision.valid_until:
        return Reason.RECOGNITION_NOT_IN_FORCE
    return Reason.ASSURANCE_TOO_LOW


def recognised_for(
    snapshot: RecognitionSnapshot,
    verifier_country: str,
    purpose: str,
    issuer_country: str,
    vct: str,
    level: str,
    at: int,
) -> RecognitionResult:
    """Does ``verifier_country`` recognise ``issuer_country``'s ``vct`` at ``level`` for ``purpose`` at ``at``?

    ``level`` is the credential's level on the common scale (low/substantial/high, see
    :func:`idcore.trust.assurance.common_level`); an unknown level is never enough. Refusals:
    ``not_recognised`` (no decision about this country, type and purpose), or, for the newest
    decision that covers the purpose, ``recognition_withdrawn``, ``recognition_not_in_force``
    or ``assurance_too_low``. The verifier's own country's credentials are ``domestic``.
    """
    seq = snapshot.sequence_number
    if verifier_country == issuer_country and verifier_country in ASEAN_COUNTRIES:
        return RecognitionResult(True, None, None, seq, domestic=True)
    rank = ASSURANCE_LEVELS.index(level) if level in ASSURANCE_LEVELS else -1
    covering = [d for d in snapshot.candidates(verifier_country, issuer_country, vct) if purpose in d.purposes]
    for decision in covering:
        if decision.in_force(at) and rank >= ASSURANCE_LEVELS.index(decision.min_assurance):
            return RecognitionResult(True, None, decision, seq)
    if not covering:
        return RecognitionResult(False, Reason.NOT_RECOGNISED, None, seq)
    newest = covering[0]
    return RecognitionResult(False, _refusal(newest, at), newest, seq)
