"""The verifier service: ``create_app(settings, ...)`` wires store, keys, trust, pipeline and routes.

Nothing runs at import. Ports can be injected for tests and benchmarks: ``store`` (a
:class:`lintas.kv.KeyValueStore`), ``clock``, ``random``, ``trust`` (a
:class:`idcore.trust.TrustListCache` or a callable returning a :class:`idcore.trust.TrustSnapshot`)
and ``http`` (the :class:`httpx.Client` used for the registry, status lists and webhooks).
Without a configured registry the verifier trusts nobody.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from math import ceil
from pathlib import Path
from typing import Any

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from idcore.b64 import json_loads
from idcore.errors import IdcoreError, Reason, TrustError
from idcore.jose import sign_compact
from idcore.oid4vp import AuthorizationError
from idcore.ports import Clock, RandomSource, SystemClock, SystemRandom
from idcore.trust import TrustFramework, TrustListCache, TrustSnapshot
from idcore.trust.checkpoint import CheckpointVerifier
from idcore.trust.etsi import MAX_LOTE_BYTES, verify_lote_list
from idcore.trust.recognition import RecognitionSnapshot
from idcore.trust.recognition_cache import RecognitionCache
from idcore.trust.signed import TrustListPin, VerifiedTrustList, verify_trust_list
from idcore.x509 import certificate_to_pem
from lintas import __version__
from lintas.audit_log import AuditLogWatcher
from lintas.cors import add_cors
from lintas.devmode import announce, api_docs
from lintas.kv import KeyValueStore, StoreUnavailable, open_store
from lintas.landing import add_landing
from lintas.oauth import ClientCredentialsServer, OAuthClient, hash_secret
from lintas.pins import pin_set
from lintas.problem import install_error_handlers, limit_body, oauth_error, problem
from lintas.ratelimit import SlidingWindowLimiter
from lintas.server import closing_lifespan, secure_app
from lintas.trust_fetch import TrustListFetcher, read_bounded
from verifier.dc_api import dc_api_router
from verifier.federation import federation_source
from verifier.keys import Operator, VerifierKeys, ensure_client_secrets, ensure_verifier_keys, request_key_store
from verifier.leaf import VerifierLeaf
from verifier.metrics import VerifierMetrics
from verifier.parties import (
    PartyDirectory,
    RegisteredPartyService,
    configured_registrations,
    read_registrations,
    registered_claims,
)
from verifier.pipeline import Pipeline, TrustSource
from verifier.policy import ConfigError, RelyingParty, load_config
from verifier.responses import ResponseHandler
from verifier.routes_admin import count_by_party, operator_routes
from verifier.routes_rp import rp_router
from verifier.routes_wallet import wallet_router
from verifier.settings import VerifierSettings
from verifier.status import HttpStatusFetcher, StatusChecker
from verifier.transaction_store import TransactionStore

__all__ = ["build_pipeline", "create_app", "trust_source"]

SCOPE = "verifier"
log = logging.getLogger("lintas.verifier")
Trust = TrustListCache | Callable[[], TrustSnapshot] | Callable[[], TrustFramework]


def trust_source(settings: VerifierSettings, trust: Trust | None, http: httpx.Client, clock: Clock) -> Trust:
    """The injected trust source, else as ``trust_mode`` says: the registry's list (a pinned cache, or
    trust nobody without a registry), the federation (:mod:`verifier.federation`), or both."""
    if trust is not None:
        return trust
    if settings.trust_mode == "federation":
        return federation_source(settings, http)
    listed = _list_source(settings, http, clock)
    if settings.trust_mode == "both":
        metadata = _metadata_fetcher(http, settings.metadata_max_bytes) if settings.issuer_metadata else None
        return federation_source(
            settings, http, listed.snapshot if isinstance(listed, TrustListCache) else listed, metadata
        )
    return listed


def _list_source(
    settings: VerifierSettings, http: httpx.Client, clock: Clock
) -> TrustListCache | Callable[[], TrustSnapshot]:
    if settings.registry_url is None or not settings.registry_pin_sha256:
        log.warning("no trust registry configured: every issuer is untrusted")
        return TrustSnapshot.empty
    # The one fetcher (timeout, size cap, ETag, no redirects) over the app's client; the cache pins and judges.
    if settings.trust_list_format == "etsi":  # ETSI TS 119 602 JSON binding: same pins, same judgement
        fetch = TrustListFetcher(settings.registry_url, client=http, path="/v1/lote", max_bytes=MAX_LOTE_BYTES)
        return TrustListCache(
            fetch=fetch,
            pin=pin_set(settings.registry_pin_sha256),
            clock=clock,
            max_staleness=settings.trust_max_staleness,
            verify=verify_lote_list,
        )
    return TrustListCache(
        fetch=TrustListFetcher(settings.registry_url, client=http),
        pin=pin_set(settings.registry_pin_sha256),
        clock=clock,
        max_staleness=settings.trust_max_staleness,
        verify=logged_list_verifier(settings, http),
    )


def logged_list_verifier(settings: VerifierSettings, http: httpx.Client) -> Callable[..., VerifiedTrustList]:
    """Verify a list against the pins and, with ``audit_checkpoint_key``, prove the registry logged it.

    Issue #16 item 3: the list must be a leaf of a checkpoint consistent with the last one this
    process accepted (:meth:`lintas.audit_log.AuditLogWatcher.check_list`); a refused list leaves
    the cache on the last good one, as any failed refresh does.
    """
    if settings.audit_checkpoint_key is None or settings.registry_url is None:
        return verify_trust_list
    watcher = AuditLogWatcher(settings.registry_url, CheckpointVerifier(settings.audit_checkpoint_key), client=http)

    def verify(token: bytes | str, pin: TrustListPin) -> VerifiedTrustList:
        verified = verify_trust_list(token, pin)
        watcher.check_list(verified)
        return verified

    return verify


def recognition_source(
    settings: VerifierSettings, http: httpx.Client, clock: Clock
) -> Callable[[int], RecognitionSnapshot] | None:
    """The configured registry's signed recognition decisions (issue #16), pinned like the list; else none.

    Without a registry, policies that judge by recognition recognise nothing (fail closed).
    """
    if settings.registry_url is None or not settings.registry_pin_sha256:
        return None
    cache = RecognitionCache(
        fetch=TrustListFetcher(settings.registry_url, client=http, path="/v1/recognitions"),
        pin=pin_set(settings.registry_pin_sha256),
        clock=clock,
        max_staleness=settings.trust_max_staleness,
    )
    return cache.snapshot


def build_pipeline(
    settings: VerifierSettings,
    *,
    clock: Clock,
    trust: TrustSource,
    http: httpx.Client,
    recognitions: Callable[[int], RecognitionSnapshot] | None = None,
) -> Pipeline:
    """The validation pipeline as configured (also used by ``lintas verify`` and the benchmarks).

    ``trust()`` gives the list snapshot (judged as the ASEAN list) or any trust framework;
    ``recognitions(sequence)`` the recognition decisions beside it.
    """
    fetcher = HttpStatusFetcher(timeout=settings.status_timeout, max_bytes=settings.status_max_bytes, client=http)
    status = StatusChecker(
        fetcher, clock, max_cache=settings.status_max_cache, max_skew=settings.max_skew, timeout=settings.status_timeout
    )
    metadata = _metadata_fetcher(http, settings.metadata_max_bytes) if settings.issuer_metadata else None
    return Pipeline(
        trust=trust,
        status=status,
        clock=clock,
        max_skew=settings.max_skew,
        kb_max_age=settings.kb_max_age,
        allow_insecure_loopback=settings.development,
        metadata_fetch=metadata,
        recognitions=recognitions,
    )


def _metadata_fetcher(http: httpx.Client, max_bytes: int) -> Callable[[str], Mapping[str, Any]]:
    """GET a JWT VC Issuer Metadata document or JWKS: https only, no redirects, bounded size."""

    def fetch(url: str) -> Mapping[str, Any]:
        if not url.startswith("https://"):
            raise TrustError(Reason.UNTRUSTED_ISSUER, "issuer metadata must be fetched over https")
        with http.stream("GET", url, headers={"Accept": "application/json"}) as response:
            if response.status_code != 200:
                raise TrustError(Reason.UNTRUSTED_ISSUER, f"issuer metadata answered {response.status_code}")
            body = read_bounded(response, max_bytes)
            if body is None:
                raise TrustError(Reason.UNTRUSTED_ISSUER, "issuer metadata too large")
        value = json_loads(body)
        if not isinstance(value, dict):
            raise TrustError(Reason.UNTRUSTED_ISSUER, "issuer metadata is not a JSON object")
        return value

    return fetch


def _webhook(http: httpx.Client, keys: VerifierKeys, clock: Clock, base_url: str) -> Callable[..., None]:
    def send(rp: RelyingParty | None, tid: str, record: dict[str, Any]) -> None:
        if rp is None or rp.webhook_url is None:
            return
        claims = {
            "iss": base_url,
            "aud": rp.client_id,
            "iat": clock.now(),
            "transaction_id": tid,
            "status": record["status"],
        }
        if "reason" in record:
            claims["reason"] = record["reason"]
        token = sign_compact({"typ": "lintas-webhook+jwt"}, claims, keys.oauth_signer)
        url = rp.webhook_url

        def post() -> None:
            try:
                http.post(url, content=token, headers={"Content-Type": "application/jwt"}, timeout=5.0)
            except httpx.HTTPError as exc:
                log.warning("webhook failed", extra={"transaction_id": tid, "error": type(exc).__name__})

        threading.Thread(target=post, name="webhook", daemon=True).start()

    return send


def _install_handlers(app: FastAPI) -> None:
    install_error_handlers(app)

    async def on_config(request: Request, exc: Exception) -> Response:
        return problem(400, "Bad Request", str(exc))

    async def on_oid4vp(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AuthorizationError)  # noqa: S101
        return oauth_error(400, exc.error, "invalid request")

    async def on_idcore(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, IdcoreError)  # noqa: S101
        return problem(400, "Bad Request", "invalid input", reason=exc.reason.value)

    async def on_rate(request: Request, exc: Exception) -> Response:
        wait = exc.wait if isinstance(exc, _RateLimited) else 60.0
        retry = str(max(1, ceil(wait)))
        return problem(429, "Too Many Requests", "rate limit exceeded", headers={"Retry-After": retry})

    app.add_exception_handler(_RateLimited, on_rate)
    app.add_exception_handler(ConfigError, on_config)
    app.add_exception_handler(AuthorizationError, on_oid4vp)
    app.add_exception_handler(IdcoreError, on_idcore)


_POLICY_SCHEMA = Path(__file__).parent / "policy.schema.json"

#: Largest request body: a vp_token with several credentials (portraits included) stays below.
MAX_BODY_BYTES = 2 * 1024 * 1024


def create_app(
    settings: VerifierSettings,
    *,
    store: KeyValueStore | None = None,
    clock: Clock | None = None,
    random: RandomSource | None = None,
    trust: Trust | None = None,
    http: httpx.Client | None = None,
    recognitions: Callable[[int], RecognitionSnapshot] | None = None,
) -> FastAPI:
    """Build the verifier app; keys and client secrets are created in the data directory on first start."""
    settings.require_certificates()  # before anything is opened: production never mints its own PKI
    clock = clock or SystemClock()
    random = random or SystemRandom()
    owned: list[Any] = []  # what this app opened itself and must close on shutdown
    if http is None:
        http = httpx.Client(timeout=settings.status_timeout, follow_redirects=False)
        owned.append(http)
    kv = store or open_store(settings.redis_url, settings.data_dir, "verifier")
    if store is None:
        owned.append(kv)
    config = load_config(
        settings.config_file,
        allow_unbound=settings.allow_unbound_presentations,
        extra_relying_parties=read_registrations(settings.data_dir),
    )
    registrations = configured_registrations(settings.config_file, settings.data_dir)
    if settings.allow_unbound_presentations:
        log.warning(
            "LINTAS_VERIFIER_ALLOW_UNBOUND_PRESENTATIONS is on: policies may accept presentations "
            "without holder binding (anyone holding a copy of a credential can present it)"
        )
    request_store = request_key_store(
        settings.key_backend,
        settings.pkcs11_library,
        settings.pkcs11_token_label,
        settings.pkcs11_user_pin.get_secret_value() if settings.pkcs11_user_pin else None,
    )
    keys = ensure_verifier_keys(
        settings.data_dir,
        dns_name=settings.dns_name,
        public_url=settings.base_url,
        now=clock.now(),
        days=settings.certificate_days,
        generate=bool(settings.generate_certificates),
        operator=Operator(settings.operator_name, settings.operator_country),
        request_store=request_store,
    )
    secrets = ensure_client_secrets(settings.data_dir, config.relying_parties)
    oauth = _oauth_server(settings, keys, secrets, clock)
    source = trust_source(settings, trust, http, clock)
    snapshot = source.snapshot if isinstance(source, TrustListCache) else source
    metrics = VerifierMetrics()
    tx_store = TransactionStore(kv, settings.transaction_ttl, settings.result_ttl)
    if recognitions is None and trust is None:  # an injected trust source comes with its own decisions, or none
        recognitions = recognition_source(settings, http, clock)
    pipeline = build_pipeline(settings, clock=clock, trust=snapshot, http=http, recognitions=recognitions)
    directory = PartyDirectory(kv, registrations)
    claims_of = {
        cid: registered_claims([config.policies[p] for p in rp.policies]) for cid, rp in config.relying_parties.items()
    }
    service = RegisteredPartyService(settings, tx_store, keys, clock, random).bind(directory, claims_of)
    handler = ResponseHandler(
        tx_store,
        pipeline,
        clock,
        random,
        config.relying_parties,
        metrics.outcome,
        count_by_party(metrics.registry, _webhook(http, keys, clock, settings.base_url)),
        settings.base_url,
        metrics.pipeline.observe,
    )

    # OpenID Federation leaf entity (verifier.leaf): its trust mark is fetched in the background
    leaf = VerifierLeaf(settings, keys, request_store=request_store, http=http, clock=clock)
    lifespan = leaf.lifespan(closing_lifespan(owned))

    app = FastAPI(
        title="Lintas verifier (OpenID4VP 1.0)",
        version=__version__,
        lifespan=lifespan,
        **api_docs(bool(settings.api_docs)),
    )
    app.state.settings, app.state.pipeline, app.state.keys, app.state.store = settings, pipeline, keys, tx_store
    app.state.trust = source
    _install_handlers(app)

    app.add_middleware(metrics.middleware)  # pure ASGI (verifier.metrics): no per-request task or streams
    add_cors(app, settings.cors_allow_origins)
    # The wallet endpoints are unauthenticated: cap bodies before they are read (declared and chunked).
    limit_body(app, MAX_BODY_BYTES)
    app.include_router(oauth.router())
    app.include_router(
        rp_router(
            config=config,
            store=tx_store,
            service=service,
            pipeline=pipeline,
            auth=oauth.require(SCOPE),
            rate_limit=_rate_limiter(settings, tx_store, clock),
            default_prefix=settings.client_id_prefix,
            development=settings.development,
            allow_unbound=settings.allow_unbound_presentations,
            offline_nonce_ttl=settings.kb_max_age + 2 * settings.max_skew,
        )
    )
    wallet_limit = SlidingWindowLimiter(
        kv, "verifier-wallet", settings.wallet_rate_limit_per_minute, clock=lambda: float(clock.now())
    )
    app.include_router(wallet_router(service, tx_store, handler), dependencies=[Depends(wallet_limit.dependency())])
    leaf.mount(app, [Depends(wallet_limit.dependency())])  # public: rate-limited like the wallet routes
    app.include_router(
        dc_api_router(
            config=config,
            service=service,
            handler=handler,
            auth=oauth.require(SCOPE),
            rate_limit=_rate_limiter(settings, tx_store, clock),
        )
    )  # the Digital Credentials API: the relying party's page relays request and response
    _ops_routes(app, tx_store, source, keys)
    operator_routes(app, settings, kv, clock, directory, metrics)
    add_landing(
        app,
        service="Lintas cross-border verifier",
        summary="OpenID4VP 1.0 verifier for relying parties.",
        links={
            "/v1/presentations": "relying-party API (OAuth)",
            "/healthz": "health",
            "/readyz": "readiness",
            "/metrics": "Prometheus metrics",
        },
    )
    # Outermost: security headers (and HSTS, RFC 6797, when served over https) on every answer, in pure ASGI.
    secure_app(app, development=settings.development, hsts_max_age=31536000 if settings.https else None)
    announce("Lintas verifier", settings.development, settings.conveniences())
    return app


class _RateLimited(Exception):
    """A relying party exceeded its per-minute budget; ``wait`` is the seconds until it has some again."""

    def __init__(self, wait: float) -> None:
        super().__init__("rate limit exceeded")
        self.wait = wait


def _rate_limiter(settings: VerifierSettings, store: TransactionStore, clock: Clock) -> Callable[[RelyingParty], None]:
    """Per relying party, a sliding window in the shared store so that replicas agree (lintas.ratelimit)."""
    limiter = SlidingWindowLimiter(
        store.kv, "verifier-rp", settings.rate_limit_per_minute, clock=lambda: float(clock.now())
    )

    def check(rp: RelyingParty) -> None:
        wait = limiter.take(rp.client_id, rp.rate_limit_per_minute or settings.rate_limit_per_minute)
        if wait > 0:
            raise _RateLimited(wait)

    return check


def _oauth_server(
    settings: VerifierSettings, keys: VerifierKeys, secrets: dict[str, str], clock: Clock
) -> ClientCredentialsServer:
    """Client credentials for the relying parties; the server keeps only the secrets' SHA-256."""
    return ClientCredentialsServer(
        clients=[OAuthClient(cid, hash_secret(s), frozenset({SCOPE})) for cid, s in secrets.items()],
        signer=keys.oauth_signer,
        issuer=settings.base_url,
        clock=clock,
        token_ttl=settings.token_ttl,
    )


