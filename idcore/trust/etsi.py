"""The trust list in the JSON binding of ETSI TS 119 602 ("lists of trusted entities", LoTE).

ETSI TS 119 602 V1.1.1 clause 6 defines a list as ``{"LoTE": {"ListAndSchemeInformation": ...,
"TrustedEntitiesList": [...]}}``. The official JSON schema (``1960201_json_schema.json`` on ETSI's
forge, draft-07) is kept with the test vectors (``tests/vectors/etsi_lote/``) and every list this
module writes validates against it (``tests/unit/test_trust_etsi.py``).

Mapping (:func:`to_lote`; :func:`from_lote` is its exact inverse, so a verifier can consume either):

* ``ListAndSchemeInformation``: ``LoTEVersionIdentifier`` 1, ``LoTESequenceNumber``, ``LoTEType``
  :data:`LOTE_TYPE`, ``SchemeOperatorName``, ``SchemeInformationURI`` (the operator URI),
  no ``SchemeTerritory`` (the schema allows one two-letter territory; this scheme spans eleven, each
  named in its entities' addresses), ``ListIssueDateTime`` / ``NextUpdate`` (RFC 3339, UTC, seconds),
  ``SchemeExtensions``: the member states (code, names) and ``audit_prev_hash``;
* each member state with national anchors is a ``TrustedEntity`` (its names, its country) with one
  service of type :data:`ANCHOR_SERVICE` whose ``ServiceDigitalIdentity.X509Certificates`` are
  the anchors (the roots its issuers' certificates chain to);
* each relying-party access CA a member state lists (:mod:`idcore.trust.rp_ca`) is a
  ``TrustedEntity`` of that country with one service of type :data:`RP_CA_SERVICE`: the CA
  certificate, ``ServiceStatus`` granted from ``from`` or withdrawn from ``until`` (then with the
  grant as its ``ServiceHistory``);
* each issuer is a ``TrustedEntity``: ``TEName`` (its names), ``TEAddress`` (postal: its country,
  ``StreetAddress`` its English name — the registry holds no street addresses; electronic: its
  identifier), ``TEInformationURI`` (its identifier), ``TEInformationExtensions`` (``vct``
  values, assurance level, service types), and one ``TrustedEntityService``: type its first
  service type, ``ServiceDigitalIdentity.OtherIds`` its identifier (its certificates travel in
  each credential's ``x5c``), ``ServiceStatus`` a status URI (:data:`STATUS_URI`) with
  ``StatusStartingTime`` and the reason as an extension, and ``ServiceHistory`` the earlier
  changes, newest first (as ETSI TS 119 612 orders history), with the English name only.

Size: with every quota full (110 issuers of 16 changes, 33 anchors) the signed LoTE stays under
:data:`MAX_LOTE_BYTES` (``tests/unit/test_trust_etsi.py`` measures it).

:func:`from_lote` rebuilds the Lintas JSON and parses it with :meth:`TrustList.from_json`, so
the same limits and history rules apply; any shape it does not expect is ``trust_list_invalid``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography import x509

from idcore.errors import IdcoreError, Reason, TrustError
from idcore.jose import parse_compact, sign_compact, verify_parsed
from idcore.ports import Signer
from idcore.trust.model import FORMAT, CountryEntry, IssuerEntry, StatusChange, TrustList
from idcore.trust.rp_ca import RelyingPartyCA, RelyingPartyCAStatus
from idcore.trust.signed import TRUST_LIST_ALGS, TrustListPin, VerifiedTrustList
from idcore.trust.signed import _leaf_certificate as leaf_certificate  # the list's own x5c rule
from idcore.x509 import x5c_from_certificates

__all__ = [
    "ANCHOR_SERVICE",
    "MAX_LOTE_BYTES",
    "RP_CA_SERVICE",
    "from_lote",
    "sign_lote",
    "to_lote",
    "verify_lote",
    "verify_lote_list",
]

LOTE_TYPE = "https://lintas.asean.example/LoTEType/ASEANIdentityIssuersList"
#: Prefix of the ``ServiceStatus`` URIs (``granted``, ``suspended``, ``withdrawn``).
STATUS_URI = "https://lintas.asean.example/TrustedEntityStatus/"
_EXTENSION = "LintasTrustList"
#: Service type of a member state's national trust anchors (the roots its issuers' certificates chain to).
ANCHOR_SERVICE = "https://lintas.asean.example/svc/national-trust-anchor"
#: Service type of a relying-party access CA a member state vouches for (issue #14 item 3).
RP_CA_SERVICE = "https://lintas.asean.example/svc/relying-party-access-ca"
#: A verifier refuses a signed LoTE above this (the binding is more verbose than the list).
MAX_LOTE_BYTES = 4 * 1024 * 1024
#: ``typ`` of the signed LoTE (a compact JWS like the list; not a JAdES signature).
LOTE_TYP = "lintas-lote+jwt"


def _invalid(detail: str) -> TrustError:
    return TrustError(Reason.TRUST_LIST_INVALID, f"ETSI LoTE: {detail}")


def _time(epoch: int) -> str:
    try:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError):  # the list allows times RFC 3339 cannot write (after year 9999)
        raise _invalid(f"time {epoch} has no RFC 3339 form") from None


def _epoch(value: Any) -> int:
    if not isinstance(value, str) or not value.endswith("Z"):
        raise _invalid(f"{value!r} is not an RFC 3339 UTC date-time")
    try:
        return int(datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())
    except ValueError:
        raise _invalid(f"{value!r} is not an RFC 3339 UTC date-time") from None


def _multilang(names: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"lang": lang, "value": value} for lang, value in names.items()]


def _names(items: Any) -> dict[str, str]:
    if not isinstance(items, list) or not all(isinstance(i, dict) and set(i) == {"lang", "value"} for i in items):
        raise _invalid("a multilingual name must be a list of {lang, value}")
    return {i["lang"]: i["value"] for i in items}


def _uri(value: str) -> list[dict[str, str]]:
    return [{"lang": "en", "uriValue": value}]


def _status(change: StatusChange) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ServiceStatus": STATUS_URI + change.status.value,
        "StatusStartingTime": _time(change.since),
    }
    if change.reason is not None:
        out["ServiceInformationExtensions"] = [{"StatusReason": change.reason.value}]
    return out


def _address(country: str, name: str, uri: str) -> dict[str, Any]:
    # The registry holds no street addresses; the schema requires one, so it carries the entity's name.
    return {
        "TEPostalAddress": [{"lang": "en", "StreetAddress": name, "Country": country}],
        "TEElectronicAddress": _uri(uri),
    }


def _issuer_entity(issuer: IssuerEntry) -> dict[str, Any]:
    """One issuer: one service (the first service type; all of them in the extension), its history."""
    identity = {"OtherIds": [issuer.issuer_id]}
    extension = {"vcts": list(issuer.vcts), "assurance_level": issuer.assurance_level}
    information = {
        "TEName": _multilang(issuer.names),
        "TEAddress": _address(issuer.country, issuer.names["en"], issuer.issuer_id),
        "TEInformationURI": _uri(issuer.issuer_id),
        "TEInformationExtensions": [{_EXTENSION: {**extension, "service_types": list(issuer.service_types)}}],
    }
    current = {
        "ServiceName": _multilang(issuer.names),
        "ServiceDigitalIdentity": identity,
        "ServiceTypeIdentifier": issuer.service_types[0],
        **_status(issuer.history[-1]),
    }
    service: dict[str, Any] = {"ServiceInformation": current}
    # Earlier changes, newest first; the English name only, which keeps a full list compact.
    short = {"ServiceName": _multilang({"en": issuer.names["en"]}), "ServiceDigitalIdentity": identity}
    earlier = [{**short, **_status(c)} for c in reversed(issuer.history[:-1])]
    if earlier:
        service["ServiceHistory"] = earlier
    return {"TrustedEntityInformation": information, "TrustedEntityServices": [service]}


def _anchor_entity(country: CountryEntry, operator_uri: str) -> dict[str, Any]:
    """A member state's national trust anchors, as the trusted entity whose service they identify."""
    information = {
        "TEName": _multilang(country.names),
        "TEAddress": _address(country.code, country.names["en"], operator_uri),
        "TEInformationURI": _uri(operator_uri),
    }
    service = {
        "ServiceName": _multilang(country.names),
        "ServiceDigitalIdentity": {"X509Certificates": [{"val": a} for a in country.anchors]},
        "ServiceTypeIdentifier": ANCHOR_SERVICE,
        "ServiceStatus": STATUS_URI + "granted",
    }
    return {"TrustedEntityInformation": information, "TrustedEntityServices": [{"ServiceInformation": service}]}


