"""The wallet demo service: ``create_app(settings)`` serves the browser wallet and the RP demo.

Nothing runs at import. Pages are static HTML + ES modules (``static/``), no build step; the
wallet's routes (``/``, ``/receive``, ``/present``, ``/callback``, ...) all serve the same page,
which routes on ``location.pathname`` — so ``/receive?offer=...`` and ``/present?request_uri=...``
work as same-origin link handlers for ``openid-credential-offer://`` and ``openid4vp://`` links.

JSON API for the pages: ``/config.json`` (the relying-party CAs the registry lists with their
countries, :mod:`wallet_demo.rp_trust`; service URLs, personas, countries),
``/trust/relying-party-cas.json`` (the same CAs with the list's sequence number),
``POST /api/demo/offers`` (demo issuance desk, development only) and ``/rp/api/...``
(demo relying parties; a transaction's status and QR code answer only the browser that started
it, :mod:`wallet_demo.binding`). Security headers come from :class:`lintas.server.SecurityHeaders`;
the wallet's CSP allows scripts from this origin only.
The browser libraries (``jose``, ``pkijs``) come from the npm lock under ``/vendor/``
(:mod:`wallet_demo.vendor`); the CSP allows the page's one inline import map by its hash.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from idcore.ports import Clock, SystemClock
from lintas import __version__
from lintas.devmode import announce, api_docs
from lintas.kv.sqlite_store import SqliteStore
from lintas.problem import install_error_handlers, limit_body, problem
from lintas.ratelimit import SlidingWindowLimiter
from lintas.server import secure_app
from wallet_demo.binding import TRANSACTION_ID, TransactionBinding
from wallet_demo.catalog import load_countries, load_personas
from wallet_demo.desk import IssuanceDesk
from wallet_demo.relying_party import SCENARIOS, RelyingPartyError, VerifierClient
from wallet_demo.rp_dcapi import MAX_DC_BODY_BYTES, MAX_DC_CALLS_PER_MINUTE, dc_api_routes
from wallet_demo.rp_trust import RelyingPartyCAs
from wallet_demo.settings import WalletSettings
from wallet_demo.vendor import import_map_hash, install_vendor_route, missing_packages

__all__ = ["WALLET_ROUTES", "create_app"]

STATIC = Path(__file__).parent / "static"
#: Client-side routes of the wallet page.
WALLET_ROUTES = ("/", "/receive", "/present", "/callback", "/history", "/credential", "/personas", "/settings")
# The wallet talks to whichever issuer an offer names, so connect-src stays open to (https) origins;
# scripts and styles come from this origin only (and the import map, by its hash: wallet_demo.vendor).
# Plain http only in development (loopback).
_CSP = (
    "default-src 'self'; script-src 'self' {script}; style-src 'self'; img-src 'self' data: {schemes}; "
    "connect-src 'self' {schemes}; form-action 'self' {schemes}; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
# The QR code is an SVG shown through <img>; should it ever be opened directly, nothing in it runs.
_SVG_HEADERS = {"Cache-Control": "no-store", "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}


_TITLES = {404: "Not Found", 503: "Not configured"}


class OfferRequest(BaseModel):
    """The persona to issue to and the grant the user picked."""

    persona_id: str = Field(min_length=1, max_length=128)
    grant: Literal["pre-authorized_code", "authorization_code"] = "pre-authorized_code"


def wallet_csp(development: bool) -> str:
    """The Content-Security-Policy of the wallet's pages."""
    schemes = "http: https:" if development else "https:"
    return _CSP.format(schemes=schemes, script=import_map_hash(STATIC / "index.html"))


def _page_routes(app: FastAPI) -> None:
    index, rp_page = STATIC / "index.html", STATIC / "rp.html"

    async def wallet_page() -> FileResponse:
        return FileResponse(index, headers={"Cache-Control": "no-store"})

    for route in WALLET_ROUTES:
        app.add_api_route(route, wallet_page, methods=["GET"], include_in_schema=False)
    app.add_api_route("/credential/{credential_id}", wallet_page, methods=["GET"], include_in_schema=False)

    @app.get("/rp", include_in_schema=False)
    @app.get("/rp/{slug}", include_in_schema=False)
    async def relying_party_page(slug: str = "") -> Response:
        if slug and slug not in SCENARIOS:
            return problem(404, "Not Found", "no such relying-party demo")
        return FileResponse(rp_page, headers={"Cache-Control": "no-store"})


