"""``lintas verifier`` (the service; ``check-config``, ``federation-key``, ``rp``) and ``lintas verify`` (offline).

``lintas verifier`` reads every setting from ``LINTAS_VERIFIER_*`` (options override); it refuses
to start (exit 2, with what to fix) on invalid settings, an invalid policy file or an access
certificate that does not fit the public URL. ``lintas verifier check-config`` prints the
effective configuration and the checks of :mod:`verifier.checkconfig` (exit 1 on a failure).

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
import os
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from lintas.devmode import MODE_ENV
from lintas_cli.relying_parties import register_rp

__all__ = ["register"]


def _settings(args: argparse.Namespace, **extra: Any) -> Any:
    from verifier.settings import VerifierSettings

    values: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}
    for name in ("data_dir", "config_file", "registry_url", "registry_pin_sha256", "public_url", "redis_url"):
        value = getattr(args, name, None)
        if value is not None:
            values[name] = value
    return VerifierSettings(**values)


def _service_settings(args: argparse.Namespace) -> Any:
    """Settings for the service: options over ``LINTAS_VERIFIER_*`` over defaults.

    Only when no public URL is configured at all (option or environment) and ``LINTAS_MODE`` is
    unset does ``lintas verifier`` run the local demo: ``http://localhost:PORT`` in development mode.
    """
    extra: dict[str, Any] = {}
    if args.development:
        extra["development"] = True
    if args.public_url is None and "LINTAS_VERIFIER_PUBLIC_URL" not in os.environ:
        extra["public_url"] = f"http://localhost:{args.port}"
        if MODE_ENV not in os.environ:
            extra["development"] = True
            print("lintas verifier: no public URL configured: local demo in development mode", file=sys.stderr)
    return _settings(args, **extra)


def run_service(args: argparse.Namespace) -> int:
    """Start the verifier under uvicorn; refuse (exit 2) a configuration that cannot be right."""
    from lintas.server import run
    from verifier.app import create_app
    from verifier.keys import CertificateMismatch
    from verifier.policy import ConfigError

    try:
        settings = _service_settings(args)
        app = create_app(settings)
    except ValidationError as exc:
        print(f"lintas verifier: invalid configuration: {_explain(exc)}", file=sys.stderr)
        return 2
    except (CertificateMismatch, ConfigError, ValueError) as exc:
        print(f"lintas verifier: refusing to start: {exc}", file=sys.stderr)
        return 2
    run(app, host=args.host, port=args.port, **server_options(settings))
    return 0


def server_options(settings: Any) -> dict[str, Any]:
    """uvicorn's TLS and proxy options: TLS when configured; forwarded headers from the trusted proxies only."""
    options: dict[str, Any] = {"proxy_headers": bool(settings.trusted_proxies)}
    if settings.trusted_proxies:
        options["forwarded_allow_ips"] = ",".join(settings.trusted_proxies)
    if settings.tls_certfile is not None:
        options |= {"ssl_certfile": str(settings.tls_certfile), "ssl_keyfile": str(settings.tls_keyfile)}
    return options


def _explain(exc: ValidationError) -> str:
    """One line per invalid setting: its name and what is wrong (values are not echoed: they may be secret)."""
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(p) for p in error["loc"]) or "settings"
        lines.append(f"{where}: {error['msg']}")
    return "; ".join(lines)


def run_check_config(args: argparse.Namespace) -> int:
    """Print the effective configuration (secrets masked) and every check; exit 1 on any failure."""
    import httpx

    from idcore.ports import SystemClock
    from verifier.checkconfig import effective_config, run_checks

    try:
        settings = _service_settings(args)
    except ValidationError as exc:
        print(f"FAIL settings: {_explain(exc)}")
        return 1
    print(json.dumps(effective_config(settings), indent=2, sort_keys=True, default=str))
    clock = SystemClock()
    with httpx.Client(timeout=settings.status_timeout, follow_redirects=False) as http:
        findings = run_checks(settings, http, clock.now)
    for finding in findings:
        print(f"{finding.level:4} {finding.check}: {finding.message}")
    return 1 if any(f.level == "FAIL" for f in findings) else 0


def run_federation_key(args: argparse.Namespace) -> int:
    """Print the registration body of the verifier's federation entity key; exit 2 on bad settings, 1 on a key error.

    ``{"entity_id", "keys": [public JWK]}`` is what a member state's operator registers with the
    registry (``POST /v1/governance/countries/{CC}/verifier-entities``, adding a ``note``). The key
    is created on first use, in the PKCS#11 token when ``key_backend`` is ``pkcs11``
    (:func:`verifier.keys.federation_signer`); only its public part is printed.
    """
    from idcore.errors import IdcoreError
    from idcore.trust.federation_keys import normalise_jwk
    from verifier.keys import federation_signer, request_key_store

    try:
        settings = _service_settings(args)
    except ValidationError as exc:
        print(f"lintas verifier federation-key: invalid configuration: {_explain(exc)}", file=sys.stderr)
        return 2
    pin = settings.pkcs11_user_pin.get_secret_value() if settings.pkcs11_user_pin else None
    try:
        store = request_key_store(settings.key_backend, settings.pkcs11_library, settings.pkcs11_token_label, pin)
        jwk = normalise_jwk(federation_signer(settings.data_dir, store).public_jwk)
    except (IdcoreError, ValueError) as exc:
        detail = exc.detail if isinstance(exc, IdcoreError) else str(exc)
        print(f"lintas verifier federation-key: {detail}", file=sys.stderr)
        return 1
    print(json.dumps({"entity_id": settings.base_url, "keys": [jwk]}, indent=2))
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
    parser.add_argument(
        "--registry-pin",
        dest="registry_pin_sha256",
        help="SHA-256 (hex) of the registry's list-signing certificate; a comma list during a rollover",
    )
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
        "--public-url",
        help="public base URL (default: LINTAS_VERIFIER_PUBLIC_URL; with neither, the local demo on "
        "http://localhost:PORT in development mode)",
    )
    _common(service)
    service.set_defaults(handler=run_service)
    actions = service.add_subparsers(dest="action", metavar="ACTION")
    # Options may come before or after the action: SUPPRESS keeps the action's absent options from
    # overwriting what was given to ``lintas verifier`` itself.
    check = actions.add_parser(
        "check-config", help="print the effective configuration and check it", argument_default=argparse.SUPPRESS
    )
    check.add_argument("--redis-url", help="Redis URL")
    check.add_argument("--public-url", help="public base URL")
    _common(check)
    check.set_defaults(handler=run_check_config)
    federation_key = actions.add_parser(
        "federation-key",
        help="print the federation entity key's public JWK (the registry registration body)",
        argument_default=argparse.SUPPRESS,
    )
    federation_key.add_argument("--public-url", help="public base URL (the entity id)")
    _common(federation_key)
    federation_key.set_defaults(handler=run_federation_key)
    register_rp(actions)

    verify = subparsers.add_parser("verify", help="verify a presentation offline against a named policy")
    verify.add_argument("file", help="presentation (compact SD-JWT, JWS JSON) or vp_token JSON")
    verify.add_argument("--policy", required=True, help="policy name from the configuration")
    verify.add_argument("--nonce", help="expected KB-JWT nonce")
    verify.add_argument("--aud", help="expected KB-JWT aud (the full client_id)")
    verify.add_argument("--now", type=int, help="verification time (UNIX seconds)")
    _common(verify)
    verify.set_defaults(handler=run_verify)
