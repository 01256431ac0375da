"""A real issuer's mDL is trusted by the real verifier (issue #15, "Trust").

The trust registry's seed generates the national roots and the issuers' key material into one
data directory and lists the TH and MY PID issuers for the mDL and PID mdoc doctypes; the TH
issuer app, started on that directory under uvicorn, makes its mdoc Document Signer under the TH
root naming its identifier as a URI SAN. A scripted wallet obtains an mDL over OpenID4VCI
(pre-authorized code), the verifier app (its trust list built from the same seed) asks for it
over ``direct_post.jwt`` for the demo's Malaysian car rental (``verifier/demo_config.json``),
and the wallet answers with a DeviceResponse signed over the transaction's SessionTranscript:
``verified``, only age and driving privileges disclosed, the MSO's status reference fetched from
the issuer over HTTP. Twins: an mDL signed by a Document Signer under the same TH root naming an
unlisted issuer or none (what the issuer made before) is refused ``untrusted_issuer``; one naming
the TH business issuer (listed, not for the mDL) ``not_authorised``. The same mDL over the Digital
Credentials API (``dc_api.jwt``) verifies too; its twin, bound to a look-alike origin and relayed
as the rental's, fails holder binding.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from idcore.b64 import b64u_decode, b64u_encode, json_dumps
from idcore.jose import KeySigner, parse_compact
from idcore.jwk import jwk_thumbprint
from idcore.mdoc import (
    create_document_signer_certificate,
    dc_api_session_transcript,
    device_response,
    issue_mdoc,
    present_mdoc,
)
from idcore.mdoc.cbor import decode
from idcore.oid4vp import encrypt_compact
from idcore.ports import FixedClock, SystemRandom
from idcore.trust import TrustSnapshot
from idcore.x509 import certificate_from_pem, san_uris
from issuer.app import create_app as issuer_app
from issuer.operators import clients_file
from issuer.settings import IssuerSettings
from lintas.demo_pki import Validity, ensure_national_root
from lintas.testing import RedisServer, UvicornServer, free_port
from tests.issuer.wallet_client import Issued
from tests.issuer.wallet_client import ScriptedWallet as IssuanceWallet
from tests.verifier.conftest import RunningVerifier, start_verifier
from tests.verifier.test_flows_mdoc import _transcript
from tests.verifier.wallet_client import ScriptedWallet
from tests.verifier.world import MDL_DOCTYPE, new_key
from trust_registry.seed import build_initial_list, load_seed
from trust_registry.settings import RegistrySettings

MDL_NS = "org.iso.18013.5.1"
SOMCHAI = "th-somchai-jaidee"
RENTAL = "https://sewa.example.my"
#: The demo's Malaysian car rental (verifier/demo_config.json): the policy a deployment starts with.
DEMO = json.loads((Path(__file__).resolve().parents[2] / "verifier" / "demo_config.json").read_text())
CONFIG = {
    "policies": {"car-rental": DEMO["policies"]["car-rental"]},
    # Its page's origin, for the Digital Credentials API (the demo file names none: its URL is the launcher's).
    "relying_parties": {"my-car-rental": {**DEMO["relying_parties"]["my-car-rental"], "origins": [RENTAL]}},
}
#: What the car rental asks: age and driving privileges only (issue #15's journey).
ASKED = [c["path"][1] for c in DEMO["policies"]["car-rental"]["dcql_query"]["credentials"][0]["claims"]]


class _Trust:
    """The verifier's trust source: the list the registry's seed built (what the registry would publish)."""

    def __init__(self, snapshot: TrustSnapshot) -> None:
        self.snapshot = snapshot

    def trust_cache(self, clock: Any) -> Callable[[], TrustSnapshot]:
        return lambda: self.snapshot


@dataclass
class Stack:
    """The TH issuer on a socket, its data directory, and the verifier trusting the seed's list."""

    data: Path
    issuer: str
    http: httpx.Client
    verifier: RunningVerifier

    def mdl(self) -> Issued:
        """An mDL for Somchai over the real offer, token and credential endpoints."""
        secret = json.loads(clients_file(self.data, "TH").read_text())["operator"]["secret"]
        token = self.http.post(
            f"{self.issuer}/oauth/token", data={"grant_type": "client_credentials"}, auth=("operator", secret)
        ).json()["access_token"]
        body = {"subject_id": SOMCHAI, "credential_configuration_id": MDL_DOCTYPE}
        created = self.http.post(f"{self.issuer}/v1/offers", json=body, headers={"Authorization": f"Bearer {token}"})
        assert created.status_code == 201, created.text
        wallet = IssuanceWallet(self.http)
        offer = wallet.resolve_offer(created.json()["offer_link_by_value"])
        return wallet.obtain(offer, created.json()["tx_code"])


