"""Trust decisions from a verified list: "was issuer E authorised for ``vct`` when it issued,
and is it still not withdrawn, nor its key compromised, now?"

This is the question of the ToIP Trust Registry Query Protocol (``entity_id`` E,
``authority_id`` a country, ``action`` issue, ``resource`` the ``vct``, ``context.time``),
answered offline from a cached list. The SD-JWT VC draft Section "Issuer Verification Key
Discovery and Validation" leaves trust anchoring to the ecosystem; this module is that
ecosystem rule for Lintas.

A :class:`TrustSnapshot` indexes the list once: ``(issuer_id, vct)`` maps to the status
history as two parallel tuples, and each possible answer is built in advance, so
:func:`is_authorised` is a dict lookup and two bisections (about a microsecond).
An empty snapshot trusts nobody. Each :class:`Decision` names the status change it rests on
(status, ``since``, ETSI-style reason; see :mod:`idcore.trust.model`), so a refusal says *why*:
a key compromise (``issuer_key_compromised``) is told apart from an orderly retirement.
"""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509

from idcore.errors import Reason, TrustError
from idcore.trust.model import IssuerEntry, IssuerStatus, StatusChange, StatusReason, TrustList
from idcore.x509 import load_der_certificate

__all__ = ["Decision", "TrustSnapshot", "is_authorised", "require_authorised"]


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to one trust question, with its evidence (list sequence number and entry).

    ``status`` is the status change the answer rests on (its status, ``since`` and ETSI-style
    ``reason``): the grant in force at issuance for an acceptance, the suspension, withdrawal
    or key compromise for a refusal; ``None`` when the issuer is unknown or not yet granted.
    """

    authorised: bool
    reason: Reason | None
    issuer: IssuerEntry | None
    sequence_number: int
    status: StatusChange | None = None

    @property
    def country(self) -> str | None:
        """The issuer's country, when the issuer is listed."""
        return self.issuer.country if self.issuer is not None else None

    @property
    def why(self) -> str:
        """One line for logs and answers: the reason code and the status change behind it."""
        code = "authorised" if self.reason is None else self.reason.value
        if self.status is None:
            return code
        reason = f" ({self.status.reason.value})" if self.status.reason is not None else ""
        return f"{code}: {self.status.status.value}{reason} since {self.status.since}"


@dataclass(frozen=True, slots=True)
class _Refusal:
    """From ``since`` on, every credential is refused with ``decision``, whatever its ``iat``."""

    since: int
    decision: Decision


@dataclass(frozen=True, slots=True)
class _Entry:
    times: tuple[int, ...]
    #: The answer when the change at the same index is the one in force at issuance.
    at_issue: tuple[Decision, ...]
    not_yet: Decision
    compromise: _Refusal | None
    revocation: _Refusal | None


_BY_STATUS = {IssuerStatus.SUSPENDED: Reason.ISSUER_SUSPENDED, IssuerStatus.WITHDRAWN: Reason.ISSUER_WITHDRAWN}


def _refusal(issuer: IssuerEntry, seq: int, reason: Reason, pick: Callable[[StatusChange], bool]) -> _Refusal | None:
    change = next((c for c in issuer.history if pick(c)), None)
    return _Refusal(change.since, Decision(False, reason, issuer, seq, change)) if change is not None else None


def _for_cause(change: StatusChange) -> bool:
    return change.status is IssuerStatus.WITHDRAWN and change.reason is not StatusReason.CESSATION_OF_OPERATION


def _entry(issuer: IssuerEntry, seq: int) -> _Entry:
    at_issue = tuple(
        Decision(True, None, issuer, seq, c)
        if c.status is IssuerStatus.GRANTED
        else Decision(False, _BY_STATUS[c.status], issuer, seq, c)
        for c in issuer.history
    )
    return _Entry(
        tuple(c.since for c in issuer.history),
        at_issue,
        Decision(False, Reason.NOT_AUTHORISED, issuer, seq),
        _refusal(issuer, seq, Reason.ISSUER_KEY_COMPROMISED, lambda c: c.compromised),
        _refusal(issuer, seq, Reason.ISSUER_WITHDRAWN, _for_cause),
    )


