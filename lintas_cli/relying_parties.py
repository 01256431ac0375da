"""``lintas verifier rp add|list``: register the relying parties a verifier serves.

``rp add`` validates the registration (legal name, ASEAN country, purpose, https privacy-policy
URL, retention, policies that exist in the configuration), writes it to
``relying-parties.json`` in the data directory and creates the party's OAuth client secret in
``rp-clients.json`` (mode 0600; the secret is never printed: hand the file's entry over). The
verifier reads both at start-up; edits of an existing registration can also go through the
admin API (``PUT /v1/admin/relying-parties/{id}``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["register_rp"]


def _entry(args: argparse.Namespace) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "legal_name": args.legal_name,
        "name": args.legal_name,
        "country": args.country,
        "purpose": args.purpose,
        "retention_days": args.retention_days,
        "policies": list(args.policy),
    }
    for key in ("privacy_policy_url", "redirect_uri", "webhook_url"):
        if getattr(args, key) is not None:
            entry[key] = getattr(args, key)
    return entry


def run_add(args: argparse.Namespace) -> int:
    """Validate and store one registration, then make sure it has a client secret."""
    from verifier.keys import CLIENTS_FILE, ensure_client_secrets
    from verifier.parties import add_registration, read_registrations
    from verifier.policy import ConfigError, load_config
    from verifier.settings import DEFAULT_CONFIG

    data_dir = _data_dir(args)
    config_file: Path = getattr(args, "config_file", None) or DEFAULT_CONFIG
    entry = _entry(args)
    try:
        others = {k: v for k, v in read_registrations(data_dir).items() if k != args.client_id}
        config = load_config(config_file, extra_relying_parties={**others, args.client_id: entry})
        add_registration(data_dir, args.client_id, entry)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ensure_client_secrets(data_dir, [args.client_id])
    rp = config.relying_parties[args.client_id]
    print(f"registered {rp.client_id}: {args.legal_name} ({rp.country}); policies {', '.join(rp.policies)}")
    print(f"client secret: in {data_dir / CLIENTS_FILE} (mode 0600); restart the verifier to serve it")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print every registration the verifier would serve, as JSON."""
    from verifier.parties import configured_registrations
    from verifier.policy import ConfigError
    from verifier.settings import DEFAULT_CONFIG

    try:
        found = configured_registrations(getattr(args, "config_file", None) or DEFAULT_CONFIG, _data_dir(args))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps([r.to_json() for r in found.values()], indent=2, ensure_ascii=False))
    return 0


def _paths(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: given before ``rp`` (to ``lintas verifier``) or after it, the value is kept.
    parser.add_argument("--data", dest="data_dir", type=Path, default=argparse.SUPPRESS, help="data directory")
    parser.add_argument(
        "--config", dest="config_file", type=Path, default=argparse.SUPPRESS, help="policies and relying parties"
    )


def _data_dir(args: argparse.Namespace) -> Path:
    value: Path | None = getattr(args, "data_dir", None)
    return value or Path("data/verifier")


def register_rp(actions: Any) -> None:
    """Add ``rp add`` and ``rp list`` under ``lintas verifier``."""
    rp = actions.add_parser("rp", help="register relying parties")
    commands = rp.add_subparsers(dest="rp_command", required=True, metavar="COMMAND")
    add = commands.add_parser("add", help="register (or replace) a relying party and create its client secret")
    add.add_argument("client_id", help="OAuth client id (1-64 of A-Z a-z 0-9 . _ -)")
    add.add_argument("--legal-name", required=True, help="registered legal name, shown to wallet users")
    add.add_argument("--country", required=True, help="ISO 3166-1 alpha-2 code of an ASEAN member")
    add.add_argument("--purpose", default="", help="why it asks, shown to wallet users (<= 300 characters)")
    add.add_argument("--policy", action="append", required=True, help="a policy it may use (repeat)")
    add.add_argument("--privacy-policy-url", help="https URL of its privacy policy")
    add.add_argument("--retention-days", type=int, default=0, help="days it keeps the claims (0: not kept)")
    add.add_argument("--redirect-uri", help="where same-device users return")
    add.add_argument("--webhook-url", help="where status changes are posted")
    _paths(add)
    add.set_defaults(handler=run_add)
    listing = commands.add_parser("list", help="print every registration as JSON")
    _paths(listing)
    listing.set_defaults(handler=run_list)
