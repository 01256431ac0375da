"""Two verifier replicas sharing one Redis: any replica serves any step of a flow.

Both run from the same data directory (keys, client secrets) and the same store namespace, as
replicas behind a load balancer would; the steps of one flow alternate between them.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx

from idcore.jose import KeySigner
from idcore.ports import FixedClock
from idcore.x509 import certificate_from_pem
from lintas.kv import open_store
from lintas.testing import RedisServer, UvicornServer, free_port
from tests.verifier.wallet_client import ScriptedWallet
from tests.verifier.world import PID_CLAIMS, World, new_key
from verifier.app import create_app
from verifier.settings import VerifierSettings


def test_flow_alternating_between_two_replicas(
    tmp_path: Path, world: World, clock: FixedClock, redis_server: RedisServer
) -> None:
    port_a, port_b = free_port(), free_port()
    settings = VerifierSettings(
        public_url=f"http://localhost:{port_a}", data_dir=tmp_path, redis_url=redis_server.url, development=True
    )
    namespace = f"v{uuid.uuid4().hex[:12]}"
    stores = [open_store(redis_server.url, tmp_path, namespace) for _ in range(2)]
    apps = [create_app(settings, store=s, clock=clock, trust=world.trust_cache(clock)) for s in stores]
    secret = json.loads((tmp_path / "rp-clients.json").read_text())["my-bank"]
    try:
        with (
            UvicornServer(apps[0], port=port_a) as a,
            UvicornServer(apps[1], port=port_b) as b,
            httpx.Client(timeout=10) as http,
        ):
            base_a, base_b = f"http://localhost:{port_a}", f"http://localhost:{port_b}"
            token = http.post(
                f"{base_a}/oauth/token", data={"grant_type": "client_credentials"}, auth=("my-bank", secret)
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            # Created on A, the request object fetched from B, the response posted to A, the result read on B.
            created = http.post(f"{base_a}/v1/presentations", json={"policy": "age-check"}, headers=headers).json()
            anchors = [certificate_from_pem(http.get(f"{base_b}/.well-known/lintas/rp-ca.pem").content)]
            wallet = ScriptedWallet(http, anchors, clock, KeySigner(new_key()))
            request = wallet.fetch(created["request_link"].replace(str(port_a), str(port_b)))
            credential = world.issue("sg-pid", PID_CLAIMS, dict(wallet.holder.public_jwk))
            form = wallet.response_form(request, {"pid": [wallet.present(request, credential)]})
            assert http.post(f"{base_a}/wallet/response", data=form).status_code == 200
            # The same response replayed at the other replica is refused: the claim is shared.
            assert http.post(f"{base_b}/wallet/response", data=form).status_code == 400
            result = http.get(f"{base_b}/v1/presentations/{created['transaction_id']}", headers=headers).json()
            assert result["status"] == "verified"
            assert a.base_url != b.base_url
    finally:
        for store in stores:
            store.close()
