"""Typed model of the Lintas trust list and its strict JSON form.

The list follows the shape of an ETSI TS 119 602 list of trusted entities (LoTE):
``ListAndSchemeInformation`` (sequence number, issue time, next update, scheme operator)
becomes :class:`TrustList`; each scheme territory (an ASEAN member state) is a
:class:`CountryEntry` with its national trust anchors (X.509 roots, as in
``ServiceDigitalIdentity.X509Certificates``) and its trusted entities, the credential
issuers (:class:`IssuerEntry`), each with a ``ServiceStatus`` history.

Status semantics (issue #3, refined by issue #12 class 3): each :class:`StatusChange` holds
from its ``since`` time until the next one and carries a :class:`StatusReason`, in the manner
of ETSI TS 119 612 clauses 5.5.4-5.5.5 ``ServiceStatus`` with ``StatusStartingTime`` and 5.5.10
``ServiceHistory`` (whose status URIs distinguish an orderly ``supervisionceased`` from a
``supervisionrevoked`` for cause) and of the RFC 5280 Section 5.3.1 ``CRLReason`` vocabulary
(``keyCompromise``, ``cessationOfOperation``, ``privilegeWithdrawn``) that ETSI lists rely on
for certificates. How a credential is judged depends on the reason:

* ``key_compromise`` (a suspension or a withdrawal): the key is untrusted for *every*
  credential, whatever its ``iat``, from ``since`` on — ``iat`` is chosen by whoever holds the
  key, so a backdated credential must not pass. Nothing but a withdrawal for the same reason
  may follow (no reinstatement of a compromised entry).
* ``cessation_of_operation`` (withdrawal, orderly retirement): judged at issuance, so what
  was issued before the retirement stays valid; may be followed only by ``key_compromise``.
* ``privilege_withdrawn`` (withdrawal for cause, the default): rejects everything from then on.
* ``unspecified`` (suspension, the default): judged at issuance; a credential issued while
  ``granted`` stays valid across a later suspension.

Parsing never trusts its input: :meth:`TrustList.from_json` refuses unknown shapes, unknown
countries, duplicate issuers and histories that do not make sense, with
:attr:`~idcore.errors.Reason.TRUST_LIST_INVALID`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

from idcore.errors import Reason, TrustError
from idcore.trust.limits import (
    MAX_HISTORY,
    MAX_ID_CHARS,
    MAX_NAME_BYTES,
    MAX_NAME_LANGUAGES,
    MAX_VCTS_PER_ISSUER,
    text_problem,
)
from idcore.trust.rp_ca import RelyingPartyCA, parse_relying_party_cas
from idcore.trust.vct import ASEAN_COUNTRIES, ASSURANCE_LEVELS, SERVICE_TYPES

__all__ = [
    "FORMAT",
    "STATUS_REASONS",
    "CountryEntry",
    "IssuerEntry",
    "IssuerStatus",
    "SchemeOperator",
    "StatusChange",
    "StatusReason",
    "TrustList",
    "check_identifier",
    "check_transition",
]

#: Value of the ``format`` member; a reader refuses lists of another format.
FORMAT = "lintas-trust-list/1"
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
#: Times and sequence numbers stay exact in every JSON implementation (2**53).
_MAX_INT = 2**53
#: An ISO/IEC 18013-5 docType (Section 7.1 / 8.3.2.1.2.2): a reverse-domain dotted name such as
#: ``org.iso.18013.5.1.mDL``, listed beside ``vct`` URLs as the credential types an issuer may issue.
_DOCTYPE = re.compile(r"^[a-z][a-z0-9-]*(?:\.[A-Za-z0-9_-]+)+$")
_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,3}$")


class IssuerStatus(StrEnum):
    """The ``ServiceStatus`` of an issuer over time."""

    GRANTED = "granted"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"


class StatusReason(StrEnum):
    """Why a status was set (RFC 5280 ``CRLReason`` names, as ETSI trust lists use them)."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "key_compromise"
    CESSATION_OF_OPERATION = "cessation_of_operation"
    PRIVILEGE_WITHDRAWN = "privilege_withdrawn"


