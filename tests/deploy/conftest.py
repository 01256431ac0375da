"""A real verifier for the deployment tests: under uvicorn on a free loopback port, embedded store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from lintas.testing import UvicornServer, free_port
from verifier.app import create_app
from verifier.settings import VerifierSettings


@dataclass
class LiveVerifier:
    """The app object (for its routes) and its base URL."""

    app: FastAPI
    url: str


@pytest.fixture(scope="session")
def live_verifier(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveVerifier]:
    """One verifier for the session; no registry, so it trusts nobody (fine: nothing is verified here)."""
    port = free_port()
    settings = VerifierSettings(
        public_url=f"http://localhost:{port}", data_dir=tmp_path_factory.mktemp("verifier"), development=True
    )
    app = create_app(settings)
    with UvicornServer(app, port=port):
        yield LiveVerifier(app, settings.base_url)


@pytest.fixture(scope="session")
def metrics_text(live_verifier: LiveVerifier) -> str:
    """``/metrics`` after some traffic: a health check, a refused token request and a bad wallet response."""
    with httpx.Client(timeout=10) as http:
        http.get(f"{live_verifier.url}/healthz").raise_for_status()
        assert (
            http.post(f"{live_verifier.url}/oauth/token", data={"grant_type": "client_credentials"}).status_code == 401
        )
        assert http.post(f"{live_verifier.url}/wallet/response", data={"state": "x"}).status_code >= 400
        response = http.get(f"{live_verifier.url}/metrics")
    response.raise_for_status()
    return response.text
