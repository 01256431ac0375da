"""End to end over real sockets: the registry's PKI, an SG issuer under uvicorn, a scripted wallet.

The trust registry's seed generates the national roots and the issuers' document-signer keys and
certificates into a data directory; the issuer, started on that same directory, signs with them.
The wallet drives both grants over HTTP (pre-authorized code with PIN and DPoP for a PID;
authorization code with PAR, PKCE and the demo login for a business registration). Both
credentials verify with idcore against the registry's anchors and its authorisation decision;
then the admin revokes one and the status list, fetched over HTTP, flips.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from idcore.errors import IdcoreError
from idcore.ports import SystemClock
from idcore.sdjwt import HolderCredential
from idcore.status_list import check_status, parse_status_reference
from idcore.trust import TrustSnapshot, require_authorised
from idcore.trust.vct import VCT_BUSINESS_REGISTRATION, VCT_PID
from issuer.app import create_app
from issuer.operators import clients_file
from issuer.settings import IssuerSettings
from lintas.testing import UvicornServer, free_port
from tests.issuer.conftest import BUSINESS_CONFIG
from tests.issuer.helpers import verify_credential, verify_status
from tests.issuer.wallet_client import ScriptedWallet
from trust_registry.seed import build_initial_list, load_seed
from trust_registry.settings import RegistrySettings


class Deployment:
    """A running SG issuer on loopback, on the registry's key material."""

    def __init__(self, data_dir: Path, snapshot: TrustSnapshot, server: UvicornServer, http: httpx.Client) -> None:
        self.data_dir, self.snapshot, self.server, self.http = data_dir, snapshot, server, http
        self.base = server.base_url
        self.pid, self.business = f"{self.base}/sg", f"{self.base}/sg/business"

    def bearer(self, client_id: str) -> dict[str, str]:
        import json

        secret = json.loads(clients_file(self.data_dir, "SG").read_text())[client_id]["secret"]
        answer = self.http.post(
            f"{self.base}/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
        )
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _start(data_dir: Path) -> tuple[TrustSnapshot, UvicornServer]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    registry = RegistrySettings(
        data_dir=data_dir, development=True, public_url="http://127.0.0.1:1", issuer_bases={"SG": base}
    )
    snapshot = TrustSnapshot(build_initial_list(registry, load_seed(registry.seed_file), now=int(time.time())))
    settings = IssuerSettings(
        country="SG", public_url=base, data_dir=data_dir, development=True, generate_pki=False, dpop_required=True
    )
    server = UvicornServer(create_app(settings), port=port)
    server.start()
    return snapshot, server


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    for attempt in range(3):  # the identifier needs the port before binding: retry if another test took it
        data_dir = tmp_path / f"attempt-{attempt}"
        try:
            snapshot, server = _start(data_dir)
        except (RuntimeError, OSError):
            continue
        with httpx.Client(timeout=10) as http:
            yield Deployment(data_dir, snapshot, server, http)
        server.stop()
        return
    raise RuntimeError("could not start the issuer on a free loopback port")


def _verify_trusted(deployment: Deployment, credential: str, vct: str, holder: Any) -> dict[str, Any]:
    clock = SystemClock()
    claims = HolderCredential.parse(credential).claims
    entry = require_authorised(deployment.snapshot, claims["iss"], vct, claims["iat"], clock.now())
    verified = verify_credential(credential, list(deployment.snapshot.anchors(entry.country)), clock, holder=holder)
    assert verified.vct == vct
    return verified.claims


def test_both_grants_registry_anchors_and_revocation(deployment: Deployment) -> None:
    http, wallet = deployment.http, ScriptedWallet(deployment.http, dpop=True)
    operator = deployment.bearer("operator")
    body = {"subject_id": "sg-tan-wei-ling", "credential_configuration_id": "asean_pid_sd_jwt"}
    created = http.post(f"{deployment.base}/v1/offers", headers=operator, json=body).json()
    pid = wallet.obtain(wallet.resolve_offer(created["offer_link_by_reference"]), created["tx_code"])
    pid_claims = _verify_trusted(deployment, pid.credentials[0], VCT_PID, pid.keys[0])
    assert pid_claims["iss"] == deployment.pid
    # Signed with the document signer the registry generated, not a certificate of the issuer's own.
    registry_leaf = (deployment.data_dir / "issuers" / "sg-pid" / "certificate.pem").read_bytes()
    x5c = HolderCredential.parse(pid.credentials[0])  # header is checked through the issuer JWT below
    from idcore.jose import parse_compact
    from idcore.x509 import certificate_to_pem, parse_x5c

    leaf = parse_x5c(parse_compact(x5c.issuer_jwt).header["x5c"])[0]
    assert certificate_to_pem(leaf) == registry_leaf

    token = wallet.token_authorization_code(deployment.business, "asean_business_registration", "sg-merlion-logistics")
    assert token.json()["token_type"] == "DPoP"
    answer = wallet.request_credentials(
        wallet.issuer_metadata(deployment.business), token.json()["access_token"], BUSINESS_CONFIG, count=2
    )
    assert answer.status_code == 200, answer.text
    business = [c["credential"] for c in answer.json()["credentials"]]
    business_claims = _verify_trusted(deployment, business[0], VCT_BUSINESS_REGISTRATION, wallet.keys[0])
    assert business_claims["legal_name"] == "Merlion Logistics Pte. Ltd."

    # A registry that does not list this issuer for the business vct refuses it.
    with pytest.raises(IdcoreError):
        require_authorised(
            deployment.snapshot, deployment.pid, VCT_BUSINESS_REGISTRATION, int(time.time()), int(time.time())
        )

    admin = deployment.bearer("admin")
    listing = http.get(
        f"{deployment.base}/v1/credentials", params={"subject_id": "sg-tan-wei-ling"}, headers=admin
    ).json()["credentials"]
    assert (
        http.post(f"{deployment.base}/v1/credentials/{listing[0]['credential_id']}/revoke", headers=admin).status_code
        == 200
    )

    clock = SystemClock()
    for credential, expected in ((pid.credentials[0], "revoked"), (business[0], None)):
        claims = HolderCredential.parse(credential).claims
        reference = parse_status_reference(claims, allow_insecure_loopback=True)
        token_text = http.get(reference.uri).text
        anchors = list(deployment.snapshot.anchors("SG"))
        verified = verify_status(token_text, reference.uri, anchors, clock)
        if expected is None:
            assert check_status(reference, verified) == 0
        else:
            with pytest.raises(IdcoreError) as caught:
                check_status(reference, verified)
            assert caught.value.reason.value == expected
