"""Trust decisions from a verified list: "was issuer E authorised for ``vct`` when it issued,
and is it still not withdrawn now?"

This is the question of the ToIP Trust Registry Query Protocol (``entity_id`` E,
``authority_id`` a country, ``action`` issue, ``resource`` the ``vct``, ``context.time``),
answered offline from a cached list. The SD-JWT VC draft Section "Issuer Verification Key
Discovery and Validation" leaves trust anchoring to the ecosystem; this module is that
ecosystem rule for Lintas.

A :class:`TrustSnapshot` indexes the list once: ``(issuer_id, vct)`` maps to the status
history as two parallel tuples, and each possible answer is built in advance, so
:func:`is_authorised` is a dict lookup and two bisections (about a microsecond).
An empty snapshot trusts nobody.
"""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_right
from dataclasses import dataclass

from cryptography import x509

from idcore.errors import Reason, TrustError
from idcore.trust.model import IssuerEntry, IssuerStatus, TrustList

__all__ = ["Decision", "TrustSnapshot", "is_authorised", "require_authorised"]


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to one trust question, with its evidence (list sequence number and entry)."""

    authorised: bool
    reason: Reason | None
    issuer: IssuerEntry | None
    sequence_number: int

    @property
    def country(self) -> str | None:
        """The issuer's country, when the issuer is listed."""
        return self.issuer.country if self.issuer is not None else None


@dataclass(frozen=True, slots=True)
class _Entry:
    times: tuple[int, ...]
    statuses: tuple[IssuerStatus, ...]
    allow: Decision
    suspended: Decision
    withdrawn: Decision
    not_yet: Decision


def _entry(issuer: IssuerEntry, seq: int) -> _Entry:
    def deny(reason: Reason) -> Decision:
        return Decision(False, reason, issuer, seq)

    return _Entry(
        tuple(c.since for c in issuer.history),
        tuple(c.status for c in issuer.history),
        Decision(True, None, issuer, seq),
        deny(Reason.ISSUER_SUSPENDED),
        deny(Reason.ISSUER_WITHDRAWN),
        deny(Reason.NOT_AUTHORISED),
    )


def _load_anchor(der_b64: str) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(base64.b64decode(der_b64, validate=True))
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
    yet granted at issuance (``not_authorised``), suspended at issuance (``issuer_suspended``),
    or withdrawn at issuance or by ``now`` (``issuer_withdrawn``).
    """
    entry = snapshot._index.get((issuer_id, vct))
    if entry is None:
        if issuer_id in snapshot._issuers:
            return Decision(False, Reason.NOT_AUTHORISED, snapshot._issuers[issuer_id], snapshot.sequence_number)
        return snapshot._unknown
    times = entry.times
    at_issue = bisect_right(times, issued_at) - 1
    at_now = bisect_right(times, now) - 1
    if at_issue < 0 or at_now < 0:
        return entry.not_yet
    # Withdrawal is terminal (the model refuses anything after it), so looking at "now" suffices.
    if entry.statuses[at_now] is IssuerStatus.WITHDRAWN:
        return entry.withdrawn
    status = entry.statuses[at_issue]
    if status is IssuerStatus.GRANTED:
        return entry.allow
    return entry.suspended if status is IssuerStatus.SUSPENDED else entry.withdrawn


def require_authorised(snapshot: TrustSnapshot, issuer_id: str, vct: str, issued_at: int, now: int) -> IssuerEntry:
    """Like :func:`is_authorised` but return the issuer entry or raise :class:`TrustError`."""
    decision = is_authorised(snapshot, issuer_id, vct, issued_at, now)
    if not decision.authorised or decision.issuer is None:
        raise TrustError(decision.reason or Reason.NOT_AUTHORISED, f"{issuer_id} for {vct}")
    return decision.issuer
