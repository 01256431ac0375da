"""Governance changes to the trust list, as pure functions ``TrustList -> TrustList``.

Each function validates its input against the current list and returns the changed list;
it writes nothing. The ledger (:mod:`trust_registry.ledger`) bumps the sequence number,
signs, and appends the audit record. A refused change raises :class:`ChangeError` carrying
an HTTP status and a problem title, so routes can answer RFC 9457 problem+json.

Status transitions (issue #3): suspend (granted -> suspended), reinstate (suspended ->
granted), withdraw (granted or suspended -> withdrawn; terminal, as the list model
requires). Each carries a :class:`~idcore.trust.model.StatusReason` (issue #12): a suspension
or withdrawal for ``key_compromise`` refuses every credential of the issuer whatever its
``iat``, cannot be reinstated, and may also be recorded after an orderly retirement
(``cessation_of_operation``) when a retired key is stolen later.

Quotas and binding (issue #12, class 2, :mod:`idcore.trust.limits`): a country lists at most
``MAX_ISSUERS_PER_COUNTRY`` issuers and ``MAX_ANCHORS_PER_COUNTRY`` anchors of at most
``MAX_ANCHOR_DER_BYTES`` each; an issuer keeps at most ``MAX_HISTORY`` status changes; issuer
identifiers and names must belong to the operator's country. Refusals are 409 ``Quota
exceeded`` or 400 ``Invalid issuer`` and write nothing.

Anchors must be valid self-signed CA certificates; rotation adds the new root and removes the
old one in one change so that no list is published with neither.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from cryptography import x509

from idcore.errors import IdcoreError, TrustError
from idcore.trust.anchors import check_anchor_certificate
from idcore.trust.limits import (
    MAX_ANCHOR_DER_BYTES,
    MAX_ANCHORS_PER_COUNTRY,
    MAX_HISTORY,
    MAX_ISSUERS_PER_COUNTRY,
    check_issuer_binding,
    check_names_binding,
)
from idcore.trust.model import (
    STATUS_REASONS,
    CountryEntry,
    IssuerEntry,
    IssuerStatus,
    StatusChange,
    StatusReason,
    TrustList,
    check_transition,
)
from idcore.trust.vct import ASEAN_COUNTRIES
from idcore.x509 import load_der_certificate

__all__ = [
    "ChangeError",
    "add_anchor",
    "anchor_sha256",
    "append_change",
    "country_entry",
    "create_issuer",
    "parse_certificate",
    "remove_anchor",
    "rotate_anchor",
    "set_status",
    "update_issuer",
    "with_country",
]

#: action -> (allowed current statuses, new status); the model's transition rules apply on top.
STATUS_ACTIONS: dict[str, tuple[frozenset[IssuerStatus], IssuerStatus]] = {
    "suspend": (frozenset({IssuerStatus.GRANTED}), IssuerStatus.SUSPENDED),
    "reinstate": (frozenset({IssuerStatus.SUSPENDED}), IssuerStatus.GRANTED),
    # withdrawn -> withdrawn only records a key compromise after an orderly retirement.
    "withdraw": (frozenset(IssuerStatus), IssuerStatus.WITHDRAWN),
}
_UPDATABLE = ("names", "service_types", "vcts", "assurance_level")


class ChangeError(Exception):
    """A refused change: HTTP ``status``, problem ``title`` and a human ``detail``."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail


def _country(trust_list: TrustList, code: str) -> CountryEntry:
    if code not in ASEAN_COUNTRIES:
        raise ChangeError(404, "Unknown country", f"{code!r} is not an ASEAN member state code")
    country = trust_list.country(code)
    if country is None:
        raise ChangeError(404, "Unknown country", f"{code} is not in the list")
    return country


def _with_country(trust_list: TrustList, country: CountryEntry) -> TrustList:
    countries = tuple(country if c.code == country.code else c for c in trust_list.countries)
    return replace(trust_list, countries=countries)


#: Public names for other change modules (:mod:`trust_registry.rp_cas`): the listed country or 404, and
#: the list with one country entry replaced.
country_entry = _country
with_country = _with_country


def _issuer(trust_list: TrustList, issuer_id: str) -> IssuerEntry:
    issuer = trust_list.issuer(issuer_id)
    if issuer is None:
        raise ChangeError(404, "Unknown issuer", f"{issuer_id!r} is not in the list")
    return issuer


