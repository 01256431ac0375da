"""``lintas registry rp-ca add|withdraw``: a member state's operator lists or withdraws a relying-party CA.

The client side of ``POST /v1/governance/countries/{CC}/relying-party-cas`` and ``.../{sha256}/withdraw``
(issue #14 item 3), for the national registry operator who receives a ministry's CA certificate:
it makes the one call as :mod:`trust_registry.operator_client` describes (client credentials from
a file; exit 0 on success, 1 when the registry refuses, 2 for usage, file or network errors).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from trust_registry.operator_client import call_governance, operator_arguments

__all__ = ["register_rp_ca"]

_MAX_CERT_FILE_BYTES = 64 * 1024


def _certificate_pem(path: str) -> str:
    data = Path(path).read_bytes()
    if len(data) > _MAX_CERT_FILE_BYTES:
        raise OSError(f"{path}: larger than {_MAX_CERT_FILE_BYTES} bytes")
    return data.decode("ascii")


def _sha256_of(path: str) -> str:
    """SHA-256 (hex) of the certificate's DER, the name the registry gives the entry."""
    from idcore.trust import certificate_sha256_hex
    from idcore.x509 import certificate_from_pem

    return certificate_sha256_hex(certificate_from_pem(Path(path).read_bytes()))


def _request(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    base = f"/v1/governance/countries/{args.country.upper()}/relying-party-cas"
    if args.rp_ca_command == "add":
        return base, {"certificate": _certificate_pem(args.certificate)}
    return f"{base}/{_sha256_of(args.certificate)}/withdraw", {"note": args.note}


def _call(args: argparse.Namespace) -> int:
    return call_governance(args, "lintas registry rp-ca", lambda: _request(args))


def register_rp_ca(sub: Any) -> None:
    """Add ``registry rp-ca add`` and ``registry rp-ca withdraw`` under the ``registry`` command."""
    parser = sub.add_parser("rp-ca", help="list or withdraw a member state's relying-party access CA")
    actions = parser.add_subparsers(dest="rp_ca_command", metavar="ACTION", required=True)
    for name, summary in (("add", "list a CA certificate, trusted from now"), ("withdraw", "stop trusting it")):
        action = actions.add_parser(name, help=summary)
        operator_arguments(action)
        action.add_argument("certificate", help="the CA certificate (PEM)")
        if name == "withdraw":
            action.add_argument("--note", default="", help="why (kept in the audit log)")
        action.set_defaults(handler=_call)
