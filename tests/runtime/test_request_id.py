"""Request ids (lintas.requestid, installed by lintas.server.secure_app), over a real socket.

Every answer (200, 404, 500) carries ``X-Request-Id``; a well-formed W3C ``traceparent`` gives its
trace id, a malformed one is ignored (fresh id, the bad value nowhere in the log); every log line
written while the request is served, the 500's error line included, carries the same
``request_id``, and lines outside a request carry none. A client that closes its connection before
its body is read is an INFO line, not an unhandled error (the ERROR lines of benchmark max runs).
"""

from __future__ import annotations

import io
import json
import logging
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from lintas.problem import install_error_handlers
from lintas.requestid import current_request_id, trace_id_of
from lintas.server import configure_logging, secure_app
from lintas.testing import UvicornServer

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
_ID = re.compile(r"[0-9a-f]{32}")


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/hello")
    def hello() -> dict[str, str | None]:
        logging.getLogger("lintas.test").info("hello served")
        return {"seen": current_request_id()}

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom-internal")

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"length": len(await request.body())}

    secure_app(app, development=True)
    return app


@pytest.fixture
def served() -> Iterator[tuple[str, io.StringIO]]:
    """The app under uvicorn with JSON logging into a buffer; logging restored afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    lintas_level = logging.getLogger("lintas").level
    logging.getLogger("lintas").setLevel(logging.NOTSET)  # other suites may quiet it
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    try:
        with UvicornServer(_app()) as server:
            yield server.base_url, stream
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.getLogger("lintas").setLevel(lintas_level)


def _records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_every_answer_carries_a_fresh_request_id(served: tuple[str, io.StringIO]) -> None:
    base, _ = served
    answers = [httpx.get(f"{base}/hello"), httpx.get(f"{base}/hello"), httpx.get(f"{base}/nowhere")]
    answers.append(httpx.get(f"{base}/boom"))
    assert [a.status_code for a in answers] == [200, 200, 404, 500]
    ids = [a.headers["x-request-id"] for a in answers]
    assert all(_ID.fullmatch(i) for i in ids)
    assert len(set(ids)) == len(ids)  # one per request, never reused
    assert answers[0].json() == {"seen": ids[0]}  # the handler (a worker thread) sees the same id


def test_traceparent_gives_the_request_id(served: tuple[str, io.StringIO]) -> None:
    base, stream = served
    answer = httpx.get(f"{base}/hello", headers={"traceparent": TRACEPARENT})
    assert answer.headers["x-request-id"] == TRACE_ID
    assert answer.json() == {"seen": TRACE_ID}
    line = next(r for r in _records(stream) if r["message"] == "hello served")
    assert line["request_id"] == TRACE_ID


@pytest.mark.parametrize(
    "value",
    [
        TRACEPARENT.upper(),  # uppercase hex
        f"00-{'0' * 32}-00f067aa0ba902b7-01",  # all-zero trace id
        f"00-{TRACE_ID}-{'0' * 16}-01",  # all-zero parent id
        f"ff-{TRACE_ID}-00f067aa0ba902b7-01",  # version ff is invalid
        f"00-{TRACE_ID}-00f067aa0ba902b7-01-extra",  # version 00 has exactly four fields
        f"00-{TRACE_ID[:-1]}-00f067aa0ba902b7-01",  # short trace id
        f"00-{TRACE_ID}x-00f067aa0ba902b7-01",
        "00-evil\nline-00f067aa0ba902b7-01",
        "",
    ],
)
def test_malformed_traceparent_is_ignored(served: tuple[str, io.StringIO], value: str) -> None:
    assert trace_id_of(value) is None
    base, stream = served
    headers = {"traceparent": value} if "\n" not in value else {}  # httpx refuses a newline in a header itself
    answer = httpx.get(f"{base}/hello", headers=headers)
    fresh = answer.headers["x-request-id"]
    assert _ID.fullmatch(fresh)
    assert fresh != TRACE_ID
    assert "00f067aa0ba902b7" not in stream.getvalue()


def test_well_formed_traceparents_are_accepted() -> None:
    """The positive twins of the malformed ones: a later version may append fields (W3C Section 3.2.4)."""
    assert trace_id_of(TRACEPARENT) == TRACE_ID
    assert trace_id_of(f"01-{TRACE_ID}-00f067aa0ba902b7-00-future") == TRACE_ID
    assert trace_id_of(f"cc-{TRACE_ID}-00f067aa0ba902b7-09") == TRACE_ID


def test_two_traceparent_headers_start_afresh(served: tuple[str, io.StringIO]) -> None:
    base, _ = served
    other = f"00-{'a' * 32}-00f067aa0ba902b7-01"
    answer = httpx.get(f"{base}/hello", headers=[("traceparent", TRACEPARENT), ("traceparent", other)])
    assert answer.headers["x-request-id"] not in (TRACE_ID, "a" * 32)


def test_log_lines_of_a_request_carry_its_id_and_others_none(served: tuple[str, io.StringIO]) -> None:
    base, stream = served
    ok = httpx.get(f"{base}/hello").headers["x-request-id"]
    failed = httpx.get(f"{base}/boom").headers["x-request-id"]
    logging.getLogger("lintas.test").info("outside any request")
    records = _records(stream)
    assert next(r for r in records if r["message"] == "hello served")["request_id"] == ok
    error = next(r for r in records if r["level"] == "ERROR")
    assert error["request_id"] == failed
    assert "kaboom-internal" in error["exc"]
    assert "request_id" not in next(r for r in records if r["message"] == "outside any request")


def _post_and_close(base: str, *, body: bytes, sent: int) -> None:
    host, port = base.removeprefix("http://").split(":")
    head = (
        f"POST /echo HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(head + body[:sent])
    time.sleep(0.3)


def test_client_gone_before_its_body_was_read_is_no_error(served: tuple[str, io.StringIO]) -> None:
    base, stream = served
    body = b"state=x&vp_token=" + b"y" * 3000
    _post_and_close(base, body=body, sent=1000)  # half a body, then gone
    _post_and_close(base, body=body, sent=len(body))  # a whole body, gone before it was read
    assert httpx.post(f"{base}/echo", content=body).json() == {"length": len(body)}  # the twin: a client that stays
    records = _records(stream)
    assert not [r for r in records if r["level"] in ("ERROR", "CRITICAL")]
    gone = [r for r in records if r["message"] == "client disconnected before its request was read"]
    assert gone
    assert all(r["level"] == "INFO" and _ID.fullmatch(r["request_id"]) for r in gone)


def test_hsts_only_when_asked_for_and_a_route_may_set_its_own() -> None:
    """SecurityHeaders' Strict-Transport-Security (RFC 6797), pure ASGI like the rest of the shell."""

    def app_with(hsts: int | None) -> FastAPI:
        app = FastAPI()

        @app.get("/plain")
        def plain() -> dict[str, bool]:
            return {"ok": True}

        @app.get("/own")
        def own() -> PlainTextResponse:
            return PlainTextResponse("x", headers={"Strict-Transport-Security": "max-age=60"})

        secure_app(app, development=True, hsts_max_age=hsts)
        return app

    with UvicornServer(app_with(31536000)) as on, UvicornServer(app_with(None)) as off:
        assert httpx.get(f"{on.base_url}/plain").headers["strict-transport-security"] == "max-age=31536000"
        assert httpx.get(f"{on.base_url}/own").headers["strict-transport-security"] == "max-age=60"
        assert "strict-transport-security" not in httpx.get(f"{off.base_url}/plain").headers  # the twin: off
