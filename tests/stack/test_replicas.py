"""Scaling out: two verifier *processes* sharing one real Redis serve one flow, its steps alternating.

A registry process publishes the trust list; two ``lintas verifier`` processes share a data
directory (keys, relying-party secrets) and a Redis, as replicas behind a load balancer would,
with the same public URL. The test sends each step of a flow to the other replica than the one
before, and replays the wallet's response at the other replica, which must refuse it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.jose import KeySigner
from idcore.keys import private_key_from_pem
from idcore.ports import SystemClock, SystemRandom
from idcore.sdjwt_vc import issue_sd_jwt_vc
from idcore.x509 import certificate_from_pem, certificates_from_pem, x5c_from_certificates
from lintas.testing import RedisServer, free_port
from tests.verifier.wallet_client import ScriptedWallet

CLAIMS = {
    "given_name": "Wei Ling",
    "family_name": "Tan",
    "birthdate": "1990-02-03",
    "nationality": "SG",
    "age_over_18": True,
}


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "lintas_cli.main", *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def _wait(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} not ready: {log.read_text()[-2000:]}")


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("LINTAS_")}
    ports = {name: free_port() for name in ("registry", "sg", "a", "b")}
    registry = f"http://127.0.0.1:{ports['registry']}"
    processes: list[subprocess.Popen[bytes]] = []
    with RedisServer() as redis:
        try:
            reg_env = dict(env, LINTAS_REGISTRY_ISSUER_BASES=json.dumps({"SG": f"http://127.0.0.1:{ports['sg']}"}))
            processes.append(
                _spawn(
                    [
                        "registry",
                        "--port",
                        str(ports["registry"]),
                        "--data",
                        str(tmp_path),
                        "--public-url",
                        registry,
                        "--development",
                    ],
                    reg_env,
                    tmp_path / "registry.log",
                )
            )
            _wait(f"{registry}/healthz", processes[-1], tmp_path / "registry.log")
            pin = (tmp_path / "registry" / "pin.txt").read_text().strip()
            public = f"http://localhost:{ports['a']}"  # what a load balancer in front of both would be
            for name in ("a", "b"):
                args = [
                    "verifier",
                    "--port",
                    str(ports[name]),
                    "--data",
                    str(tmp_path / "verifier"),
                    "--redis-url",
                    redis.url,
                    "--public-url",
                    public,
                    "--development",
                    "--registry-url",
                    registry,
                    "--registry-pin",
                    pin,
                ]
                processes.append(_spawn(args, env, tmp_path / f"verifier-{name}.log"))
                # A first, so that A creates the shared keys and secrets that B then reads.
                _wait(f"http://localhost:{ports[name]}/readyz", processes[-1], tmp_path / f"verifier-{name}.log")
            yield f"http://localhost:{ports['a']}", f"http://localhost:{ports['b']}", tmp_path
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()


def _credential(data: Path, holder: KeySigner) -> str:
    material = data / "issuers" / "sg-pid"
    issuer = json.loads((material / "issuer.json").read_text())
    signer = KeySigner(private_key_from_pem((material / "document-signer.pem").read_bytes()))  # type: ignore[arg-type]
    chain = certificates_from_pem((material / "chain.pem").read_bytes())
    now = int(time.time())  # not earlier: the registry granted this issuer when it first started
    return issue_sd_jwt_vc(
        CLAIMS,
        signer,
        vct=issuer["vcts"][0],
        random=SystemRandom(),
        iss=issuer["id"],
        iat=now,
        exp=now + 86400,
        holder_jwk=holder.public_jwk,
        sd_paths=[[name] for name in CLAIMS],
        header={"x5c": x5c_from_certificates([c for c in chain if c.subject != c.issuer])},
    ).serialize()


def test_two_verifier_processes_share_one_redis(replicas: tuple[str, str, Path]) -> None:
    a, b, data = replicas
    secret = json.loads((data / "verifier" / "rp-clients.json").read_text())["my-bank"]
    with httpx.Client(timeout=15) as http:
        token = http.post(
            f"{b}/oauth/token", data={"grant_type": "client_credentials"}, auth=("my-bank", secret)
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        # 1. created on A (with a token issued by B: both replicas share the signing key)
        created = http.post(f"{a}/v1/presentations", json={"policy": "age-check"}, headers=headers)
        assert created.status_code == 201, created.text
        body = created.json()
        anchors = [certificate_from_pem(http.get(f"{b}/.well-known/lintas/rp-ca.pem").content)]
        wallet = ScriptedWallet(http, anchors, SystemClock(), KeySigner(ec.generate_private_key(ec.SECP256R1())))
        # 2. request object fetched from B
        request = wallet.fetch(body["request_link"].replace(a.rsplit(":", 1)[1], b.rsplit(":", 1)[1]))
        form = wallet.response_form(request, {"pid": [wallet.present(request, _credential(data, wallet.holder))]})
        # 3. response posted to A; 4. the replay at B is refused (the claim on the transaction is shared)
        accepted = http.post(f"{a}/wallet/response", data=form)
        outcome = http.get(f"{a}/v1/presentations/{body['transaction_id']}", headers=headers).json()
        assert accepted.status_code == 200, json.dumps(outcome)
        assert http.post(f"{b}/wallet/response", data=form).status_code == 400
        # 5. the result read on B
        result = http.get(f"{b}/v1/presentations/{body['transaction_id']}", headers=headers).json()
        assert result["status"] == "verified", result
        # a tampered twin: a second flow whose response names another nonce is rejected, on either replica
        second = http.post(f"{b}/v1/presentations", json={"policy": "age-check"}, headers=headers).json()
        request2 = wallet.fetch(second["request_link"].replace(a.rsplit(":", 1)[1], b.rsplit(":", 1)[1]))
        request2.claims["nonce"] = "not-the-verifiers-nonce"
        form2 = wallet.response_form(request2, {"pid": [wallet.present(request2, _credential(data, wallet.holder))]})
        http.post(f"{a}/wallet/response", data=form2)
        rejected = http.get(f"{a}/v1/presentations/{second['transaction_id']}", headers=headers).json()
        assert rejected["status"] == "rejected", rejected
