"""The fuzz harness itself can fail: a toy app that crashes, leaks a traceback or answers an unshaped 4xx.

Twins of the service tests: the same detectors (:mod:`tests.fuzz.shape`, the schemathesis runner)
pointed at an app that does each wrong thing must report it, and must stay quiet on a clean twin.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from schemathesis import GenerationMode

from lintas.problem import install_error_handlers, oauth_error, problem
from tests.fuzz.shape import problems_of
from tests.fuzz.targets import Target
from tests.fuzz.test_schemathesis import _run_operation
from tests.issuer.conftest import PortalTransport


def _toy_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/crash/{n}")
    def crash(n: int) -> dict[str, int]:
        return {"root": math.isqrt(n)}  # ValueError below 0: an unhandled 500

    @app.get("/leak")
    def leak() -> PlainTextResponse:
        try:
            raise ValueError("boom")
        except ValueError:
            return PlainTextResponse(traceback.format_exc(), status_code=400)

    @app.get("/plain")
    def plain() -> PlainTextResponse:
        return PlainTextResponse("bad", status_code=400)

    @app.get("/clean/{n}")
    def clean(n: int) -> JSONResponse:
        return problem(400, "Bad Request", "no") if n == 7 else oauth_error(400, "invalid_request", "no")

    return app


@pytest.fixture(scope="module")
def toy() -> Iterator[Target]:
    app = _toy_app()
    target = Target("toy", app, httpx.Client(transport=PortalTransport(app), base_url="http://127.0.0.1:9"), None)
    yield target
    target.close()


def test_shape_check_reports_crash_trace_and_unshaped_errors(toy: Target) -> None:
    assert any("server error 500" in p for p in problems_of(toy.client.get("/crash/-1")))
    assert "stack trace in body" in problems_of(toy.client.get("/leak"))
    assert any("not spec-shaped" in p for p in problems_of(toy.client.get("/plain")))


def test_shape_check_accepts_problem_json_and_oauth_errors(toy: Target) -> None:
    assert problems_of(toy.client.get("/clean/7")) == []
    assert problems_of(toy.client.get("/clean/8")) == []
    assert problems_of(toy.client.get("/crash/8")) == []


def test_schemathesis_runner_finds_the_crashing_input(toy: Target) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", toy.app)
    operations = {op.label: op for op in (result.ok() for result in schema.get_all_operations())}
    found: list[str] = []
    # Twin: the same generator finds nothing to report on the clean route.
    _run_operation(toy, operations["GET /clean/{n}"], GenerationMode.POSITIVE, False, found)
    assert found == []
    _run_operation(toy, operations["GET /crash/{n}"], GenerationMode.POSITIVE, False, found)
    assert found, "schemathesis did not try a negative n"
    assert "server error" in found[0] or "schemathesis" in found[0]