def _config(settings: WalletSettings, rp_cas: RelyingPartyCAs) -> dict[str, Any]:
    return {
        "wallet_url": settings.public_url,
        "verifier_url": settings.verifier_url,
        "registry_url": settings.registry_url,
        "issuers": settings.issuers,
        # [{certificate, sha256, countries}]: x509.js accepts request chains ending at one of these only.
        "rp_anchors": rp_cas.current()["relying_party_cas"],
        "countries": load_countries(settings.countries_file),
        "personas": [p.to_json() for p in load_personas(settings.subjects_file)],
    }


def _api_routes(app: FastAPI, settings: WalletSettings, desk: IssuanceDesk, rp_cas: RelyingPartyCAs) -> None:
    personas = {p.id: p for p in load_personas(settings.subjects_file)}

    @app.get("/config.json", tags=["wallet"], summary="Wallet configuration (no secrets)")
    def config() -> JSONResponse:
        return JSONResponse(_config(settings, rp_cas), headers={"Cache-Control": "no-store"})

    @app.get("/trust/relying-party-cas.json", tags=["wallet"], summary="Relying-party CAs the registry lists now")
    def relying_party_cas() -> JSONResponse:
        # Served from the server's pinned cache (refreshed every trust_refresh_seconds), never the network per call.
        return JSONResponse(rp_cas.current(), headers={"Cache-Control": "no-store"})

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    if not settings.demo_desk:
        return

    @app.post("/api/demo/offers", tags=["demo"], summary="Demo issuance desk: an offer for a persona")
    async def demo_offer(body: OfferRequest) -> Response:
        persona = personas.get(body.persona_id)
        if persona is None:
            return problem(404, "Not Found", "no such persona")
        try:
            created = await run_in_threadpool(desk.offer, persona, body.grant)
        except RelyingPartyError as exc:
            return problem(502, "Bad Gateway", str(exc))
        return JSONResponse(created, status_code=201, headers={"Cache-Control": "no-store"})


def _rp_routes(app: FastAPI, verifier: VerifierClient | None, binding: TransactionBinding) -> None:
    def owned(request: Request, slug: str, tid: str) -> bool:
        # One answer for unknown, malformed and foreign transactions: the id alone proves nothing.
        return slug in SCENARIOS and TRANSACTION_ID.fullmatch(tid) is not None and binding.owns(request, slug, tid)

    @app.get("/rp/api/scenarios", tags=["relying party demo"])
    def scenarios() -> dict[str, Any]:
        return {"scenarios": [s.to_json() for s in SCENARIOS.values()]}

    @app.post("/rp/api/{slug}/transactions", tags=["relying party demo"], status_code=201)
    async def start(slug: str) -> Response:
        scenario = SCENARIOS.get(slug)
        if scenario is None or verifier is None:
            return problem(404, "Not Found", "no such relying-party demo or no verifier configured")
        if not verifier.configured(scenario.client_id):
            detail = f"the relying party {scenario.client_id} is not configured (no secret in LINTAS_WALLET_RP_CLIENTS)"
            return problem(503, "Not configured", detail)
        try:
            view = await run_in_threadpool(verifier.create, scenario)
        except RelyingPartyError as exc:
            return problem(502, "Bad Gateway", str(exc))
        tid = str(view.get("transaction_id", ""))
        if TRANSACTION_ID.fullmatch(tid) is None:
            return problem(502, "Bad Gateway", "the verifier answered an unusable transaction id")
        keep = ("transaction_id", "status", "expires_at", "request_link", "same_device_link", "client_id")
        body = {k: view.get(k) for k in keep} | {"qr_svg_url": f"/rp/api/{slug}/transactions/{tid}/qr.svg"}
        response = JSONResponse(body, status_code=201, headers={"Cache-Control": "no-store"})
        binding.bind(response, slug, tid)
        return response

    @app.get("/rp/api/{slug}/transactions/{tid}", tags=["relying party demo"])
    async def status(
        request: Request, slug: str, tid: str, wait: int = 0, response_code: str | None = None
    ) -> Response:
        scenario = SCENARIOS.get(slug)
        if scenario is None or verifier is None or not owned(request, slug, tid) or len(response_code or "") > 256:
            return problem(404, "Not Found", "no such transaction")
        try:
            view = await run_in_threadpool(
                verifier.status, scenario, tid, wait=max(0, min(wait, 20)), response_code=response_code
            )
        except RelyingPartyError as exc:
            return problem(exc.status, _TITLES.get(exc.status, "Bad Gateway"), str(exc))
        return JSONResponse(view, headers={"Cache-Control": "no-store"})

    @app.get("/rp/api/{slug}/transactions/{tid}/qr.svg", tags=["relying party demo"])
    async def qr(request: Request, slug: str, tid: str) -> Response:
        scenario = SCENARIOS.get(slug)
        if scenario is None or verifier is None or not owned(request, slug, tid):
            return problem(404, "Not Found", "no such transaction")
        try:
            svg = await run_in_threadpool(verifier.qr_svg, scenario, tid)
        except RelyingPartyError as exc:
            return problem(exc.status, _TITLES.get(exc.status, "Bad Gateway"), str(exc))
        return Response(svg, media_type="image/svg+xml", headers=_SVG_HEADERS)


