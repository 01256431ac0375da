"""Typed model of the Lintas trust list and its strict JSON form.

The list follows the shape of an ETSI TS 119 602 list of trusted entities (LoTE):
``ListAndSchemeInformation`` (sequence number, issue time, next update, scheme operator)
becomes :class:`TrustList`; each scheme territory (an ASEAN member state) is a
:class:`CountryEntry` with its national trust anchors (X.509 roots, as in
``ServiceDigitalIdentity.X509Certificates``) and its trusted entities, the credential
issuers (:class:`IssuerEntry`), each with a ``ServiceStatus`` history.

Status semantics (issue #3): a credential is judged at its issuance time and now. Each
:class:`StatusChange` holds from its ``since`` time until the next one. ``withdrawn`` is
terminal and rejects everything from that moment on; a credential issued while its issuer
was ``suspended`` is rejected; one issued while ``granted`` stays valid across a later
suspension.

Parsing never trusts its input: :meth:`TrustList.from_json` refuses unknown shapes, unknown
countries, duplicate issuers and histories that do not make sense, with
:attr:`~idcore.errors.Reason.TRUST_LIST_INVALID`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

from idcore.errors import Reason, TrustError
from idcore.trust.vct import ASEAN_COUNTRIES, ASSURANCE_LEVELS, SERVICE_TYPES

__all__ = [
    "FORMAT",
    "CountryEntry",
    "IssuerEntry",
    "IssuerStatus",
    "SchemeOperator",
    "StatusChange",
    "TrustList",
    "check_identifier",
]

#: Value of the ``format`` member; a reader refuses lists of another format.
FORMAT = "lintas-trust-list/1"
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class IssuerStatus(StrEnum):
    """The ``ServiceStatus`` of an issuer over time."""

    GRANTED = "granted"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"


def _invalid(detail: str) -> TrustError:
    return TrustError(Reason.TRUST_LIST_INVALID, detail)


def check_identifier(value: object, *, allow_loopback_http: bool) -> str:
    """Return ``value`` if it is an issuer identifier: an absolute https URL without fragment.

    ``http://127.0.0.1``/``localhost`` URLs are accepted only with ``allow_loopback_http``
    (local demos). Raises :class:`TrustError` ``trust_list_invalid`` otherwise.
    """
    if not isinstance(value, str) or not value or len(value) > 2048:
        raise _invalid("identifier must be a non-empty string")
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
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _invalid(f"{name!r} must be a non-negative integer")
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
    """Names by BCP 47 language tag; English is required, and one local language."""
    names = _obj(obj.get("names"), "'names'")
    if not all(isinstance(k, str) and 0 < len(k) <= 35 and isinstance(v, str) and v for k, v in names.items()):
        raise _invalid("'names' maps language tags to non-empty strings")
    if "en" not in names or len(names) < 2:
        raise _invalid("'names' needs English and at least one local language")
    return dict(names)


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One entry of a status history: ``status`` holds from ``since`` (epoch seconds)."""

    status: IssuerStatus
    since: int

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {"status": self.status.value, "since": self.since}


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
        if not service_types or not SERVICE_TYPES.issuperset(service_types):
            raise _invalid(f"issuer {issuer_id}: unknown or missing service types")
        vcts = tuple(_list(obj, "vcts"))
        if not vcts or len(set(vcts)) != len(vcts):
            raise _invalid(f"issuer {issuer_id}: 'vcts' must be a non-empty list without repeats")
        for vct in vcts:
            check_identifier(vct, allow_loopback_http=allow_loopback_http)
        level = _str(obj, "assurance_level")
        if level not in ASSURANCE_LEVELS:
            raise _invalid(f"issuer {issuer_id}: unknown assurance level {level!r}")
        history = _history(_list(obj, "status_history"), issuer_id)
        return cls(issuer_id, country, _names(obj), service_types, vcts, level, history)


def _history(items: list[Any], issuer_id: str) -> tuple[StatusChange, ...]:
    """A history starts granted, never goes back in time and ends at a withdrawal."""
    changes: list[StatusChange] = []
    for item in items:
        obj = _obj(item, "status change")
        try:
            status = IssuerStatus(_str(obj, "status"))
        except ValueError:
            raise _invalid(f"issuer {issuer_id}: unknown status") from None
        changes.append(StatusChange(status, _int(obj, "since")))
    if not changes or changes[0].status is not IssuerStatus.GRANTED:
        raise _invalid(f"issuer {issuer_id}: history must start with 'granted'")
    for before, after in pairwise(changes):
        if after.since < before.since:
            raise _invalid(f"issuer {issuer_id}: history goes back in time")
        if before.status is IssuerStatus.WITHDRAWN:
            raise _invalid(f"issuer {issuer_id}: nothing may follow a withdrawal")
    return tuple(changes)


@dataclass(frozen=True, slots=True)
class CountryEntry:
    """One member state: its names, national trust anchors (base64 DER) and issuers."""

    code: str
    names: Mapping[str, str]
    anchors: tuple[str, ...]
    issuers: tuple[IssuerEntry, ...]

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "code": self.code,
            "names": dict(self.names),
            "anchors": list(self.anchors),
            "issuers": [i.to_json() for i in self.issuers],
        }

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
            IssuerEntry.from_json(i, code, allow_loopback_http=allow_loopback_http)
            for i in _list(obj, "issuers")
        )
        return cls(code, _names(obj), anchors, issuers)


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
        operator = SchemeOperator(
            _names(op), check_identifier(op.get("uri"), allow_loopback_http=allow_loopback_http)
        )
        if obj.get("iss") != operator.uri:
            raise _invalid("'iss' differs from the scheme operator")
        countries = tuple(
            CountryEntry.from_json(c, allow_loopback_http=allow_loopback_http)
            for c in _list(obj, "countries")
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
