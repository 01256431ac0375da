"""One id per request: in the ``X-Request-Id`` response header and in every log line written for it.

:class:`RequestContext` is a pure-ASGI middleware (no task, no stream per request: it wraps ``send``
only). The id of a request is the trace id of a well-formed W3C ``traceparent`` header (Trace
Context, W3C Recommendation 23 November 2021, Section 3.2: ``version-traceid-parentid-flags``),
so a request keeps the id its caller's tracing already gave it; otherwise a fresh 128-bit random
id in the same shape (32 lowercase hex digits), which a tracing system can adopt as its trace id.
A malformed ``traceparent`` is ignored, as Section 3.2 asks ("the vendor MUST ... restart the
trace"): its content never reaches a header or a log. An incoming ``X-Request-Id`` is not taken
over: it is whatever a client chose, and would let anyone put text of their choosing in our logs.

The id lives in a :class:`contextvars.ContextVar` for the life of the request; each request runs in
its own task (uvicorn), and worker threads (``run_in_threadpool``) copy the context, so the value
never leaks to another request. :class:`RequestIdFilter`, installed on the JSON log handler by
:func:`lintas.server.configure_logging`, adds ``request_id`` to every record written meanwhile.
Nothing else about the request is logged here: the id is random or the caller's trace id, never
personal data, and keeping logs (with their ids) is the deployment's log retention.
"""

from __future__ import annotations

import logging
import re
import secrets
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["REQUEST_ID_HEADER", "RequestContext", "RequestIdFilter", "current_request_id", "trace_id_of"]

#: The response header carrying the request id.
REQUEST_ID_HEADER = "X-Request-Id"
_HEADER_BYTES = REQUEST_ID_HEADER.lower().encode("ascii")

_request_id: ContextVar[str | None] = ContextVar("lintas_request_id", default=None)

# Section 3.2.2: version (2 hex, not ff), trace-id (32 hex, not all zero), parent-id (16 hex, not all zero),
# flags (2 hex); lowercase only. Version 00 is exactly these 55 characters; a later version may append
# fields after a dash (Section 3.2.4), which are not ours to read.
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?", re.ASCII | re.DOTALL)
_MAX_TRACEPARENT = 512  # a header longer than this is refused unread


def trace_id_of(traceparent: str) -> str | None:
    """The trace id of a well-formed ``traceparent`` value, else ``None`` (W3C Trace Context Section 3.2)."""
    if len(traceparent) > _MAX_TRACEPARENT:
        return None
    match = _TRACEPARENT.fullmatch(traceparent.strip(" \t"))
    if match is None:
        return None
    version, trace_id, parent_id, _, rest = match.groups()
    if version == "ff" or (version == "00" and rest is not None):
        return None
    if trace_id == "0" * 32 or parent_id == "0" * 16:
        return None
    return trace_id


def current_request_id() -> str | None:
    """The id of the request being served in this context, or ``None`` outside a request."""
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Add ``request_id`` to each record written while a request is served (every record passes)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Attach the current request id unless the record carries one already."""
        request_id = _request_id.get()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        return True


def _incoming_trace_id(scope: Scope) -> str | None:
    values = [value for name, value in scope.get("headers", ()) if name == b"traceparent"]
    if len(values) != 1:  # absent, or repeated: which one would be the caller's? Start afresh.
        return None
    try:
        return trace_id_of(values[0].decode("ascii"))
    except UnicodeDecodeError:
        return None


class RequestContext:
    """Pure-ASGI middleware giving each HTTP request its id (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Set the id for this request's context and add ``X-Request-Id`` to its response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_trace_id(scope) or secrets.token_hex(16)
        token = _request_id.set(request_id)
        header = (_HEADER_BYTES, request_id.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(n, v) for n, v in message.get("headers", ()) if n.lower() != _HEADER_BYTES]
                message["headers"] = [*kept, header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            # An app called in the caller's own task (in-process test transports) must not keep the id.
            _request_id.reset(token)