def create_app(settings: WalletSettings, *, clock: Clock | None = None, http: httpx.Client | None = None) -> FastAPI:
    """Build the wallet demo app; refuses to start without the browser libraries of the npm lock.

    ``http`` (tests): the client the registry's list is fetched with; the caller closes it.
    """
    missing = missing_packages()
    if missing:
        raise RuntimeError(f"wallet_demo: browser libraries missing ({', '.join(missing)}); run scripts/setup.sh")
    desk = IssuanceDesk(settings.issuers, settings.desk_client_id, settings.desk_secrets, settings.http_timeout)
    verifier = (
        VerifierClient(settings.verifier_url, settings.rp_clients, settings.http_timeout)
        if settings.verifier_url
        else None
    )
    rp_cas = RelyingPartyCAs(
        clock=clock or SystemClock(),
        registry_url=settings.registry_url,
        pins=settings.registry_pin_sha256,
        refresh_interval=settings.trust_refresh_seconds,
        fallback_file=settings.ca_file,
        http=http,
    )

    # The DC API routes' budget per client address. The wallet demo keeps no state of its own (one
    # process, nothing on disk, REDIS_URL or not), so the sliding window lives in process memory.
    kv = SqliteStore(Path(":memory:"))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        desk.close()
        kv.close()
        rp_cas.close()
        if verifier is not None:
            verifier.close()

    app = FastAPI(
        title="Lintas wallet demo",
        version=__version__,
        lifespan=lifespan,
        description="Browser wallet (OpenID4VCI 1.0, OpenID4VP 1.0, SD-JWT VC) and relying-party demo.",
        **api_docs(bool(settings.api_docs)),
    )
    install_error_handlers(app)
    limit_body(app, MAX_DC_BODY_BYTES)  # the largest body any route takes: a relayed DC API answer
    _page_routes(app)
    app.state.rp_cas = rp_cas
    _api_routes(app, settings, desk, rp_cas)
    binding = TransactionBinding(secure=settings.secure_cookies, max_age=settings.rp_binding_ttl)
    _rp_routes(app, verifier, binding)
    limiter = SlidingWindowLimiter(kv, "rp-dc-api", MAX_DC_CALLS_PER_MINUTE, clock=time.time)
    dc_api_routes(app, verifier, binding, limiter, development=bool(settings.development))
    install_vendor_route(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    secure_app(app, development=settings.development, csp=wallet_csp(settings.development))
    announce("Lintas wallet demo", settings.development, settings.conveniences())
    return app