def _with_issuer(trust_list: TrustList, issuer: IssuerEntry) -> TrustList:
    country = _country(trust_list, issuer.country)
    issuers = tuple(issuer if i.issuer_id == issuer.issuer_id else i for i in country.issuers)
    return _with_country(trust_list, replace(country, issuers=issuers))


def _parse_issuer(trust_list: TrustList, body: Mapping[str, Any], country: str, *, development: bool) -> IssuerEntry:
    """Parse with the model's field limits; 409 if the identifier is listed elsewhere already."""
    try:
        issuer = IssuerEntry.from_json(dict(body), country, allow_loopback_http=development)
    except TrustError as exc:
        raise ChangeError(400, "Invalid issuer", exc.detail) from None
    existing = trust_list.issuer(issuer.issuer_id)
    if existing is not None and existing.country != country:
        raise ChangeError(409, "Duplicate issuer", f"{issuer.issuer_id} is already listed")
    _bind(trust_list, issuer, country)
    return issuer


def _bind(trust_list: TrustList, issuer: IssuerEntry, country: str) -> None:
    """400 unless the identifier and the names belong to ``country`` (:mod:`idcore.trust.limits`)."""
    listed = {c.code: tuple(c.names.values()) for c in trust_list.countries}
    problem = check_issuer_binding(issuer.issuer_id, country) or check_names_binding(issuer.names, country, listed)
    if problem is not None:
        raise ChangeError(400, "Invalid issuer", problem)


def create_issuer(
    trust_list: TrustList, country_code: str, body: Mapping[str, Any], now: int, *, development: bool
) -> tuple[TrustList, IssuerEntry]:
    """Add a new issuer, granted from ``now``; 409 if its identifier is already listed anywhere."""
    country = _country(trust_list, country_code)
    if len(country.issuers) >= MAX_ISSUERS_PER_COUNTRY:
        raise ChangeError(409, "Quota exceeded", f"{country.code} already lists {MAX_ISSUERS_PER_COUNTRY} issuers")
    fields = {k: body[k] for k in ("id", *_UPDATABLE) if k in body}
    issuer = _parse_issuer(
        trust_list,
        {**fields, "status_history": [{"status": "granted", "since": now}]},
        country.code,
        development=development,
    )
    if trust_list.issuer(issuer.issuer_id) is not None:
        raise ChangeError(409, "Duplicate issuer", f"{issuer.issuer_id} is already listed")
    return _with_country(trust_list, replace(country, issuers=(*country.issuers, issuer))), issuer


def update_issuer(
    trust_list: TrustList, issuer_id: str, body: Mapping[str, Any], *, development: bool
) -> tuple[TrustList, IssuerEntry]:
    """Replace an issuer's names, service types, vcts or assurance level (not its id or status)."""
    current = _issuer(trust_list, issuer_id)
    changes = {k: body[k] for k in _UPDATABLE if body.get(k) is not None}
    if not changes:
        raise ChangeError(400, "Nothing to change", f"give at least one of {', '.join(_UPDATABLE)}")
    merged = {**current.to_json(), **changes}
    issuer = _parse_issuer(trust_list, merged, current.country, development=development)
    return _with_issuer(trust_list, issuer), issuer


def set_status(
    trust_list: TrustList, issuer_id: str, action: str, now: int, reason: str | None = None
) -> tuple[TrustList, IssuerEntry]:
    """Suspend, reinstate or withdraw an issuer from ``now`` for ``reason``; 409 if not allowed.

    ``reason`` defaults to the status's default (``unspecified`` / ``privilege_withdrawn``).
    """
    if action not in STATUS_ACTIONS:
        raise ChangeError(400, "Unknown action", f"{action!r} is not one of {sorted(STATUS_ACTIONS)}")
    allowed, new_status = STATUS_ACTIONS[action]
    current = _issuer(trust_list, issuer_id)
    if current.current_status not in allowed:
        raise ChangeError(409, "Status conflict", f"cannot {action} an issuer that is {current.current_status}")
    reasons = STATUS_REASONS[new_status]
    try:
        chosen = StatusReason(reason) if reason is not None else (reasons[0] if reasons else None)
    except ValueError:
        raise ChangeError(400, "Unknown reason", f"{reason!r} is not a status reason") from None
    if (chosen is not None and chosen not in reasons) or (chosen is None and reasons):
        raise ChangeError(400, "Invalid reason", f"{action} cannot have the reason {reason!r}")
    since = max(now, current.history[-1].since)  # never let a history run backwards
    change = StatusChange(new_status, since, chosen)
    try:
        check_transition(current.history[-1], change, issuer_id)
    except TrustError as exc:
        raise ChangeError(409, "Status conflict", exc.detail) from None
    history = append_change(current.history, change)
    if len(history) > MAX_HISTORY:
        raise ChangeError(409, "Quota exceeded", f"{issuer_id} already has {MAX_HISTORY} status changes")
    issuer = replace(current, history=history)
    return _with_issuer(trust_list, issuer), issuer


