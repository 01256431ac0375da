"""Trust queries (issue #3, point 3) in the style of the ToIP Trust Registry Query Protocol.

``POST /v1/authorization`` with ``{entity_id, authority_id, action, resource, context: {time}}``:
is entity E (an issuer identifier) authorised by authority A (a member state code) for
``action`` ``issue`` of ``resource`` (a ``vct``) at ``context.time`` (the credential's
issuance time; epoch seconds or RFC 3339)? The answer carries its evidence and a signed copy.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from lintas.problem import problem
from trust_registry.changes import ChangeError
from trust_registry.service import RegistryService

__all__ = ["query_router"]


class QueryContext(BaseModel):
    """When to judge: the credential's issuance time (defaults to now)."""

    model_config = ConfigDict(extra="allow")
    time: int | datetime | None = Field(default=None, description="epoch seconds or RFC 3339 date-time")


class AuthorizationQuery(BaseModel):
    """A TRQP authorization query."""

    model_config = ConfigDict(extra="forbid")
    entity_id: str = Field(max_length=2048)
    authority_id: str = Field(max_length=64)
    action: str = Field(max_length=64)
    resource: str = Field(max_length=2048)
    context: QueryContext = Field(default_factory=QueryContext)


def _epoch(value: int | datetime | None, now: int) -> int | None:
    if value is None:
        return now
    if isinstance(value, datetime):
        return int(value.timestamp()) if value.tzinfo is not None else None
    return value if 0 <= value < 2**40 else None


def query_router(service: RegistryService) -> APIRouter:
    """The routes of this module over ``service``, built by the app factory (one DI style with the other services)."""
    router = APIRouter(tags=["query"])

    @router.post("/v1/authorization", response_model=None)
    def authorization(query: AuthorizationQuery) -> dict[str, Any] | JSONResponse:
        """Answer ``authorized`` true/false with the evidence (sequence number, list hash, entry)."""
        at = _epoch(query.context.time, service.clock.now())
        if at is None:
            return problem(400, "Invalid time", "context.time must be epoch seconds or an RFC 3339 time with offset")
        try:
            return service.authorization(query.entity_id, query.authority_id, query.action, query.resource, at)
        except ChangeError as exc:
            return problem(exc.status, exc.title, exc.detail)

    return router