def _rp_ca_entity(country: CountryEntry, ca: RelyingPartyCA, operator_uri: str) -> dict[str, Any]:
    """One relying-party access CA of ``country``: its certificate, its status and (once withdrawn) the grant."""
    information = {
        "TEName": _multilang(country.names),
        "TEAddress": _address(country.code, country.names["en"], operator_uri),
        "TEInformationURI": _uri(operator_uri),
    }
    identity = {"X509Certificates": [{"val": ca.certificate}]}
    short = {"ServiceName": _multilang({"en": country.names["en"]}), "ServiceDigitalIdentity": identity}
    granted = {"ServiceStatus": STATUS_URI + "granted", "StatusStartingTime": _time(ca.since)}
    current = {**short, "ServiceTypeIdentifier": RP_CA_SERVICE, **granted}
    service: dict[str, Any] = {"ServiceInformation": current}
    if ca.until is not None:
        current.update({"ServiceStatus": STATUS_URI + ca.status.value, "StatusStartingTime": _time(ca.until)})
        service["ServiceHistory"] = [{**short, **granted}]
    return {"TrustedEntityInformation": information, "TrustedEntityServices": [service]}


def to_lote(trust_list: TrustList) -> dict[str, Any]:
    """The list as an ETSI TS 119 602 LoTE JSON document (see the module docstring for the mapping)."""
    operator = trust_list.scheme_operator.uri
    countries = [{"code": c.code, "names": dict(c.names)} for c in trust_list.countries]
    information = {
        "LoTEVersionIdentifier": 1,
        "LoTESequenceNumber": trust_list.sequence_number,
        "LoTEType": LOTE_TYPE,
        "SchemeOperatorName": _multilang(trust_list.scheme_operator.names),
        "SchemeInformationURI": _uri(operator),
        "ListIssueDateTime": _time(trust_list.issued_at),
        "NextUpdate": _time(trust_list.next_update),
        "SchemeExtensions": [{_EXTENSION: {"countries": countries, "audit_prev_hash": trust_list.audit_prev_hash}}],
    }
    entities = [_anchor_entity(c, operator) for c in trust_list.countries if c.anchors]
    entities += [_issuer_entity(i) for c in trust_list.countries for i in c.issuers]
    entities += [_rp_ca_entity(c, ca, operator) for c in trust_list.countries for ca in c.relying_party_cas]
    lote: dict[str, Any] = {"ListAndSchemeInformation": information}
    if entities:  # the schema wants a non-empty array when present
        lote["TrustedEntitiesList"] = entities
    return {"LoTE": lote}


