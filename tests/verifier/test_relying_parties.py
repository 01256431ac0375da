"""Relying parties as first-class: registration by CLI and admin API, ``verifier_info`` in every request.

Two relying parties from different countries are registered with ``lintas verifier rp add``; a
wallet fetching each one's signed Request Object finds a ``verifier_info`` JWT, signed by the
request's own certificate and bound to its ``client_id``, naming that party and its country.
Twins: a tampered attestation fails its signature, an invalid registration is refused, the admin
API refuses a missing or wrong token, an unknown party and a bad body; ``/metrics`` needs the token.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.b64 import b64u_decode, b64u_encode
from idcore.errors import IdcoreError
from idcore.jose import KeySigner, parse_compact, verify_compact
from idcore.oid4vp import parse_request_link, verify_request_object
from idcore.ports import FixedClock
from idcore.x509 import certificate_from_pem, parse_x5c
from lintas.testing import RedisServer
from lintas_cli.main import main
from tests.verifier.conftest import RunningVerifier, start_verifier
from tests.verifier.wallet_client import ScriptedWallet
from tests.verifier.world import BUSINESS_CLAIMS, World, new_key
from verifier.parties import OBJECT_FORMAT, VERIFIER_INFO_TYP

TOKEN = secrets.token_urlsafe(32)
BANK = ["--legal-name", "Bank Rakyat Contoh Berhad", "--country", "MY", "--policy", "pid-onboarding"]
PORTAL = ["--legal-name", "Thai e-Procurement Department", "--country", "TH", "--policy", "business-registration"]


def _add(data: Path, client_id: str, *options: str) -> int:
    return main(["verifier", "rp", "add", client_id, *options, "--data", str(data)])


@pytest.fixture(scope="module")
def registered(
    tmp_path_factory: pytest.TempPathFactory, world: World, clock: FixedClock, redis_server: RedisServer
) -> Iterator[RunningVerifier]:
    """A verifier (admin token set) serving two relying parties registered by the CLI."""
    data = tmp_path_factory.mktemp("rp")
    privacy = ["--privacy-policy-url", "https://bank.example.my/privacy", "--retention-days", "30"]
    assert _add(data, "my-bank-2", *BANK, "--purpose", "Open an account", *privacy) == 0
    assert _add(data, "th-portal", *PORTAL) == 0
    yield from start_verifier(data, world, clock, redis_server.url, admin_token=TOKEN)


def _request_object(verifier: RunningVerifier, client_id: str, policy: str) -> tuple[str, dict[str, Any]]:
    created = verifier.create(client_id, policy=policy)
    link = parse_request_link(created["request_link"])
    response = verifier.http.post(link["request_uri"], data={"wallet_nonce": "n-1"})
    assert response.status_code == 200, response.text
    return response.text, link


def _attestation(verifier: RunningVerifier, request_object: str, link: dict[str, Any], now: int) -> dict[str, Any]:
    """What a wallet does (README, verifier_info): request verified, then the attestation against its x5c[0]."""
    anchors = [certificate_from_pem(verifier.http.get(f"{verifier.url}/.well-known/lintas/rp-ca.pem").content)]
    claims = verify_request_object(
        request_object, client_id=link["client_id"], anchors=anchors, now=now, wallet_nonce="n-1"
    )
    plain, entry = claims["verifier_info"]
    assert plain["format"] == OBJECT_FORMAT  # claim-bound by the request's signature, just verified
    assert entry["format"] == "jwt"
    header = parse_compact(entry["data"]).header
    assert header["x5c"][0] == parse_compact(request_object).header["x5c"][0]  # the request's own certificate
    key = parse_x5c(header["x5c"])[0].public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    _, payload = verify_compact(entry["data"], key, algorithms={"ES256"}, typ=VERIFIER_INFO_TYP)
    assert payload["sub"] == claims["client_id"]
    assert payload["exp"] == claims["exp"]
    assert plain["data"]["relying_party"] == payload["rp"]  # both forms say the same
    assert claims["client_metadata"]["client_name"] == payload["rp"]["legal_name"]
    return dict(payload)


def test_each_request_names_its_relying_party(registered: RunningVerifier, clock: FixedClock) -> None:
    token, link = _request_object(registered, "my-bank-2", "pid-onboarding")
    bank = _attestation(registered, token, link, clock.now())["rp"]
    assert bank["legal_name"] == "Bank Rakyat Contoh Berhad"
    assert bank["country"] == "MY"
    assert bank["policy_uri"] == "https://bank.example.my/privacy"
    assert bank["retention_days"] == 30
    assert {"vct": "https://lintas.asean.example/vct/pid/v1", "path": ["birthdate"]} in bank["registered_claims"]
    token, link = _request_object(registered, "th-portal", "business-registration")
    portal = _attestation(registered, token, link, clock.now())["rp"]
    assert (portal["legal_name"], portal["country"]) == ("Thai e-Procurement Department", "TH")
    assert "policy_uri" not in portal


def test_a_tampered_attestation_fails(registered: RunningVerifier, clock: FixedClock) -> None:
    token, link = _request_object(registered, "my-bank-2", "pid-onboarding")
    anchors = [certificate_from_pem(registered.http.get(f"{registered.url}/.well-known/lintas/rp-ca.pem").content)]
    claims = verify_request_object(
        token, client_id=link["client_id"], anchors=anchors, now=clock.now(), wallet_nonce="n-1"
    )
    data = claims["verifier_info"][1]["data"]
    head, body, sig = data.split(".")
    payload = json.loads(b64u_decode(body))
    payload["rp"]["country"] = "SG"
    forged = f"{head}.{b64u_encode(json.dumps(payload).encode())}.{sig}"
    key = parse_x5c(parse_compact(data).header["x5c"])[0].public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    with pytest.raises(IdcoreError):
        verify_compact(forged, key, algorithms={"ES256"}, typ=VERIFIER_INFO_TYP)
    # the object form is covered by the Request Object's signature: changing it breaks the request
    head, body, sig = token.split(".")
    request = json.loads(b64u_decode(body))
    request["verifier_info"][0]["data"]["relying_party"]["country"] = "SG"
    altered = f"{head}.{b64u_encode(json.dumps(request).encode())}.{sig}"
    with pytest.raises(IdcoreError):
        verify_request_object(
            altered, client_id=link["client_id"], anchors=anchors, now=clock.now(), wallet_nonce="n-1"
        )


def test_invalid_registrations_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _add(tmp_path, "x", "--legal-name", "Acme", "--country", "FR", "--policy", "age-check") == 2
    assert "ASEAN" in capsys.readouterr().err
    assert _add(tmp_path, "x", "--legal-name", "Acme", "--country", "SG", "--policy", "no-such-policy") == 2
    http_privacy = ["--privacy-policy-url", "http://acme.example/privacy"]
    assert _add(tmp_path, "x", "--legal-name", "Acme", "--country", "SG", "--policy", "age-check", *http_privacy) == 2
    assert not (tmp_path / "relying-parties.json").exists()
    assert _add(tmp_path, "x", "--legal-name", "Acme", "--country", "SG", "--policy", "age-check") == 0
    secrets_file = tmp_path / "rp-clients.json"
    assert oct(secrets_file.stat().st_mode & 0o777) == "0o600"
    assert "x" in json.loads(secrets_file.read_text())


def _admin(verifier: RunningVerifier, method: str, path: str, token: str | None = TOKEN, **kw: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return verifier.http.request(method, f"{verifier.url}/v1/admin{path}", headers=headers, **kw)


def test_admin_api_needs_the_token(registered: RunningVerifier) -> None:
    assert _admin(registered, "GET", "/relying-parties", token=None).status_code == 401
    wrong = _admin(registered, "GET", "/relying-parties", token=TOKEN[:-1] + ("A" if TOKEN[-1] != "A" else "B"))
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"].startswith("Bearer")
    listed = _admin(registered, "GET", "/relying-parties")
    assert listed.status_code == 200
    assert {"my-bank-2", "th-portal"} <= {r["client_id"] for r in listed.json()["relying_parties"]}


def test_admin_api_edits_what_wallets_see(registered: RunningVerifier, clock: FixedClock) -> None:
    body = {"legal_name": "Thai e-GP Office", "country": "TH", "purpose": "Supplier onboarding", "retention_days": 7}
    assert _admin(registered, "PUT", "/relying-parties/th-portal", json=body).status_code == 200
    token, link = _request_object(registered, "th-portal", "business-registration")
    assert _attestation(registered, token, link, clock.now())["rp"]["legal_name"] == "Thai e-GP Office"
    assert _admin(registered, "PUT", "/relying-parties/nobody", json=body).status_code == 404
    assert _admin(registered, "PUT", "/relying-parties/th-portal", json={**body, "country": "FR"}).status_code == 400
    huge = {**body, "purpose": "x" * 20000}
    assert _admin(registered, "PUT", "/relying-parties/th-portal", json=huge).status_code == 400
    assert _admin(registered, "GET", "/relying-parties/th-portal").json()["country"] == "TH"


def test_metrics_need_the_token_and_count_by_relying_party(
    registered: RunningVerifier, world: World, clock: FixedClock
) -> None:
    anchors = [certificate_from_pem(registered.http.get(f"{registered.url}/.well-known/lintas/rp-ca.pem").content)]
    wallet = ScriptedWallet(registered.http, anchors, clock, KeySigner(new_key()))
    created = registered.create("th-portal", policy="business-registration")
    request = wallet.fetch(created["request_link"])
    credential = world.issue("vn-biz", BUSINESS_CLAIMS, dict(wallet.holder.public_jwk), idx=2)
    presentation = wallet.present(request, credential)
    tampered = presentation[:-2] + ("A" if presentation[-2] != "A" else "B") + presentation[-1]
    assert wallet.post(request, wallet.response_form(request, {"business": [tampered]})).status_code == 400
    assert registered.http.get(f"{registered.url}/metrics").status_code == 401
    wrong = registered.http.get(f"{registered.url}/metrics", headers={"Authorization": "Bearer " + "x" * 43})
    assert wrong.status_code == 401
    scraped = registered.http.get(f"{registered.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraped.status_code == 200
    counted = 'lintas_verifier_relying_party_presentations_total{reason="bad_signature",relying_party="th-portal",'
    assert counted in scraped.text, scraped.text
