"""The operator's endpoints: ``/metrics`` and the relying-party registrations (``/v1/admin``).

Who may call: the holder of ``LINTAS_VERIFIER_ADMIN_TOKEN`` (``Authorization: Bearer``, RFC 6750
Section 2.1, compared in constant time). Without a token the admin API is not mounted and
``/metrics`` is public in development mode only. How much: bodies up to 16 KiB, fields bounded
by :func:`verifier.parties.parse_registration`. How often: 60 requests per minute per address,
failed ones included, shared by replicas. What is kept: registrations in the shared store (no
personal data: organisations); the token is never logged.

The admin API edits the registration of a relying party that has credentials; it mints none
(``lintas verifier rp add`` does, into the operator's data directory).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, Counter
from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from idcore.b64 import json_loads
from idcore.errors import IdcoreError
from idcore.ports import Clock
from lintas.kv import KeyValueStore
from lintas.ratelimit import SlidingWindowLimiter
from verifier.metrics import VerifierMetrics
from verifier.parties import PartyDirectory, Registration, parse_registration
from verifier.policy import ConfigError, RelyingParty
from verifier.settings import VerifierSettings

__all__ = [
    "ADMIN_RATE_PER_MINUTE",
    "admin_router",
    "bearer_guard",
    "count_by_party",
    "mount_metrics",
    "operator_routes",
]

ADMIN_RATE_PER_MINUTE = 60
_MAX_BODY = 16 * 1024
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="lintas-verifier-admin"'}


def bearer_guard(token: SecretStr | None, limiter: SlidingWindowLimiter | None = None) -> Callable[[Request], None]:
    """A dependency admitting only ``Authorization: Bearer <token>``; counts every call when ``limiter`` is set."""
    expected = token.get_secret_value().encode() if token is not None else None

    def guard(request: Request) -> None:
        if limiter is not None:  # before the check: guessing the token costs the same budget
            limiter.check(request.client.host if request.client is not None else "unknown")
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        ok = expected is not None and scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), expected)
        if not ok:
            raise HTTPException(401, "An operator bearer token is required.", _CHALLENGE)

    return guard


def mount_metrics(app: FastAPI, render: Callable[[], bytes], guard: Callable[[Request], None] | None) -> None:
    """``GET /metrics``: behind ``guard`` (the admin token), or open when ``guard`` is ``None`` (development)."""
    dependencies = [Depends(guard)] if guard is not None else []

    @app.get("/metrics", tags=["operations"], dependencies=dependencies)
    def metrics_route() -> Response:
        return Response(render(), media_type="text/plain; version=0.0.4")


def count_by_party(registry: CollectorRegistry, then: Callable[..., None]) -> Callable[..., None]:
    """Wrap the completion callback to count finished presentations by relying party, status and reason.

    Label values are bounded: configured client ids, two statuses and the fixed reason codes.
    """
    finished = Counter(
        "lintas_verifier_relying_party_presentations",
        "Finished presentations by relying party, status and reason code",
        ["relying_party", "status", "reason"],
        registry=registry,
    )

    def complete(rp: RelyingParty | None, tid: str, record: dict[str, Any]) -> None:
        finished.labels(rp.client_id if rp else "unknown", record["status"], record.get("reason", "")).inc()
        then(rp, tid, record)

    return complete


async def _registration_body(request: Request, client_id: str) -> Registration:
    body = await request.body()
    if len(body) > _MAX_BODY:
        raise ConfigError("request body too large")
    try:
        value = json_loads(body)
    except IdcoreError:
        raise ConfigError("request body is not valid JSON") from None
    return parse_registration(client_id, value)


def admin_router(directory: PartyDirectory, guard: Callable[[Request], None]) -> APIRouter:
    """Routes under ``/v1/admin``; every one behind ``guard``."""
    router = APIRouter(prefix="/v1/admin", tags=["operator"], dependencies=[Depends(guard)])

    @router.get("/relying-parties", summary="Every relying party's registration")
    def list_parties() -> dict[str, Any]:
        return {"relying_parties": [r.to_json() for r in directory.all()]}

    @router.get("/relying-parties/{client_id}", summary="One relying party's registration")
    def get_party(client_id: str) -> dict[str, Any]:
        registration = directory.get(client_id) if len(client_id) <= 64 else None
        if registration is None:
            raise HTTPException(404, "No such relying party.")
        return registration.to_json()

    @router.put("/relying-parties/{client_id}", summary="Replace a relying party's registration")
    async def put_party(client_id: str, request: Request) -> dict[str, Any]:
        if len(client_id) > 64 or not directory.known(client_id):
            raise HTTPException(404, "No such relying party: register it with `lintas verifier rp add`.")
        registration = await _registration_body(request, client_id)
        await run_in_threadpool(directory.put, registration)
        return registration.to_json()

    return router


def operator_routes(
    app: FastAPI,
    settings: VerifierSettings,
    kv: KeyValueStore,
    clock: Clock,
    directory: PartyDirectory,
    metrics: VerifierMetrics,
) -> None:
    """``/metrics`` behind the admin token (open in development without one); the admin API with a token."""
    open_metrics = settings.development and settings.admin_token is None
    mount_metrics(app, metrics.render, None if open_metrics else bearer_guard(settings.admin_token))
    if settings.admin_token is not None:
        limiter = SlidingWindowLimiter(kv, "verifier-admin", ADMIN_RATE_PER_MINUTE, clock=lambda: float(clock.now()))
        app.include_router(admin_router(directory, bearer_guard(settings.admin_token, limiter)))