def _obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _invalid(f"{what} must be an object")
    return value


def _extension(items: Any, what: str) -> Mapping[str, Any]:
    found = [i[_EXTENSION] for i in items if isinstance(i, dict) and _EXTENSION in i] if isinstance(items, list) else []
    if len(found) != 1:
        raise _invalid(f"{what} must carry exactly one {_EXTENSION} extension")
    return _obj(found[0], what)


def _change(status: Mapping[str, Any]) -> dict[str, Any]:
    uri = status.get("ServiceStatus")
    if not isinstance(uri, str) or not uri.startswith(STATUS_URI):
        raise _invalid(f"unknown ServiceStatus {uri!r}")
    out: dict[str, Any] = {"status": uri.removeprefix(STATUS_URI), "since": _epoch(status.get("StatusStartingTime"))}
    extensions = status.get("ServiceInformationExtensions", [])
    reasons = [e["StatusReason"] for e in extensions if isinstance(e, dict) and "StatusReason" in e]
    if len(reasons) > 1:
        raise _invalid("a status carries one reason at most")
    if reasons:
        out["reason"] = reasons[0]
    return out


def _history(service: Mapping[str, Any]) -> list[dict[str, Any]]:
    information = _obj(service.get("ServiceInformation"), "ServiceInformation")
    earlier = service.get("ServiceHistory", [])
    if not isinstance(earlier, list):
        raise _invalid("ServiceHistory must be an array")
    return [_change(_obj(h, "ServiceHistoryInstance")) for h in reversed(earlier)] + [_change(information)]


