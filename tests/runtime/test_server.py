"""Running a service for real: uvicorn in a subprocess, JSON log lines, problem answers over a socket."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lintas.server import configure_logging
from lintas.testing import free_port

_ID = re.compile(r"[0-9a-f]{32}")
APP_MODULE = textwrap.dedent(
    """
    import logging
    import sys

    from fastapi import FastAPI

    from lintas.problem import install_error_handlers
    from lintas.server import run, secure_app

    app = FastAPI()
    install_error_handlers(app)
    secure_app(app, development=True)


    @app.get("/hello")
    def hello() -> dict[str, bool]:
        logging.getLogger("demo").info("greeting %s", "you", extra={"who": "test"})
        return {"ok": True}


    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom-internal")


    if __name__ == "__main__":
        run(app, "127.0.0.1", int(sys.argv[1]))
    """
)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    authlib_level = logging.getLogger("authlib").level
    # Other suites may quiet the "lintas" logger tree; this test checks what configure_logging does.
    lintas_level = logging.getLogger("lintas").level
    logging.getLogger("lintas").setLevel(logging.NOTSET)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("authlib").setLevel(authlib_level)
    logging.getLogger("lintas").setLevel(lintas_level)


@pytest.mark.usefixtures("restore_logging")
def test_configure_logging_writes_one_json_object_per_line() -> None:
    out = io.StringIO()
    configure_logging("DEBUG", stream=out)
    configure_logging("DEBUG", stream=out)  # idempotent: still one handler
    log = logging.getLogger("lintas.test")
    log.info("issued %d credentials", 3, extra={"issuer": "id.example"})
    try:
        raise ValueError("bad input")
    except ValueError:
        log.exception("failed")
    # authlib logs access tokens at DEBUG: held back even at DEBUG.
    logging.getLogger("authlib.oauth2.rfc6749.grants.client_credentials").debug("Issue token eyJsecret")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "issued 3 credentials"
    assert (first["level"], first["logger"], first["issuer"]) == ("INFO", "lintas.test", "id.example")
    assert first["time"].endswith("+00:00")
    assert second["exc_type"] == "ValueError"
    assert "Traceback" in second["exc"]
    assert "eyJsecret" not in out.getvalue()


def _wait_until_up(base_url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert proc.poll() is None, "server exited early"
        try:
            httpx.get(f"{base_url}/hello", timeout=0.5)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("server did not come up")


@pytest.mark.parametrize("access_log", [False, True])
def test_run_serves_with_json_logs_and_problem_answers(tmp_path: Path, access_log: bool) -> None:
    """uvicorn's access log is off unless ``LINTAS_ACCESS_LOG=true`` (lintas.server.ServerSettings)."""
    (tmp_path / "demo_app.py").write_text(APP_MODULE)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "LINTAS_ACCESS_LOG"}
    if access_log:
        env["LINTAS_ACCESS_LOG"] = "true"
    proc = subprocess.Popen(
        [sys.executable, str(tmp_path / "demo_app.py"), str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        _wait_until_up(base_url, proc)
        hello = httpx.get(f"{base_url}/hello")
        boom = httpx.get(f"{base_url}/boom")
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=15)
    assert hello.json() == {"ok": True}
    assert "server" not in hello.headers
    assert hello.headers["x-request-id"] != boom.headers["x-request-id"]
    assert boom.status_code == 500
    assert boom.headers["content-type"] == "application/problem+json"
    assert "kaboom" not in boom.text
    assert "Traceback" not in boom.text
    records = [json.loads(line) for line in stderr.splitlines() if line.strip()]  # every line is JSON
    assert any(r.get("who") == "test" and r["message"] == "greeting you" for r in records)
    access = [r for r in records if r["logger"] == "uvicorn.access" and "/hello" in r["message"]]
    assert bool(access) is access_log
    # _wait_until_up's probes of /hello are logged too: each line carries its request's id.
    assert all(_ID.fullmatch(r.get("request_id", "")) for r in access)
    assert (hello.headers["x-request-id"] in {r["request_id"] for r in access}) is access_log
    errors = [r for r in records if r["level"] == "ERROR" and "kaboom-internal" in r.get("exc", "")]
    assert len(errors) == 1  # logged once, with its traceback, only in the log


def test_access_log_lines_lose_their_query_and_libraries_stay_quiet() -> None:
    """Response codes and request URIs travel in queries: the access log keeps the path only (issue #12)."""
    stream = io.StringIO()
    handler = configure_logging("DEBUG", stream=stream)
    access = logging.getLogger("uvicorn.access")
    state = access.disabled, access.level
    access.disabled, access.level = False, logging.NOTSET  # other suites' servers may have silenced it
    try:
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", "/rp/x?response_code=SECRETCODE", "1.1", 200)
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", "/healthz", "1.1", 200)  # the twin: no query
        logging.getLogger("httpx").info("HTTP Request: GET http://v/?response_code=SECRETCODE")
        logging.getLogger("httpcore.http11").debug("headers [(b'set-cookie', b'SECRETCODE')]")
    finally:
        logging.getLogger().removeHandler(handler)
        access.disabled, access.level = state
    lines = [json.loads(line)["message"] for line in stream.getvalue().splitlines()]
    assert lines == ['127.0.0.1:5 - "GET /rp/x?… HTTP/1.1" 200', '127.0.0.1:5 - "GET /healthz HTTP/1.1" 200']
    assert "SECRETCODE" not in stream.getvalue()


@pytest.mark.usefixtures("restore_logging")
def test_json_lines_hold_any_extra_value() -> None:
    """orjson writes the lines; values JSON cannot hold become strings, huge integers still serialise."""
    out = io.StringIO()
    configure_logging("INFO", stream=out)
    log = logging.getLogger("lintas.test")
    log.info("ünïcode kept", extra={"path": Path("/x"), "big": 2**70, "country": "Việt Nam"})
    log.info("plain", extra={"count": 3})
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert (first["message"], first["path"], first["big"], first["country"]) == (
        "ünïcode kept",
        "/x",
        2**70,
        "Việt Nam",
    )
    assert "\\u" not in out.getvalue()  # UTF-8 as is, not escaped
    assert second["count"] == 3
