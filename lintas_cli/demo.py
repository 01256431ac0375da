"""``lintas demo``: the whole Lintas stack on one machine, on loopback, with one command.

Starts the trust registry, the national issuers (SG, MY, TH, VN and MM by default), the verifier
and the wallet demo, each its own app on its own 127.0.0.1 port, all served by uvicorn in one
process and one event loop. On first start the registry generates the national roots and the
issuers' document-signer keys into the data directory; a second start reuses them. With
``REDIS_URL`` (or ``--redis-url``) every service keeps its state in Redis instead of the
embedded store. When every service answers ``/healthz`` the command writes
``<data>/stack.json`` and prints the URLs and what to try first. Ctrl-C stops everything.

The demo runs in development mode explicitly (:mod:`lintas.devmode`, whatever ``LINTAS_MODE``
says): demo national login, generated PKI, loopback http URLs, CORS for the wallet's loopback
origin and public API docs are on, and every service refuses a non-loopback address.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["StackPlan", "build_apps", "new_desk_secrets", "plan_stack"]

#: Myanmar is in the default set for its mononyms: the demo shows one passing an age check.
DEFAULT_COUNTRIES = ("SG", "MY", "TH", "VN", "MM")
ASEAN = ("BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN", "TL")
LOOPBACK = "127.0.0.1"
#: The wallet demo's issuance desk at every issuer: an ``issuer:offer`` client the launcher provisions.
DESK_CLIENT_ID = "demo-desk"


@dataclass(frozen=True)
class StackPlan:
    """Where each service of the demo listens, and its public base URL."""

    data: Path
    host: str
    ports: dict[str, int]
    countries: tuple[str, ...]
    redis_url: str | None

    def url(self, name: str) -> str:
        """Public base URL of a service. The verifier is ``localhost``: its client id is ``x509_san_dns:localhost``."""
        host = "localhost" if name == "verifier" else self.host
        return f"http://{host}:{self.ports[name]}"

    @property
    def issuer_urls(self) -> dict[str, str]:
        """Country code -> issuer base URL."""
        return {cc: self.url(f"issuer-{cc.lower()}") for cc in self.countries}

    def services(self) -> dict[str, str]:
        """Service name -> base URL, in start order (what ``stack.json`` lists)."""
        names = ["registry", *(f"issuer-{cc.lower()}" for cc in self.countries), "verifier", "wallet"]
        return {name: self.url(name) for name in names}


def plan_stack(
    data: Path,
    *,
    host: str = LOOPBACK,
    base_port: int = 8100,
    countries: Sequence[str] = DEFAULT_COUNTRIES,
    redis_url: str | None = None,
) -> StackPlan:
    """Assign ports: registry ``base``, issuers ``base+1..``, verifier ``base+300``, wallet ``base+400``."""
    unknown = [cc for cc in countries if cc not in ASEAN]
    if unknown:
        raise ValueError(f"not ASEAN member states: {', '.join(unknown)}")
    ports = {"registry": base_port, "verifier": base_port + 300, "wallet": base_port + 400}
    for offset, cc in enumerate(countries, start=1):
        ports[f"issuer-{cc.lower()}"] = base_port + offset
    return StackPlan(data, host, ports, tuple(countries), redis_url)


def new_desk_secrets(countries: Sequence[str]) -> dict[str, str]:
    """A fresh secret per issuer for the wallet demo's issuance desk, made anew at every start.

    The launcher is their one owner: it provisions each issuer with the hash
    (``IssuerSettings.provisioned_clients``) and hands the wallet demo the secret
    (``WalletSettings.desk_secrets``); neither service reads the other's files, and nothing stores them.
    """
    return {cc: secrets.token_urlsafe(32) for cc in countries}


def _verifier_config(plan: StackPlan, edit: Callable[[dict[str, Any]], None] | None) -> Path:
    """The demo relying parties, with their same-device redirect pages in the wallet demo."""
    from verifier.settings import DEFAULT_CONFIG

    config = json.loads(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    for client_id, rp in config["relying_parties"].items():
        rp["redirect_uri"] = f"{plan.url('wallet')}/rp/{client_id}"
        # The demo pages call the Digital Credentials API from the wallet demo's origin (expected_origins).
        rp["origins"] = [plan.url("wallet")]
    if edit is not None:
        edit(config)
    path = plan.data / "verifier-config.json"
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return path


def _issuer_apps(
    plan: StackPlan, shared: dict[str, Any], desk: Mapping[str, str], overrides: Mapping[str, Any]
) -> dict[str, Any]:
    from issuer.app import create_app as issuer_app
    from issuer.settings import IssuerSettings, ProvisionedClient
    from lintas.oauth import hash_secret

    apps = {}
    for cc, url in plan.issuer_urls.items():
        # Only the hash reaches the issuer; the desk may create offers and nothing else.
        provisioned = {DESK_CLIENT_ID: ProvisionedClient(secret_sha256=hash_secret(desk[cc]), scopes=["issuer:offer"])}
        settings = IssuerSettings(
            country=cc,
            public_url=url,
            data_dir=plan.data,
            generate_pki=False,
            provisioned_clients=provisioned,
            # Each issuer is a federation leaf entity under its member state's intermediate.
            federation_authority_hints=[f"{plan.url('registry')}/federation/{cc}"],
            # PID tenants carry the registry's "recognised PID issuer" trust mark.
            federation_trust_mark_endpoint=f"{plan.url('registry')}/federation/trust-mark",
            **shared,
            **overrides,
        )
        apps[f"issuer-{cc.lower()}"] = issuer_app(settings)
    return apps


def _register_rp_ca(registry: Any, ca_pem: Path, countries: Sequence[str]) -> None:
    """List the demo verifier's relying-party CA under each country whose relying parties it serves.

    Through the registry's own governance path (checks, signed list, audit record; actor
    ``demo-launcher``), as a national operator would with ``POST
    /v1/governance/countries/{cc}/relying-party-cas``. Already listed (a second start) or withdrawn
    earlier: left as the registry has it.
    """
    from trust_registry.changes import ChangeError, parse_certificate
    from trust_registry.rp_cas import rp_ca_change

    cert = parse_certificate(ca_pem.read_text(encoding="ascii"))
    service = registry.state.registry
    for cc in sorted(set(countries)):
        try:
            service.change("demo-launcher", "add_rp_ca", rp_ca_change(cc, cert, "", "lintas demo"))
        except ChangeError as exc:
            if exc.status != 409:  # 409: listed (or withdrawn) already
                raise


def _register_federation_keys(registry: Any, entities: Mapping[str, dict[str, str]]) -> None:
    """Register each demo issuer's federation entity key with the registry, as its operator would.

    Through the registry's own governance path (``POST /v1/governance/issuers/federation-keys``:
    signed recognition list, audit record; actor ``demo-launcher``); keys the registry already holds
    (a second start) are left alone, so a restart writes nothing.
    """
    from idcore.trust.federation_keys import FederationKeys
    from trust_registry.ledger import Change

    service = registry.state.registry
    held = {k.issuer_id: k for k in service.current_fabric().federation_keys}
    wanted = [FederationKeys(issuer_id, (jwk,)) for issuer_id, jwk in sorted(entities.items())]
    fresh = [k for k in wanted if held.get(k.issuer_id) != k]
    if not fresh:
        return

    def build(trust_list: Any, current: Any, now: int, seq: int) -> tuple[Any, dict[str, Any]]:
        kept = tuple(k for k in current.federation_keys if k.issuer_id not in {f.issuer_id for f in fresh})
        payload = {"federation_keys": [k.to_json() for k in fresh], "note": "lintas demo"}
        return Change(trust_list, "register_federation_keys", payload, federation_keys=(*kept, *fresh)), payload

    service.change_fabric("demo-launcher", "register_federation_keys", build)


def _register_verifier_entity(registry: Any, verifier: Any, countries: Sequence[str]) -> None:
    """Register the demo verifier as a federation leaf entity of each country of its relying parties.

    As each national operator would with ``lintas registry verifier-entity add`` (governance path:
    signed recognition list, audit record; actor ``demo-launcher``); a registration with the same
    key already in force (a second start) is left alone.
    """
    from idcore.trust.federation_keys import normalise_jwk
    from trust_registry.verifier_entities import registration
    from verifier.keys import federation_signer

    service = registry.state.registry
    entity_id, jwk = verifier.base_url, normalise_jwk(federation_signer(verifier.data_dir).public_jwk)
    held = {(v.country, v.entity_id): v for v in service.current_fabric().verifier_entities}
    for cc in sorted(set(countries)):
        earlier = held.get((cc, entity_id))
        if earlier is not None and (earlier.until is not None or list(earlier.keys) == [jwk]):
            continue  # registered already (or withdrawn by hand: left as the registry has it)

        build = registration(
            cc, entity_id, [jwk], "lintas demo", registry_url=service.settings.public_url, development=True
        )
        service.change_fabric("demo-launcher", "register_verifier_entity", build)


def _issuer_federation_keys(apps: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Every demo tenant's federation entity key (public JWK, ``kid`` its thumbprint), by issuer id."""
    from idcore.trust.federation_keys import normalise_jwk
    from issuer.keys import load_federation_signer

    keys = {}
    for name, app in apps.items():
        if name.startswith("issuer-"):
            service = app.state.service
            for tenant in service.tenants:
                keys[tenant.identifier] = normalise_jwk(
                    load_federation_signer(service.settings, tenant.spec).public_jwk
                )
    return keys


