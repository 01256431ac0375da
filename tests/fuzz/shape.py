"""What every answer to bad input must look like (issues #3-#5).

* never a 5xx (a 503 with ``Retry-After`` is an outage answer, not a crash, but none is expected here);
* never a stack trace or a Python source location in the body;
* a 4xx is spec-shaped: RFC 9457 problem details (``application/problem+json`` with ``title`` and
  the same ``status``), an OAuth error (RFC 6749 Section 5.2 / RFC 6750 Section 3.1 / OpenID4VCI
  Section 8.3.1.2 / OpenID4VP Section 8.5: JSON with a string ``error``), or an HTML page for the
  browser-facing authorization pages.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

__all__ = ["problems_in", "problems_of", "spec_shaped_error", "stack_trace_in"]

_TRACE_MARKERS = ("Traceback (most recent call last)", 'File "/', '.py", line ')


def stack_trace_in(body: str) -> bool:
    """Whether ``body`` carries a Python traceback or source location."""
    return any(marker in body for marker in _TRACE_MARKERS)


def spec_shaped_error(status: int, content_type: str, body: bytes) -> bool:
    """Whether a 4xx answer is problem+json, an OAuth-style error object, or an HTML page."""
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == "text/html":
        return True
    try:
        value: Any = json.loads(body)
    except ValueError:
        return False
    if not isinstance(value, dict):
        return False
    if media_type == "application/problem+json":
        return isinstance(value.get("title"), str) and value.get("status") == status
    return media_type == "application/json" and isinstance(value.get("error"), str)


def problems_in(method: str, status: int, content_type: str, body: bytes) -> list[str]:
    """Everything wrong with an answer to a hostile request (empty when it is clean)."""
    problems: list[str] = []
    text = body.decode("utf-8", "replace")
    if status >= 500:
        problems.append(f"server error {status}: {text[:200]}")
    if stack_trace_in(text):
        problems.append("stack trace in body")
    if 400 <= status < 500 and method.upper() != "HEAD" and not spec_shaped_error(status, content_type, body):
        problems.append(f"{status} is not spec-shaped: {content_type} {text[:120]}")
    return problems


def problems_of(response: httpx.Response) -> list[str]:
    """:func:`problems_in` of an httpx response."""
    return problems_in(
        response.request.method, response.status_code, response.headers.get("content-type", ""), response.content
    )
