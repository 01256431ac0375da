"""``lintas verifier`` (run the service) and ``lintas verify`` (offline verification with a policy).

``lintas verify FILE --policy NAME [--nonce N --aud A]`` runs the same pipeline as the service
(issuer signature through the trust registry, registry authorisation, status list, validity,
holder binding, DCQL, relying-party policy) on a presentation without a session. FILE holds one
SD-JWT VC presentation (compact or JWS JSON) or a ``vp_token`` JSON object. On success it prints
the verified credentials as JSON and exits 0; on rejection it prints ``rejected: <reason_code>``
(and the failing check) and exits 1; bad usage exits 2. Settings come from the environment
(``LINTAS_VERIFIER_*``) and the options below; without a registry nothing is trusted.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

__all__ = ["register"]


def _settings(args: argparse.Namespace, **extra: Any) -> Any:
    from verifier.settings import VerifierSettings

    values: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}
    for name in ("data_dir", "config_file", "registry_url", "registry_pin_sha256", "public_url", "redis_url"):
        value = getattr(args, name, None)
        if value is not None:
            values[name] = value
    return VerifierSettings(**values)


def run_service(args: argparse.Namespace) -> int:
    """Start the verifier under uvicorn."""
    from lintas.server import run
    from verifier.app import create_app

    public_url = args.public_url or f"http://localhost:{args.port}"
    development = args.development or args.public_url is None
    if development:
        print(
            "lintas verifier: development mode (loopback http URL, unsigned redirect_uri requests allowed)",
            file=sys.stderr,
        )
    try:
        settings = _settings(args, public_url=public_url, development=development)
    except ValidationError as exc:
        print(f"lintas verifier: invalid configuration: {exc}", file=sys.stderr)
        return 2
    run(create_app(settings), host=args.host, port=args.port)
    return 0


def _vp_token(text: str, query_id: str) -> dict[str, Any]:
    stripped = text.strip()
    if stripped.startswith("{"):
        value = json.loads(stripped)
        if isinstance(value, dict) and ("payload" in value or "signatures" in value):
            return {query_id: [value]}  # one presentation in JWS JSON serialization
        if isinstance(value, dict) and isinstance(value.get("vp_token"), dict):
            return dict(value["vp_token"])
        return dict(value)
    return {query_id: [stripped]}


def run_verify(args: argparse.Namespace) -> int:
    """Verify one presentation offline; print the result."""
    import httpx

    from idcore.oid4vp import AuthorizationError, parse_response_params
    from idcore.ports import FixedClock, SystemClock
    from idcore.trust import TrustListCache
    from verifier.app import build_pipeline, trust_source
    from verifier.pipeline import Expectation, Rejection
    from verifier.policy import ConfigError, load_config

    try:
        # Offline: no public URL is served; status lists over http only on loopback with --development.
        # Development mode serves loopback only (lintas.devmode), so the offline placeholder is loopback there.
        placeholder = "http://localhost" if args.development else "https://verifier.invalid"
        settings = _settings(
            args, public_url=getattr(args, "public_url", None) or placeholder, development=args.development
        )
        config = load_config(settings.config_file, allow_unbound=settings.allow_unbound_presentations)
        policy = config.policies[args.policy]
        text = Path(args.file).read_text(encoding="utf-8")
        vp_token = parse_response_params({"vp_token": _vp_token(text, policy.query.credentials[0].id)}).vp_token
    except (OSError, ValueError, KeyError, ConfigError, AuthorizationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    clock = FixedClock(args.now) if args.now is not None else SystemClock()
    with httpx.Client(timeout=settings.status_timeout, follow_redirects=False) as http:
        source = trust_source(settings, None, http, clock)
        snapshot = source.snapshot if isinstance(source, TrustListCache) else source
        pipeline = build_pipeline(settings, clock=clock, trust=snapshot, http=http)
        try:
            assert vp_token is not None  # noqa: S101 - parse_response_params guarantees it
            checked = pipeline.verify(vp_token, Expectation(policy.query, policy, args.nonce, args.aud))
        except Rejection as exc:
            print(f"rejected: {exc.reason.value} (check: {exc.check.value})")
            return 1
    print(json.dumps([c.to_json() for c in checked], indent=2, ensure_ascii=False))
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", dest="data_dir", type=Path, help="data directory (keys, secrets, embedded store)")
    parser.add_argument("--config", dest="config_file", type=Path, help="relying parties and policies (JSON)")
    parser.add_argument("--registry-url", help="trust registry base URL")
    parser.add_argument("--registry-pin", dest="registry_pin_sha256", help="SHA-256 (hex) of the registry cert")
    parser.add_argument(
        "--development",
        action="store_true",
        help="http on loopback (status lists, public URL), unsigned redirect_uri requests",
    )


def register(subparsers: Any) -> None:
    """Add ``verifier`` and ``verify`` to the ``lintas`` command line."""
    service = subparsers.add_parser("verifier", help="run the OpenID4VP verifier service")
    service.add_argument("--host", default="127.0.0.1")
    service.add_argument("--port", type=int, default=8400)
    service.add_argument("--redis-url", help="Redis URL (default: the embedded store in --data)")
    service.add_argument(
        "--public-url", help="public base URL (default http://localhost:PORT, which implies --development)"
    )
    _common(service)
    service.set_defaults(handler=run_service)

    verify = subparsers.add_parser("verify", help="verify a presentation offline against a named policy")
    verify.add_argument("file", help="presentation (compact SD-JWT, JWS JSON) or vp_token JSON")
    verify.add_argument("--policy", required=True, help="policy name from the configuration")
    verify.add_argument("--nonce", help="expected KB-JWT nonce")
    verify.add_argument("--aud", help="expected KB-JWT aud (the full client_id)")
    verify.add_argument("--now", type=int, help="verification time (UNIX seconds)")
    _common(verify)
    verify.set_defaults(handler=run_verify)
