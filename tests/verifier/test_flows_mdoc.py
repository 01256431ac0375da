"""An mDL over OpenID4VP on real sockets: a Thai driver at a Malaysian car rental (issue #15 item 4).

The scripted wallet reads the signed request, builds the SessionTranscript from what the request
says (OpenID4VP 1.0 Appendix B.2.6.1: client_id, nonce, the encryption key's JWK thumbprint for
``direct_post.jwt``, response_uri), signs the DeviceResponse over it and posts it; the verifier
must derive the same transcript from its transaction. Twins: a transcript missing the thumbprint
and one for another response URI are rejected at holder binding.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from idcore.b64 import b64u_decode, b64u_encode
from idcore.jose import KeySigner
from idcore.jwk import jwk_thumbprint
from idcore.mdoc import device_response, openid4vp_session_transcript, present_mdoc
from idcore.ports import FixedClock
from idcore.x509 import certificate_from_pem
from lintas.testing import RedisServer
from tests.unit.mdoc_helpers import MDL_NS, mdl_claims
from tests.verifier.conftest import RunningVerifier, start_verifier
from tests.verifier.test_pipeline_mdoc import DCQL
from tests.verifier.wallet_client import AuthorizationRequest, ScriptedWallet
from tests.verifier.world import MDL_DOCTYPE, World, document_signer, issue_mdl, new_key

CONFIG = {
    "policies": {"car-rental": {"purpose": "Rent a car", "dcql_query": DCQL, "require_true": ["age_over_18"]}},
    "relying_parties": {"my-car-rental": {"name": "Kereta Sewa (demo)", "country": "MY", "policies": ["car-rental"]}},
}


@pytest.fixture(scope="module")
def rental(
    tmp_path_factory: pytest.TempPathFactory, world: World, clock: FixedClock, redis_server: RedisServer
) -> Iterator[RunningVerifier]:
    tmp = tmp_path_factory.mktemp("rental")
    config = tmp / "verifier.json"
    config.write_text(json.dumps(CONFIG), encoding="utf-8")
    yield from start_verifier(tmp / "data", world, clock, redis_server.url, config_file=Path(config))


@pytest.fixture
def driver(rental: RunningVerifier, clock: FixedClock) -> ScriptedWallet:
    pem = rental.http.get(f"{rental.url}/.well-known/lintas/rp-ca.pem").content
    return ScriptedWallet(rental.http, [certificate_from_pem(pem)], clock, KeySigner(new_key()))


def _transcript(request: AuthorizationRequest, *, thumbprint: bool = True, response_uri: str | None = None) -> bytes:
    claims = request.claims
    key = claims.get("client_metadata", {}).get("jwks", {}).get("keys", [None])[0]
    encrypted = claims["response_mode"] == "direct_post.jwt"
    return openid4vp_session_transcript(
        client_id=request.client_id,
        nonce=claims["nonce"],
        response_uri=response_uri or claims["response_uri"],
        jwk_thumbprint=b64u_decode(jwk_thumbprint(key)) if encrypted and thumbprint and key else None,
    )


def _mdl_presentation(world: World, wallet: ScriptedWallet, transcript: bytes) -> str:
    ds = document_signer(world, "TH", world.issuers["th-mdl"].issuer_id)
    issued = issue_mdl(world, ds, mdl_claims(), wallet.holder.private_key.public_key())  # type: ignore[attr-defined]
    disclose: dict[str, Any] = {MDL_NS: ["age_over_18", "driving_privileges", "issuing_country"]}
    document = present_mdoc(
        issued, doctype=MDL_DOCTYPE, device_signer=wallet.holder, session_transcript=transcript, disclose=disclose
    )
    return b64u_encode(device_response([document]))


@pytest.mark.parametrize("mode", ["direct_post.jwt", "direct_post"])
def test_thai_mdl_at_a_malaysian_car_rental(
    rental: RunningVerifier, driver: ScriptedWallet, world: World, mode: str
) -> None:
    created = rental.create("my-car-rental", policy="car-rental", response_mode=mode)
    request = driver.fetch(created["request_link"])
    vp = _mdl_presentation(world, driver, _transcript(request))
    response = driver.post(request, driver.response_form(request, {"mdl": [vp]}))
    assert response.status_code == 200, response.text
    result = rental.status("my-car-rental", created["transaction_id"])
    assert result["status"] == "verified", result
    (cred,) = result["credentials"]
    assert (cred["format"], cred["doctype"], cred["issuing_country"]) == ("mso_mdoc", MDL_DOCTYPE, "TH")
    assert cred["claims"][MDL_NS]["age_over_18"] is True
    assert "family_name" not in cred["claims"][MDL_NS]  # not requested, not disclosed


@pytest.mark.parametrize(
    ("mode", "tamper"),
    [("direct_post.jwt", {"thumbprint": False}), ("direct_post", {"response_uri": "https://elsewhere.example/r"})],
)
def test_a_transcript_for_another_context_is_refused(
    rental: RunningVerifier, driver: ScriptedWallet, world: World, mode: str, tamper: dict[str, Any]
) -> None:
    created = rental.create("my-car-rental", policy="car-rental", response_mode=mode)
    request = driver.fetch(created["request_link"])
    vp = _mdl_presentation(world, driver, _transcript(request, **tamper))
    response = driver.post(request, driver.response_form(request, {"mdl": [vp]}))
    assert response.status_code == 400
    result = rental.status("my-car-rental", created["transaction_id"])
    assert (result["status"], result["check"], result["reason"]) == (
        "rejected",
        "holder_binding",
        "device_auth_invalid",
    )
