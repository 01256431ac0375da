"""The whole Lintas stack on loopback for the browser tests: registry, issuers, verifier, wallet.

The apps are the ones ``lintas demo`` runs, built by the launcher's one builder
(:func:`lintas_cli.demo.build_apps`: the registry generates the national roots and the issuers'
document-signer keys, the issuers load them, the verifier pins the registry's list-signing
certificate, the wallet demo's issuance desk gets its issuer credentials from the launcher, CORS
for the wallet's origin through each service's settings), each served by uvicorn in a thread
(:class:`lintas.testing.UvicornServer`) on a free 127.0.0.1 port, sharing one temporary data
directory. What the tests vary: a one-second status-list ttl and the bank's extra purpose.
"""

from __future__ import annotations

import json
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from lintas.testing import UvicornServer, free_port
from lintas_cli.demo import StackPlan, build_apps, new_desk_secrets

__all__ = ["Stack", "start_stack"]

LOOPBACK = "127.0.0.1"
#: Relying-party pages long-poll for at most 5 s; stopping waits that long for them, no longer.
_QUICK_STOP = {"timeout_graceful_shutdown": 6}
#: The issuers' status list ttl: one second lets a revocation reach verifier and wallet within a test.
STATUS_LIST_TTL = 1


@dataclass
class Stack:
    """Base URLs and data of a running stack."""

    data: Path
    registry: str
    issuers: dict[str, str]
    verifier: str
    wallet: str
    #: The wallet demo's issuance-desk secret at each issuer (the launcher provisioned them).
    desk_secrets: dict[str, str]
    exits: ExitStack = field(default_factory=ExitStack)

    def issuer_secret(self, country: str, client_id: str) -> str:
        """An operator client secret of a national issuer (generated into the data directory)."""
        doc = json.loads((self.data / f"issuer-{country.lower()}-clients.json").read_text())
        return str(doc[client_id]["secret"])

    def issuer_token(self, country: str, client_id: str) -> str:
        """A client-credentials token for an issuer's ``operator`` or ``admin`` client."""
        answer = httpx.post(
            f"{self.issuers[country]}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, self.issuer_secret(country, client_id)),
            timeout=10,
        )
        answer.raise_for_status()
        return str(answer.json()["access_token"])

    def offer(self, country: str, subject_id: str, configuration_id: str) -> dict[str, Any]:
        """Create a Credential Offer through the issuer's operator API."""
        body = {"subject_id": subject_id, "credential_configuration_id": configuration_id}
        answer = httpx.post(
            f"{self.issuers[country]}/v1/offers",
            json=body,
            timeout=10,
            headers={"Authorization": f"Bearer {self.issuer_token(country, 'operator')}"},
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def set_status(self, country: str, subject_id: str, action: str) -> list[str]:
        """Apply ``action`` (revoke/suspend) to a subject's valid credentials; return their ids."""
        headers = {"Authorization": f"Bearer {self.issuer_token(country, 'admin')}"}
        listed = httpx.get(
            f"{self.issuers[country]}/v1/credentials", params={"subject_id": subject_id}, headers=headers, timeout=10
        )
        listed.raise_for_status()
        ids = [c["credential_id"] for c in listed.json()["credentials"] if c["status"] == "valid"]
        for cid in ids:
            self.admin(cid, country, action)
        return ids

    def admin(self, credential_id: str, country: str, action: str) -> None:
        """``POST /v1/credentials/{id}/{action}`` on an issuer's admin API."""
        headers = {"Authorization": f"Bearer {self.issuer_token(country, 'admin')}"}
        answer = httpx.post(
            f"{self.issuers[country]}/v1/credentials/{credential_id}/{action}", headers=headers, timeout=10
        )
        assert answer.status_code == 200, answer.text
        # Verifier and wallet keep a status list for its ttl (1 s here): let what they hold expire.
        time.sleep(STATUS_LIST_TTL + 0.1)


def _edit_verifier_config(config: dict[str, Any]) -> None:
    # The bank registers a welcome-letter purpose (name and city), so its ad-hoc queries with claim_sets
    # (tests/e2e/test_selective.py) stay within what it registered.
    config["policies"]["welcome-letter"] = {
        "purpose": "Send you a welcome letter",
        "credentials": [
            {
                "id": "pid",
                "vct_values": ["https://lintas.asean.example/vct/pid/v1"],
                "claims": [["given_name"], ["family_name"], ["address", "locality"]],
            }
        ],
    }
    config["relying_parties"]["my-bank"]["policies"].append("welcome-letter")
    config["relying_parties"]["my-bank"]["allow_custom_queries"] = True


def start_stack(data: Path, countries: tuple[str, ...] = ("SG", "VN", "TH", "MM")) -> Stack:
    """Start registry, one issuer process per country, verifier and wallet; ``stack.exits.close()`` stops them."""
    names = ["registry", *(f"issuer-{cc.lower()}" for cc in countries), "verifier", "wallet"]
    plan = StackPlan(data, LOOPBACK, {name: free_port() for name in names}, countries, None)
    desk = new_desk_secrets(countries)
    # A one-second status list TTL lets a revocation reach the verifier within the test.
    apps = build_apps(
        plan,
        desk_secrets=desk,
        issuer_overrides={"status_list_ttl": STATUS_LIST_TTL},
        edit_verifier_config=_edit_verifier_config,
    )
    exits = ExitStack()
    try:
        for name, app in apps.items():
            exits.enter_context(UvicornServer(app, port=plan.ports[name], **_QUICK_STOP))
    except BaseException:
        exits.close()
        raise
    issuers = {cc: plan.url(f"issuer-{cc.lower()}") for cc in countries}
    return Stack(data, plan.url("registry"), issuers, plan.url("verifier"), plan.url("wallet"), desk, exits)
