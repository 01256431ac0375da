"""OpenID Federation 1.0 endpoints of the trust anchor (issue #16 item 2).

* ``GET /.well-known/openid-federation`` — the anchor's entity configuration (Section 9),
  ``application/entity-statement+jwt``;
* ``GET /federation/fetch?sub=<entity id>`` — the subordinate statement about ``sub`` (Section
  8.1.1); 404 ``not_found`` when the anchor does not vouch for it (unknown, suspended,
  withdrawn, no registered key), 400 ``invalid_request`` without ``sub`` (Section 8.9 errors);
* ``GET /federation/list`` — the entity ids it has statements about (Section 8.2.1), filtered by
  ``entity_type`` (repeatable, at most 8); ``trust_marked``, ``trust_mark_type`` and
  ``intermediate`` are not implemented and answer 400 ``unsupported_parameter`` as 8.2.1 requires;
* ``GET /federation/{CC}/.well-known/openid-federation``, ``GET /federation/{CC}/fetch?sub=``,
  ``GET /federation/{CC}/list`` — the same three for each member state's intermediate entity
  (:mod:`trust_registry.federation_members`), whose subordinates are the country's granted issuers
  and the verifier entities it registered; a code not on the list is 404 ``not_found``;
* ``GET /federation/trust-mark?trust_mark_type=&sub=`` — a trust mark for ``sub`` (section "Trust
  Mark Endpoint"), ``application/trust-mark+jwt``, 404 ``not_found`` when it does not have it.

Public and read-only: anyone may call them (they are the federation's published record); input
is one query parameter of at most 2,048 characters; every route is behind the registry's
per-address rate limit; nothing is stored or logged per request. Statements are signed on each
request and expire after ``STATEMENT_TTL`` seconds.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from lintas.federation_fetch import MEDIA_TYPE as ENTITY_STATEMENT_MEDIA_TYPE
from lintas.ratelimit import SlidingWindowLimiter
from trust_registry.federation import FETCH_PATH, LIST_PATH, TRUST_MARK_PATH
from trust_registry.service import RegistryService

__all__ = ["federation_router"]

TRUST_MARK_MEDIA_TYPE = "application/trust-mark+jwt"
_CACHE = "public, max-age=60"


#: ``entity_type`` of the list endpoint (Section 8.2.1): may repeat; at most 8, each a short identifier.
_EntityTypes = Annotated[list[str] | None, Query(max_length=8)]
#: List-endpoint filters this registry does not implement: refused as Section 8.2.1 requires.
_UNSUPPORTED = ("trust_marked", "trust_mark_type", "intermediate")


def _unsupported(request: Request) -> JSONResponse | None:
    names = [n for n in _UNSUPPORTED if n in request.query_params]
    if not names:
        return None
    return _error(400, "unsupported_parameter", f"the list endpoint does not filter by {', '.join(names)}")


def _error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def federation_router(service: RegistryService, limiter: SlidingWindowLimiter) -> APIRouter:
    """The anchor's federation endpoints, behind ``limiter``."""
    router = APIRouter(tags=["federation"], dependencies=[Depends(limiter.dependency())])
    media: dict[int | str, dict[str, Any]] = {200: {"content": {ENTITY_STATEMENT_MEDIA_TYPE: {}}}}

    @router.get("/.well-known/openid-federation", response_class=Response, responses=media)
    def configuration() -> Response:
        """The trust anchor's entity configuration."""
        token = service.federation.configuration(service.current().trust_list, service.clock.now())
        return Response(token, media_type=ENTITY_STATEMENT_MEDIA_TYPE, headers={"Cache-Control": _CACHE})

    @router.get(FETCH_PATH, response_class=Response, responses=media)
    def fetch(sub: Annotated[str | None, Query(max_length=2048)] = None) -> Response:
        """The subordinate statement about ``sub``."""
        if not sub:
            return _error(400, "invalid_request", "the sub parameter is required")
        now = service.clock.now()
        token = service.federation.statement(service.current().trust_list, service.current_fabric(), sub, now)
        if token is None:
            return _error(404, "not_found", "the trust anchor issues no statement about this entity")
        return Response(token, media_type=ENTITY_STATEMENT_MEDIA_TYPE, headers={"Cache-Control": _CACHE})

    @router.get(TRUST_MARK_PATH, response_class=Response, responses={200: {"content": {TRUST_MARK_MEDIA_TYPE: {}}}})
    def trust_mark(
        trust_mark_type: Annotated[str | None, Query(max_length=2048)] = None,
        sub: Annotated[str | None, Query(max_length=2048)] = None,
    ) -> Response:
        """A trust mark of ``trust_mark_type`` for ``sub`` (404 if the entity does not have it)."""
        if not trust_mark_type or not sub:
            return _error(400, "invalid_request", "trust_mark_type and sub are required")
        now = service.clock.now()
        published = service.current().trust_list
        token = service.federation.trust_mark(published, service.current_fabric(), trust_mark_type, sub, now)
        if token is None:
            return _error(404, "not_found", "the entity does not have this trust mark")
        return Response(token, media_type=TRUST_MARK_MEDIA_TYPE, headers={"Cache-Control": "no-store"})

    @router.get(LIST_PATH, response_model=None)
    def subordinates(request: Request, entity_type: _EntityTypes = None) -> list[str] | JSONResponse:
        """The entity identifiers the anchor issues statements about now (the member states' intermediates)."""
        refused = _unsupported(request)
        if refused is not None:
            return refused
        listed = service.federation.subordinates(
            service.current().trust_list, service.current_fabric(), service.clock.now()
        )
        return listed if entity_type is None or "federation_entity" in entity_type else []

    _member_routes(router, service, media)
    return router