#: The reasons each status may carry; the first is the default when a list omits the reason.
STATUS_REASONS: dict[IssuerStatus, tuple[StatusReason, ...]] = {
    IssuerStatus.GRANTED: (),
    IssuerStatus.SUSPENDED: (StatusReason.UNSPECIFIED, StatusReason.KEY_COMPROMISE),
    IssuerStatus.WITHDRAWN: (
        StatusReason.PRIVILEGE_WITHDRAWN,
        StatusReason.CESSATION_OF_OPERATION,
        StatusReason.KEY_COMPROMISE,
    ),
}


def _invalid(detail: str) -> TrustError:
    return TrustError(Reason.TRUST_LIST_INVALID, detail)


def check_identifier(value: object, *, allow_loopback_http: bool) -> str:
    """Return ``value`` if it is an issuer identifier: an absolute https URL without fragment.

    ``http://127.0.0.1``/``localhost`` URLs are accepted only with ``allow_loopback_http``
    (local demos). Raises :class:`TrustError` ``trust_list_invalid`` otherwise.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_ID_CHARS:
        raise _invalid(f"identifier must be a non-empty string of at most {MAX_ID_CHARS} characters")
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise _invalid(f"identifier {value!r} is not a URL") from None
    if parts.fragment or parts.query or not host or parts.username or parts.password:
        raise _invalid(f"identifier {value!r} must be a plain https URL")
    if parts.scheme == "https":
        return value
    if parts.scheme == "http" and allow_loopback_http and host in _LOOPBACK_HOSTS:
        return value
    raise _invalid(f"identifier {value!r} must use https")


def _str(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value:
        raise _invalid(f"{name!r} must be a non-empty string")
    return value


def _int(obj: Mapping[str, Any], name: str) -> int:
    value = obj.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < _MAX_INT:
        raise _invalid(f"{name!r} must be a non-negative integer below 2**53")
    return value


def _list(obj: Mapping[str, Any], name: str) -> list[Any]:
    value = obj.get(name)
    if not isinstance(value, list):
        raise _invalid(f"{name!r} must be an array")
    return value


def _obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _invalid(f"{what} must be a JSON object")
    return value


def _names(obj: Mapping[str, Any]) -> dict[str, str]:
    """Names by BCP 47 language tag: English and one to three local languages, plain text (limits)."""
    names = _obj(obj.get("names"), "'names'")
    if not all(isinstance(k, str) and _LANGUAGE_TAG.match(k) and isinstance(v, str) for k, v in names.items()):
        raise _invalid("'names' maps language tags to strings")
    if "en" not in names or not 2 <= len(names) <= MAX_NAME_LANGUAGES:
        raise _invalid("'names' needs English and one to three local languages")
    for tag, name in names.items():
        problem = text_problem(name, max_bytes=MAX_NAME_BYTES)
        if problem is not None:
            raise _invalid(f"name {tag!r} {problem}")
    return dict(names)


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One entry of a status history: ``status`` holds from ``since`` (epoch seconds), for ``reason``.

    ``reason`` is ``None`` only for ``granted``; a parsed list that omits it gets the status's
    default (``unspecified`` for a suspension, ``privilege_withdrawn`` for a withdrawal).
    """

    status: IssuerStatus
    since: int
    reason: StatusReason | None = None

    @property
    def compromised(self) -> bool:
        """Whether this change records a key compromise."""
        return self.reason is StatusReason.KEY_COMPROMISE

    def to_json(self) -> dict[str, Any]:
        """JSON form (``reason`` present whenever the status carries one)."""
        out: dict[str, Any] = {"status": self.status.value, "since": self.since}
        if self.reason is not None:
            out["reason"] = self.reason.value
        return out


