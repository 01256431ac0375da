"""A trust registry and the TH issuer on loopback sockets, sharing one data directory as the demo lays
it out (the registry seeds the issuer's document-signer key; the issuer loads it): the stack the
federation tests run against. The issuer is a leaf entity under the registry's TH intermediate."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from issuer.app import create_app as issuer_app
from issuer.settings import IssuerSettings
from lintas.testing import UvicornServer, free_port
from trust_registry.app import create_app as registry_app
from trust_registry.settings import RegistrySettings

LOOPBACK = "127.0.0.1"


def th_issuer_settings(data: Path, issuer: str, registry: str, **extra: Any) -> IssuerSettings:
    """The TH issuer at ``issuer``, naming the registry's TH intermediate as its superior."""
    return IssuerSettings(
        country="TH",
        public_url=issuer,
        data_dir=data,
        generate_pki=False,
        development=True,
        federation_authority_hints=[f"{registry}/federation/TH"],
        **extra,
    )


@dataclass
class RegistryAndIssuer:
    """The two running servers (registry first) and the issuer app."""

    data: Path
    registry: str
    issuer: str
    issuer_app: Any
    servers: list[UvicornServer]

    def restart_issuer(self, **extra: Any) -> Any:
        """Stop the TH issuer and start it again on its port with ``extra`` settings; the new app."""
        self.servers[1].stop()
        self.issuer_app = issuer_app(th_issuer_settings(self.data, self.issuer, self.registry, **extra))
        self.servers[1] = UvicornServer(self.issuer_app, port=int(self.issuer.rsplit(":", 1)[1]))
        self.servers[1].start()
        return self.issuer_app


#: Extra issuer settings, given the registry's URL.
Extra = Callable[[str], dict[str, Any]]


def _start(data: Path, issuer_extra: Extra, servers: list[UvicornServer]) -> RegistryAndIssuer:
    ports = {name: free_port() for name in ("registry", "issuer")}
    registry, issuer = (f"http://{LOOPBACK}:{ports[n]}" for n in ("registry", "issuer"))
    settings = RegistrySettings(data_dir=data, public_url=registry, issuer_bases={"TH": issuer}, development=True)
    servers.append(UvicornServer(registry_app(settings), port=ports["registry"]))
    servers[-1].start()
    app = issuer_app(th_issuer_settings(data, issuer, registry, **issuer_extra(registry)))
    servers.append(UvicornServer(app, port=ports["issuer"]))
    servers[-1].start()
    return RegistryAndIssuer(data, registry, issuer, app, servers)


@contextmanager
def registry_and_issuer(tmp: Path, issuer_extra: Extra = lambda registry: {}) -> Iterator[RegistryAndIssuer]:
    """Both servers for the block; ``issuer_extra(registry_url)`` adds issuer settings.

    Identifiers need their ports before binding, so a start that loses a port to another test is
    retried (three attempts, each in a fresh data directory).
    """
    for attempt in range(3):
        servers: list[UvicornServer] = []
        try:
            started = _start(tmp / f"attempt-{attempt}", issuer_extra, servers)
        except (RuntimeError, OSError):
            for server in servers:
                server.stop()
            continue
        try:
            yield started
        finally:
            for server in reversed(started.servers):
                server.stop()
        return
    raise RuntimeError("could not start registry and issuer on free loopback ports")
