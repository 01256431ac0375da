"""A service's landing answer at ``/``: what it is and where its API documentation lives.

Every Lintas service prints its base URL (``lintas demo``, compose); a person who opens it
should get a useful answer, not a 404. Browsers get a small HTML page, programs JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

__all__ = ["add_landing"]


def add_landing(app: FastAPI, *, service: str, summary: str, links: Mapping[str, str]) -> None:
    """Serve ``GET /``: the service name, a one-line summary, and links (path -> what it is)."""
    # The API documentation is linked only where it is served (development mode, lintas.devmode).
    docs = {app.docs_url: "API documentation (OpenAPI)"} if app.docs_url else {}
    index: dict[str, Any] = {"service": service, "summary": summary, "docs": app.docs_url, "links": dict(links)}

    @app.get("/", include_in_schema=False)
    def landing(request: Request) -> Response:
        if "text/html" not in request.headers.get("accept", ""):
            return JSONResponse(index)
        items = "".join(
            f'<li><a href="{escape(path)}"><code>{escape(path)}</code></a> — {escape(text)}</li>'
            for path, text in {**docs, **links}.items()
        )
        page = (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(service)}</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
            f"<body><main><h1>{escape(service)}</h1><p>{escape(summary)}</p><ul>{items}</ul></main></body></html>"
        )
        return HTMLResponse(page)
