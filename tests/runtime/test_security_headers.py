"""Security headers on every route of every service (lintas.server.SecurityHeaders, issue #12 class 10).

Each service's app is built in-process and every route in ``app.routes`` is called once per
method (path parameters filled with placeholders, no body), whatever it answers. Every response
carries ``X-Content-Type-Options: nosniff`` and a ``Cache-Control``: ``no-store`` unless the route
publishes public metadata, which carries a ``max-age`` instead. Every HTML page carries a CSP
without inline script. The twin runs the same check on an app without the middleware and sees it fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from starlette.middleware.base import BaseHTTPMiddleware

from idcore.trust import TrustSnapshot
from issuer.app import create_app as issuer_app
from issuer.settings import IssuerSettings
from tests.issuer.conftest import PortalTransport
from trust_registry.app import create_app as registry_app
from trust_registry.settings import RegistrySettings
from verifier.app import create_app as verifier_app
from verifier.settings import VerifierSettings
from wallet_demo.app import create_app as wallet_app
from wallet_demo.settings import WalletSettings

_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")
_REQUEST_ID = re.compile(r"[0-9a-f]{32}")
_PLACEHOLDERS = {"slug": "my-bank", "kind": "svg"}
# Public documents a cache may keep: metadata, type metadata, status lists, the signed trust list, the
# recognition list published beside it, and the trust anchor's federation statements.
_PUBLIC = re.compile(
    r"^/\.well-known/(openid-credential-issuer|oauth-authorization-server|openid-federation$)|"
    r"^/vct/|/status-lists?/|^/v1/trust-list$|^/v1/lote$|^/v1/recognitions$|^/federation/fetch$"
)


@contextmanager
def in_process(app: FastAPI, base_url: str = "http://127.0.0.1:8000") -> Iterator[httpx.Client]:
    """An in-process client (no sockets) of ``app``; redirects are answers, not followed."""
    with httpx.Client(transport=PortalTransport(app), base_url=base_url, follow_redirects=False) as client:
        yield client


def _api_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every APIRoute with its full path, into included routers (FastAPI 0.165 keeps them as branches)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            context = getattr(route, "include_context", None)
            yield from _api_routes(route.original_router.routes, prefix + str(getattr(context, "prefix", "")))


def _calls(app: FastAPI) -> Iterator[tuple[str, str, str]]:
    """(method, template, concrete path) for every route of ``app``."""
    for template, route in _api_routes(app.routes):
        path = _PARAM.sub(lambda m: _PLACEHOLDERS.get(m.group(1), "x"), template)
        for method in sorted(route.methods - {"HEAD"}):
            yield method, template, path


def header_problems(app: FastAPI, client: httpx.Client) -> list[str]:
    """What is missing on any route's answer (empty when every response is right)."""
    found: list[str] = []
    for method, template, path in [*_calls(app), ("GET", "/", "/")]:
        answer = client.request(method, path, headers={"Accept": "text/html"})
        label = f"{method} {template} -> {answer.status_code}"
        cache = answer.headers.get("cache-control", "")
        if answer.headers.get("x-content-type-options") != "nosniff":
            found.append(f"{label}: no nosniff")
        if not _REQUEST_ID.fullmatch(answer.headers.get("x-request-id", "")):
            found.append(f"{label}: no X-Request-Id")  # lintas.requestid, installed by secure_app
        if _PUBLIC.search(path) and answer.status_code == 200:
            if "max-age" not in cache or "no-store" in cache:
                found.append(f"{label}: public metadata without max-age ({cache!r})")
        elif "no-store" not in cache and not _PUBLIC.search(path):
            found.append(f"{label}: no Cache-Control: no-store ({cache!r})")
        if answer.headers.get("content-type", "").startswith("text/html"):
            csp = answer.headers.get("content-security-policy", "")
            if "frame-ancestors 'none'" not in csp or "script-src" not in csp:
                found.append(f"{label}: HTML without a strict CSP ({csp!r})")
            elif path not in ("/docs", "/redoc") and "'unsafe-inline'" in csp.split("script-src")[1].split(";")[0]:
                found.append(f"{label}: inline script allowed")
    return found


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, FastAPI]:
    """The four services: issuer, verifier and wallet in development, the registry in production."""
    tmp = tmp_path_factory.mktemp("headers")
    issuer = IssuerSettings(country="SG", public_url="http://127.0.0.1:8101", data_dir=tmp / "issuer", development=True)
    verifier = VerifierSettings(public_url="http://localhost:8400", data_dir=tmp / "verifier", development=True)
    return {
        "registry": registry_app(RegistrySettings(data_dir=tmp / "registry")),
        "issuer": issuer_app(issuer),
        "verifier": verifier_app(verifier, trust=TrustSnapshot.empty),
        "wallet": wallet_app(WalletSettings(data_dir=tmp / "wallet", development=True)),
    }


