"""Benchmark: the whole OpenID4VP flow over HTTP, per step and end to end, Redis-backed.

One verifier worker under uvicorn pinned to core 0 (JSON logs as ``lintas verifier``), a real
``redis-server`` and the trust list + status list server (``verifier_http.served_world``). A
Python client pinned to core 1 runs ``--flows`` flows from ``--concurrency`` threads; each flow:

1. ``create``: the relying party's ``POST /v1/presentations`` (OAuth bearer token; the answer
   carries the links and the QR code);
2. ``request object``: the wallet's ``POST /wallet/request/{id}`` with ``wallet_nonce``
   (OpenID4VP 1.0 Section 5.10), a fresh signed Request Object;
3. ``response``: the wallet's ``direct_post`` to the Response URI (Section 8.2): session claim,
   nonce, full verification, result write;
4. ``result``: the relying party's ``GET /v1/presentations/{id}``, which must read ``verified``.

Only the HTTP exchanges are timed: the wallet's own work (checking the Request Object's
signature and chain, signing the KB-JWT) happens between steps, off the clock. End to end is the
sum of the four steps of one flow. A flow that does not end verified, or any 5xx, is a failure
(exit 1).

    python benchmarks/verifier_flow.py [--flows 200] [--concurrency 4] [--json]
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)  # benchmarks/issuer.py would shadow the issuer package
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import json
import os
import secrets
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from benchmarks.verifier_http import served_world, start_verifier, stop_verifier
from idcore.jose import KeySigner
from idcore.oid4vp import parse_request_link, verify_request_object
from idcore.ports import SystemClock
from idcore.x509 import certificate_from_pem
from tests.verifier.wallet_client import AuthorizationRequest, ScriptedWallet
from tests.verifier.world import PID_CLAIMS, World, new_key

STEPS = ("create", "request object", "response", "result")
_JAR = "application/oauth-authz-req+jwt"
_WALLET_METADATA = '{"vp_formats_supported":{"dc+sd-jwt":{}}}'


class FlowFailed(Exception):
    """A step answered something other than what a correct verifier answers."""


@dataclass
class Client:
    """The relying party's token, the wallet and its credential, one HTTP client for all threads."""

    http: httpx.Client
    base: str
    token: str
    wallet: ScriptedWallet
    credential: str

    def timed(self, method: str, url: str, expect: int, **kwargs: Any) -> tuple[httpx.Response, float]:
        """One request, its latency in seconds; a different status raises :class:`FlowFailed`."""
        start = time.perf_counter()
        response = self.http.request(method, url, **kwargs)
        elapsed = time.perf_counter() - start
        if response.status_code != expect:
            raise FlowFailed(f"{method} {url.split('?')[0]}: {response.status_code}")
        return response, elapsed

    def flow(self) -> dict[str, float]:
        """One whole flow; seconds per step."""
        auth = {"Authorization": f"Bearer {self.token}"}
        created, t_create = self.timed(
            "POST",
            f"{self.base}/v1/presentations",
            201,
            headers=auth,
            json={"policy": "pid-onboarding", "response_mode": "direct_post"},
        )
        view = created.json()
        link = parse_request_link(view["request_link"])
        nonce = secrets.token_urlsafe(16)
        fetched, t_request = self.timed(
            "POST",
            link["request_uri"],
            200,
            headers={"Accept": _JAR},
            data={"wallet_nonce": nonce, "wallet_metadata": _WALLET_METADATA},
        )
        claims = verify_request_object(
            fetched.text,
            client_id=link["client_id"],
            anchors=self.wallet.anchors,
            now=int(time.time()),
            wallet_nonce=nonce,
        )
        request = AuthorizationRequest(claims, link)
        form = self.wallet.response_form(request, {"pid": [self.wallet.present(request, self.credential)]})
        _, t_response = self.timed("POST", claims["response_uri"], 200, data=form)
        result, t_result = self.timed("GET", view["status_url"], 200, headers=auth)
        if result.json().get("status") != "verified" or not result.json().get("credentials"):
            raise FlowFailed(f"result: {result.json().get('status')}")
        return dict(zip(STEPS, (t_create, t_request, t_response, t_result), strict=True))


