"""CORS for services that browser wallets call from another origin (the wallet demo, issue #6).

Origins are named explicitly ('*' is refused) and no credentials are allowed: wallets send
bearer/DPoP tokens in headers, never cookies. Off unless a deployment lists origins.
:func:`check_origins` is the settings-time rule of :mod:`lintas.devmode`: in production every
origin is https (a plain-http origin is a demo convenience), in development every origin is on
loopback.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from lintas.devmode import MODE_ENV, is_loopback_host

__all__ = ["add_cors", "check_origins"]


def check_origins(origins: Sequence[str], setting: str, *, development: bool) -> None:
    """Raise ``ValueError`` naming ``setting``: '*', a non-origin, http in production, non-loopback in development."""
    for origin in origins:
        if origin == "*":
            raise ValueError(f"{setting}: name the wallet origins explicitly; '*' is not accepted")
        parts = urlsplit(origin.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
            raise ValueError(f"{setting}: {origin!r} is not an origin (scheme://host[:port])")
        if development and not is_loopback_host(parts.hostname):
            raise ValueError(f"development mode serves loopback only: {setting} lists {origin!r}")
        if not development and parts.scheme != "https":
            raise ValueError(
                f"production mode refuses plain-http CORS origins ({setting} lists {origin!r}); "
                f"use https or {MODE_ENV}=development on loopback"
            )


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
