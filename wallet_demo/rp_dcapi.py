"""The relying-party demo's Digital Credentials API routes (issue #15 item 6; OpenID4VP 1.0 Appendix A).

Over the DC API the relying party's page carries the verifier's signed request to
``navigator.credentials.get({digital: {requests: [{protocol, data}]}})`` and brings back what the
browser returned. The page talks only to this back end, which calls the verifier's relying-party
API (:mod:`verifier.dc_api`) with the demo relying party's client credentials:

* ``POST /rp/api/{slug}/dc-transactions`` creates a ``dc_api.jwt`` transaction and binds it to
  the browser (the same per-transaction cookie as the link/QR flow, :mod:`wallet_demo.binding`).
* ``GET /rp/api/{slug}/transactions/{tid}/dc-request`` hands the page ``{protocol, data}``.
* ``POST /rp/api/{slug}/transactions/{tid}/dc-response`` with ``{origin, data}`` relays them to the
  verifier. ``origin`` must be the one the browser itself put in the request's ``Origin`` header
  (RFC 6454 Section 7; the page's script cannot set it): the verifier checks it against the
  request's ``expected_origins`` and verifies the presentations' audience ``origin:<origin>``.

The result is then read as for the link/QR flow (``GET /rp/api/{slug}/transactions/{tid}``).
All three answer only the browser that started the transaction (one 404 for unknown, malformed
and foreign ids), are rate-limited per client address and bounded in size (the app's body cap,
:data:`MAX_DC_BODY_BYTES`, declared and streamed bodies alike).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from idcore.b64 import json_loads
from idcore.errors import IdcoreError
from idcore.oid4vp import AuthorizationError
from idcore.oid4vp.dc_api import check_origin
from lintas.problem import problem
from lintas.ratelimit import SlidingWindowLimiter
from wallet_demo.binding import TRANSACTION_ID, TransactionBinding
from wallet_demo.relying_party import SCENARIOS, RelyingPartyError, VerifierClient

__all__ = ["MAX_DC_BODY_BYTES", "MAX_DC_CALLS_PER_MINUTE", "dc_api_routes"]

#: A DC API answer relayed by the page: an encrypted presentation is a few kB; the verifier's own bound is 1 MiB.
#: The wallet demo caps every request body at this (:func:`lintas.problem.limit_body` in ``wallet_demo.app``).
MAX_DC_BODY_BYTES = 256 * 1024
#: DC API calls (create, request, response) per client address and minute: a person needs three per attempt.
MAX_DC_CALLS_PER_MINUTE = 60
_NO_STORE = {"Cache-Control": "no-store"}
_TAG = "relying party demo (Digital Credentials API)"
_NOT_FOUND = "no such Digital Credentials API transaction"


class _Refused(Exception):
    """A page's request this back end refuses before calling the verifier (a problem+json answer)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _relayed(body: bytes, request: Request, development: bool) -> tuple[str, Any]:
    """``(origin, data)`` from the page: a JSON object with exactly these members, origin = the browser's."""
    try:
        value = json_loads(body)
    except IdcoreError:
        raise _Refused(400, "request body is not valid JSON") from None
    if not isinstance(value, dict) or set(value) != {"origin", "data"} or not isinstance(value["data"], dict):
        raise _Refused(400, "request body must be a JSON object with origin and data (an object)")
    try:
        origin = check_origin(value["origin"], allow_loopback_http=development)
    except AuthorizationError as exc:
        raise _Refused(400, exc.detail) from None
    # The Origin header is set by the browser, not by the page's script: a page cannot claim another origin.
    if request.headers.get("origin") != origin:
        raise _Refused(400, "origin is not the origin of the page that sent it")
    return origin, value["data"]


