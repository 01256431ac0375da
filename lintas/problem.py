"""HTTP error answers: RFC 9457 problem details and RFC 6749 / RFC 6750 OAuth error bodies.

Every service calls :func:`install_error_handlers` in its app factory so that bad input gets a
clear, spec-shaped error and never a stack trace:

* a malformed or invalid request body (``RequestValidationError``) -> 400 ``application/problem+json``
  (RFC 9457 Section 3: ``type``, ``title``, ``status``, ``detail``), listing where validation failed
  but never echoing the submitted values;
* ``HTTPException`` (404, 405, ...) -> problem+json with its status and headers;
* :class:`OAuthHTTPException` -> the OAuth error JSON (RFC 6749 Section 5.2 /
  RFC 6750 Section 3) with its ``WWW-Authenticate`` header;
* :class:`~lintas.kv.StoreUnavailable` -> 503 problem+json with ``Retry-After``;
* any other exception -> 500 problem+json with a generic detail; the traceback goes to the log only.

:func:`limit_body` caps request bodies as they stream in (a body sent without ``Content-Length``,
chunked, is counted too) and answers 413 problem+json (RFC 9110 Section 15.5.14).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lintas.kv import StoreUnavailable

__all__ = [
    "PROBLEM_JSON",
    "OAuthHTTPException",
    "install_error_handlers",
    "limit_body",
    "oauth_error",
    "problem",
]

PROBLEM_JSON = "application/problem+json"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
logger = logging.getLogger("lintas.problem")


def problem(
    status: int,
    title: str,
    detail: str = "",
    *,
    type_: str = "about:blank",
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """Build an ``application/problem+json`` response (RFC 9457 Section 3.1); ``extra`` adds members."""
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_JSON)


def oauth_error(
    status: int, error: str, description: str | None = None, *, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """Build an OAuth error response (RFC 6749 Section 5.2): ``{"error", "error_description"}``, no-store."""
    body = {"error": error}
    if description:
        body["error_description"] = description
    return JSONResponse(body, status_code=status, headers={**_NO_STORE, **(headers or {})})


class OAuthHTTPException(HTTPException):
    """An HTTP error that must be answered in OAuth form (e.g. a bearer token failure, RFC 6750 3.1)."""

    def __init__(
        self, status_code: int, error: str, description: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(status_code, detail=description, headers=dict(headers or {}))
        self.error = error
        self.description = description


def _validation_locations(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Only where and what kind of failure: the submitted value may be a secret.
    return [
        {"loc": [str(part) for part in err.get("loc", ())], "type": str(err.get("type", "invalid"))}
        for err in exc.errors()[:20]
    ]


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this type only
    locations = _validation_locations(exc)
    if any(item["type"] == "json_invalid" for item in locations):
        return problem(400, "Malformed request", "The request body is not valid JSON.")
    return problem(400, "Invalid request", "The request does not match the expected shape.", errors=locations)


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for this type only
    headers = dict(exc.headers or {})
    if isinstance(exc, OAuthHTTPException):
        return oauth_error(exc.status_code, exc.error, exc.description, headers=headers)
    from http import HTTPStatus

    try:
        title = HTTPStatus(exc.status_code).phrase
    except ValueError:
        title = "Error"
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else ""
    return problem(exc.status_code, title, detail, headers=headers)


async def _on_store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("storage unavailable on %s %s: %s", request.method, request.url.path, exc)
    return problem(
        503, "Service Unavailable", "Storage is temporarily unavailable; retry later.", headers={"Retry-After": "5"}
    )


def _internal_error() -> JSONResponse:
    return problem(500, "Internal Server Error", "An unexpected error occurred.")


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _internal_error()


class _CatchUnexpected:
    """ASGI middleware turning an uncaught exception into a 500 problem (and a log line).

    Starlette's own ``Exception`` handler re-raises after answering, which makes servers log the
    error twice and in-process test clients raise; catching here ends the error's journey.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            logger.error("unhandled error on %s %s", scope.get("method"), scope.get("path"), exc_info=exc)
            if started:  # headers are out: nothing valid can be sent any more
                raise
            await _internal_error()(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Register the problem+json / OAuth error handlers and the catch-all on ``app``."""
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_exception)
    app.add_exception_handler(StoreUnavailable, _on_store_unavailable)
    app.add_exception_handler(Exception, _on_unexpected)  # for errors raised by outer middleware
    app.add_middleware(_CatchUnexpected)


class _BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a body passes its cap; answered by :func:`_on_http_exception`."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, detail=f"bodies are limited to {max_bytes} bytes")


class _BodyLimit:
    """ASGI middleware: refuse a declared ``Content-Length`` over the cap unread; a body without one
    (chunked) is read here up to the cap and replayed to the app, or refused with 413 once it passes
    the cap — the app never sees an oversized body, whatever layer of it reads the body."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            exc = _BodyTooLarge(self.max_bytes)
            await problem(413, "Request too large", str(exc.detail))(scope, receive, send)
            return
        if declared is not None:
            await self.app(scope, receive, send)  # the server holds the body to its declared length
            return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nothing to answer
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                exc = _BodyTooLarge(self.max_bytes)
                await problem(413, "Request too large", str(exc.detail))(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body, replayed = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def limit_body(app: FastAPI, max_bytes: int) -> None:
    """Cap request bodies of ``app`` at ``max_bytes`` (413 problem+json), streamed bodies included."""
    app.add_middleware(_BodyLimit, max_bytes=max_bytes)
