"""The served path's shell (issue #18): pure-ASGI middleware only, metrics by route template, request ids.

``BaseHTTPMiddleware`` runs every request through a task group and memory streams; the verifier's
metrics middleware is pure ASGI instead and still counts every answer under its route template
(a 500 raised by a handler included, an unmatched path as ``unmatched``: bounded labels).
"""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from starlette.middleware.base import BaseHTTPMiddleware

from lintas.problem import install_error_handlers
from lintas.testing import UvicornServer
from tests.verifier.conftest import RunningVerifier
from verifier.metrics import VerifierMetrics


def test_verifier_has_no_base_http_middleware(verifier: RunningVerifier) -> None:
    app = verifier.server.app
    assert app.user_middleware  # the twin: there is middleware to inspect
    assert not [m for m in app.user_middleware if m.cls is BaseHTTPMiddleware]
    answer = verifier.http.get(f"{verifier.url}/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["x-request-id"])
    wallet = verifier.http.post(f"{verifier.url}/wallet/response", data={"state": "nothing-like-it"})
    assert wallet.status_code == 400
    assert wallet.headers["x-request-id"] != answer.headers["x-request-id"]


def _sample(text: str, route: str, status: str) -> float:
    pattern = (
        rf'lintas_verifier_http_requests_total\{{method="GET",route="{re.escape(route)}",status="{status}"\}} (\S+)'
    )
    found = re.search(pattern, text)
    return float(found.group(1)) if found else 0.0


def test_metrics_middleware_counts_by_route_template() -> None:
    metrics = VerifierMetrics()
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/items/{item}")
    def item(item: str) -> dict[str, str]:
        if item == "boom":
            raise RuntimeError("kaboom")
        return {"item": item}

    app.add_middleware(metrics.middleware)
    with UvicornServer(app) as server, httpx.Client(base_url=server.base_url) as http:
        assert http.get("/items/a").status_code == 200
        assert http.get("/items/b").status_code == 200
        assert http.get("/items/boom").status_code == 500
        assert http.get("/no/such/path").status_code == 404
    text = metrics.render().decode()
    assert _sample(text, "/items/{item}", "200") == 2.0  # the template, not /items/a and /items/b
    assert _sample(text, "/items/{item}", "500") == 1.0
    assert _sample(text, "unmatched", "404") == 1.0
    assert "/items/a" not in text
    assert 'lintas_verifier_http_request_seconds_count{route="/items/{item}"} 3.0' in text


def test_create_renders_no_qr_code_and_the_png_is_served_on_demand(verifier: RunningVerifier) -> None:
    created = verifier.create("my-bank", policy="pid-onboarding")
    assert set(created["qr_code"]) == {"svg_url", "png_url"}  # no PNG rendered into the create answer
    auth = {"Authorization": f"Bearer {verifier.token('my-bank')}"}
    png = verifier.http.get(created["qr_code"]["png_url"], headers=auth)
    assert png.content.startswith(b"\x89PNG")
    assert verifier.http.get(created["qr_code"]["png_url"]).status_code == 401  # the twin: its owner's only
