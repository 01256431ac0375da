"""``lintas wallet --host H --port P --data DIR``: serve the browser wallet and the relying-party demo.

Service URLs come from the options, else from ``<data>/stack.json`` when ``lintas demo`` wrote
one (each service's name and base URL). The wallet judges relying parties by the relying-party
CAs of the registry's signed list when ``LINTAS_WALLET_REGISTRY_PIN_SHA256`` is set (else, in
development only, by the one CA file ``<data>/verifier/rp-ca.pem``); the relying-party demo's
client secrets come from ``LINTAS_WALLET_RP_CLIENTS`` (a JSON object client id -> secret).
The issuers, verifier and registry must allow the wallet's origin
(``LINTAS_<SERVICE>_CORS_ALLOW_ORIGINS``, as ``lintas demo`` sets).
Plain-http loopback URLs (the default) need ``LINTAS_MODE=development`` (:mod:`lintas.devmode`).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

__all__ = ["stack_urls"]

_ISSUER_KEY = re.compile(r"issuer[-_ ]?([A-Za-z]{2})$")


def _entries(doc: Any) -> list[tuple[str, str]]:
    if isinstance(doc, dict) and isinstance(doc.get("services"), list | dict):
        doc = doc["services"]
    if isinstance(doc, dict):
        return [(str(k), v if isinstance(v, str) else str((v or {}).get("base_url", ""))) for k, v in doc.items()]
    if isinstance(doc, list):
        services = [s for s in doc if isinstance(s, dict)]
        return [(str(s.get("name", "")), str(s.get("base_url") or s.get("url") or "")) for s in services]
    return []


def stack_urls(data_dir: Path) -> dict[str, Any]:
    """Registry, verifier and issuer URLs from ``<data>/stack.json`` (empty when there is none)."""
    path = data_dir / "stack.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found: dict[str, Any] = {"issuers": {}}
    for name, url in _entries(doc):
        lowered = name.lower()
        match = _ISSUER_KEY.search(lowered)
        if match and url:
            found["issuers"][match.group(1).upper()] = url
        elif "registry" in lowered and url:
            found["registry_url"] = url
        elif "verifier" in lowered and url:
            found["verifier_url"] = url
    return found


def _issuers(values: list[str]) -> dict[str, str]:
    out = {}
    for value in values:
        country, sep, url = value.partition("=")
        if not sep or len(country) != 2 or not url:
            raise ValueError(f"--issuer expects CC=URL, got {value!r}")
        out[country.upper()] = url
    return out


def run(args: argparse.Namespace) -> int:
    """Start the wallet demo under uvicorn."""
    from lintas.server import run as serve
    from wallet_demo.app import create_app
    from wallet_demo.settings import WalletSettings

    data_dir = Path(args.data)
    values: dict[str, Any] = {"issuers": {}, **stack_urls(data_dir)}
    try:
        values["issuers"].update(_issuers(args.issuer or []))
        for name in ("verifier_url", "registry_url"):
            if getattr(args, name):
                values[name] = getattr(args, name)
        settings = WalletSettings(
            public_url=args.public_url or f"http://{args.host}:{args.port}", data_dir=data_dir, **values
        )
        serve(create_app(settings), host=args.host, port=args.port)
    except ValueError as exc:
        print(f"lintas wallet: {exc}")
        return 2
    return 0


def register(subparsers: Any) -> None:
    """Add ``lintas wallet``."""
    parser = subparsers.add_parser(
        "wallet",
        help="run the browser wallet and the relying-party demo",
        description="Serve the browser wallet (no build step) and the relying-party demo pages.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8500, help="listen port (default 8500)")
    parser.add_argument("--data", default="data", help="the demo data directory shared with the other services")
    parser.add_argument("--public-url", default=None, help="public base URL (default http://HOST:PORT)")
    parser.add_argument("--verifier-url", default=None, help="verifier base URL (default from stack.json)")
    parser.add_argument("--registry-url", default=None, help="trust registry base URL (default from stack.json)")
    parser.add_argument("--issuer", action="append", metavar="CC=URL", help="a national issuer's base URL (repeatable)")
    parser.set_defaults(handler=run)
