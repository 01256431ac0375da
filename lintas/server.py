"""Running a service: uvicorn with one-line JSON logs, request ids, and the security headers of every response.

:func:`configure_logging` sends every log record (ours, uvicorn's, libraries') to one handler
that writes a JSON object per line, so logs can be shipped and queried without parsing prose;
each line written while a request is served carries its ``request_id`` (:mod:`lintas.requestid`).
Library loggers that would print credentials at DEBUG (authlib logs issued tokens) are held at
WARNING. :func:`run` serves an app built by a service's ``create_app`` on a loopback address
unless told otherwise, and refuses a non-loopback address for an app in development mode. It runs
uvicorn on uvloop and httptools (C event loop and HTTP/1.1 parser); uvicorn's access log (one line
per request) is off unless ``LINTAS_ACCESS_LOG=true``: the services log what they decide, with the
request id, and an access log belongs to the reverse proxy or is turned on to debug.

:func:`secure_app` installs, outermost, :class:`lintas.requestid.RequestContext` (``X-Request-Id``
on every response, W3C ``traceparent`` honoured) and answers a client that disconnected before its
request body was read without an error: nothing was processed and nobody is left to answer.

:class:`SecurityHeaders` (installed by :func:`secure_app` in every service) is one pure-ASGI
middleware: ``X-Content-Type-Options: nosniff`` (Fetch Standard Section 3.5) and
``Referrer-Policy: no-referrer`` on every response; a strict ``Content-Security-Policy`` (CSP
Level 3) on every HTML page that does not set a stricter one of its own; ``Cache-Control:
no-store`` (RFC 9111 Section 5.2.2.5) on every response that does not declare itself cacheable,
so tokens and personal data are never stored by a cache — public metadata routes set a
``max-age`` themselves.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import sys
import traceback
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Protocol, TextIO

import orjson
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.datastructures import MutableHeaders
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lintas.devmode import require_loopback_bind
from lintas.requestid import RequestContext, RequestIdFilter

__all__ = [
    "CLIENT_CLOSED",
    "STRICT_CSP",
    "JsonFormatter",
    "SecurityHeaders",
    "ServerSettings",
    "closing_lifespan",
    "configure_logging",
    "csp_with_inline",
    "run",
    "secure_app",
]

#: The CSP of an HTML page that sets none: only same-origin scripts, styles and images, no framing, no plugins.
STRICT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# FastAPI's Swagger UI and ReDoc (development only) load their bundles from jsDelivr with an inline bootstrap.
_DOCS_CSP = (
    "default-src 'none'; script-src 'self' https://cdn.jsdelivr.net 'unsafe-inline'; "
    "style-src 'self' https://cdn.jsdelivr.net https://fonts.googleapis.com 'unsafe-inline'; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https:; connect-src 'self'; "
    "worker-src blob:; frame-ancestors 'none'; base-uri 'none'"
)
_DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is logged.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's ANSI-coloured duplicate of the message
}
# Loggers that print secrets at DEBUG/INFO: authlib (issued tokens), httpx (request URLs with their query:
# response codes), httpcore and hpack (response headers: Set-Cookie, DPoP nonces).
_QUIET_LOGGERS = ("authlib", "httpx", "httpcore", "hpack")
_HANDLER_MARK = "_lintas_json_handler"


class RedactQuery(logging.Filter):
    """Drop the query string from uvicorn's access log lines: codes and tokens travel in queries
    (``response_code``, ``request_uri``, OpenID4VP 1.0 Section 13.3), paths identify the route."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the path argument of an access record; every record passes."""
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) >= 3 and "?" in str(args[2]):
            record.args = (*args[:2], str(args[2]).split("?", 1)[0] + "?…", *args[3:])
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: ``time``, ``level``, ``logger``, ``message``, extras, ``exc``."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a single line of JSON."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRS and not name.startswith("_"):
                entry[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__name__
            entry["exc"] = "".join(traceback.format_exception(*record.exc_info))
        try:
            # orjson: one line per request on the hot path, written in C; str() for what JSON cannot hold.
            return orjson.dumps(entry, default=str).decode("utf-8")
        except TypeError:  # what orjson refuses outright (integers beyond 64 bits, non-string keys)
            return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str | int = "INFO", stream: TextIO | None = None) -> logging.Handler:
    """Send all logging to one JSON-lines handler on ``stream`` (stderr); safe to call again."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactQuery())
    handler.addFilter(RequestIdFilter())
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # uvicorn's loggers propagate to the root handler instead of printing their own format.
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler


def _sha256_source(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


def csp_with_inline(*, styles: Iterable[str] = (), scripts: Iterable[str] = (), form_action: Iterable[str] = ()) -> str:
    """:data:`STRICT_CSP` allowing exactly the given inline ``<style>``/``<script>`` bodies (by SHA-256 hash).

    ``form_action`` adds origins a form may submit (or be redirected) to, e.g. an OAuth client's redirect URI.
    """
    style = " ".join(["'self'", *(_sha256_source(s) for s in styles)])
    script = " ".join(["'self'", *(_sha256_source(s) for s in scripts)])
    action = " ".join(["'self'", *form_action])
    return (
        f"default-src 'none'; script-src {script}; style-src {style}; img-src 'self' data:; connect-src 'self'; "
        f"form-action {action}; frame-ancestors 'none'; base-uri 'none'"
    )


class SecurityHeaders:
    """Pure-ASGI middleware adding the security headers of every response (see the module docstring).

    Headers a route set itself win (a page with its own CSP, a metadata route with its ``max-age``);
    streamed responses pass through unbuffered, since only the start message is touched.
    ``hsts_max_age`` adds ``Strict-Transport-Security: max-age=N`` (RFC 6797 Section 6.1) to every
    response, for a service whose public URL is https; off by default (a plain-http demo must not
    pin browsers to https).
    """

    def __init__(self, app: ASGIApp, *, csp: str = STRICT_CSP, hsts_max_age: int | None = None) -> None:
        self.app = app
        self.csp = csp
        self.hsts = None if hsts_max_age is None else f"max-age={int(hsts_max_age)}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap ``send`` to complete the headers of the response start message."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers.setdefault("Referrer-Policy", "no-referrer")
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
                is_html = headers.get("content-type", "").lower().startswith("text/html")
                if is_html and "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = _DOCS_CSP if path in _DOCS_PATHS else self.csp
                if self.hsts is not None:
                    headers.setdefault("Strict-Transport-Security", self.hsts)
            await send(message)

        await self.app(scope, receive, send_with_headers)


#: Status recorded (metrics, access log) for a request whose client left before it was read; never sent.
CLIENT_CLOSED = 499
_log = logging.getLogger("lintas.server")


async def _client_gone(request: Request, exc: Exception) -> Response:
    """A client that closed its connection before its body was read: not an error of ours.

    uvicorn reports the disconnect before any unread body, so nothing of the request was processed
    (a wallet's response stays unanswered and its transaction open). Logged at INFO, without an
    exception; the answer goes nowhere (uvicorn drops sends to a closed connection).
    """
    _log.info("client disconnected before its request was read", extra={"method": request.method})
    return Response(status_code=CLIENT_CLOSED)


def secure_app(app: Any, *, development: bool, csp: str = STRICT_CSP, hsts_max_age: int | None = None) -> None:
    """Install :class:`SecurityHeaders` and, outermost, :class:`~lintas.requestid.RequestContext` on a
    FastAPI ``app``, answer client disconnects quietly, and record the app's mode for :func:`run`.

    ``hsts_max_age``: send ``Strict-Transport-Security`` (only for a service served over https).
    """
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_middleware(SecurityHeaders, csp=csp, hsts_max_age=hsts_max_age)
    app.add_middleware(RequestContext)  # added last, so outermost: error answers and their log lines carry the id
    app.state.development = development


class ServerSettings(BaseSettings):
    """How :func:`run` serves, from the environment (``LINTAS_`` prefix)."""

    model_config = SettingsConfigDict(env_prefix="LINTAS_", extra="ignore")

    #: uvicorn's access log, one JSON line per request (path without its query): off by default.
    access_log: bool = False


def run(app: Any, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info", **options: Any) -> None:
    """Serve ``app`` with uvicorn until interrupted; ``options`` go to ``uvicorn.run``.

    The ``Server`` header is off (no version banner), logs are JSON lines, the event loop is uvloop
    and the HTTP parser httptools, the access log follows :class:`ServerSettings`. An app in
    development mode (:func:`secure_app`) is served on loopback only (``ValueError`` otherwise).
    """
    import uvicorn

    state = getattr(app, "state", None)
    require_loopback_bind(host, bool(getattr(state, "development", False)))
    configure_logging(log_level)
    settings: dict[str, Any] = {
        "server_header": False,
        "log_config": None,
        "log_level": log_level,
        "loop": "uvloop",
        "http": "httptools",
        "access_log": ServerSettings().access_log,
        **options,
    }
    uvicorn.run(app, host=host, port=port, **settings)


class _Closable(Protocol):
    def close(self) -> None: ...


def closing_lifespan(resources: Sequence[_Closable]) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A FastAPI ``lifespan`` that closes ``resources`` (stores, HTTP clients the app owns) at shutdown."""

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        yield
        for resource in resources:
            resource.close()

    return lifespan