def _load_anchor(der_b64: str) -> x509.Certificate:
    try:
        return load_der_certificate(base64.b64decode(der_b64, validate=True))
    except (ValueError, binascii.Error):
        raise TrustError(Reason.TRUST_LIST_INVALID, "an anchor certificate does not parse") from None


class TrustSnapshot:
    """An immutable, indexed view of one verified :class:`TrustList`."""

    __slots__ = ("_anchors", "_index", "_issuers", "_unknown", "sequence_number", "trust_list")

    def __init__(self, trust_list: TrustList | None) -> None:
        """Index ``trust_list``; ``None`` gives the empty snapshot that trusts nobody."""
        self.trust_list = trust_list
        seq = trust_list.sequence_number if trust_list is not None else 0
        self.sequence_number = seq
        self._unknown = Decision(False, Reason.UNTRUSTED_ISSUER, None, seq)
        self._index: dict[tuple[str, str], _Entry] = {}
        self._issuers: dict[str, IssuerEntry] = {}
        self._anchors: dict[str, tuple[x509.Certificate, ...]] = {}
        for country in trust_list.countries if trust_list is not None else ():
            self._anchors[country.code] = tuple(_load_anchor(a) for a in country.anchors)
            for issuer in country.issuers:
                self._issuers[issuer.issuer_id] = issuer
                entry = _entry(issuer, seq)
                for vct in issuer.vcts:
                    self._index[(issuer.issuer_id, vct)] = entry

    @classmethod
    def empty(cls) -> TrustSnapshot:
        """A snapshot without a list: every question is answered ``untrusted_issuer``."""
        return cls(None)

    def issuer(self, issuer_id: str) -> IssuerEntry | None:
        """The listed issuer with this identifier."""
        return self._issuers.get(issuer_id)

    def anchors(self, country: str) -> tuple[x509.Certificate, ...]:
        """The national trust anchors of ``country`` (empty if not listed)."""
        return self._anchors.get(country, ())


def is_authorised(snapshot: TrustSnapshot, issuer_id: str, vct: str, issued_at: int, now: int) -> Decision:
    """Judge a credential of type ``vct`` from ``issuer_id`` issued at ``issued_at``, at ``now``.

    Denied when: the issuer is not listed (``untrusted_issuer``), not listed for ``vct`` or not
    yet granted at issuance (``not_authorised``); its key is recorded as compromised by ``now``
    (``issuer_key_compromised``, whatever ``issued_at`` says: the holder of a stolen key picks
    it); it is withdrawn for cause by ``now`` (``issuer_withdrawn``, everything); or the status
    in force at issuance is a suspension (``issuer_suspended``) or a withdrawal, including an
    orderly retirement (``issuer_withdrawn``). A credential issued before an orderly retirement
    (``cessation_of_operation``) stays valid.
    """
    entry = snapshot._index.get((issuer_id, vct))
    if entry is None:
        if issuer_id in snapshot._issuers:
            return Decision(False, Reason.NOT_AUTHORISED, snapshot._issuers[issuer_id], snapshot.sequence_number)
        return snapshot._unknown
    times = entry.times
    if bisect_right(times, now) == 0:
        return entry.not_yet
    # A compromise is checked before anything that depends on issued_at: the attacker chose it.
    if entry.compromise is not None and now >= entry.compromise.since:
        return entry.compromise.decision
    at_issue = bisect_right(times, issued_at) - 1
    if at_issue < 0:
        return entry.not_yet
    if entry.revocation is not None and now >= entry.revocation.since:
        return entry.revocation.decision
    return entry.at_issue[at_issue]


def require_authorised(snapshot: TrustSnapshot, issuer_id: str, vct: str, issued_at: int, now: int) -> IssuerEntry:
    """Like :func:`is_authorised` but return the issuer entry or raise :class:`TrustError`."""
    decision = is_authorised(snapshot, issuer_id, vct, issued_at, now)
    if not decision.authorised or decision.issuer is None:
        raise TrustError(decision.reason or Reason.NOT_AUTHORISED, f"{issuer_id} for {vct}")
    return decision.issuer
