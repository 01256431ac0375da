"""Cross-origin access for browser wallets (Fetch Standard, CORS protocol).

A browser wallet runs on its own origin and calls the issuers (metadata, token, nonce and
credential endpoints; OpenID4VCI 1.0 Section 12.2.2 metadata is meant to be fetched by wallets),
the verifier (request and response URIs, OpenID4VP 1.0 Sections 5.10 and 8.2) and the trust
registry. Whether to allow that is a deployment decision, like TLS, so it is applied around an
app rather than inside the services: :func:`allow_origins` wraps any ASGI app.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.middleware.cors import CORSMiddleware

__all__: list[str] = []


def allow_origins(app: Any, origins: Sequence[str]) -> Any:
    """Wrap ``app`` so that pages of ``origins`` may call it (no cookies: wallets send none)."""
    exact = [o.rstrip("/") for o in origins if o != "*"]
    if len(exact) != len(origins):
        raise ValueError("name the wallet origins explicitly; '*' is not accepted")
    return CORSMiddleware(
        app,
        allow_origins=exact,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "DPoP", "Accept"],
        expose_headers=["DPoP-Nonce", "WWW-Authenticate", "ETag"],
        allow_credentials=False,
        max_age=600,
    )
