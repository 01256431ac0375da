"""``lintas registry rp-ca add|withdraw``: a member state's operator lists or withdraws a relying-party CA.

The client side of ``POST /v1/governance/countries/{CC}/relying-party-cas`` and ``.../{sha256}/withdraw``
(issue #14 item 3), for the national registry operator who receives a ministry's CA certificate:
it gets an access token with the operator's client credentials (RFC 6749 Section 4.4; the secret
is read from a file, never from the command line, so it stays out of shell history and process
lists) and makes the one call. Exit 0 on success (the answer is printed as JSON), 1 when the
registry refuses (its problem is printed), 2 for usage, file or network errors. Nothing is written.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["register_rp_ca"]

_MAX_CERT_FILE_BYTES = 64 * 1024
_TIMEOUT = 10.0


def _token(client: Any, args: argparse.Namespace) -> str:
    secret = Path(args.client_secret_file).read_text(encoding="utf-8").strip()
    answer = client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(args.client_id, secret))
    if answer.status_code != 200:
        raise OSError(f"token endpoint: HTTP {answer.status_code} {answer.text[:200]}")
    return str(answer.json()["access_token"])


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


def _call(args: argparse.Namespace) -> int:
    import httpx

    from idcore.errors import IdcoreError

    country = args.country.upper()
    base = f"/v1/governance/countries/{country}/relying-party-cas"
    try:
        if args.rp_ca_command == "add":
            path, body = base, {"certificate": _certificate_pem(args.certificate)}
        else:
            path, body = f"{base}/{_sha256_of(args.certificate)}/withdraw", {"note": args.note}
        with httpx.Client(base_url=args.registry, timeout=_TIMEOUT, follow_redirects=False) as client:
            headers = {"Authorization": f"Bearer {_token(client, args)}"}
            answer = client.post(path, json=body, headers=headers)
    except (OSError, ValueError, IdcoreError, httpx.HTTPError) as exc:
        print(f"lintas registry rp-ca: {exc}", file=sys.stderr)
        return 2
    out = sys.stdout if answer.is_success else sys.stderr
    if not answer.is_success:
        print(f"the registry refused: HTTP {answer.status_code}", file=out)
    try:
        print(json.dumps(answer.json(), indent=2, ensure_ascii=False), file=out)
    except ValueError:
        print(f"HTTP {answer.status_code}", file=out)
    return 0 if answer.is_success else 1


def register_rp_ca(sub: Any) -> None:
    """Add ``registry rp-ca add`` and ``registry rp-ca withdraw`` under the ``registry`` command."""
    parser = sub.add_parser("rp-ca", help="list or withdraw a member state's relying-party access CA")
    actions = parser.add_subparsers(dest="rp_ca_command", metavar="ACTION", required=True)
    for name, summary in (("add", "list a CA certificate, trusted from now"), ("withdraw", "stop trusting it")):
        action = actions.add_parser(name, help=summary)
        action.add_argument("--registry", required=True, help="the registry's base URL")
        action.add_argument("--country", required=True, help="the member state (your operator's scope)")
        action.add_argument("--client-id", required=True, help="your operator client, e.g. operator-my")
        action.add_argument("--client-secret-file", required=True, help="file holding the client secret")
        action.add_argument("certificate", help="the CA certificate (PEM)")
        if name == "withdraw":
            action.add_argument("--note", default="", help="why (kept in the audit log)")
        action.set_defaults(handler=_call)
