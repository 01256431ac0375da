"""OpenID Federation 1.0 endpoints of the trust anchor (issue #16 item 2).

* ``GET /.well-known/openid-federation`` — the anchor's entity configuration (Section 9),
  ``application/entity-statement+jwt``;
* ``GET /federation/fetch?sub=<entity id>`` — the subordinate statement about ``sub`` (Section
  8.1.1); 404 ``not_found`` when the anchor does not vouch for it (unknown, suspended,
  withdrawn, no registered key), 400 ``invalid_request`` without ``sub`` (Section 8.9 errors);
* ``GET /federation/list`` — the entity ids it has statements about (Section 8.2.1);
* ``GET /federation/trust-mark?trust_mark_type=&sub=`` — a trust mark for ``sub`` (section "Trust
  Mark Endpoint"), ``application/trust-mark+jwt``, 404 ``not_found`` when it does not have it.

Public and read-only: anyone may call them (they are the federation's published record); input
is one query parameter of at most 2,048 characters; every route is behind the registry's
per-address rate limit; nothing is stored or logged per request. Statements are signed on each
request and expire after ``STATEMENT_TTL`` seconds.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from lintas.ratelimit import SlidingWindowLimiter
from trust_registry.deps import Service
from trust_registry.federation import FETCH_PATH, LIST_PATH, TRUST_MARK_PATH

__all__ = ["ENTITY_STATEMENT_MEDIA_TYPE", "federation_router"]

ENTITY_STATEMENT_MEDIA_TYPE = "application/entity-statement+jwt"
TRUST_MARK_MEDIA_TYPE = "application/trust-mark+jwt"
_CACHE = "public, max-age=60"


def _error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def federation_router(limiter: SlidingWindowLimiter) -> APIRouter:
    """The anchor's federation endpoints, behind ``limiter``."""
    router = APIRouter(tags=["federation"], dependencies=[Depends(limiter.dependency())])
    media: dict[int | str, dict[str, Any]] = {200: {"content": {ENTITY_STATEMENT_MEDIA_TYPE: {}}}}

    @router.get("/.well-known/openid-federation", response_class=Response, responses=media)
    def configuration(service: Service) -> Response:
        """The trust anchor's entity configuration."""
        token = service.federation.configuration(service.current().trust_list, service.clock.now())
        return Response(token, media_type=ENTITY_STATEMENT_MEDIA_TYPE, headers={"Cache-Control": _CACHE})

    @router.get(FETCH_PATH, response_class=Response, responses=media)
    def fetch(service: Service, sub: Annotated[str | None, Query(max_length=2048)] = None) -> Response:
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
        service: Service,
        trust_mark_type: Annotated[str | None, Query(max_length=2048)] = None,
        sub: Annotated[str | None, Query(max_length=2048)] = None,
    ) -> Response:
        """A trust mark of ``trust_mark_type`` for ``sub`` (404 if the entity does not have it)."""
        if not trust_mark_type or not sub:
            return _error(400, "invalid_request", "trust_mark_type and sub are required")
        now = service.clock.now()
        token = service.federation.trust_mark(service.current().trust_list, trust_mark_type, sub, now)
        if token is None:
            return _error(404, "not_found", "the entity does not have this trust mark")
        return Response(token, media_type=TRUST_MARK_MEDIA_TYPE, headers={"Cache-Control": "no-store"})

    @router.get(LIST_PATH)
    def subordinates(service: Service) -> list[str]:
        """The entity identifiers the anchor issues statements about now."""
        return service.federation.subordinates(
            service.current().trust_list, service.current_fabric(), service.clock.now()
        )

    return router