def _rp_client_secrets(verifier_data: Path, config_file: Path) -> dict[str, str]:
    """The demo relying parties' verifier client secrets, handed to the wallet demo by configuration."""
    secrets_doc = json.loads((verifier_data / "rp-clients.json").read_text(encoding="utf-8"))
    wanted = json.loads(config_file.read_text(encoding="utf-8"))["relying_parties"]
    return {cid: str(secrets_doc[cid]) for cid in wanted if cid in secrets_doc}


def build_apps(
    plan: StackPlan,
    *,
    desk_secrets: Mapping[str, str] | None = None,
    issuer_overrides: Mapping[str, Any] | None = None,
    edit_verifier_config: Callable[[dict[str, Any]], None] | None = None,
    wallet_overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Create every app in dependency order; the one place that lays out the demo data directory.

    The registry generates the national roots and the issuers' document-signer keys on first
    start, mdoc Document Signers for the issuers listed with doctypes included (the issuers only
    load them, ``generate_pki=False``); each issuer is an OpenID Federation leaf entity under its
    member state's intermediate, its federation entity key registered with the registry; so is
    the verifier, under each country of its relying parties; the verifier pins the registry's
    list-signing certificate;
    its relying-party CA is listed in the registry under the countries of its relying parties; the
    wallet demo pins the registry too and judges relying parties by that list, gets the relying
    parties' client secrets from here, and its issuance desk gets its issuer credentials from
    ``desk_secrets`` (fresh ones when not given). The browser tests (``tests/e2e/stack.py``) build
    their stack here too, with ``issuer_overrides``, ``edit_verifier_config`` and
    ``wallet_overrides`` for what they vary.
    """
    from pydantic import SecretStr

    from lintas.devmode import require_loopback_bind
    from trust_registry.app import create_app as registry_app
    from trust_registry.settings import RegistrySettings
    from verifier.app import create_app as verifier_app
    from verifier.settings import VerifierSettings
    from wallet_demo.app import create_app as wallet_app
    from wallet_demo.settings import WalletSettings

    require_loopback_bind(plan.host, True)
    plan.data.mkdir(parents=True, exist_ok=True)
    desk = dict(desk_secrets) if desk_secrets is not None else new_desk_secrets(plan.countries)
    # Development mode, explicitly; the browser wallet calls registry, issuers and verifier from its own origin.
    shared: dict[str, Any] = {"development": True, "cors_allow_origins": [plan.url("wallet")]}
    if plan.redis_url:
        shared["redis_url"] = plan.redis_url
    registry = RegistrySettings(
        data_dir=plan.data, public_url=plan.url("registry"), issuer_bases=plan.issuer_urls, **shared
    )
    apps: dict[str, Any] = {"registry": registry_app(registry)}
    apps.update(_issuer_apps(plan, shared, desk, issuer_overrides or {}))
    _register_federation_keys(apps["registry"], _issuer_federation_keys(apps))
    pin = (plan.data / "registry" / "pin.txt").read_text(encoding="utf-8").strip()
    config_file = _verifier_config(plan, edit_verifier_config)
    rp_countries = [str(rp["country"]) for rp in json.loads(config_file.read_text())["relying_parties"].values()]
    verifier = VerifierSettings(
        data_dir=plan.data / "verifier",
        public_url=plan.url("verifier"),
        registry_url=plan.url("registry"),
        registry_pin_sha256=[pin],
        config_file=config_file,
        # A federation leaf entity under each country whose relying parties it serves, carrying the
        # registry's "registered relying party" mark.
        federation_authority_hints=[f"{plan.url('registry')}/federation/{cc}" for cc in sorted(set(rp_countries))],
        federation_trust_mark_endpoint=f"{plan.url('registry')}/federation/trust-mark",
        **shared,
    )
    apps["verifier"] = verifier_app(verifier)
    _register_rp_ca(apps["registry"], verifier.data_dir / "rp-ca.pem", rp_countries)
    _register_verifier_entity(apps["registry"], verifier, rp_countries)
    rp_clients = _rp_client_secrets(verifier.data_dir, config_file)
    wallet = WalletSettings(
        public_url=plan.url("wallet"),
        data_dir=plan.data,
        verifier_url=plan.url("verifier"),
        registry_url=plan.url("registry"),
        issuers=plan.issuer_urls,
        desk_client_id=DESK_CLIENT_ID,
        desk_secrets={cc: SecretStr(secret) for cc, secret in desk.items()},
        rp_clients={cid: SecretStr(secret) for cid, secret in rp_clients.items()},
        registry_pin_sha256=[pin],
        development=True,
        **(wallet_overrides or {}),
    )
    apps["wallet"] = wallet_app(wallet)
    return apps


def wait_healthy(urls: dict[str, str], timeout: float = 60.0) -> dict[str, bool]:
    """Poll ``/healthz`` of every service until all answer 200 or ``timeout`` passes."""
    import httpx

    healthy = dict.fromkeys(urls, False)
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while not all(healthy.values()) and time.monotonic() < deadline:
            for name, url in urls.items():
                if not healthy[name]:
                    try:
                        healthy[name] = client.get(f"{url}/healthz").status_code == 200
                    except httpx.HTTPError:
                        pass
            if not all(healthy.values()):
                time.sleep(0.2)
    return healthy


def _banner(plan: StackPlan) -> str:
    services = plan.services()
    width = max(len(n) for n in services)
    lines = ["", "Lintas demo stack is up (Ctrl-C stops it):", ""]
    lines += [f"  {name.ljust(width)}  {url}" for name, url in services.items()]
    wallet, registry = plan.url("wallet"), plan.url("registry")
    lines += [
        "",
        "Try first:",
        f"  1. Open the wallet at {wallet}/ and choose a persona (a Singaporean citizen), then",
        "     receive a person-ID credential: the issuer desk shows the offer and its PIN.",
        f"  2. Open the Malaysian bank at {wallet}/rp/my-bank and onboard with that credential",
        "     (scan the QR code or use the same-device button).",
        f"  3. See who is trusted: {registry}/v1/countries and the signed list at {registry}/v1/trust-list",
        "  4. One name is enough: as Aung Kyaw (Myanmar, a mononym registered with only his birth year)",
        f"     receive a person ID and pass the age check at {wallet}/rp/age-check",
        "  5. Act for a company: as Nguyễn Văn An (Vietnam) receive a person ID and the Song Hong Trading",
        f"     mandate, then sign in at the Thai procurement portal: {wallet}/rp/th-supplier-mandate",
        "",
        f"Service URLs are also in {plan.data / 'stack.json'}.",
    ]
    return "\n".join(lines)


async def _serve_all(apps: dict[str, Any], plan: StackPlan, log_level: str) -> int:
    import uvicorn

    class QuietServer(uvicorn.Server):
        """Leaves signals to the demo: one Ctrl-C stops every service, once."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    servers = []
    for name, app in apps.items():
        config = uvicorn.Config(
            app, host=plan.host, port=plan.ports[name], log_level=log_level, server_header=False, log_config=None
        )
        servers.append(QuietServer(config))
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    tasks = [asyncio.create_task(s.serve()) for s in servers]
    healthy = await asyncio.to_thread(wait_healthy, plan.services())
    code = 0
    if all(healthy.values()):
        (plan.data / "stack.json").write_text(
            json.dumps({"services": [{"name": n, "url": u} for n, u in plan.services().items()]}, indent=2),
            encoding="utf-8",
        )
        print(_banner(plan), flush=True)
        waiter = asyncio.create_task(stop.wait())
        await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
    else:
        down = ", ".join(n for n, ok in healthy.items() if not ok)
        print(f"lintas demo: these services did not become healthy: {down}", file=sys.stderr)
        code = 1
    print("lintas demo: stopping…", file=sys.stderr, flush=True)
    for server in servers:
        server.should_exit = True
    await asyncio.gather(*tasks, return_exceptions=True)
    return code


def run_demo(args: argparse.Namespace) -> int:
    """Build and serve the stack until Ctrl-C; 0 on a clean stop."""
    from lintas.server import configure_logging

    countries = tuple(c.strip().upper() for c in args.countries.split(",") if c.strip())
    try:
        plan = plan_stack(
            Path(args.data),
            base_port=args.base_port,
            countries=countries,
            redis_url=args.redis_url or os.environ.get("REDIS_URL") or None,
        )
    except ValueError as exc:
        print(f"lintas demo: {exc}", file=sys.stderr)
        return 2
    configure_logging(args.log_level)
    apps = build_apps(plan)
    return asyncio.run(_serve_all(apps, plan, args.log_level))


def register(subparsers: Any) -> None:
    """Add ``lintas demo``."""
    parser = subparsers.add_parser(
        "demo",
        help="run the whole stack on loopback (registry, issuers, verifier, wallet)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data", default="data/demo", help="data directory (keys, certificates, embedded stores)")
    parser.add_argument("--base-port", type=int, default=8100, help="registry port; the others follow (default 8100)")
    parser.add_argument(
        "--countries", default=",".join(DEFAULT_COUNTRIES), help="issuers to run (default SG,MY,TH,VN,MM)"
    )
    parser.add_argument("--redis-url", default=None, help="Redis URL (default: $REDIS_URL, else the embedded store)")
    parser.add_argument("--log-level", default="warning", help="log level of the services (default warning)")
    parser.set_defaults(handler=run_demo)