@pytest.mark.parametrize("service", ["registry", "issuer", "verifier", "wallet"])
def test_every_route_answers_with_the_security_headers(apps: dict[str, FastAPI], service: str) -> None:
    app = apps[service]
    documented = {p for p in app.openapi()["paths"]}
    walked = {re.sub(r":[a-z]+\}", "}", template) for _, template, _ in _calls(app)}
    assert documented <= walked, "the walk reaches every documented route (and the hidden ones)"
    with in_process(app) as client:
        assert header_problems(app, client) == []


def test_public_metadata_is_cacheable_and_the_issuer_pages_have_their_own_csp(apps: dict[str, FastAPI]) -> None:
    with in_process(apps["issuer"], base_url="http://127.0.0.1:8101") as client:
        metadata = client.get("/.well-known/openid-credential-issuer/sg")
        assert metadata.status_code == 200
        assert "max-age=300" in metadata.headers["cache-control"]
        operator = client.get("/operator")
        csp = operator.headers["content-security-policy"]
        assert "'sha256-" in csp  # its one inline script, by hash
        assert "'unsafe-inline'" not in csp
        assert client.post("/sg/nonce").headers["cache-control"].startswith("no-store")


def test_twin_an_app_without_the_middleware_is_caught(tmp_path: Path) -> None:
    bare = FastAPI()

    @bare.get("/page")
    def page() -> HTMLResponse:
        return HTMLResponse("<p>hi</p>")

    @bare.get("/token")
    def token() -> dict[str, Any]:
        return {"access_token": "t"}

    with in_process(bare) as client:
        problems = header_problems(bare, client)
    assert any("no nosniff" in p for p in problems)
    assert any("/token" in p and "no-store" in p for p in problems)
    assert any("/page" in p and "CSP" in p for p in problems)
    assert any("no X-Request-Id" in p for p in problems)


@pytest.mark.parametrize("service", ["registry", "issuer", "verifier", "wallet"])
def test_no_service_runs_a_task_per_request_middleware(apps: dict[str, FastAPI], service: str) -> None:
    """Every middleware is pure ASGI: ``BaseHTTPMiddleware`` runs each request through a task group and
    memory streams (issue #18); the twin shows the check sees one when it is there."""
    assert apps[service].user_middleware
    assert [m.cls for m in apps[service].user_middleware if m.cls is BaseHTTPMiddleware] == []
    bare = FastAPI()
    bare.middleware("http")(lambda request, call_next: call_next(request))
    assert [m.cls for m in bare.user_middleware if m.cls is BaseHTTPMiddleware] == [BaseHTTPMiddleware]


def test_a_route_declaring_its_own_cache_policy_keeps_it() -> None:
    from lintas.server import secure_app

    app = FastAPI()
    secure_app(app, development=False)

    @app.get("/.well-known/openid-credential-issuer/x")
    def metadata() -> JSONResponse:
        return JSONResponse({}, headers={"Cache-Control": "public, max-age=60"})

    with in_process(app) as client:
        answer = client.get("/.well-known/openid-credential-issuer/x")
    assert answer.headers["cache-control"] == "public, max-age=60"
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_answers_of_the_outer_middlewares_carry_the_headers_too(apps: dict[str, FastAPI]) -> None:
    """The body cap (413) and CORS preflights answer before the routes: the headers are still there."""
    with in_process(apps["issuer"], "http://127.0.0.1:8101") as client:
        too_big = client.post(
            "/sg/token", content=b"x" * (2 * 1024 * 1024), headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert too_big.status_code == 413
        assert too_big.headers["x-content-type-options"] == "nosniff"
        assert too_big.headers["cache-control"].startswith("no-store")
