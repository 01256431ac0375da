"""Relying-party API: create presentation requests, follow them, verify offline.

Every route needs an OAuth 2.0 access token from ``POST /oauth/token`` (client credentials,
RFC 6749 Section 4.4); a relying party sees only its own transactions. Requests are counted per
client per minute in the shared store (429 above the limit).
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from idcore.b64 import json_loads
from idcore.errors import IdcoreError
from idcore.oid4vp import AuthorizationError, parse_response_params
from idcore.oid4vp.client_id import PREFIX_REDIRECT_URI
from idcore.oid4vp.dc_api import DC_API_RESPONSE_MODES
from lintas.oauth import TokenClaims
from lintas.problem import problem
from verifier.dc_api import check_dc_create
from verifier.pipeline import Expectation, Pipeline, Rejection
from verifier.policy import ConfigError, Policy, RelyingParty, VerifierConfig, policy_from_request
from verifier.transaction_store import FLOW_SAME, TERMINAL, PollState, TransactionStore
from verifier.transactions import TransactionService, qr_png, qr_svg

__all__ = ["rp_router"]

_MAX_BODY = 256 * 1024
_DONE_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Presentation sent</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main>
<h1>Thank you</h1><p>Your wallet has answered. You can return to the service that asked.</p></main></body></html>"""