@dataclass(frozen=True, slots=True)
class IssuerEntry:
    """A trusted credential issuer of one country."""

    issuer_id: str
    country: str
    names: Mapping[str, str]
    service_types: tuple[str, ...]
    vcts: tuple[str, ...]
    assurance_level: str
    history: tuple[StatusChange, ...]

    def status_at(self, at: int) -> IssuerStatus | None:
        """The status in force at ``at``, or ``None`` before the first grant."""
        current: IssuerStatus | None = None
        for change in self.history:
            if change.since > at:
                break
            current = change.status
        return current

    @property
    def current_status(self) -> IssuerStatus:
        """The latest status in the history."""
        return self.history[-1].status

    def to_json(self) -> dict[str, Any]:
        """JSON form (without the country, which the enclosing country entry gives)."""
        return {
            "id": self.issuer_id,
            "names": dict(self.names),
            "service_types": list(self.service_types),
            "vcts": list(self.vcts),
            "assurance_level": self.assurance_level,
            "status_history": [c.to_json() for c in self.history],
        }

    @classmethod
    def from_json(cls, value: Any, country: str, *, allow_loopback_http: bool = True) -> IssuerEntry:
        """Parse and validate one issuer object."""
        obj = _obj(value, "issuer")
        issuer_id = check_identifier(obj.get("id"), allow_loopback_http=allow_loopback_http)
        service_types = tuple(_list(obj, "service_types"))
        distinct = len(set(service_types)) == len(service_types)
        if not service_types or not distinct or not SERVICE_TYPES.issuperset(service_types):
            raise _invalid(f"issuer {issuer_id}: unknown or missing service types")
        vcts = tuple(_list(obj, "vcts"))
        if not vcts or len(set(vcts)) != len(vcts) or len(vcts) > MAX_VCTS_PER_ISSUER:
            raise _invalid(f"issuer {issuer_id}: 'vcts' must list 1 to {MAX_VCTS_PER_ISSUER} types without repeats")
        for vct in vcts:
            if not (isinstance(vct, str) and len(vct) <= MAX_ID_CHARS and _DOCTYPE.fullmatch(vct)):
                check_identifier(vct, allow_loopback_http=allow_loopback_http)  # else a vct URL
        level = _str(obj, "assurance_level")
        if level not in ASSURANCE_LEVELS:
            raise _invalid(f"issuer {issuer_id}: unknown assurance level {level!r}")
        history = _history(_list(obj, "status_history"), issuer_id)
        return cls(issuer_id, country, _names(obj), service_types, vcts, level, history)


def _change(item: Any, issuer_id: str) -> StatusChange:
    obj = _obj(item, "status change")
    try:
        status = IssuerStatus(_str(obj, "status"))
        raw_reason = obj.get("reason")
        reason = StatusReason(raw_reason) if raw_reason is not None else None
    except ValueError:
        raise _invalid(f"issuer {issuer_id}: unknown status or reason") from None
    allowed = STATUS_REASONS[status]
    if reason is None and allowed:
        reason = allowed[0]
    if reason is not None and reason not in allowed:
        raise _invalid(f"issuer {issuer_id}: {status.value} cannot have the reason {reason.value}")
    return StatusChange(status, _int(obj, "since"), reason)


def check_transition(before: StatusChange, after: StatusChange, issuer_id: str) -> None:
    """Refuse a history step that the status semantics (module docstring) do not allow."""
    if after.since < before.since:
        raise _invalid(f"issuer {issuer_id}: history goes back in time")
    if before.compromised:
        final = before.status is IssuerStatus.WITHDRAWN
        if final or not (after.status is IssuerStatus.WITHDRAWN and after.compromised):
            raise _invalid(f"issuer {issuer_id}: after a key compromise only a withdrawal for it may follow")
    elif before.status is IssuerStatus.WITHDRAWN and not (
        before.reason is StatusReason.CESSATION_OF_OPERATION
        and after.status is IssuerStatus.WITHDRAWN
        and after.compromised
    ):
        raise _invalid(f"issuer {issuer_id}: after a withdrawal only a later key compromise may be recorded")


def _history(items: list[Any], issuer_id: str) -> tuple[StatusChange, ...]:
    """A history starts granted, never goes back in time and follows :func:`check_transition`."""
    if len(items) > MAX_HISTORY:
        raise _invalid(f"issuer {issuer_id}: more than {MAX_HISTORY} status changes")
    changes = [_change(item, issuer_id) for item in items]
    if not changes or changes[0].status is not IssuerStatus.GRANTED:
        raise _invalid(f"issuer {issuer_id}: history must start with 'granted'")
    for before, after in pairwise(changes):
        check_transition(before, after, issuer_id)
    return tuple(changes)


