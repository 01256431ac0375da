"""The trust anchor's resolve endpoint (OpenID Federation 1.0 Section 8.3, issue #16 item 2).

``GET /federation/resolve?sub=<entity id>&trust_anchor=<entity id>[&entity_type=<type>...]``
answers ``application/resolve-response+jwt`` (:mod:`trust_registry.resolve`). Errors are JSON
``{error, error_description}`` with the Section 8.9 codes and statuses: ``invalid_request`` 400
(``sub`` or ``trust_anchor`` missing, a value over 2,048 characters, more than 8 ``entity_type``
or ``trust_anchor`` values), ``invalid_trust_anchor`` 404 (no ``trust_anchor`` value is this
registry), ``not_found`` 404 (the federation does not vouch for ``sub``), ``invalid_trust_chain``
/ ``invalid_metadata`` 400, ``temporarily_unavailable`` 503 (outbound resolutions at their cap).

Public (the federation's data is public); behind the registry's per-address rate limit; nothing
is stored but the short answer cache, and the log names only the error code, never the subject.
"""

import logging

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from lintas.ratelimit import SlidingWindowLimiter
from trust_registry.federation import RESOLVE_PATH
from trust_registry.resolve import RESOLVE_MEDIA_TYPE, ResolveError, Resolver

__all__ = ["resolve_router"]

#: Longest query value accepted (as the other federation endpoints).
MAX_VALUE_CHARS = 2048
#: Most ``entity_type`` (and ``trust_anchor``) values in one request.
MAX_REPEATS = 8
_log = logging.getLogger("trust_registry.resolve")


def _error(refusal: ResolveError) -> JSONResponse:
    body = {"error": refusal.error, "error_description": refusal.description}
    return JSONResponse(body, status_code=refusal.status, headers={"Cache-Control": "no-store"})


def _values(request: Request, name: str) -> list[str]:
    """The values of query parameter ``name``, each within the bounds; ``invalid_request`` otherwise."""
    values = request.query_params.getlist(name)
    if len(values) > MAX_REPEATS:
        raise ResolveError(400, "invalid_request", f"at most {MAX_REPEATS} {name} values")
    if any(not v or len(v) > MAX_VALUE_CHARS for v in values):
        raise ResolveError(400, "invalid_request", f"{name} values are 1 to {MAX_VALUE_CHARS} characters")
    return values


def _resolve(resolver: Resolver, request: Request) -> str:
    """Check the request (Section 8.3.1) and resolve; raises :class:`ResolveError`."""
    subs, anchors = _values(request, "sub"), _values(request, "trust_anchor")
    entity_types = _values(request, "entity_type")
    if len(subs) != 1 or not anchors:
        raise ResolveError(400, "invalid_request", "one sub and at least one trust_anchor are required")
    # trust_anchor may repeat; any one the resolver can use will do (Section 8.3.1).
    if resolver.entity_id not in anchors:  # entity identifiers compare as strings
        raise ResolveError(404, "invalid_trust_anchor", "this resolver serves only its own trust anchor")
    return resolver.resolve(subs[0], entity_types)


def resolve_router(resolver: Resolver, limiter: SlidingWindowLimiter) -> APIRouter:
    """``GET /federation/resolve``, behind ``limiter``."""
    router = APIRouter(tags=["federation"], dependencies=[Depends(limiter.dependency())])

    @router.get(RESOLVE_PATH, response_class=Response, responses={200: {"content": {RESOLVE_MEDIA_TYPE: {}}}})
    def resolve(request: Request) -> Response:
        """The resolved metadata, trust chain and verified trust marks of ``sub``, signed by the anchor."""
        try:
            token = _resolve(resolver, request)
        except ResolveError as refusal:
            _log.info("resolve refused: %s", refusal.error)
            return _error(refusal)
        return Response(token, media_type=RESOLVE_MEDIA_TYPE, headers={"Cache-Control": "no-store"})

    return router
