"""Publication (issue #3, point 2): the signed list, past lists, JSON views, audit log, health.

``GET /v1/trust-list`` serves the compact JWS as ``application/jwt`` with a strong ETag;
``If-None-Match`` answers 304 (RFC 9110 Section 13.1.2). ``Cache-Control: max-age`` runs to
the list's ``next_update`` (ETSI TS 119 602 NextUpdate), capped by ``max_cache_age`` so
that a suspension reaches verifiers within minutes rather than at the next scheduled issue.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response
from fastapi.responses import JSONResponse

from idcore.b64 import json_loads
from idcore.jose import parse_compact
from idcore.trust.model import CountryEntry
from idcore.trust.vct import ASEAN_COUNTRIES
from idcore.x509 import certificate_to_pem, load_der_certificate
from lintas import __version__
from lintas.problem import problem
from trust_registry.changes import anchor_sha256
from trust_registry.deps import Service
from trust_registry.ledger import list_etag, sha256_hex

__all__ = ["router"]

router = APIRouter(tags=["publication"])
JWT_MEDIA_TYPE = "application/jwt"


def _matches(if_none_match: str | None, etag: str) -> bool:
    if if_none_match is None:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _list_response(seq: int, token: str, if_none_match: str | None, cache_control: str) -> Response:
    etag = list_etag(seq, token)
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(token, media_type=JWT_MEDIA_TYPE, headers=headers)


@router.get("/v1/trust-list", response_class=Response, responses={200: {"content": {JWT_MEDIA_TYPE: {}}}})
def trust_list(service: Service, if_none_match: Annotated[str | None, Header()] = None) -> Response:
    """The current signed list (compact JWS, ``typ: lintas-trust-list+jwt``)."""
    published = service.current()
    remaining = published.trust_list.next_update - service.clock.now()
    max_age = max(0, min(remaining, service.settings.max_cache_age))
    return _list_response(published.sequence_number, published.token, if_none_match, f"public, max-age={max_age}")


@router.get("/v1/trust-list/{sequence}", response_class=Response, responses={200: {"content": {JWT_MEDIA_TYPE: {}}}})
def past_trust_list(
    service: Service,
    sequence: Annotated[int, Path(ge=1, le=10**11)],
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """A list by its sequence number; published lists never change, so they cache for good."""
    token = service.ledger.token(sequence)
    if token is None:
        return problem(404, "Unknown list", f"no list has sequence number {sequence}")
    return _list_response(sequence, token, if_none_match, "public, max-age=31536000, immutable")


@router.get("/v1/lote", response_class=Response, responses={200: {"content": {JWT_MEDIA_TYPE: {}}}})
def lote(service: Service, if_none_match: Annotated[str | None, Header()] = None) -> Response:
    """The current list in the ETSI TS 119 602 JSON binding (LoTE), a JWS signed like the list (``lintas-lote+jwt``)."""
    seq, token = service.current_lote()
    remaining = service.current().trust_list.next_update - service.clock.now()
    max_age = max(0, min(remaining, service.settings.max_cache_age))
    return _list_response(seq, token, if_none_match, f"public, max-age={max_age}")


def _anchor_view(der_b64: str) -> dict[str, Any]:
    cert = load_der_certificate(base64.b64decode(der_b64))
    return {
        "sha256": anchor_sha256(der_b64),
        "subject": cert.subject.rfc4514_string(),
        "not_after": int(cert.not_valid_after_utc.timestamp()),
        "certificate": certificate_to_pem(cert).decode("ascii"),
    }


def _country_view(country: CountryEntry, now: int) -> dict[str, Any]:
    return {
        "code": country.code,
        "names": dict(country.names),
        "anchors": [_anchor_view(a) for a in country.anchors],
        "issuers": [{**i.to_json(), "status": i.status_at(now) or "not_yet_granted"} for i in country.issuers],
    }


@router.get("/v1/countries")
def countries(service: Service) -> dict[str, Any]:
    """Summary of every member state in the current list."""
    published = service.current()
    return {
        "sequence_number": published.sequence_number,
        "countries": [
            {"code": c.code, "names": dict(c.names), "anchors": len(c.anchors), "issuers": len(c.issuers)}
            for c in published.trust_list.countries
        ],
    }


@router.get("/v1/countries/{cc}", response_model=None)
def country(service: Service, cc: Annotated[str, Path(max_length=8)]) -> dict[str, Any] | JSONResponse:
    """One member state: names, anchors (PEM and SHA-256) and issuers with their current status."""
    published = service.current()
    entry = published.trust_list.country(cc)
    if cc not in ASEAN_COUNTRIES or entry is None:
        return problem(404, "Unknown country", f"{cc!r} is not a listed ISO 3166-1 alpha-2 code")
    return {"sequence_number": published.sequence_number, **_country_view(entry, service.clock.now())}


@router.get("/v1/issuers/{issuer_id:path}", response_model=None)
def issuer(service: Service, issuer_id: str) -> dict[str, Any] | JSONResponse:
    """One issuer by identifier (the URL, raw or percent-encoded, after ``/v1/issuers/``)."""
    published = service.current()
    entry = published.trust_list.issuer(issuer_id)
    if entry is None:
        return problem(404, "Unknown issuer", "no listed issuer has this identifier")
    status = entry.status_at(service.clock.now()) or "not_yet_granted"
    return {"sequence_number": published.sequence_number, "country": entry.country, "status": status, **entry.to_json()}


@router.get("/v1/audit-log")
def audit_log(
    service: Service,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Audit records after sequence ``after``: the signed record and its decoded payload."""
    last = service.ledger.sequence()
    records = []
    for seq in range(after + 1, min(last, after + limit) + 1):
        raw = service.ledger.record(seq)
        if raw is None:
            continue
        token = raw.decode("ascii")
        payload = json_loads(parse_compact(token, max_bytes=len(token)).payload)
        records.append({"sequence": seq, "hash": sha256_hex(raw), "record": token, "payload": payload})
    return {"sequence_number": last, "records": records}


@router.get("/v1/registry-certificate")
def registry_certificate(service: Service) -> dict[str, Any]:
    """The list-signing certificate and its SHA-256 pin (verifiers should get the pin out of band)."""
    cert = service.keys.signing_cert
    return {"certificate": certificate_to_pem(cert).decode("ascii"), "sha256": service.keys.pin}


@router.get("/healthz")
def healthz(service: Service) -> dict[str, Any]:
    """Liveness and store reachability (503 problem+json when the store is down)."""
    service.store.ping()
    return {"status": "ok", "version": __version__, "sequence_number": service.ledger.sequence()}
