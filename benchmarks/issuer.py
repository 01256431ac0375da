"""Benchmark: credentials issued per second through the issuer's Credential Endpoint, on one core.

Three rates measured in the same run:

* raw ES256 signing of a credential-sized JWS signing input (``cryptography``, key pre-loaded);
* idcore issuance of the PID SD-JWT VC (``issue_sd_jwt_vc``: ~20 Disclosures, x5c header);
* the Token Endpoint (pre-authorized code, no PIN): code redemption and an ES256 access token;
* the whole Credential Endpoint in-process (httpx ``ASGITransport``, one worker, embedded SQLite
  store): access token check, ``openid4vci-proof+jwt`` verification, single-use ``c_nonce``,
  random status index, SD-JWT VC signing, index and notification records, with a batch of 1
  and of 10 proofs per request (OpenID4VCI 1.0 Section 8.2 ``proofs``; credentials per second).
  Proofs and nonces are prepared before the clock starts (they are the wallet's cost).

Each is reported as a ratio to the ES256 signing floor of the same run.

    python benchmarks/issuer.py [--requests 300] [--json]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path and its name would shadow the
# ``issuer`` package it measures.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import asyncio
import json
import os
import tempfile
import time
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.jose import KeySigner, sign_compact
from idcore.oid4vci import PRE_AUTHORIZED_GRANT
from idcore.ports import SystemRandom
from idcore.sdjwt_vc import issue_sd_jwt_vc
from issuer.app import create_app
from issuer.settings import IssuerSettings

BASE = "http://127.0.0.1:8101"
PID = f"{BASE}/sg"


def _rate(fn: Any, seconds: float) -> float:
    best = 0.0
    for _ in range(3):
        n, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / 3:
            for _ in range(20):
                fn()
            n += 20
        best = max(best, n / elapsed)
    return best


async def _operator_token(client: httpx.AsyncClient, data_dir: Path) -> str:
    secret = json.loads((data_dir / "issuer-sg-clients.json").read_text())["operator"]["secret"]
    answer = await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("operator", secret))
    return str(answer.json()["access_token"])


async def _codes(client: httpx.AsyncClient, operator: str, count: int) -> list[str]:
    """Pre-authorized codes of ``count`` fresh offers (the issuer's back office, not timed)."""
    codes = []
    for _ in range(count):
        offer = (
            await client.post(
                "/v1/offers",
                headers={"Authorization": f"Bearer {operator}"},
                json={
                    "subject_id": "sg-tan-wei-ling",
                    "credential_configuration_id": "asean_pid_sd_jwt",
                    "tx_code": False,
                },
            )
        ).json()
        codes.append(offer["credential_offer"]["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"])
    return codes


async def _redeem(client: httpx.AsyncClient, code: str) -> str:
    answer = await client.post("/sg/token", data={"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


async def _proofs(client: httpx.AsyncClient, batch: int) -> list[str]:
    nonce = (await client.post("/sg/nonce")).json()["c_nonce"]
    proofs = []
    for _ in range(batch):  # one key per credential: unlinkable copies
        holder = KeySigner(ec.generate_private_key(ec.SECP256R1()))
        header = {"typ": "openid4vci-proof+jwt", "jwk": dict(holder.public_jwk)}
        proofs.append(sign_compact(header, {"aud": PID, "iat": int(time.time()), "nonce": nonce}, holder))
    return proofs


async def _endpoint_rates(app: Any, data_dir: Path, requests: int) -> dict[str, float]:
    """Tokens per second, and credentials per second with a batch of 1 and of 10."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        operator = await _operator_token(client, data_dir)
        codes = await _codes(client, operator, requests + 1)
        start = time.perf_counter()
        tokens = [await _redeem(client, code) for code in codes[:requests]]
        rates = {"token": requests / (time.perf_counter() - start)}
        headers = {"Authorization": f"Bearer {tokens[0]}"}
        for batch, count in ((1, requests), (10, max(1, requests // 10))):
            bodies = [
                {"credential_configuration_id": "asean_pid_sd_jwt", "proofs": {"jwt": await _proofs(client, batch)}}
                for _ in range(count)
            ]
            start = time.perf_counter()
            for body in bodies:
                answer = await client.post("/sg/credential", json=body, headers=headers)
                assert answer.status_code == 200, answer.text
                assert len(answer.json()["credentials"]) == batch
            rates[f"batch{batch}"] = count * batch / (time.perf_counter() - start)
        return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="credential requests to time")
    parser.add_argument("--seconds", type=float, default=1.5, help="measuring time of the signing rates")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    with tempfile.TemporaryDirectory(prefix="lintas-bench-issuer-") as tmp:
        data_dir = Path(tmp)
        settings = IssuerSettings(country="SG", public_url=BASE, data_dir=data_dir, development=True)
        app = create_app(settings)
        tenant = app.state.service.tenants[0]
        service = app.state.service
        subject = service.subjects.get("sg-tan-wei-ling")
        from issuer.subjects import credential_claims

        claims = credential_claims(subject, int(time.time()))
        holder = KeySigner(ec.generate_private_key(ec.SECP256R1()))
        random = SystemRandom()

        def issue() -> None:
            issue_sd_jwt_vc(
                claims,
                tenant.keys.signer,
                vct=tenant.ctype.vct,
                random=random,
                iss=PID,
                iat=1,
                exp=2,
                holder_jwk=holder.public_jwk,
                sd_paths=tenant.sd_paths,
                header={"x5c": tenant.keys.x5c},
                status={"status_list": {"idx": 1, "uri": PID}},
            )

        key = ec.generate_private_key(ec.SECP256R1())
        message = b"x" * 1400  # about the size of a PID issuer-signed JWT signing input
        algorithm = ec.ECDSA(hashes.SHA256())
        raw_rate = _rate(lambda: key.sign(message, algorithm), args.seconds)
        issue_rate = _rate(issue, args.seconds)
        rates = asyncio.run(_endpoint_rates(app, data_dir, args.requests))
        service.records.store.close()

    rows = [
        ("raw ES256 signature (cryptography, key loaded)", raw_rate),
        ("idcore SD-JWT VC issuance (PID, x5c, status)", issue_rate),
        ("Token Endpoint (pre-authorized code)", rates["token"]),
        ("Credential Endpoint, batch of 1 (credentials/s)", rates["batch1"]),
        ("Credential Endpoint, batch of 10 (credentials/s)", rates["batch10"]),
    ]
    if args.json:
        print(
            json.dumps({name: {"per_s": round(rate, 1), "vs_floor": round(rate / raw_rate, 4)} for name, rate in rows})
        )
        return
    print("| what (one core, one worker)                        | per second | × ES256 signing floor |")
    print("|----------------------------------------------------|-----------:|----------------------:|")
    for name, rate in rows:
        print(f"| {name:<50} | {rate:10.0f} | {rate / raw_rate:21.4f} |")


if __name__ == "__main__":
    main()
