"""Error answers of every service: problem+json for bad input, outages and bugs; never a traceback."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from lintas.kv import open_store
from lintas.problem import PROBLEM_JSON, install_error_handlers, oauth_error, problem
from lintas.testing import RedisServer

pytestmark = pytest.mark.anyio

SECRET_MARKER = "internal-detail-7f3a"


class Item(BaseModel):
    name: str
    count: int


def make_app(tmp_path: Path) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    closed = open_store(None, tmp_path, "closed")
    closed.close()

    @app.post("/items")
    def create(item: Item) -> dict[str, int]:
        return {"count": item.count}

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError(f"database password is {SECRET_MARKER}")

    @app.get("/store")
    def store() -> None:
        closed.get("anything")

    @app.get("/teapot")
    def teapot() -> None:
        raise HTTPException(418, detail="short and stout", headers={"X-Why": "tea"})

    return app


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(tmp_path))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["title"], str)
    assert body["type"] == "about:blank"
    return body  # type: ignore[no-any-return]


async def test_valid_json_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post("/items", json={"name": "a", "count": 2})
    assert response.status_code == 200
    assert response.json() == {"count": 2}


async def test_malformed_json_is_a_400_problem(client: httpx.AsyncClient) -> None:
    truncated = b'{"name": "a", "count": '
    response = await client.post("/items", content=truncated, headers={"content-type": "application/json"})
    body = assert_problem(response, 400)
    assert "not valid JSON" in str(body["detail"])


async def test_invalid_shape_is_a_400_problem_without_echoing_values(client: httpx.AsyncClient) -> None:
    response = await client.post("/items", json={"name": "a", "count": "hunter2-not-a-number"})
    body = assert_problem(response, 400)
    assert body["errors"] == [{"loc": ["body", "count"], "type": "int_parsing"}]
    assert "hunter2" not in response.text


async def test_exception_in_route_is_a_500_problem_without_trace(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="lintas.problem"):
        response = await client.get("/boom")
    body = assert_problem(response, 500)
    assert body["detail"] == "An unexpected error occurred."
    for leak in ("Traceback", "RuntimeError", SECRET_MARKER, "boom", ".py"):
        assert leak not in response.text
    # The operator still gets the whole story in the log.
    assert any(r.exc_info and SECRET_MARKER in str(r.exc_info[1]) for r in caplog.records)


async def test_store_unavailable_is_a_503_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/store")
    assert_problem(response, 503)
    assert response.headers["retry-after"] == "5"


async def test_http_exceptions_and_unknown_routes_are_problems(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/no-such-route"), 404)
    assert body["title"] == "Not Found"
    assert_problem(await client.delete("/items"), 405)
    teapot = await client.get("/teapot")
    body = assert_problem(teapot, 418)
    assert body["detail"] == "short and stout"
    assert teapot.headers["x-why"] == "tea"


def test_problem_and_oauth_error_helpers() -> None:
    response = problem(409, "Conflict", "sequence moved", reason="stale", headers={"ETag": '"7"'})
    assert response.status_code == 409
    assert response.media_type == PROBLEM_JSON
    assert response.headers["etag"] == '"7"'
    assert json.loads(bytes(response.body)) == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "sequence moved",
        "reason": "stale",
    }
    error = oauth_error(400, "invalid_request", "missing grant_type")
    assert error.body == b'{"error":"invalid_request","error_description":"missing grant_type"}'
    assert error.headers["cache-control"] == "no-store"
    assert oauth_error(400, "invalid_scope").body == b'{"error":"invalid_scope"}'


async def test_redis_outage_is_503_and_recovery_is_200(tmp_path: Path) -> None:
    with RedisServer() as server:
        store = open_store(server.url, tmp_path, "svc", timeout=1.0)
        app = FastAPI()
        install_error_handlers(app)

        @app.get("/count")
        def count() -> dict[str, int]:
            return {"n": store.incr("hits")}

        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                assert (await client.get("/count")).json() == {"n": 1}
                server.stop()
                assert_problem(await client.get("/count"), 503)
                server.start()
                assert (await client.get("/count")).json() == {"n": 1}
        finally:
            store.close()
