"""The national operator's side of the registry's governance routes, shared by the operator commands
(``lintas registry rp-ca``, ``lintas registry verifier-entity``).

Each command gets an access token with the operator's client credentials (RFC 6749 Section 4.4;
the secret is read from a file, never from the command line, so it stays out of shell history and
process lists) and makes one call. Exit 0 on success (the answer is printed as JSON), 1 when the
registry refuses (its problem is printed), 2 for usage, file or network errors. Nothing is written.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["call_governance", "operator_arguments"]

_TIMEOUT = 10.0


def operator_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments every operator command takes: where, which country, which client."""
    parser.add_argument("--registry", required=True, help="the registry's base URL")
    parser.add_argument("--country", required=True, help="the member state (your operator's scope)")
    parser.add_argument("--client-id", required=True, help="your operator client, e.g. operator-my")
    parser.add_argument("--client-secret-file", required=True, help="file holding the client secret")


def _token(client: Any, args: argparse.Namespace) -> str:
    secret = Path(args.client_secret_file).read_text(encoding="utf-8").strip()
    answer = client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(args.client_id, secret))
    if answer.status_code != 200:
        raise OSError(f"token endpoint: HTTP {answer.status_code} {answer.text[:200]}")
    return str(answer.json()["access_token"])


def call_governance(args: argparse.Namespace, prog: str, request: Callable[[], tuple[str, dict[str, Any]]]) -> int:
    """POST what ``request()`` builds (path, JSON body) with an operator token; print the answer."""
    import httpx

    from idcore.errors import IdcoreError

    try:
        path, body = request()
        with httpx.Client(base_url=args.registry, timeout=_TIMEOUT, follow_redirects=False) as client:
            headers = {"Authorization": f"Bearer {_token(client, args)}"}
            answer = client.post(path, json=body, headers=headers)
    except (OSError, ValueError, IdcoreError, httpx.HTTPError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    out = sys.stdout if answer.is_success else sys.stderr
    if not answer.is_success:
        print(f"the registry refused: HTTP {answer.status_code}", file=out)
    try:
        print(json.dumps(answer.json(), indent=2, ensure_ascii=False), file=out)
    except ValueError:
        print(f"HTTP {answer.status_code}", file=out)
    return 0 if answer.is_success else 1