def append_change(history: tuple[StatusChange, ...], change: StatusChange) -> tuple[StatusChange, ...]:
    """``history`` followed by ``change``, without entries that can never be in force.

    A status is in force from its ``since`` until the next change, and of several changes in
    the same second the last one wins (:meth:`IssuerEntry.status_at`, the bisection in
    :mod:`idcore.trust.decision`). So a suspension or grant followed within the same second is
    dropped, and a change that repeats the status before it adds nothing: every trust decision
    stays the same while a burst of suspend/reinstate cannot fill the history quota. The first
    grant, compromises and withdrawals are always kept (the audit log keeps every change).
    """
    kept = list(history)
    last = kept[-1]
    droppable = last.status is IssuerStatus.GRANTED or last.reason is StatusReason.UNSPECIFIED
    if len(kept) > 1 and last.since == change.since and droppable:
        kept.pop()
    previous = kept[-1]
    if (previous.status, previous.reason) == (change.status, change.reason):
        return tuple(kept)
    return (*kept, change)


def parse_certificate(value: object) -> x509.Certificate:
    """Read a certificate given as PEM text or base64 DER; 400 if it does not parse."""
    if not isinstance(value, str) or not value.strip() or len(value) > 64 * 1024:
        raise ChangeError(400, "Invalid certificate", "give a PEM certificate or base64 DER")
    text = value.strip()
    try:
        if text.startswith("-----BEGIN"):
            return x509.load_pem_x509_certificate(text.encode("ascii"))
        return load_der_certificate(base64.b64decode(text, validate=True))
    except (ValueError, binascii.Error, UnicodeEncodeError):
        raise ChangeError(400, "Invalid certificate", "the certificate does not parse") from None


def _der_b64(cert: x509.Certificate) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding

    return base64.b64encode(cert.public_bytes(Encoding.DER)).decode("ascii")


def anchor_sha256(der_b64: str) -> str:
    """The hex SHA-256 of an anchor's DER (how governance calls name anchors)."""
    return hashlib.sha256(base64.b64decode(der_b64)).hexdigest()


def add_anchor(trust_list: TrustList, country_code: str, cert: x509.Certificate, now: int) -> tuple[TrustList, str]:
    """Add a national root; 400 if it is no valid CA root at ``now``, 409 if already listed."""
    country = _country(trust_list, country_code)
    try:
        check_anchor_certificate(cert, now)
    except IdcoreError as exc:
        raise ChangeError(400, "Invalid anchor", f"{exc.reason.value}: {exc.detail}") from None
    der = _der_b64(cert)
    if der in country.anchors:
        raise ChangeError(409, "Duplicate anchor", "this certificate is already an anchor")
    if len(base64.b64decode(der)) > MAX_ANCHOR_DER_BYTES:
        raise ChangeError(400, "Invalid anchor", f"an anchor certificate may be at most {MAX_ANCHOR_DER_BYTES} bytes")
    if len(country.anchors) >= MAX_ANCHORS_PER_COUNTRY:
        raise ChangeError(409, "Quota exceeded", f"{country.code} already lists {MAX_ANCHORS_PER_COUNTRY} anchors")
    return _with_country(trust_list, replace(country, anchors=(*country.anchors, der))), anchor_sha256(der)


def remove_anchor(trust_list: TrustList, country_code: str, sha256_hex: str) -> TrustList:
    """Remove the anchor with this SHA-256; 404 if the country has no such anchor."""
    country = _country(trust_list, country_code)
    kept = tuple(a for a in country.anchors if anchor_sha256(a) != sha256_hex.lower())
    if len(kept) == len(country.anchors):
        raise ChangeError(404, "Unknown anchor", f"{country.code} has no anchor {sha256_hex}")
    return _with_country(trust_list, replace(country, anchors=kept))


def rotate_anchor(
    trust_list: TrustList, country_code: str, old_sha256: str, cert: x509.Certificate, now: int
) -> tuple[TrustList, str]:
    """Replace one anchor by another in a single change (both checks of add and remove apply)."""
    removed = remove_anchor(trust_list, country_code, old_sha256)
    return add_anchor(removed, country_code, cert, now)
