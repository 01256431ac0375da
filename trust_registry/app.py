"""The trust registry service: ``create_app(settings, *, store=None, clock=None)``.

Nothing runs at import. The factory loads (or on first start generates) the registry's keys
and the governance clients, opens the store (embedded SQLite under the data directory, or
Redis when ``REDIS_URL`` is set) and publishes the seeded list if the store is empty.
OpenAPI docs are at ``/docs``.
"""

from __future__ import annotations

import httpx
from fastapi import Depends, FastAPI

from idcore.ports import Clock, SystemClock
from lintas import __version__
from lintas.cors import add_cors
from lintas.devmode import announce, api_docs
from lintas.federation_fetch import StatementFetcher
from lintas.kv import KeyValueStore, open_store
from lintas.landing import add_landing
from lintas.oauth import ClientCredentialsServer, OAuthClient
from lintas.problem import install_error_handlers, limit_body
from lintas.ratelimit import SlidingWindowLimiter
from lintas.server import closing_lifespan, secure_app
from trust_registry.operators import ensure_clients
from trust_registry.pki import ensure_registry_keys
from trust_registry.resolve import Resolver
from trust_registry.routes import checkpoint, federation, governance, public, query, recognition, resolve
from trust_registry.service import RegistryService
from trust_registry.settings import RegistrySettings

__all__ = ["create_app"]

STORE_NAMESPACE = "registry"
#: Governance bodies are small (an issuer entry, a PEM certificate); refuse anything larger unread.
MAX_BODY_BYTES = 256 * 1024


def _clients(settings: RegistrySettings) -> list[OAuthClient]:
    if settings.governance_clients is None:
        return ensure_clients(settings.data_dir)
    return [OAuthClient(c.client_id, c.secret_sha256, frozenset(c.scopes)) for c in settings.governance_clients]


def _resolver(settings: RegistrySettings, service: RegistryService, http: httpx.Client) -> Resolver:
    """The federation resolve endpoint's resolver (loopback-only fetches in development)."""
    fetcher = StatementFetcher(http, timeout=settings.resolve_timeout, development=settings.development)
    return Resolver(
        service,
        fetcher,
        max_concurrent=settings.resolve_max_concurrent,
        cache_seconds=settings.resolve_cache_seconds,
        cache_entries=settings.resolve_cache_entries,
    )


def create_app(
    settings: RegistrySettings, *, store: KeyValueStore | None = None, clock: Clock | None = None
) -> FastAPI:
    """Build the registry app; a ``store`` passed in stays the caller's to close."""
    clock = clock or SystemClock()
    data_dir = settings.data_dir
    keys = ensure_registry_keys(
        data_dir,
        now=clock.now(),
        days=settings.certificate_days,
        public_url=settings.public_url.rstrip("/"),
        list_store=settings.list_key_store(),
    )
    owns_store = store is None
    kv = store if store is not None else open_store(settings.redis_url, data_dir, STORE_NAMESPACE)
    service = RegistryService(settings, kv, clock, keys)
    service.bootstrap()
    oauth = ClientCredentialsServer(
        clients=_clients(settings),
        signer=keys.oauth_signer,
        issuer=settings.public_url,
        clock=clock,
        token_ttl=settings.token_ttl,
    )

    # The resolve endpoint's outbound client (redirects never followed; an egress proxy from the environment
    # is honoured, as the verifier's: that is where a deployment stops names resolving to private addresses).
    http = httpx.Client(follow_redirects=False)
    lifespan = closing_lifespan([kv, http] if owns_store else [http])

    app = FastAPI(
        title="Lintas trust registry",
        version=__version__,
        description="The signed ASEAN list of national identity issuers (issue #3).",
        lifespan=lifespan,
        **api_docs(bool(settings.api_docs)),
    )
    app.state.registry = service
    install_error_handlers(app)
    limit_body(app, MAX_BODY_BYTES)  # declared and streamed (chunked) bodies alike
    add_cors(app, settings.cors_allow_origins)
    app.include_router(public.public_router(service))
    app.include_router(oauth.router(), tags=["oauth"])
    # One budget per client address shared by every replica (lintas.ratelimit: a sliding window in the store).
    limiter = SlidingWindowLimiter(kv, "registry", settings.rate_limit_per_minute, clock=lambda: float(clock.now()))
    app.include_router(query.query_router(service), dependencies=[Depends(limiter.dependency())])
    app.include_router(checkpoint.checkpoint_router(service, limiter))
    app.include_router(governance.governance_router(service, oauth, limiter))
    app.include_router(recognition.recognition_router(service, oauth, limiter))
    app.include_router(federation.federation_router(service, limiter))
    app.include_router(resolve.resolve_router(_resolver(settings, service, http), limiter))
    add_landing(
        app,
        service="Lintas ASEAN trust registry",
        summary="The signed list of national identity issuers.",
        links={
            "/v1/trust-list": "the signed trust list (application/jwt)",
            "/v1/countries": "member states",
            "/v1/recognitions": "signed mutual-recognition decisions (application/jwt)",
            "/.well-known/openid-federation": "OpenID Federation trust anchor configuration",
            "/v1/audit-log/checkpoint": "signed audit-log checkpoint (C2SP)",
            "/healthz": "health",
        },
    )
    secure_app(app, development=settings.development)  # outermost: security headers on every answer (lintas.server)
    announce("Lintas trust registry", settings.development, settings.conveniences())
    return app
