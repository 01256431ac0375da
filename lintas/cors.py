"""CORS for services that browser wallets call from another origin (the wallet demo, issue #6).

Origins are named explicitly ('*' is refused) and no credentials are allowed: wallets send
bearer/DPoP tokens in headers, never cookies. Off unless a deployment lists origins.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

__all__ = ["add_cors"]


def add_cors(app: FastAPI, origins: Sequence[str]) -> None:
    """Allow pages of ``origins`` to call ``app``; nothing happens for an empty list."""
    if not origins:
        return
    if any(o == "*" for o in origins):
        raise ValueError("name the wallet origins explicitly; '*' is not accepted")
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[o.rstrip("/") for o in origins],
        allow_credentials=False,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Authorization", "DPoP", "Content-Type", "Accept"],
        expose_headers=["DPoP-Nonce", "WWW-Authenticate", "Location", "ETag"],
        max_age=600,
    )
