"""The trust list in the JSON binding of ETSI TS 119 602 ("lists of trusted entities", LoTE).

ETSI TS 119 602 V1.1.1 clause 6 defines a list as ``{"LoTE": {"ListAndSchemeInformation": ...,
"TrustedEntitiesList": [...]}}``. The official JSON schema (``1960201_json_schema.json`` on ETSI's
forge) could not be obtained here; this binding follows its published structure (member names,
required members, multilingual strings ``{lang, value}``, URIs ``{lang, uriValue}``, ``pkiOb``
certificates ``{val}``) as documented by implementations of it, and the tests validate against a
JSON Schema written from that structure (``tests/unit/lote_schema.py``).

Mapping (:func:`to_lote`; :func:`from_lote` is its exact inverse, so a verifier can consume either):

* ``ListAndSchemeInformation``: ``LoTEVersionIdentifier`` 1, ``LoTESequenceNumber``, ``LoTEType``
  :data:`LOTE_TYPE`, ``SchemeOperatorName``, ``SchemeInformationURI`` (the operator URI),
  ``SchemeTerritory`` ``ASEAN``, ``ListIssueDateTime`` / ``NextUpdate`` (RFC 3339, UTC, seconds),
  ``SchemeExtensions``: the member states (code, names, national anchors) and ``audit_prev_hash``;
* each issuer is a ``TrustedEntity``: ``TEName`` (its names), ``TEAddress`` (postal: its country,
  ``StreetAddress`` its English name — the registry holds no street addresses; electronic: its
  identifier), ``TEInformationURI`` (its identifier), ``TEInformationExtensions`` (``vct``
  values and assurance level); one ``TrustedEntityService`` per service type with
  ``ServiceDigitalIdentity.X509Certificates`` = its country's national anchors, ``ServiceStatus``
  a status URI (:data:`STATUS_URI`) with ``StatusStartingTime`` and the reason as an extension,
  and ``ServiceHistory`` the earlier status changes, newest first (as ETSI TS 119 612 orders it).

:func:`from_lote` rebuilds the Lintas JSON and parses it with :meth:`TrustList.from_json`, so
the same limits and history rules apply; any shape it does not expect is ``trust_list_invalid``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography import x509

from idcore.errors import IdcoreError, Reason, TrustError
from idcore.jose import parse_compact, sign_compact, verify_parsed
from idcore.ports import Signer
from idcore.trust.model import FORMAT, CountryEntry, IssuerEntry, StatusChange, TrustList
from idcore.trust.signed import MAX_TRUST_LIST_BYTES, TRUST_LIST_ALGS, TrustListPin
from idcore.trust.signed import _leaf_certificate as leaf_certificate  # the list's own x5c rule
from idcore.x509 import x5c_from_certificates

__all__ = ["LOTE_TYPE", "SCHEME_TERRITORY", "STATUS_URI", "from_lote", "to_lote"]

LOTE_TYPE = "https://lintas.asean.example/LoTEType/ASEANIdentityIssuersList"
#: Prefix of the ``ServiceStatus`` URIs (``granted``, ``suspended``, ``withdrawn``).
STATUS_URI = "https://lintas.asean.example/TrustedEntityStatus/"
SCHEME_TERRITORY = "ASEAN"
_EXTENSION = "LintasTrustList"
#: ``typ`` of the signed LoTE (a compact JWS like the list; not a JAdES signature).
LOTE_TYP = "lintas-lote+jwt"


def _invalid(detail: str) -> TrustError:
    return TrustError(Reason.TRUST_LIST_INVALID, f"ETSI LoTE: {detail}")


def _time(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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


def _service(issuer: IssuerEntry, service_type: str, anchors: tuple[str, ...]) -> dict[str, Any]:
    identity = {"X509Certificates": [{"val": a} for a in anchors]} if anchors else {"OtherIds": [issuer.issuer_id]}
    base = {"ServiceName": _multilang(issuer.names), "ServiceDigitalIdentity": identity}
    information = {**base, "ServiceTypeIdentifier": service_type, **_status(issuer.history[-1])}
    service: dict[str, Any] = {"ServiceInformation": information}
    earlier = [{**base, **_status(c)} for c in reversed(issuer.history[:-1])]
    if earlier:
        service["ServiceHistory"] = earlier
    return service


def _entity(issuer: IssuerEntry, country: CountryEntry) -> dict[str, Any]:
    information = {
        "TEName": _multilang(issuer.names),
        "TEAddress": {
            "TEPostalAddress": [{"lang": "en", "StreetAddress": issuer.names["en"], "Country": country.code}],
            "TEElectronicAddress": _uri(issuer.issuer_id),
        },
        "TEInformationURI": _uri(issuer.issuer_id),
        "TEInformationExtensions": [
            {_EXTENSION: {"vcts": list(issuer.vcts), "assurance_level": issuer.assurance_level}}
        ],
    }
    services = [_service(issuer, t, country.anchors) for t in issuer.service_types]
    return {"TrustedEntityInformation": information, "TrustedEntityServices": services}


def to_lote(trust_list: TrustList) -> dict[str, Any]:
    """The list as an ETSI TS 119 602 LoTE JSON document (see the module docstring for the mapping)."""
    countries = [{"code": c.code, "names": dict(c.names), "anchors": list(c.anchors)} for c in trust_list.countries]
    information = {
        "LoTEVersionIdentifier": 1,
        "LoTESequenceNumber": trust_list.sequence_number,
        "LoTEType": LOTE_TYPE,
        "SchemeOperatorName": _multilang(trust_list.scheme_operator.names),
        "SchemeInformationURI": _uri(trust_list.scheme_operator.uri),
        "SchemeTerritory": SCHEME_TERRITORY,
        "ListIssueDateTime": _time(trust_list.issued_at),
        "NextUpdate": _time(trust_list.next_update),
        "SchemeExtensions": [{_EXTENSION: {"countries": countries, "audit_prev_hash": trust_list.audit_prev_hash}}],
    }
    entities = [_entity(i, c) for c in trust_list.countries for i in c.issuers]
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


def _issuer(entity: Any, anchors: Mapping[str, list[str]]) -> tuple[str, dict[str, Any]]:
    information = _obj(_obj(entity, "TrustedEntity").get("TrustedEntityInformation"), "TrustedEntityInformation")
    postal = _obj(information.get("TEAddress"), "TEAddress").get("TEPostalAddress")
    country = postal[0].get("Country") if isinstance(postal, list) and postal and isinstance(postal[0], dict) else None
    uris = information.get("TEInformationURI")
    issuer_id = uris[0].get("uriValue") if isinstance(uris, list) and uris and isinstance(uris[0], dict) else None
    if not isinstance(country, str) or country not in anchors or not isinstance(issuer_id, str):
        raise _invalid("a trusted entity needs a listed country and an identifier")
    lintas = _extension(information.get("TEInformationExtensions"), f"{issuer_id} TEInformationExtensions")
    services = entity.get("TrustedEntityServices")
    if not isinstance(services, list) or not services:
        raise _invalid(f"{issuer_id}: TrustedEntityServices must be a non-empty array")
    histories = [_history(_obj(s, "TrustedEntityService")) for s in services]
    types = [_obj(s["ServiceInformation"], "ServiceInformation").get("ServiceTypeIdentifier") for s in services]
    identities = [s["ServiceInformation"].get("ServiceDigitalIdentity") for s in services]
    expected = {"X509Certificates": [{"val": a} for a in anchors[country]]} if anchors[country] else None
    if any(h != histories[0] for h in histories) or (expected is not None and any(i != expected for i in identities)):
        raise _invalid(f"{issuer_id}: its services disagree on status or differ from {country}'s anchors")
    body = {
        "id": issuer_id,
        "names": _names(information.get("TEName")),
        "service_types": types,
        "vcts": lintas.get("vcts"),
        "assurance_level": lintas.get("assurance_level"),
        "status_history": histories[0],
    }
    return country, body


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
    anchors = {str(c.get("code")): c.get("anchors") if isinstance(c.get("anchors"), list) else [] for c in countries}
    issuers: dict[str, list[dict[str, Any]]] = {code: [] for code in anchors}
    for entity in lote.get("TrustedEntitiesList", []):
        country, body = _issuer(entity, anchors)
        issuers[country].append(body)
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
        "countries": [{**c, "issuers": issuers[str(c.get("code"))]} for c in countries],
    }
    return TrustList.from_json(doc, allow_loopback_http=allow_loopback_http)


def sign_lote(trust_list: TrustList, signer: Signer, chain: Sequence[x509.Certificate]) -> str:
    """The LoTE as a compact JWS signed like the list (ES256, ``x5c``, ``typ`` :data:`LOTE_TYP`)."""
    if signer.alg not in TRUST_LIST_ALGS:
        raise TrustError(Reason.ALG_NOT_ALLOWED, f"lists are signed with ES256, not {signer.alg}")
    return sign_compact({"typ": LOTE_TYP, "x5c": x5c_from_certificates(list(chain))}, to_lote(trust_list), signer)


def verify_lote(token: str | bytes, pin: TrustListPin) -> TrustList:
    """Verify a signed LoTE against the list ``pin`` and parse it; ``trust_list_invalid`` otherwise."""
    try:
        text = token.decode("ascii") if isinstance(token, bytes) else token
        jws = parse_compact(text.strip(), max_bytes=MAX_TRUST_LIST_BYTES)
        claims = verify_parsed(jws, pin.check(leaf_certificate(jws.header)), algorithms=TRUST_LIST_ALGS, typ=LOTE_TYP)
    except TrustError:
        raise
    except IdcoreError as exc:
        raise _invalid(f"{exc.reason.value}: {exc.detail}") from None
    except UnicodeDecodeError:
        raise _invalid("not ASCII") from None
    return from_lote(claims)