def _start_issuer(data: Path) -> tuple[TrustSnapshot, UvicornServer]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    registry = RegistrySettings(
        data_dir=data, development=True, public_url="http://127.0.0.1:1", issuer_bases={"TH": base}
    )
    snapshot = TrustSnapshot(build_initial_list(registry, load_seed(registry.seed_file), now=int(time.time()) - 3600))
    # generate_pki: the registry made the SD-JWT chain; the issuer makes its mdoc DS under the same root.
    settings = IssuerSettings(country="TH", public_url=base, data_dir=data, development=True, generate_pki=True)
    server = UvicornServer(issuer_app(settings), port=port)
    server.start()
    return snapshot, server


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("real-mdl")
    for attempt in range(3):  # the identifier needs the port before binding: retry if another test took it
        data = tmp / f"attempt-{attempt}"
        try:
            snapshot, server = _start_issuer(data)
        except (RuntimeError, OSError):
            continue
        config = tmp / "verifier.json"
        config.write_text(json.dumps(CONFIG), encoding="utf-8")
        clock = FixedClock(int(time.time()))
        verifier = start_verifier(tmp / "verifier", _Trust(snapshot), clock, redis_server.url, config_file=config)  # type: ignore[arg-type]
        with httpx.Client(timeout=10) as http:
            yield Stack(data, server.base_url, http, next(verifier))
        next(verifier, None)  # runs the generator's teardown: server and store closed
        server.stop()
        return
    raise RuntimeError("could not start the issuer on a free loopback port")


def _present(stack: Stack, issuer_signed: dict[str, Any], holder: KeySigner) -> tuple[str, int]:
    """Create a transaction, answer it with ``issuer_signed`` over direct_post.jwt; the answer's status code."""
    rental = stack.verifier
    created = rental.create("my-car-rental", policy="car-rental", response_mode="direct_post.jwt")
    pem = rental.http.get(f"{rental.url}/.well-known/lintas/rp-ca.pem").content
    wallet = ScriptedWallet(rental.http, [certificate_from_pem(pem)], FixedClock(int(time.time())), holder)
    request = wallet.fetch(created["request_link"])
    disclose: dict[str, Any] = {MDL_NS: ASKED}
    document = present_mdoc(
        issuer_signed,
        doctype=MDL_DOCTYPE,
        device_signer=holder,
        session_transcript=_transcript(request),
        disclose=disclose,
    )
    answer = wallet.post(request, wallet.response_form(request, {"mdl": [b64u_encode(device_response([document]))]}))
    return created["transaction_id"], answer.status_code


def _issuer_signed(credential: str) -> dict[str, Any]:
    value: dict[str, Any] = decode(b64u_decode(credential), "IssuerSigned", max_bytes=1 << 20)
    return value


def test_an_mdl_from_the_real_th_issuer_verifies_in_the_real_verifier(stack: Stack) -> None:
    issued = stack.mdl()
    ds = certificate_from_pem((stack.data / "issuers" / "th-pid" / "mdoc-ds-certificate.pem").read_bytes())
    assert san_uris(ds) == [f"{stack.issuer}/th"]
    tid, code = _present(stack, _issuer_signed(issued.credentials[0]), issued.keys[0])
    assert code == 200
    result = stack.verifier.status("my-car-rental", tid)
    assert result["status"] == "verified", result
    (credential,) = result["credentials"]
    assert (credential["format"], credential["doctype"], credential["issuing_country"]) == (
        "mso_mdoc",
        MDL_DOCTYPE,
        "TH",
    )
    assert credential["issuer"] == f"{stack.issuer}/th"
    assert credential["claims"][MDL_NS]["age_over_18"] is True
    assert set(credential["claims"][MDL_NS]) == {"age_over_18", "driving_privileges"}  # nothing else asked or shown


