"""Fixtures for the verifier tests: the test world, a status list server and a verifier on real sockets.

The verifier runs under uvicorn on a free 127.0.0.1 port, addressed as ``http://localhost:<port>``
so that ``x509_san_dns:localhost`` works as in the demo, with its state in the session's real
``redis-server`` (a fresh namespace per verifier). Its clock is a :class:`FixedClock` shared with
the tests, so credentials, KB-JWTs and expiry are deterministic.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from idcore.jose import KeySigner
from idcore.ports import FixedClock
from lintas.kv import open_store
from lintas.testing import RedisServer, UvicornServer, free_port
from tests.verifier.wallet_client import ScriptedWallet
from tests.verifier.world import T0, World, new_key, status_app
from verifier.app import create_app
from verifier.settings import VerifierSettings


@pytest.fixture(scope="session")
def world() -> Iterator[World]:
    """PKI, trust list and a running status list server."""
    port = free_port()
    test_world = World(f"http://127.0.0.1:{port}")
    with UvicornServer(status_app(test_world), port=port):
        yield test_world


@pytest.fixture(scope="session")
def clock() -> FixedClock:
    """The clock shared by tests and verifier (tests that move it must move it back)."""
    return FixedClock(T0)


@dataclass
class RunningVerifier:
    """A verifier under uvicorn, with its settings and relying-party secrets."""

    server: UvicornServer
    settings: VerifierSettings
    secrets: dict[str, str]
    http: httpx.Client

    @property
    def url(self) -> str:
        """The public base URL (``http://localhost:<port>``)."""
        return self.settings.base_url

    def token(self, client_id: str) -> str:
        """An OAuth access token for a relying party (client credentials)."""
        response = self.http.post(
            f"{self.url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, self.secrets[client_id]),
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def create(self, client_id: str, **body: Any) -> dict[str, Any]:
        """``POST /v1/presentations`` as ``client_id``; returns the JSON answer."""
        response = self.http.post(
            f"{self.url}/v1/presentations", json=body, headers={"Authorization": f"Bearer {self.token(client_id)}"}
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def status(self, client_id: str, tid: str, **params: Any) -> dict[str, Any]:
        """``GET /v1/presentations/{tid}``."""
        response = self.http.get(
            f"{self.url}/v1/presentations/{tid}",
            params=params,
            headers={"Authorization": f"Bearer {self.token(client_id)}"},
        )
        assert response.status_code == 200, response.text
        return dict(response.json())


def start_verifier(
    tmp: Path,
    world: World,
    clock: FixedClock,
    redis_url: str | None,
    app_options: dict[str, Any] | None = None,
    **overrides: Any,
) -> Iterator[RunningVerifier]:
    """Run a verifier until the generator is closed; ``app_options`` go to ``create_app``."""
    port = free_port()
    settings = VerifierSettings(
        public_url=f"http://localhost:{port}", data_dir=tmp, development=True, redis_url=redis_url, **overrides
    )
    store = open_store(redis_url, tmp, f"v{uuid.uuid4().hex[:12]}", timeout=0.5)
    app = create_app(settings, store=store, clock=clock, trust=world.trust_cache(clock), **(app_options or {}))
    secrets = json.loads((tmp / "rp-clients.json").read_text())
    with httpx.Client(timeout=10) as http, UvicornServer(app, port=port) as server:
        yield RunningVerifier(server, settings, secrets, http)
    store.close()


@pytest.fixture(scope="module")
def verifier(
    tmp_path_factory: pytest.TempPathFactory, world: World, clock: FixedClock, redis_server: RedisServer
) -> Iterator[RunningVerifier]:
    """A verifier on the session's Redis."""
    yield from start_verifier(tmp_path_factory.mktemp("verifier"), world, clock, redis_server.url)


@pytest.fixture
def wallet(verifier: RunningVerifier, clock: FixedClock) -> ScriptedWallet:
    """A scripted wallet with a fresh holder key, pinning the verifier's relying-party CA."""
    from idcore.x509 import certificate_from_pem

    pem = verifier.http.get(f"{verifier.url}/.well-known/lintas/rp-ca.pem").content
    return ScriptedWallet(verifier.http, [certificate_from_pem(pem)], clock, KeySigner(new_key()))