def _first(items: Any, member: str) -> Any:
    return items[0].get(member) if isinstance(items, list) and items and isinstance(items[0], dict) else None


def _entity_parts(entity: Any) -> tuple[Mapping[str, Any], str | None, Mapping[str, Any]]:
    """(information, country, the one service's ServiceInformation) of a trusted entity."""
    information = _obj(_obj(entity, "TrustedEntity").get("TrustedEntityInformation"), "TrustedEntityInformation")
    country = _first(_obj(information.get("TEAddress"), "TEAddress").get("TEPostalAddress"), "Country")
    services = entity.get("TrustedEntityServices")
    if not isinstance(services, list) or len(services) != 1:
        raise _invalid("each trusted entity has exactly one service")
    service = _obj(services[0], "TrustedEntityService")
    return information, country if isinstance(country, str) else None, service


def _issuer(information: Mapping[str, Any], country: str, service: Mapping[str, Any]) -> dict[str, Any]:
    issuer_id = _first(information.get("TEInformationURI"), "uriValue")
    lintas = _extension(information.get("TEInformationExtensions"), f"{issuer_id} TEInformationExtensions")
    types = lintas.get("service_types")
    current = _obj(service.get("ServiceInformation"), "ServiceInformation")
    if not isinstance(types, list) or not types or current.get("ServiceTypeIdentifier") != types[0]:
        raise _invalid(f"{issuer_id}: the service type differs from the entity's first service type")
    return {
        "id": issuer_id,
        "names": _names(information.get("TEName")),
        "service_types": types,
        "vcts": lintas.get("vcts"),
        "assurance_level": lintas.get("assurance_level"),
        "status_history": _history(service),
    }


def _anchors(service: Mapping[str, Any]) -> list[Any]:
    information = _obj(service.get("ServiceInformation"), "ServiceInformation")
    certificates = _obj(information.get("ServiceDigitalIdentity"), "ServiceDigitalIdentity").get("X509Certificates")
    if information.get("ServiceStatus") != STATUS_URI + "granted" or not isinstance(certificates, list):
        raise _invalid("a national anchor service lists its certificates and is granted")
    return [c.get("val") if isinstance(c, dict) else None for c in certificates]


def _rp_ca(service: Mapping[str, Any]) -> dict[str, Any]:
    """A relying-party CA entry back from its service: granted, or a grant followed by its withdrawal."""
    information = _obj(service.get("ServiceInformation"), "ServiceInformation")
    certificates = _obj(information.get("ServiceDigitalIdentity"), "ServiceDigitalIdentity").get("X509Certificates")
    history = _history(service)
    statuses = [change["status"] for change in history]
    if statuses not in (["granted"], ["granted", "withdrawn"]) or any("reason" in c for c in history):
        raise _invalid("a relying-party CA service is granted, or granted then withdrawn")
    if not isinstance(certificates, list) or len(certificates) != 1 or not isinstance(certificates[0], dict):
        raise _invalid("a relying-party CA service identifies one certificate")
    entry = {"certificate": certificates[0].get("val"), "from": history[0]["since"], "status": statuses[-1]}
    if statuses[-1] == RelyingPartyCAStatus.WITHDRAWN.value:
        entry["until"] = history[-1]["since"]
    return entry


