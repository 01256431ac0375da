"""Governance OAuth clients (RFC 6749 Section 4.4 client credentials) and their scopes.

Demo set-up: one scheme operator with scope ``registry:write`` (every country) and one
national operator per member state with ``registry:write:<CC>`` (its own country only).
Secrets are generated on first start into ``<data>/governance-clients.json`` (mode 0600)
for the operators to use; the registry itself keeps only their SHA-256.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from idcore.trust.vct import ASEAN_COUNTRIES
from lintas.oauth import OAuthClient, hash_secret

__all__ = ["can_write", "country_scope", "ensure_clients", "may_govern"]

SCHEME_SCOPE = "registry:write"
CLIENTS_FILE = "governance-clients.json"


def country_scope(code: str) -> str:
    """The scope of a national operator of ``code``."""
    return f"{SCHEME_SCOPE}:{code}"


def may_govern(scopes: frozenset[str]) -> bool:
    """Whether a token carries any governance scope at all (the route-level check)."""
    return any(s == SCHEME_SCOPE or s.startswith(SCHEME_SCOPE + ":") for s in scopes)


def can_write(scopes: frozenset[str], country: str) -> bool:
    """Whether these scopes allow changing ``country``."""
    return SCHEME_SCOPE in scopes or country_scope(country) in scopes


def _default_clients() -> dict[str, dict[str, object]]:
    clients: dict[str, dict[str, object]] = {"scheme-operator": {"scopes": [SCHEME_SCOPE]}}
    for code in sorted(ASEAN_COUNTRIES):
        clients[f"operator-{code.lower()}"] = {"scopes": [country_scope(code)]}
    for entry in clients.values():
        entry["secret"] = secrets.token_urlsafe(32)
    return clients


def ensure_clients(data_dir: Path) -> list[OAuthClient]:
    """Load the governance clients, generating their secrets on first start."""
    path = data_dir / CLIENTS_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(_default_clients(), indent=2).encode()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: use theirs
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
    doc = json.loads(path.read_text())
    return [
        OAuthClient(client_id, hash_secret(str(entry["secret"])), frozenset(entry["scopes"]))
        for client_id, entry in doc.items()
    ]