@pytest.mark.parametrize("named", [["{base}/th/rogue"], ["{base}/th/business"], []])
def test_a_document_signer_naming_another_issuer_is_refused(stack: Stack, named: list[str]) -> None:
    """Same TH root, same elements, a valid chain: only the SAN differs (unlisted, listed not for mDL, none)."""
    issued = stack.mdl()
    genuine = _issuer_signed(issued.credentials[0])
    now = datetime.now(UTC)
    root_key, root = ensure_national_root(
        stack.data, "TH", common_name="-", organization="-", validity=Validity(now, now)
    )  # exists already: loaded, not created
    key = new_key()
    cert = create_document_signer_certificate(
        root_key.private_key,
        root,
        key.public_key(),
        common_name="DS elsewhere",
        country="TH",
        not_before=now - timedelta(hours=2),
        not_after=now + timedelta(days=30),
        san_uris=[n.format(base=stack.issuer) for n in named],
    )
    elements = {MDL_NS: _elements(genuine)}
    forged = issue_mdoc(
        doctype=MDL_DOCTYPE,
        claims=elements,
        device_key=issued.keys[0].private_key.public_key(),
        signer=KeySigner(key),
        signer_chain=[cert],
        signed=now - timedelta(hours=1),
        valid_from=now - timedelta(hours=1),
        valid_until=now + timedelta(days=30),
        rng=SystemRandom(),
    )
    tid, code = _present(stack, forged, issued.keys[0])
    assert code == 400
    result = stack.verifier.status("my-car-rental", tid)
    expected = "not_authorised" if named == ["{base}/th/business"] else "untrusted_issuer"
    check = "registry_authorisation" if expected == "not_authorised" else "issuer_signature"
    last = result.get("last_rejection") or result
    assert (last["check"], last["reason"]) == (check, expected), result


def _elements(issuer_signed: dict[str, Any]) -> dict[str, Any]:
    """The genuine mDL's elements by identifier (copied, so only the signer differs)."""
    import cbor2

    out: dict[str, Any] = {}
    for tagged in issuer_signed["nameSpaces"][MDL_NS]:
        item = cbor2.loads(tagged.value)
        out[item["elementIdentifier"]] = item["elementValue"]
    return out


@pytest.mark.parametrize("origin", [RENTAL, "https://sewa-example.my"])
def test_the_real_mdl_over_the_digital_credentials_api(stack: Stack, origin: str) -> None:
    """The same journey through the DC API (dc_api.jwt); twin: the answer relayed from another origin."""
    issued = stack.mdl()
    rental, holder = stack.verifier, issued.keys[0]
    bearer = {"Authorization": f"Bearer {rental.token('my-car-rental')}"}
    created = rental.create("my-car-rental", policy="car-rental", response_mode="dc_api.jwt")
    base = f"{rental.url}/v1/presentations/{created['transaction_id']}"
    request = rental.http.get(f"{base}/dc-request", headers=bearer).json()["data"]["request"]
    claims = parse_compact(request).claims()  # its signature and chain: tests/verifier/test_dc_api_flows.py
    assert claims["expected_origins"] == [RENTAL]
    key = claims["client_metadata"]["jwks"]["keys"][0]
    transcript = dc_api_session_transcript(
        origin=origin, nonce=claims["nonce"], jwk_thumbprint=b64u_decode(jwk_thumbprint(key))
    )
    document = present_mdoc(
        _issuer_signed(issued.credentials[0]),
        doctype=MDL_DOCTYPE,
        device_signer=holder,
        session_transcript=transcript,
        disclose={MDL_NS: ASKED},
    )
    payload = json_dumps({"vp_token": {"mdl": [b64u_encode(device_response([document]))]}})
    data = {"response": encrypt_compact(payload, key, enc="A256GCM", kid=key["kid"])}
    answer = rental.http.post(f"{base}/dc-response", json={"origin": RENTAL, "data": data}, headers=bearer)
    result = rental.status("my-car-rental", created["transaction_id"])
    if origin == RENTAL:
        assert answer.status_code == 200, answer.text
        assert result["status"] == "verified"
        assert set(result["credentials"][0]["claims"][MDL_NS]) == {"age_over_18", "driving_privileges"}
    else:  # bound to the look-alike origin the wallet saw, relayed as the rental's
        assert answer.status_code == 400
        assert (result["status"], result["check"], result["reason"]) == (
            "rejected",
            "holder_binding",
            "device_auth_invalid",
        )