def _member_routes(router: APIRouter, service: RegistryService, media: dict[int | str, dict[str, Any]]) -> None:
    """The member states' intermediates: configuration, fetch and list under ``/federation/{code}``.

    Any ``code`` but a listed member state's (two upper-case letters) is 404 ``not_found``, in the
    federation's error format (Section 8.9) like the fetch endpoint's other refusals.
    """
    members = service.federation.members
    unknown = "no member state's intermediate at this path"

    @router.get("/federation/{code}/.well-known/openid-federation", response_class=Response, responses=media)
    def member_configuration(code: str) -> Response:
        """A member state's intermediate entity configuration."""
        country = members.country(service.current().trust_list, code)
        if country is None:
            return _error(404, "not_found", unknown)
        token = members.configuration(country, service.clock.now())
        return Response(token, media_type=ENTITY_STATEMENT_MEDIA_TYPE, headers={"Cache-Control": _CACHE})

    @router.get("/federation/{code}/fetch", response_class=Response, responses=media)
    def member_fetch(code: str, sub: Annotated[str | None, Query(max_length=2048)] = None) -> Response:
        """The intermediate's subordinate statement about ``sub`` (one of its country's granted issuers)."""
        country = members.country(service.current().trust_list, code)
        if country is None:
            return _error(404, "not_found", unknown)
        if not sub:
            return _error(400, "invalid_request", "the sub parameter is required")
        token = members.statement(country, service.current_fabric(), sub, service.clock.now())
        if token is None:
            return _error(404, "not_found", "this member state issues no statement about this entity")
        return Response(token, media_type=ENTITY_STATEMENT_MEDIA_TYPE, headers={"Cache-Control": _CACHE})

    @router.get("/federation/{code}/list", response_model=None)
    def member_subordinates(code: str, request: Request, entity_type: _EntityTypes = None) -> list[str] | JSONResponse:
        """The issuers and verifiers the intermediate issues statements about now (of ``entity_type``s if given)."""
        country = members.country(service.current().trust_list, code)
        if country is None:
            return _error(404, "not_found", unknown)
        refused = _unsupported(request)
        if refused is not None:
            return refused
        fabric, now = service.current_fabric(), service.clock.now()
        if entity_type is None:
            return members.subordinates(country, fabric, now)
        found = [e for t in dict.fromkeys(entity_type) for e in members.subordinates(country, fabric, now, t)]
        return list(dict.fromkeys(found))
