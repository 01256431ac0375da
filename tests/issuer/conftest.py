"""Fixtures for the issuer tests: an in-process issuer per test (TestClient, no sockets).

``harness`` runs on the embedded store; ``kv_harness`` runs once on SQLite and once on a real
Redis (the shared ``kv_store`` fixture of ``tests/conftest.py``). Each test gets its own data
directory, so keys, certificates and operator secrets are generated fresh by the test run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import pytest

from idcore.ports import FixedClock
from issuer.app import create_app
from issuer.operators import clients_file
from issuer.service import IssuerService
from issuer.settings import IssuerSettings
from lintas.kv import KeyValueStore, open_store
from tests.issuer.wallet_client import ScriptedWallet

PUBLIC_URL = "http://127.0.0.1:8101"
PID_CONFIG = "asean_pid_sd_jwt"
BUSINESS_CONFIG = "asean_business_registration_sd_jwt"


class PortalTransport(httpx.BaseTransport):
    """A synchronous httpx transport into an ASGI app (httpx ``ASGITransport`` run on a portal thread)."""

    def __init__(self, app: Any) -> None:
        self._portal_cm = anyio.from_thread.start_blocking_portal()
        self._portal = self._portal_cm.__enter__()
        self._inner = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def call() -> tuple[int, httpx.Headers, bytes]:
            response = await self._inner.handle_async_request(request)
            return response.status_code, response.headers, await response.aread()

        status, headers, body = self._portal.call(call)
        return httpx.Response(status, headers=headers, content=body, request=request)

    def close(self) -> None:
        self._portal_cm.__exit__(None, None, None)


class Harness:
    """One issuer app with its client, clock and operator credentials."""

    def __init__(self, settings: IssuerSettings, store: KeyValueStore) -> None:
        self.settings = settings
        self.clock = FixedClock(int(time.time()))
        self.app = create_app(settings, store=store, clock=self.clock)
        self.client = httpx.Client(transport=PortalTransport(self.app), base_url=settings.public_url)
        self.service: IssuerService = self.app.state.service
        self.pid = f"{settings.public_url}/{settings.country.lower()}"
        self.business = f"{self.pid}/business"

    def close(self) -> None:
        """Stop the client and its portal thread."""
        self.client.close()

    def secret(self, client_id: str) -> str:
        """The generated secret of an operator client."""
        doc = json.loads(clients_file(self.settings.data_dir, self.settings.country).read_text())
        return str(doc[client_id]["secret"])

    def operator_token(self, client_id: str = "operator") -> str:
        """A client-credentials access token for ``client_id``."""
        answer = self.client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, self.secret(client_id))
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def offer(self, subject_id: str, configuration_id: str = PID_CONFIG, **options: Any) -> dict[str, Any]:
        """Create an offer through the operator API."""
        body = {"subject_id": subject_id, "credential_configuration_id": configuration_id, **options}
        answer = self.client.post("/v1/offers", json=body, headers={"Authorization": f"Bearer {self.operator_token()}"})
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def wallet(self, **options: Any) -> ScriptedWallet:
        """A scripted wallet using the in-process client."""
        return ScriptedWallet(self.client, **options)


def make_settings(data_dir: Path, **overrides: Any) -> IssuerSettings:
    """Issuer settings for a loopback test deployment."""
    values: dict[str, Any] = {"country": "SG", "public_url": PUBLIC_URL, "data_dir": data_dir, "development": True}
    values.update(overrides)
    return IssuerSettings(**values)


@pytest.fixture
def make_harness(tmp_path: Path) -> Iterator[Any]:
    """Factory: ``make_harness(**settings_overrides)`` on the embedded store."""
    built: list[tuple[Harness, KeyValueStore]] = []

    def build(**overrides: Any) -> Harness:
        data_dir = overrides.pop("data_dir", tmp_path / "data")
        settings = make_settings(data_dir, **overrides)
        store = open_store(None, tmp_path / "kv", f"issuer-{len(built)}")
        built.append((Harness(settings, store), store))
        return built[-1][0]

    yield build
    for made, store in built:
        made.close()
        store.close()


@pytest.fixture
def harness(make_harness: Any) -> Harness:
    """An SG issuer (PID and business) on the embedded store."""
    return make_harness()  # type: ignore[no-any-return]


@pytest.fixture
def kv_harness(kv_store: KeyValueStore, tmp_path: Path) -> Iterator[Harness]:
    """An SG issuer on each store backend (SQLite and real Redis)."""
    made = Harness(make_settings(tmp_path / "data"), kv_store)
    yield made
    made.close()