def from_lote(document: Any, *, allow_loopback_http: bool = True) -> TrustList:
    """Parse a LoTE document produced by :func:`to_lote` back into the list; ``trust_list_invalid`` otherwise."""
    lote = _obj(_obj(document, "the document").get("LoTE"), "LoTE")
    info = _obj(lote.get("ListAndSchemeInformation"), "ListAndSchemeInformation")
    if info.get("LoTEVersionIdentifier") != 1 or info.get("LoTEType") != LOTE_TYPE:
        raise _invalid("unknown LoTE version or type")
    scheme = _extension(info.get("SchemeExtensions"), "SchemeExtensions")
    countries = scheme.get("countries")
    if not isinstance(countries, list) or not all(isinstance(c, dict) for c in countries):
        raise _invalid("the scheme extension lists no member states")
    listed = {str(c.get("code")): {**c, "anchors": [], "issuers": []} for c in countries}
    rp_cas: dict[str, list[dict[str, Any]]] = {}
    entities = lote.get("TrustedEntitiesList", [])
    for entity in entities if isinstance(entities, list) else [None]:
        information, country, service = _entity_parts(entity)
        if country not in listed:
            raise _invalid(f"a trusted entity of the unlisted country {country!r}")
        service_type = _obj(service.get("ServiceInformation"), "ServiceInformation").get("ServiceTypeIdentifier")
        if service_type == ANCHOR_SERVICE:
            if listed[country]["anchors"]:
                raise _invalid(f"{country}'s anchors are listed twice")
            listed[country]["anchors"] = _anchors(service)
        elif service_type == RP_CA_SERVICE:
            rp_cas.setdefault(country, []).append(_rp_ca(service))
        else:
            listed[country]["issuers"].append(_issuer(information, country, service))
    for code, entries in rp_cas.items():  # only countries that list any: older lists stay unchanged
        listed[code]["relying_party_cas"] = entries
    uri = info.get("SchemeInformationURI")
    operator_uri = uri[0].get("uriValue") if isinstance(uri, list) and uri and isinstance(uri[0], dict) else None
    doc = {
        "format": FORMAT,
        "iss": operator_uri,
        "iat": _epoch(info.get("ListIssueDateTime")),
        "sequence_number": info.get("LoTESequenceNumber"),
        "next_update": _epoch(info.get("NextUpdate")),
        "scheme_operator": {"names": _names(info.get("SchemeOperatorName")), "uri": operator_uri},
        "audit_prev_hash": scheme.get("audit_prev_hash", ""),
        "countries": list(listed.values()),
    }
    return TrustList.from_json(doc, allow_loopback_http=allow_loopback_http)


def sign_lote(trust_list: TrustList, signer: Signer, chain: Sequence[x509.Certificate]) -> str:
    """The LoTE as a compact JWS signed like the list (ES256, ``x5c``, ``typ`` :data:`LOTE_TYP`)."""
    if signer.alg not in TRUST_LIST_ALGS:
        raise TrustError(Reason.ALG_NOT_ALLOWED, f"lists are signed with ES256, not {signer.alg}")
    return sign_compact({"typ": LOTE_TYP, "x5c": x5c_from_certificates(list(chain))}, to_lote(trust_list), signer)


def verify_lote_list(token: str | bytes, pin: TrustListPin) -> VerifiedTrustList:
    """:func:`verify_lote` in the shape :class:`~idcore.trust.cache.TrustListCache` keeps (token, payload hash)."""
    text = token.decode("ascii", errors="replace") if isinstance(token, bytes) else token
    trust_list = verify_lote(text, pin)
    payload = text.strip().split(".")[1].encode("ascii")
    return VerifiedTrustList(trust_list, text.strip(), hashlib.sha256(payload).hexdigest())


def verify_lote(token: str | bytes, pin: TrustListPin) -> TrustList:
    """Verify a signed LoTE against the list ``pin`` and parse it; ``trust_list_invalid`` otherwise."""
    try:
        text = token.decode("ascii") if isinstance(token, bytes) else token
        jws = parse_compact(text.strip(), max_bytes=MAX_LOTE_BYTES)
        claims = verify_parsed(jws, pin.check(leaf_certificate(jws.header)), algorithms=TRUST_LIST_ALGS, typ=LOTE_TYP)
    except TrustError:
        raise
    except IdcoreError as exc:
        raise _invalid(f"{exc.reason.value}: {exc.detail}") from None
    except UnicodeDecodeError:
        raise _invalid("not ASCII") from None
    return from_lote(claims)