def make_client(http: httpx.Client, base: str, world: World) -> Client:
    """Token for the demo relying party, the pinned relying-party CA, a credential for the wallet."""
    secret = json.loads((Path(os.environ["LINTAS_VERIFIER_DATA_DIR"]) / "rp-clients.json").read_text())["my-bank"]
    token = http.post(
        f"{base}/oauth/token", data={"grant_type": "client_credentials"}, auth=("my-bank", secret)
    ).json()["access_token"]
    anchors = [certificate_from_pem(http.get(f"{base}/.well-known/lintas/rp-ca.pem").content)]
    wallet = ScriptedWallet(http, anchors, SystemClock(), KeySigner(new_key()))
    now = int(time.time())
    credential = world.issue(
        "sg-pid", dict(PID_CLAIMS), dict(wallet.holder.public_jwk), iat=now - 3600, exp=now + 86400
    )
    return Client(http, base, token, wallet, credential)


def run_flows(client: Client, flows: int, concurrency: int) -> tuple[list[dict[str, float]], list[str], float]:
    """``flows`` flows from ``concurrency`` threads: per-flow step times, failures, wall seconds."""

    def one(_: int) -> dict[str, float] | str:
        try:
            return client.flow()
        except (FlowFailed, httpx.HTTPError) as exc:
            return f"{type(exc).__name__}: {exc}"

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        outcomes = list(pool.map(one, range(flows)))
    wall = time.perf_counter() - start
    return [o for o in outcomes if isinstance(o, dict)], [o for o in outcomes if isinstance(o, str)], wall


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def summarise(times: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """p50/p99/mean in ms per step and for the end-to-end sum."""
    columns = {step: [t[step] for t in times] for step in STEPS}
    columns["end to end"] = [sum(t.values()) for t in times]
    return {
        name: {
            "p50_ms": percentile(v, 50) * 1e3,
            "p99_ms": percentile(v, 99) * 1e3,
            "mean_ms": statistics.fmean(v) * 1e3,
        }
        for name, v in columns.items()
    }


def main() -> int:
    """Warm up, run the flows, print the per-step table (or one JSON line)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flows", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ["LINTAS_BENCH_LOG_LEVEL"] = args.log_level
    with served_world() as (world, redis):
        os.sched_setaffinity(0, {1})  # the client (and its threads) on core 1, the verifier on core 0
        process, base = start_verifier(
            1,
            redis.url,
            cpus="0",
            factory="benchmarks.verifier_wrk:app_factory",
            log_level=args.log_level,
            stderr=subprocess.DEVNULL,
        )
        try:
            with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=args.concurrency + 2)) as http:
                client = make_client(http, base.replace("localhost", "127.0.0.1"), world)
                run_flows(client, min(20, args.flows), args.concurrency)  # warm-up
                times, failed, wall = run_flows(client, args.flows, args.concurrency)
        finally:
            stop_verifier(process)
    table = summarise(times) if times else {}
    if args.json:
        print(json.dumps({"flows": len(times), "failures": failed, "flows_per_s": len(times) / wall, "steps": table}))
    else:
        print_table(table, len(times), failed, wall, args)
    return 1 if failed or not times else 0


def print_table(
    table: dict[str, dict[str, float]], done: int, failed: list[str], wall: float, args: argparse.Namespace
) -> None:
    """The per-step table and the failures."""
    print(
        f"OpenID4VP flow per step over HTTP, Redis-backed: 1 worker on core 0, {args.concurrency} client threads "
        f"on core 1, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        "NOTE: on a shared or loaded machine (see the load average) absolute times are noise and are not the "
        "README's figures: compare the shares of this run only."
    )
    total = table.get("end to end", {}).get("mean_ms", 0.0) or 1.0
    print("| step                | p50 ms | p99 ms | mean ms | share of end to end |")
    print("|:--------------------|-------:|-------:|--------:|--------------------:|")
    for name, row in table.items():
        print(
            f"| {name:<19} | {row['p50_ms']:>6.1f} | {row['p99_ms']:>6.1f} | {row['mean_ms']:>7.1f} "
            f"| {row['mean_ms'] / total:>19.2f} |"
        )
    print(f"{done} flows verified in {wall:.1f} s ({done / wall:.1f} flows/s); failures: {len(failed)}")
    for failure in sorted(set(failed))[:10]:
        print(f"FAILED: {failure}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
