"""Wallet-facing OpenID4VP 1.0 endpoints: the Request URI (Section 5.10) and Response URI (Section 8.2).

Thin handlers: parse the form, call the services, answer in the spec's shapes. Errors toward the
wallet are only the spec's codes (``invalid_request``, ``invalid_request_uri_method``,
``vp_formats_not_supported``), never a stack trace.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from idcore.b64 import json_loads
from idcore.errors import IdcoreError
from idcore.oid4vp import AuthorizationError, parse_form
from idcore.oid4vp.request import check_safe_value
from lintas.jsonresponse import OrjsonResponse
from lintas.problem import oauth_error
from verifier.responses import ResponseHandler
from verifier.store import TERMINAL, TransactionStore
from verifier.transactions import TransactionService

__all__ = ["wallet_router"]

_JAR = "application/oauth-authz-req+jwt"
_NO_STORE = {"Cache-Control": "no-store"}


def _wallet_metadata_ok(raw: str | None) -> bool:
    """False when the wallet says it supports no format we accept (Section 5.10, 11)."""
    if raw is None:
        return True
    try:
        metadata = json_loads(raw)
    except IdcoreError:
        raise AuthorizationError("invalid_request", detail="wallet_metadata is not JSON") from None
    if not isinstance(metadata, dict):
        raise AuthorizationError("invalid_request", detail="wallet_metadata is not an object")
    formats = metadata.get("vp_formats_supported")
    return formats is None or (isinstance(formats, dict) and "dc+sd-jwt" in formats)


def _request_object(service: TransactionService, store: TransactionStore, rid: str, form: dict[str, str]) -> Response:
    request = store.request(rid)
    tx = store.transaction(str(request["tx"])) if request else None
    status = store.status(tx["id"]) if tx else None
    if tx is None or service.clock.now() >= tx["expires"] or (status and status.get("status") in TERMINAL):
        return oauth_error(400, "invalid_request", "unknown or expired request")
    wallet_nonce = form.get("wallet_nonce")
    if wallet_nonce is not None:
        check_safe_value(wallet_nonce, "wallet_nonce")
    if not _wallet_metadata_ok(form.get("wallet_metadata")):
        return oauth_error(400, "vp_formats_not_supported", "this verifier accepts dc+sd-jwt only")
    token = service.request_object(tx, rid, wallet_nonce)
    store.mark_fetched(tx["id"])
    return Response(token, media_type=_JAR, headers=_NO_STORE)


def wallet_router(service: TransactionService, store: TransactionStore, handler: ResponseHandler) -> APIRouter:
    """Routes under ``/wallet``."""
    router = APIRouter(prefix="/wallet", tags=["wallet (OpenID4VP)"])

    @router.get("/request/{rid}", summary="Request URI (GET, RFC 9101)")
    def get_request_object(rid: str) -> Response:
        return _request_object(service, store, rid, {})

    @router.post("/request/{rid}", summary="Request URI with request_uri_method=post (Section 5.10)")
    async def post_request_object(rid: str, request: Request) -> Response:
        try:
            form = parse_form(await request.body())
            if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
                raise AuthorizationError("invalid_request", detail="expected a form body")
            return await run_in_threadpool(_request_object, service, store, rid, form)
        except AuthorizationError as exc:
            return oauth_error(400, exc.error, "invalid request object request")

    @router.post("/response", summary="Response URI for direct_post and direct_post.jwt (Section 8.2, 8.3.1)")
    async def post_response(request: Request) -> JSONResponse:
        try:
            form = parse_form(await request.body())
        except AuthorizationError as exc:
            return oauth_error(400, exc.error, "malformed response")
        answer: Any = await run_in_threadpool(handler.handle, form)
        return OrjsonResponse(answer.body, status_code=answer.status, headers=_NO_STORE)

    return router