@dataclass(frozen=True, slots=True)
class CountryEntry:
    """One member state: its names, national trust anchors (base64 DER), issuers and the
    relying-party access CAs it vouches for (:mod:`idcore.trust.rp_ca`; optional, issue #14)."""

    code: str
    names: Mapping[str, str]
    anchors: tuple[str, ...]
    issuers: tuple[IssuerEntry, ...]
    relying_party_cas: tuple[RelyingPartyCA, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """JSON form; ``relying_party_cas`` only when the country lists any (older lists stay byte-identical)."""
        out: dict[str, Any] = {
            "code": self.code,
            "names": dict(self.names),
            "anchors": list(self.anchors),
            "issuers": [i.to_json() for i in self.issuers],
        }
        if self.relying_party_cas:
            out["relying_party_cas"] = [ca.to_json() for ca in self.relying_party_cas]
        return out

    @classmethod
    def from_json(cls, value: Any, *, allow_loopback_http: bool = True) -> CountryEntry:
        """Parse and validate one country object."""
        obj = _obj(value, "country")
        code = _str(obj, "code")
        if code not in ASEAN_COUNTRIES:
            raise _invalid(f"unknown country code {code!r}")
        anchors = tuple(_list(obj, "anchors"))
        if not all(isinstance(a, str) and a for a in anchors) or len(set(anchors)) != len(anchors):
            raise _invalid(f"{code}: anchors must be distinct base64 DER strings")
        issuers = tuple(
            IssuerEntry.from_json(i, code, allow_loopback_http=allow_loopback_http) for i in _list(obj, "issuers")
        )
        return cls(code, _names(obj), anchors, issuers, parse_relying_party_cas(obj, code))


@dataclass(frozen=True, slots=True)
class SchemeOperator:
    """The body that operates the scheme and signs the list."""

    names: Mapping[str, str]
    uri: str

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {"names": dict(self.names), "uri": self.uri}


@dataclass(frozen=True, slots=True)
class TrustList:
    """The whole list: what the registry signs and what verifiers cache."""

    sequence_number: int
    issued_at: int
    next_update: int
    scheme_operator: SchemeOperator
    countries: tuple[CountryEntry, ...]
    #: Hash of the audit-log record preceding this list (hex SHA-256); ties list and log together.
    audit_prev_hash: str = field(default="")

    def country(self, code: str) -> CountryEntry | None:
        """The entry of one member state, if listed."""
        return next((c for c in self.countries if c.code == code), None)

    def issuer(self, issuer_id: str) -> IssuerEntry | None:
        """Find an issuer anywhere in the list."""
        return next((i for c in self.countries for i in c.issuers if i.issuer_id == issuer_id), None)

    def to_json(self) -> dict[str, Any]:
        """JSON form (the JWS payload); ``iss``/``iat`` are the JWT names for operator and issue time."""
        return {
            "format": FORMAT,
            "iss": self.scheme_operator.uri,
            "iat": self.issued_at,
            "sequence_number": self.sequence_number,
            "next_update": self.next_update,
            "scheme_operator": self.scheme_operator.to_json(),
            "audit_prev_hash": self.audit_prev_hash,
            "countries": [c.to_json() for c in self.countries],
        }

    @classmethod
    def from_json(cls, value: Any, *, allow_loopback_http: bool = True) -> TrustList:
        """Parse and validate a whole list; raises :class:`TrustError` ``trust_list_invalid``."""
        obj = _obj(value, "trust list")
        if obj.get("format") != FORMAT:
            raise _invalid("unknown trust list format")
        op = _obj(obj.get("scheme_operator"), "'scheme_operator'")
        operator = SchemeOperator(_names(op), check_identifier(op.get("uri"), allow_loopback_http=allow_loopback_http))
        if obj.get("iss") != operator.uri:
            raise _invalid("'iss' differs from the scheme operator")
        countries = tuple(
            CountryEntry.from_json(c, allow_loopback_http=allow_loopback_http) for c in _list(obj, "countries")
        )
        _check_unique(countries)
        issued_at, next_update = _int(obj, "iat"), _int(obj, "next_update")
        if next_update <= issued_at:
            raise _invalid("'next_update' must be after the issue time")
        prev = obj.get("audit_prev_hash", "")
        if not isinstance(prev, str):
            raise _invalid("'audit_prev_hash' must be a string")
        return cls(_int(obj, "sequence_number"), issued_at, next_update, operator, countries, prev)


def _check_unique(countries: tuple[CountryEntry, ...]) -> None:
    codes = [c.code for c in countries]
    if len(set(codes)) != len(codes):
        raise _invalid("a country is listed twice")
    ids = [i.issuer_id for c in countries for i in c.issuers]
    if len(set(ids)) != len(ids):
        raise _invalid("an issuer is listed twice")