def _ops_routes(app: FastAPI, store: TransactionStore, trust: Trust, keys: VerifierKeys) -> None:
    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", tags=["operations"])
    def readyz() -> Response:
        checks: dict[str, str] = {}
        try:
            store.ping()
            checks["store"] = "ok"
        except StoreUnavailable:
            checks["store"] = "unavailable"
        if isinstance(trust, TrustListCache):
            try:
                trust.snapshot()  # refreshes when due, so readiness reflects the registry now
            except IdcoreError:
                pass
            state = trust.status()
            checks["registry"] = "ok" if state.sequence_number and not state.stale else "unavailable"
        if not all(v == "ok" for v in checks.values()):
            return problem(503, "Service Unavailable", "not ready", checks=checks)
        return JSONResponse({"status": "ready", "checks": checks})

    @app.get("/.well-known/lintas/policy.schema.json", tags=["operations"], summary="JSON Schema of the policy file")
    def policy_schema() -> Response:
        return Response(_POLICY_SCHEMA.read_bytes(), media_type="application/schema+json")

    @app.get("/.well-known/lintas/rp-ca.pem", tags=["operations"], summary="Demo relying-party CA (pin it)")
    def rp_ca() -> Response:
        return Response(certificate_to_pem(keys.rp_ca_cert), media_type="application/x-pem-file")
