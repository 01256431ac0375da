"""The whole Lintas stack on loopback for the browser tests: registry, issuers, verifier, wallet.

Every service is the real app from its package, built by its ``create_app`` and served by
uvicorn in a thread (:class:`lintas.testing.UvicornServer`) on a free 127.0.0.1 port, all
sharing one temporary data directory the way ``lintas demo`` lays it out: the registry
generates the national roots and the issuers' document-signer keys, the issuers load them, the
verifier pins the registry's list-signing certificate.

Browser wallets call issuers, registry and verifier from another origin, so the three are
served behind :func:`wallet_demo.cors.allow_origins` (a deployment concern, like TLS).
"""

from __future__ import annotations

import json
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from issuer.app import create_app as issuer_app
from issuer.settings import IssuerSettings
from lintas.testing import UvicornServer, free_port
from trust_registry.app import create_app as registry_app
from trust_registry.settings import RegistrySettings
from verifier.app import create_app as verifier_app
from verifier.settings import DEFAULT_CONFIG, VerifierSettings
from wallet_demo.app import create_app as wallet_app
from wallet_demo.cors import allow_origins
from wallet_demo.settings import WalletSettings

__all__ = ["Stack", "start_stack"]

LOOPBACK = "127.0.0.1"
#: Relying-party page of each verifier client in the wallet demo (same-device redirect target).
#: Relying-party pages long-poll for at most 5 s; stopping waits that long for them, no longer.
_QUICK_STOP = {"timeout_graceful_shutdown": 6}
#: The issuers' status list ttl: one second lets a revocation reach verifier and wallet within a test.
STATUS_LIST_TTL = 1
RP_PAGES = {"my-bank": "my-bank", "th-procurement": "th-procurement", "age-check": "age-check"}


@dataclass
class Stack:
    """Base URLs and data of a running stack."""

    data: Path
    registry: str
    issuers: dict[str, str]
    verifier: str
    wallet: str
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


def _serve(exits: ExitStack, app: Any, port: int, origin: str) -> str:
    server = exits.enter_context(UvicornServer(allow_origins(app, [origin]), port=port, **_QUICK_STOP))
    return server.base_url


def _verifier_config(path: Path, wallet: str) -> Path:
    config = json.loads(DEFAULT_CONFIG.read_text())
    for client_id, page in RP_PAGES.items():
        config["relying_parties"][client_id]["redirect_uri"] = f"{wallet}/rp/{page}"
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
    path.write_text(json.dumps(config))
    return path


def start_stack(data: Path, countries: tuple[str, ...] = ("SG", "VN", "TH", "MM")) -> Stack:
    """Start registry, one issuer process per country, verifier and wallet; ``stack.exits.close()`` stops them."""
    ports = {name: free_port() for name in ("registry", "verifier", "wallet", *countries)}
    wallet = f"http://{LOOPBACK}:{ports['wallet']}"
    issuers = {cc: f"http://{LOOPBACK}:{ports[cc]}" for cc in countries}
    registry = f"http://{LOOPBACK}:{ports['registry']}"
    verifier = f"http://localhost:{ports['verifier']}"  # x509_san_dns:localhost, as in the demo
    exits = ExitStack()
    try:
        reg = RegistrySettings(data_dir=data, public_url=registry, development=True, issuer_bases=issuers)
        _serve(exits, registry_app(reg), ports["registry"], wallet)
        for cc in countries:
            # A one-second status list TTL lets a revocation reach the verifier within the test.
            settings = IssuerSettings(
                country=cc,
                public_url=issuers[cc],
                data_dir=data,
                development=True,
                generate_pki=False,
                status_list_ttl=STATUS_LIST_TTL,
            )
            _serve(exits, issuer_app(settings), ports[cc], wallet)
        pin = (data / "registry" / "pin.txt").read_text().strip()
        ver = VerifierSettings(
            data_dir=data / "verifier",
            public_url=verifier,
            development=True,
            registry_url=registry,
            registry_pin_sha256=pin,
            config_file=_verifier_config(data / "verifier-config.json", wallet),
        )
        exits.enter_context(
            UvicornServer(allow_origins(verifier_app(ver), [wallet]), port=ports["verifier"], **_QUICK_STOP)
        )
        settings = WalletSettings(
            public_url=wallet,
            data_dir=data,
            verifier_url=verifier,
            registry_url=registry,
            issuers=issuers,
            development=True,
        )
        exits.enter_context(UvicornServer(wallet_app(settings), port=ports["wallet"], **_QUICK_STOP))
    except BaseException:
        exits.close()
        raise
    return Stack(data, registry, issuers, verifier, wallet, exits)
