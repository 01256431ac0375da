"""Operator OAuth clients of an issuer process (RFC 6749 Section 4.4 client credentials).

Two clients per process: ``operator`` (scope ``issuer:offer``, creates offers) and ``admin``
(scope ``issuer:admin``, revokes, suspends and reinstates credentials). Their secrets are
generated on first start into ``<data>/issuer-<cc>-clients.json`` (mode 0600) for the operators;
the service keeps only their SHA-256. Further clients may be provisioned through configuration
(:attr:`issuer.settings.IssuerSettings.provisioned_clients`, hashes only): the demo launcher gives
the wallet demo's issuance desk its own ``issuer:offer`` client that way, so no other service ever
reads this process's files.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from issuer.settings import ProvisionedClient
from lintas.oauth import OAuthClient, hash_secret

__all__ = ["clients_file", "ensure_clients", "operator_clients"]


def clients_file(data_dir: Path, country: str) -> Path:
    """Where the operator clients of ``country``'s issuer are kept."""
    return data_dir / f"issuer-{country.lower()}-clients.json"


def ensure_clients(data_dir: Path, country: str) -> list[OAuthClient]:
    """Load the operator clients, generating their secrets on first start."""
    path = clients_file(data_dir, country)
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        doc = {
            "operator": {"secret": secrets.token_urlsafe(32), "scopes": ["issuer:offer"]},
            "admin": {"secret": secrets.token_urlsafe(32), "scopes": ["issuer:admin"]},
        }
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: use theirs
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(doc, handle, indent=2)
    entries = json.loads(path.read_text(encoding="utf-8"))
    return [
        OAuthClient(client_id, hash_secret(str(entry["secret"])), frozenset(entry["scopes"]))
        for client_id, entry in entries.items()
    ]


def operator_clients(data_dir: Path, country: str, provisioned: Mapping[str, ProvisionedClient]) -> list[OAuthClient]:
    """The generated clients (:func:`ensure_clients`) and the provisioned ones, by hash only."""
    given = [OAuthClient(cid, spec.secret_sha256, frozenset(spec.scopes)) for cid, spec in provisioned.items()]
    return [*ensure_clients(data_dir, country), *given]
