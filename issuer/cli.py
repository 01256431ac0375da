"""``lintas issuer --country CC --host H --port P --data DIR [--redis-url URL]``: run one national issuer.

The public URL defaults to ``http://<host>:<port>``, which only development mode accepts
(``LINTAS_MODE=development``, loopback only, :mod:`lintas.devmode`); behind a TLS proxy pass
``--public-url https://...``. Every other setting comes from ``LINTAS_ISSUER_*`` environment
variables (see :class:`issuer.settings.IssuerSettings`).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

__all__: list[str] = []


def _run(args: argparse.Namespace) -> int:
    from issuer.app import create_app
    from issuer.settings import IssuerSettings
    from lintas.server import run

    public_url = args.public_url or f"http://{args.host}:{args.port}"
    overrides: dict[str, Any] = {"country": args.country, "public_url": public_url, "data_dir": Path(args.data)}
    if args.redis_url or os.environ.get("REDIS_URL"):
        overrides["redis_url"] = args.redis_url or os.environ["REDIS_URL"]
    try:
        settings = IssuerSettings(**overrides)
        app = create_app(settings)
        run(app, host=args.host, port=args.port, log_level=args.log_level)
    except ValueError as exc:
        print(f"lintas issuer: {exc}")
        return 2
    return 0


def register(subparsers: Any) -> None:
    """Add ``lintas issuer``."""
    parser = subparsers.add_parser(
        "issuer",
        help="run a national credential issuer (OpenID4VCI 1.0)",
        description="Serve one member state's PID and business-registration issuers.",
    )
    parser.add_argument("--country", required=True, help="ISO 3166-1 alpha-2 code of the member state (e.g. SG)")
    parser.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8101, help="listen port (default 8101)")
    parser.add_argument("--data", default="data", help="data directory (keys, certificates, embedded store)")
    parser.add_argument("--redis-url", default=None, help="Redis URL (default: $REDIS_URL, else the embedded store)")
    parser.add_argument("--public-url", default=None, help="public base URL (default http://HOST:PORT)")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    parser.set_defaults(handler=_run)
