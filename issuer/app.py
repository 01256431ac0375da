"""The issuer service: ``create_app(settings)`` builds one national issuer process.

Nothing runs at import. The factory loads the country's tenants from the registry seed, their
keys and certificates (:mod:`issuer.keys`), opens the store (embedded SQLite, or Redis when
``REDIS_URL`` is set), and mounts the routers. Tests pass their own ``store``, ``clock`` and
``random``.
"""

from __future__ import annotations

import httpx
from fastapi import Depends, FastAPI

from idcore.ports import Clock, RandomSource, SystemClock, SystemRandom
from issuer.authz import TenantAuthorizationServer, WalletClient
from issuer.catalog import CountryInfo, TenantSpec, load_country
from issuer.federation import federation_router, trust_mark_keepers
from issuer.keys import load_mdoc_keys, load_oauth_signer, load_tenant_keys
from issuer.operators import operator_clients
from issuer.routes.credential import credential_router
from issuer.routes.metadata import metadata_router
from issuer.routes.oauth import oauth_router
from issuer.routes.offers import offers_router
from issuer.routes.status import status_router
from issuer.service import IssuerService
from issuer.settings import IssuerSettings
from issuer.storage import IssuerRecords, StatusLists
from issuer.subjects import load_subjects
from issuer.tenant import CONFIGURATIONS, Tenant
from issuer.tokens import AccessTokens
from issuer.types_mdoc import mdoc_configurations
from lintas import __version__
from lintas.cors import add_cors
from lintas.devmode import announce, api_docs
from lintas.kv import KeyValueStore, open_store
from lintas.landing import add_landing
from lintas.oauth import ClientCredentialsServer
from lintas.problem import install_error_handlers, limit_body
from lintas.ratelimit import SlidingWindowLimiter
from lintas.server import closing_lifespan, secure_app
from lintas.trust_marks import with_keepers

__all__ = ["create_app"]


def _tenant(
    settings: IssuerSettings,
    country: CountryInfo,
    spec: TenantSpec,
    records: IssuerRecords,
    tokens: AccessTokens,
    random: RandomSource,
) -> Tenant:
    clients = {
        client_id: WalletClient(client_id, uris, allow_loopback=settings.development)
        for client_id, uris in settings.wallet_clients.items()
    }
    configuration_id, scope, _ = CONFIGURATIONS[spec.kind]
    keys = load_tenant_keys(settings, country, spec)
    mdoc_keys = load_mdoc_keys(settings, country, spec)
    mdoc = {c.configuration_id: c for c in mdoc_configurations(spec.kind, country.code)} if mdoc_keys else {}
    scopes = {scope: configuration_id, **{c.scope: c.configuration_id for c in mdoc.values()}}
    authz = TenantAuthorizationServer(
        identifier=spec.identifier,
        slug=spec.slug,
        scopes=scopes,
        clients=clients,
        records=records,
        tokens=tokens,
        random=random,
        tx_code_attempts=settings.tx_code_attempts,
    )
    return Tenant(spec, country, keys, authz, settings.batch_size, settings.require_par, mdoc_keys=mdoc_keys, mdoc=mdoc)


def build_service(settings: IssuerSettings, store: KeyValueStore, clock: Clock, random: RandomSource) -> IssuerService:
    """Assemble the service (tenants, keys, subjects, storage) without any HTTP."""
    country = load_country(settings)
    records = IssuerRecords(store)
    tokens = AccessTokens(load_oauth_signer(settings), clock, random, settings.access_token_ttl)
    tenants = [_tenant(settings, country, spec, records, tokens, random) for spec in country.tenants]
    return IssuerService(
        settings,
        tenants=tenants,
        subjects=load_subjects(settings.subjects_file, settings.country),
        records=records,
        status_lists=StatusLists(store, settings.status_list_size),
        tokens=tokens,
        clock=clock,
        random=random,
    )


#: Largest request body (a batch credential request with its proofs stays far below).
MAX_BODY_BYTES = 1024 * 1024


def create_app(
    settings: IssuerSettings,
    *,
    store: KeyValueStore | None = None,
    clock: Clock | None = None,
    random: RandomSource | None = None,
) -> FastAPI:
    """Build the FastAPI app of one national issuer process."""
    clock = clock or SystemClock()
    random = random or SystemRandom()
    owns_store = store is None
    kv = store or open_store(settings.redis_url, settings.data_dir, f"issuer-{settings.country.lower()}")
    service = build_service(settings, kv, clock, random)
    oauth = ClientCredentialsServer(
        clients=operator_clients(settings.data_dir, settings.country, settings.provisioned_clients),
        signer=service.tokens.signer,
        issuer=settings.public_url,
        clock=clock,
        token_ttl=settings.access_token_ttl,
        random=random,
    )

    # The trust mark keepers' client (issue #16 item 2): only when a mark endpoint is configured; closed at shutdown.
    http = httpx.Client(follow_redirects=False) if settings.federation_trust_mark_endpoint else None
    keepers = trust_mark_keepers(settings, service.tenants, http, clock)
    owned: list[KeyValueStore | httpx.Client] = [kv] if owns_store else []
    if http is not None:
        owned.append(http)
    lifespan = with_keepers(closing_lifespan(owned), keepers.values())

    app = FastAPI(
        title=f"Lintas national issuer ({settings.country})",
        description="SD-JWT VC issuance over OpenID4VCI 1.0 (PID and business registration).",
        version=__version__,
        lifespan=lifespan,
        **api_docs(bool(settings.api_docs)),
    )
    install_error_handlers(app)
    # Browser wallets (issue #6) fetch metadata, tokens and credentials cross-origin.
    add_cors(app, settings.cors_allow_origins)
    # Every route reads whole bodies; cap them before they are read (declared and chunked alike).
    limit_body(app, MAX_BODY_BYTES)
    app.include_router(metadata_router(service))
    app.include_router(oauth.router(), tags=["operator"])
    # Wallet-facing endpoints (authorize, PAR, token, nonce, credential, notification): per client address,
    # one budget shared by every replica (lintas.ratelimit).
    wallet_limit = SlidingWindowLimiter(
        kv, "issuer-wallet", settings.wallet_rate_limit_per_minute, clock=lambda: float(clock.now())
    )
    per_address = [Depends(wallet_limit.dependency())]
    app.include_router(oauth_router(service), dependencies=per_address)
    app.include_router(credential_router(service), dependencies=per_address)
    app.include_router(federation_router(settings, service.tenants, clock, keepers), dependencies=per_address)
    app.include_router(offers_router(service, oauth))
    app.include_router(status_router(service, oauth))
    cc = settings.country.lower()
    add_landing(
        app,
        service=f"Lintas national issuer ({settings.country})",
        summary="SD-JWT VC credentials over OpenID4VCI 1.0.",
        links={
            f"/.well-known/openid-credential-issuer/{cc}": "Credential Issuer Metadata (person ID)",
            "/operator": "operator page: create credential offers",
            "/healthz": "health",
        },
    )
    app.state.service = service
    app.state.trust_mark_keepers = keepers  # for tests and tools to inspect
    # Outermost, so answers of the CORS and body-cap middlewares carry the headers too.
    secure_app(app, development=settings.development)
    announce(f"Lintas national issuer ({settings.country})", settings.development, settings.conveniences())
    return app
