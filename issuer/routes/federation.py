"""OpenID Federation 1.0 entity configurations of the tenants (issue #16 item 2, :mod:`issuer.federation`).

``GET <tenant path>/.well-known/openid-federation`` (Section 9): the tenant's entity
configuration, ``application/entity-statement+jwt``. Public and read-only (the federation's
published record); no input; behind the wallet-facing per-address rate limit (mounted with it);
nothing stored or logged per request; the token is signed at most once per half lifetime.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from idcore.ports import Clock
from idcore.trust.federation import WELL_KNOWN_PATH
from issuer.federation import ENTITY_STATEMENT_MEDIA_TYPE, LeafEntity

__all__ = ["federation_router"]

#: Caches may keep a configuration briefly; a rotated key reaches verifiers within this window.
_CACHE = {"Cache-Control": "public, max-age=300"}


def _add(router: APIRouter, leaf: LeafEntity, clock: Clock) -> None:
    media: dict[int | str, dict[str, Any]] = {200: {"content": {ENTITY_STATEMENT_MEDIA_TYPE: {}}}}

    @router.get(
        f"{leaf.tenant.spec.path}{WELL_KNOWN_PATH}",
        response_class=Response,
        responses=media,
        summary="OpenID Federation entity configuration",
        tags=["metadata"],
    )
    def configuration() -> Response:
        return Response(leaf.configuration(clock.now()), media_type=ENTITY_STATEMENT_MEDIA_TYPE, headers=_CACHE)


def federation_router(leaves: Sequence[LeafEntity], clock: Clock) -> APIRouter:
    """One entity configuration route per tenant that is a leaf entity (none without superiors)."""
    router = APIRouter()
    for leaf in leaves:
        _add(router, leaf, clock)
    return router