async def _json_body(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > _MAX_BODY:
        raise ConfigError("request body too large")
    try:
        value = json_loads(body)
    except IdcoreError:
        raise ConfigError("request body is not valid JSON") from None
    if not isinstance(value, dict):
        raise ConfigError("request body must be a JSON object")
    return value


def _choose_policy(
    config: VerifierConfig, rp: RelyingParty, body: dict[str, Any], *, allow_unbound: bool = False
) -> Policy:
    if "policy" in body:
        if not isinstance(body["policy"], str):
            raise ConfigError("policy must be a name")
        return config.policy_for(rp, body["policy"])
    if not rp.allow_custom_queries:
        raise ConfigError("this relying party may only use its configured policies")
    explicit = {k: v for k, v in body.items() if k not in ("response_mode", "client_id_prefix")}
    policy = policy_from_request(explicit, allow_unbound=allow_unbound)
    config.check_within_registration(rp, policy)
    return policy


def _status_view(
    store: TransactionStore, state: PollState, now: int, response_code: str | None, *, deliver: bool = True
) -> dict[str, Any]:
    """The relying party's view of one :meth:`TransactionStore.poll`; ``deliver`` hands over the verified
    claims, which happens once (the only second store step)."""
    tx = state.tx
    assert tx is not None  # noqa: S101 - callers check ownership first
    record = state.status or {"status": "pending"}
    status = record.get("status", "pending")
    if status not in TERMINAL and now >= tx["expires"]:
        status = "expired"
    view: dict[str, Any] = {
        "transaction_id": tx["id"],
        "status": status,
        "policy": tx["policy"]["name"],
        "created_at": tx["created"],
        "expires_at": tx["expires"],
    }
    if status not in TERMINAL:
        last = state.last_rejection
        if last is not None:  # a response that proved nothing; the transaction is still open
            view["last_rejection"] = last
        return view
    view |= {k: record[k] for k in ("check", "reason", "wallet_error", "flow") if k in record}
    if status == "verified":
        expected = state.response_code if record.get("flow") == FLOW_SAME else None
        # HAIP same-device: results only to the session that followed the redirect back.
        if expected is not None and (response_code is None or not _same(response_code, expected)):
            view["response_code_required"] = True
        elif deliver:
            credentials = store.take_result(tx["id"])
            if credentials is None:
                view["credentials_delivered"] = True  # handed over already: results are kept until first fetch
            else:
                view["credentials"] = credentials
    return view


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def rp_router(
    *,
    config: VerifierConfig,
    store: TransactionStore,
    service: TransactionService,
    pipeline: Pipeline,
    auth: Callable[..., TokenClaims],
    rate_limit: Callable[[RelyingParty], None],
    default_prefix: str,
    development: bool,
    allow_unbound: bool = False,
    offline_nonce_ttl: int = 420,
) -> APIRouter:
    """Routes under ``/v1``."""
    router = APIRouter(prefix="/v1", tags=["relying party"])

    def party(claims: TokenClaims = Depends(auth)) -> RelyingParty:
        rp = config.relying_parties.get(claims.client_id)
        if rp is None:
            raise ConfigError("unknown relying party")
        rate_limit(rp)
        return rp

    def own(rp: RelyingParty, tid: str) -> dict[str, Any] | None:
        tx = store.transaction(tid)
        return tx if tx is not None and tx.get("rp") == rp.client_id else None

    def poll_own(rp: RelyingParty, tid: str) -> PollState | None:
        state = store.poll(tid)  # one round trip: transaction, status, latest rejection, code
        return state if state.tx is not None and state.tx.get("rp") == rp.client_id else None

    @router.post("/presentations", status_code=201, summary="Create a presentation request")
    async def create(request: Request, rp: RelyingParty = Depends(party)) -> Any:
        body = await _json_body(request)
        policy = _choose_policy(config, rp, body, allow_unbound=allow_unbound)
        mode = body.get("response_mode", "direct_post.jwt")
        prefix = body.get("client_id_prefix", default_prefix)
        if mode not in ("direct_post", "direct_post.jwt", *DC_API_RESPONSE_MODES):
            raise ConfigError("response_mode must be direct_post, direct_post.jwt, dc_api or dc_api.jwt")
        check_dc_create(rp, mode, prefix, development=development)  # DC API: registered origins, signed client_id
        if prefix not in ("x509_hash", "x509_san_dns", PREFIX_REDIRECT_URI) or (
            prefix == PREFIX_REDIRECT_URI and not development
        ):
            raise ConfigError("unsupported client_id_prefix")
        view = await run_in_threadpool(service.create, rp, policy, response_mode=mode, prefix=prefix)
        return JSONResponse(view, status_code=201)

    @router.get("/presentations/done", response_class=HTMLResponse, include_in_schema=False)
    def done() -> HTMLResponse:
        return HTMLResponse(_DONE_PAGE)

    @router.get("/presentations/{tid}", summary="Status and, once verified, the disclosed claims")
    async def status(
        tid: str,
        rp: RelyingParty = Depends(party),
        response_code: str | None = None,
        wait: int = 0,
    ) -> Any:
        wait = max(0, min(wait, 25))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            state = await run_in_threadpool(poll_own, rp, tid)
            if state is None:
                return problem(404, "Not Found", "no such transaction")
            view = await run_in_threadpool(_status_view, store, state, service.clock.now(), response_code)
            if view["status"] in TERMINAL or view["status"] == "expired" or loop.time() >= deadline:
                return view
            await asyncio.sleep(0.2)

    @router.get("/presentations/{tid}/events", summary="Server-sent events of status changes")
    async def events(tid: str, rp: RelyingParty = Depends(party)) -> Any:
        if await run_in_threadpool(own, rp, tid) is None:
            return problem(404, "Not Found", "no such transaction")

        async def stream() -> AsyncIterator[str]:
            last = None
            for _ in range(600):  # at most ~2 minutes per connection; clients reconnect
                state = await run_in_threadpool(poll_own, rp, tid)
                now = service.clock.now()
                view = _status_view(store, state, now, None, deliver=False) if state else None
                current = view["status"] if view else "expired"
                if current != last:
                    last = current
                    yield f"event: status\ndata: {json.dumps({'transaction_id': tid, 'status': current})}\n\n"
                if current in TERMINAL or current == "expired":
                    return
                await asyncio.sleep(0.2)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    @router.get("/presentations/{tid}/qr.{kind}", summary="QR code of the cross-device request link")
    def qr(tid: str, kind: str, rp: RelyingParty = Depends(party)) -> Response:
        tx = own(rp, tid)  # the link in it answers the transaction: its owner's only
        if tx is None or kind not in ("svg", "png") or "cross" not in tx["requests"]:  # DC API: no link
            return problem(404, "Not Found", "no such QR code")
        link = service.links(tx, "cross")
        if kind == "svg":
            return Response(qr_svg(link), media_type="image/svg+xml")
        return Response(qr_png(link), media_type="image/png")

    @router.post("/verify", summary="Offline verification of a presentation with a named policy")
    async def verify(request: Request, rp: RelyingParty = Depends(party)) -> Any:
        body = await _json_body(request)
        policy = _choose_policy(config, rp, {"policy": body.get("policy")})
        vp_token = body.get("vp_token")
        if vp_token is None and isinstance(body.get("presentation"), str):
            vp_token = {policy.query.credentials[0].id: [body["presentation"]]}
        try:
            parsed = parse_response_params({"vp_token": vp_token}).vp_token
        except AuthorizationError:
            raise ConfigError("give a presentation string or a vp_token object") from None
        assert parsed is not None  # noqa: S101 - parse_response_params returns vp_token or raises
        nonce, aud = body.get("nonce"), body.get("aud", rp.own_audiences[0])
        if (nonce is not None and not isinstance(nonce, str)) or not isinstance(aud, str):
            raise ConfigError("nonce and aud must be strings")
        # The audience is the caller's own: a presentation made for another party is not this one's to verify.
        if aud not in rp.own_audiences:
            raise ConfigError("aud must be one of this relying party's audiences")
        # Each nonce once per relying party, for as long as a Key Binding JWT carrying it is fresh.
        if nonce is not None and not await run_in_threadpool(
            store.use_offline_nonce, rp.client_id, nonce, offline_nonce_ttl
        ):
            raise ConfigError("this nonce was used already")
        expect = Expectation(policy.query, policy, nonce, aud, verifier_country=rp.country)
        try:
            checked = await run_in_threadpool(pipeline.verify, parsed, expect)
        except Rejection as exc:
            return {"status": "rejected", "check": exc.check.value, "reason": exc.reason.value}
        return {"status": "verified", "credentials": [c.to_json() for c in checked]}

    return router
