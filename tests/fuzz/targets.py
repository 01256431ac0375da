"""The four services built in-process for fuzzing: each app from its own ``create_app`` on a temp data dir.

Each :class:`Target` carries the app, a synchronous httpx client into it (ASGI, no sockets), the
bearer token of one client of the service's own OAuth token endpoint (client credentials,
secrets generated into the data directory by the app) and the routes that the OpenAPI document
does not list. The verifier trusts the test world's signed list (``tests/verifier/world.py``),
whose status lists are served by a real uvicorn on 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from idcore.ports import FixedClock
from issuer.app import create_app as issuer_app
from issuer.operators import clients_file
from issuer.settings import IssuerSettings
from lintas.kv import KeyValueStore, open_store
from tests.issuer.conftest import PortalTransport
from tests.verifier.world import World
from trust_registry.app import create_app as registry_app
from trust_registry.settings import RegistrySettings
from verifier.app import create_app as verifier_app
from verifier.settings import DEFAULT_CONFIG, VerifierSettings
from wallet_demo.app import create_app as wallet_app
from wallet_demo.settings import WalletSettings

__all__ = ["FUZZ_RP", "Target", "build_issuer", "build_registry", "build_verifier", "build_wallet"]

#: A relying party of the fuzzed verifier without a practical rate limit (thousands of requests per test).
FUZZ_RP = "fuzz-rp"
ISSUER_URL = "http://127.0.0.1:8101"
VERIFIER_URL = "http://localhost:8200"


@dataclass
class Target:
    """One service under test."""

    name: str
    app: Any
    client: httpx.Client
    token: str | None
    hidden_routes: list[tuple[str, str]] = field(default_factory=list)
    store: KeyValueStore | None = None
    #: Outbound HTTP client handed to the app (closed here: in-process calls never run the app's shutdown).
    outbound: httpx.Client | None = None

    @property
    def auth(self) -> dict[str, str]:
        """``Authorization: Bearer`` with the service's own token (empty for the wallet demo)."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def close(self) -> None:
        """Stop the client's portal thread and close the store."""
        self.client.close()
        if self.outbound is not None:
            self.outbound.close()
        if self.store is not None:
            self.store.close()


def _client(app: Any, base_url: str) -> httpx.Client:
    # The apps log every unexpected error with its traceback; the tests judge the answers instead.
    logging.getLogger("lintas").setLevel(logging.CRITICAL)
    return httpx.Client(transport=PortalTransport(app), base_url=base_url, timeout=30)


def _token(client: httpx.Client, client_id: str, secret: str) -> str:
    answer = client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def build_registry(tmp: Path, clock: FixedClock) -> Target:
    """The registry; the token is the scheme operator's (``registry:write`` on every country)."""
    settings = RegistrySettings(data_dir=tmp / "data")
    store = open_store(None, tmp / "kv", "registry")
    app = registry_app(settings, store=store, clock=clock)
    client = _client(app, "http://127.0.0.1:8000")
    secrets = json.loads((settings.data_dir / "governance-clients.json").read_text())
    token = _token(client, "scheme-operator", secrets["scheme-operator"]["secret"])
    return Target("registry", app, client, token, store=store)


def build_issuer(tmp: Path, clock: FixedClock) -> Target:
    """The SG issuer (PID and business tenants); the token is the operator's."""
    settings = IssuerSettings(
        country="SG",
        public_url=ISSUER_URL,
        data_dir=tmp / "data",
        development=True,
        wallet_rate_limit_per_minute=1_000_000,
    )
    store = open_store(None, tmp / "kv", "issuer")
    app = issuer_app(settings, store=store, clock=clock)
    client = _client(app, ISSUER_URL)
    secrets = json.loads(clients_file(settings.data_dir, "SG").read_text())
    token = _token(client, "operator", secrets["operator"]["secret"])
    hidden = [("POST", "/sg/authorize/login"), ("POST", "/sg/business/authorize/login")]
    return Target("issuer", app, client, token, hidden, store)


def build_verifier(tmp: Path, clock: FixedClock, world: World) -> Target:
    """The verifier trusting ``world``; the token is :data:`FUZZ_RP`'s (allowed custom DCQL queries)."""
    config = json.loads(DEFAULT_CONFIG.read_text())
    config["relying_parties"][FUZZ_RP] = {
        "name": "Fuzzing RP",
        "country": "SG",
        "policies": ["pid-onboarding", "age-check", "business-registration"],
        "allow_custom_queries": True,
        "rate_limit_per_minute": 1_000_000,
        "audiences": ["x509_san_dns:localhost"],
    }
    (tmp / "config.json").write_text(json.dumps(config))
    settings = VerifierSettings(
        public_url=VERIFIER_URL,
        data_dir=tmp / "data",
        development=True,
        config_file=tmp / "config.json",
        wallet_rate_limit_per_minute=1_000_000,
    )
    store = open_store(None, tmp / "kv", "verifier")
    outbound = httpx.Client(timeout=settings.status_timeout, follow_redirects=False)
    app = verifier_app(settings, store=store, clock=clock, trust=world.trust_cache(clock), http=outbound)
    client = _client(app, VERIFIER_URL)
    secrets = json.loads((settings.data_dir / "rp-clients.json").read_text())
    hidden = [("GET", "/v1/presentations/done")]
    return Target("verifier", app, client, _token(client, FUZZ_RP, secrets[FUZZ_RP]), hidden, store, outbound)


def build_wallet(tmp: Path) -> Target:
    """The wallet demo with no issuers or verifier configured (its pages and JSON API only)."""
    app = wallet_app(WalletSettings(data_dir=tmp, development=True))
    hidden = [
        ("GET", p)
        for p in (
            "/",
            "/receive",
            "/present",
            "/callback",
            "/history",
            "/credential",
            "/personas",
            "/settings",
            "/credential/{credential_id}",
            "/rp",
            "/rp/{slug}",
        )
    ]
    return Target("wallet", app, _client(app, "http://127.0.0.1:8500"), None, hidden)
