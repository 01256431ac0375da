"""``lintas registry verifier-entity add|withdraw``: a member state's operator registers a verifier
as an OpenID Federation leaf entity of that state, or withdraws it (issue #16 item 2).

The client side of ``POST /v1/governance/countries/{CC}/verifier-entities`` and ``.../withdraw``
(:mod:`trust_registry.verifier_entities`), for the national registry operator who receives a
verifier deployment's entity identifier and the public federation key it printed: ``add`` reads the
key (a public JWK, or a JWK Set of one or two keys) from a file of at most 16 KiB; ``withdraw``
needs only the identifier. Credentials, exit codes and output as :mod:`trust_registry.operator_client`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from trust_registry.operator_client import call_governance, operator_arguments

__all__ = ["register_verifier_entity_cli"]

_MAX_JWK_FILE_BYTES = 16 * 1024


def _keys(path: str) -> list[Any]:
    data = Path(path).read_bytes()
    if len(data) > _MAX_JWK_FILE_BYTES:
        raise OSError(f"{path}: larger than {_MAX_JWK_FILE_BYTES} bytes")
    document = json.loads(data)
    keys = document.get("keys", [document]) if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise ValueError(f"{path}: not a JWK or a JWK Set")
    return keys


def _request(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    base = f"/v1/governance/countries/{args.country.upper()}/verifier-entities"
    if args.verifier_entity_command == "add":
        return base, {"entity_id": args.entity_id, "keys": _keys(args.jwk_file), "note": args.note}
    return f"{base}/withdraw", {"entity_id": args.entity_id, "note": args.note}


def _call(args: argparse.Namespace) -> int:
    return call_governance(args, "lintas registry verifier-entity", lambda: _request(args))


def register_verifier_entity_cli(sub: Any) -> None:
    """Add ``registry verifier-entity add`` and ``... withdraw`` under the ``registry`` command."""
    parser = sub.add_parser("verifier-entity", help="register or withdraw a verifier as a federation leaf entity")
    actions = parser.add_subparsers(dest="verifier_entity_command", metavar="ACTION", required=True)
    summaries = (("add", "vouch for a verifier (or replace its federation keys)"), ("withdraw", "stop, for good"))
    for name, summary in summaries:
        action = actions.add_parser(name, help=summary)
        operator_arguments(action)
        action.add_argument("--entity-id", required=True, help="the verifier's entity identifier (its https URL)")
        if name == "add":
            action.add_argument("--jwk-file", required=True, help="its public federation key (JWK or JWK Set)")
        action.add_argument("--note", default="", help="why (kept in the audit log)")
        action.set_defaults(handler=_call)