def _request_view(answer: dict[str, Any]) -> dict[str, Any]:
    """Only ``{protocol, data: {request}}`` reaches the page, and only in that shape."""
    data = answer.get("data")
    request = data.get("request") if isinstance(data, dict) else None
    if not isinstance(answer.get("protocol"), str) or not isinstance(request, str):
        raise RelyingPartyError("the verifier answered an unusable Digital Credentials API request")
    return {"protocol": answer["protocol"], "data": {"request": request}}


def _response_view(status: int, answer: dict[str, Any]) -> dict[str, Any]:
    """The verifier's verdict without anything else it might add (the claims come from the status route)."""
    keep = ("transaction_id", "status", "wallet_error") if status == 200 else ("outcome", "check", "reason")
    return {k: answer[k] for k in keep if isinstance(answer.get(k), str)}


def _failed(exc: RelyingPartyError) -> Response:
    return problem(exc.status, "Not Found" if exc.status == 404 else "Bad Gateway", str(exc))


def dc_api_routes(
    app: FastAPI,
    verifier: VerifierClient | None,
    binding: TransactionBinding,
    limiter: SlidingWindowLimiter,
    *,
    development: bool,
) -> None:
    """Add the three DC API routes of the relying-party demo to ``app``."""

    limit = limiter.dependency()  # per client address (the proxy's, behind a reverse proxy)

    def admit(request: Request, slug: str, tid: str | None = None) -> VerifierClient:
        limit(request)  # before anything else: refused calls count too
        known = slug in SCENARIOS and verifier is not None
        if tid is not None:  # one answer for unknown, malformed and foreign transactions
            known = known and TRANSACTION_ID.fullmatch(tid) is not None and binding.owns(request, slug, tid)
        if not known or verifier is None:
            raise _Refused(404, _NOT_FOUND)
        return verifier

    @app.post("/rp/api/{slug}/dc-transactions", tags=[_TAG], status_code=201)
    async def dc_start(request: Request, slug: str) -> Response:
        try:
            client = admit(request, slug)
            view = await run_in_threadpool(client.create_dc, SCENARIOS[slug])
        except _Refused as exc:
            return problem(exc.status, "Not Found", exc.detail)
        except RelyingPartyError as exc:
            return problem(502, "Bad Gateway", str(exc))
        tid = str(view.get("transaction_id", ""))
        if TRANSACTION_ID.fullmatch(tid) is None:
            return problem(502, "Bad Gateway", "the verifier answered an unusable transaction id")
        body = {k: view.get(k) for k in ("transaction_id", "status", "expires_at", "client_id")}
        response = JSONResponse(body, status_code=201, headers=_NO_STORE)
        binding.bind(response, slug, tid)
        return response

    @app.get("/rp/api/{slug}/transactions/{tid}/dc-request", tags=[_TAG])
    async def dc_request(request: Request, slug: str, tid: str) -> Response:
        try:
            client = admit(request, slug, tid)
            answer = await run_in_threadpool(client.dc_request, SCENARIOS[slug], tid)
            return JSONResponse(_request_view(answer), headers=_NO_STORE)
        except _Refused as exc:
            return problem(exc.status, "Not Found", exc.detail)
        except RelyingPartyError as exc:
            return _failed(exc)

    @app.post("/rp/api/{slug}/transactions/{tid}/dc-response", tags=[_TAG])
    async def dc_response(request: Request, slug: str, tid: str) -> Response:
        try:
            client = admit(request, slug, tid)
            origin, data = _relayed(await request.body(), request, development)
            status, answer = await run_in_threadpool(client.dc_response, SCENARIOS[slug], tid, origin, data)
        except _Refused as exc:
            title = "Not Found" if exc.status == 404 else "Bad Request"
            return problem(exc.status, title, exc.detail)
        except RelyingPartyError as exc:
            return _failed(exc)
        view = _response_view(status, answer)
        if status == 200:
            return JSONResponse(view, headers=_NO_STORE)
        return problem(400, "Bad Request", "presentation not accepted", headers=_NO_STORE, **view)
