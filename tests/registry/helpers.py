"""Helpers for the registry tests: a registry served by uvicorn on 127.0.0.1 and a client for it."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from idcore.ports import FixedClock
from idcore.trust import TrustList, TrustListPin, verify_trust_list
from lintas.kv import KeyValueStore
from lintas.testing import UvicornServer
from trust_registry.app import create_app
from trust_registry.settings import RegistrySettings

SG_PID = "https://issuers.lintas.asean.example/sg"
SG_BUSINESS = "https://issuers.lintas.asean.example/sg/business"
MY_PID = "https://issuers.lintas.asean.example/my"


@dataclass
class Registry:
    """A running registry and what tests need to talk to it."""

    settings: RegistrySettings
    store: KeyValueStore
    clock: FixedClock
    server: UvicornServer
    http: httpx.Client

    def secret(self, client_id: str) -> str:
        clients = json.loads((self.settings.data_dir / "governance-clients.json").read_text())
        return str(clients[client_id]["secret"])

    def token(self, client_id: str) -> str:
        response = self.http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, self.secret(client_id))
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def auth(self, client_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(client_id)}"}

    @property
    def pin(self) -> TrustListPin:
        pin = (self.settings.data_dir / "registry" / "pin.txt").read_text().strip()
        return TrustListPin(certificate_sha256=pin)

    def trust_list(self) -> TrustList:
        response = self.http.get("/v1/trust-list")
        assert response.status_code == 200
        return verify_trust_list(response.content, self.pin).trust_list

    def state(self) -> dict[str, bytes | None]:
        """Everything the registry stores: the sequence number, every list and record."""
        keys = ["seq", *self.store.scan_prefix("list:"), *self.store.scan_prefix("log:")]
        return {k: self.store.get(k) for k in keys}

    def post(self, path: str, client_id: str, body: Any) -> httpx.Response:
        return self.http.post(path, json=body, headers=self.auth(client_id))


def make_settings(data_dir: Path, **overrides: Any) -> RegistrySettings:
    return RegistrySettings(data_dir=data_dir, **overrides)


def start_registry(settings: RegistrySettings, store: KeyValueStore, clock: FixedClock) -> Registry:
    server = UvicornServer(create_app(settings, store=store, clock=clock))
    server.start()
    # Accepted sockets inherit TCP_NODELAY from the listening socket. Without it, uvicorn's
    # separate header and body writes meet the client's delayed ACK: 40 ms per request.
    listening = getattr(server, "_sock", None)
    if listening is not None:
        listening.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    http = httpx.Client(base_url=server.base_url, timeout=10)
    return Registry(settings, store, clock, server, http)


def run_operator_command(
    registry: Registry, workdir: Path, command: str, action: str, country: str, operator: str, *extra: str
) -> int:
    """``lintas registry <command> <action>`` as ``operator`` (its secret in a file), against ``registry``."""
    from lintas_cli.main import main

    secret = workdir / f"{operator}.secret"
    secret.write_text(registry.secret(operator))
    base = ["registry", command, action, "--registry", str(registry.server.base_url), "--country", country]
    return main([*base, "--client-id", operator, "--client-secret-file", str(secret), *extra])
