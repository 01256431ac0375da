"""Operator offer API, offers by value/reference with QR codes, and the published metadata.

Metadata is checked against the spec's required fields: ``credential_issuer`` equals the identifier
the well-known URL was built from (OpenID4VCI 1.0 Section 12.2.2), ``credential_endpoint`` and
``credential_configurations_supported`` present, HAIP's scope per configuration and nonce endpoint,
RFC 8414 ``issuer`` equality, and ``vct#integrity`` over the served type metadata.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from idcore.errors import IdcoreError
from idcore.jose import verify_compact
from idcore.oid4vci import parse_credential_offer, split_offer_link
from idcore.sdjwt import HolderCredential
from idcore.trust.vct import VCT_BUSINESS_REGISTRATION, VCT_PID
from idcore.x509 import parse_x5c, validate_chain
from tests.issuer.conftest import BUSINESS_CONFIG, PID_CONFIG, Harness
from tests.issuer.helpers import national_root
from tests.issuer.wallet_client import well_known


def _post_offer(harness: Harness, body: Any, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return harness.client.post("/v1/offers", json=body, headers=headers)


def test_offer_by_value_and_by_reference_agree(harness: Harness) -> None:
    created = harness.offer("sg-tan-wei-ling")
    by_value, _ = split_offer_link(created["offer_link_by_value"])
    _, reference = split_offer_link(created["offer_link_by_reference"])
    fetched = harness.client.get(reference)
    assert fetched.headers["content-type"] == "application/json"
    assert by_value == fetched.json() == created["credential_offer"]
    offer = parse_credential_offer(by_value)
    assert offer.credential_issuer == harness.pid
    assert offer.credential_configuration_ids == (PID_CONFIG,)
    assert offer.tx_code == {"input_mode": "numeric", "length": 6, "description": "PIN sent to you by SMS"}
    assert created["tx_code"].isdigit()
    assert len(created["tx_code"]) == 6


def test_qr_codes(harness: Harness) -> None:
    created = harness.offer("sg-tan-wei-ling")
    png = harness.client.get(created["qr_png"])
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    svg = harness.client.get(created["qr_svg"])
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content
    assert harness.client.get(created["qr_png"].replace(created["offer_id"], "unknown")).status_code == 404
    assert harness.client.get(created["qr_png"].replace("qr.png", "qr.gif")).status_code == 404


def test_offer_api_authorisation(harness: Harness) -> None:
    body = {"subject_id": "sg-tan-wei-ling", "credential_configuration_id": PID_CONFIG}
    assert _post_offer(harness, body, None).status_code == 401
    assert _post_offer(harness, body, "not-a-token").status_code == 401
    assert _post_offer(harness, body, harness.operator_token("admin")).status_code == 403
    assert _post_offer(harness, body, harness.operator_token("operator")).status_code == 201
    wrong_secret = harness.client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("operator", "guess")
    )
    assert wrong_secret.status_code == 401


def test_offer_api_bad_input(harness: Harness) -> None:
    token = harness.operator_token()
    foreigner = {"subject_id": "th-somchai-jaidee", "credential_configuration_id": PID_CONFIG}
    unknown_subject = _post_offer(harness, foreigner, token)
    assert unknown_subject.status_code == 404
    unknown_config = _post_offer(harness, {"subject_id": "sg-tan-wei-ling", "credential_configuration_id": "x"}, token)
    assert unknown_config.status_code == 404
    malformed = harness.client.post(
        "/v1/offers", content=b"{", headers={"Authorization": f"Bearer {token}", "content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.headers["content-type"] == "application/problem+json"
    bad_grant = _post_offer(
        harness,
        {"subject_id": "sg-tan-wei-ling", "credential_configuration_id": PID_CONFIG, "grants": ["implicit"]},
        token,
    )
    assert bad_grant.status_code == 400
    assert harness.client.get(f"{harness.pid}/offers/unknown").status_code == 404


def test_issuer_metadata_has_the_required_fields(harness: Harness) -> None:
    for identifier, config, vct in (
        (harness.pid, PID_CONFIG, VCT_PID),
        (harness.business, BUSINESS_CONFIG, VCT_BUSINESS_REGISTRATION),
    ):
        answer = harness.client.get(well_known(identifier, "openid-credential-issuer"))
        assert answer.headers["content-type"] == "application/json"
        metadata = answer.json()
        assert metadata["credential_issuer"] == identifier
        assert metadata["credential_endpoint"] == f"{identifier}/credential"
        assert metadata["nonce_endpoint"] == f"{identifier}/nonce"
        assert metadata["authorization_servers"] == [identifier]
        assert metadata["batch_credential_issuance"]["batch_size"] >= 2
        configuration = metadata["credential_configurations_supported"][config]
        assert configuration["format"] == "dc+sd-jwt"
        assert configuration["vct"] == vct
        assert configuration["scope"]
        assert configuration["cryptographic_binding_methods_supported"] == ["jwk"]
        assert configuration["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"] == ["ES256"]
        locales = {d["locale"] for d in configuration["credential_metadata"]["display"]}
        assert {"en", "ms", "th", "vi"} <= locales
        assert {d["locale"] for d in metadata["display"]} >= {"en", "ms", "zh"}


def test_metadata_of_an_unknown_tenant_path_is_404(harness: Harness) -> None:
    assert harness.client.get(well_known(f"{harness.pid}/other", "openid-credential-issuer")).status_code == 404
    assert harness.client.get(well_known(harness.settings.public_url, "openid-credential-issuer")).status_code == 404


def test_authorization_server_metadata(harness: Harness) -> None:
    metadata = harness.client.get(well_known(harness.pid, "oauth-authorization-server")).json()
    assert metadata["issuer"] == harness.pid
    assert metadata["token_endpoint"] == f"{harness.pid}/token"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["require_pushed_authorization_requests"] is True
    assert metadata["pre-authorized_grant_anonymous_access_supported"] is True
    assert "urn:ietf:params:oauth:grant-type:pre-authorized_code" in metadata["grant_types_supported"]
    assert metadata["dpop_signing_alg_values_supported"] == ["ES256"]


def test_type_metadata_matches_vct_integrity(harness: Harness) -> None:
    created = harness.offer("sg-tan-wei-ling")
    wallet = harness.wallet()
    issued = wallet.obtain(wallet.resolve_offer(created["offer_link_by_value"]), created["tx_code"])
    claims = HolderCredential.parse(issued.credentials[0]).claims
    served = harness.client.get("/vct/pid/v1")
    digest = "sha256-" + base64.b64encode(hashlib.sha256(served.content).digest()).decode()
    assert claims["vct#integrity"] == digest
    tampered = served.content.replace(b"Given name", b"Given Name")
    assert "sha256-" + base64.b64encode(hashlib.sha256(tampered).digest()).decode() != digest
    document = served.json()
    assert document["vct"] == VCT_PID == claims["vct"]
    labels = {tuple(c["path"]): {d["locale"]: d["label"] for d in c["display"]} for c in document["claims"]}
    assert labels[("given_name",)]["en"] == "Given name"
    assert labels[("given_name",)]["th"] == "ชื่อ"
    assert {tuple(c["path"]): c["sd"] for c in document["claims"]}[("issuing_country",)] == "never"


def test_business_type_metadata_and_health(harness: Harness) -> None:
    document = harness.client.get("/vct/business-registration/v1").json()
    assert document["vct"] == VCT_BUSINESS_REGISTRATION
    assert harness.client.get("/healthz").json()["status"] == "ok"
    assert harness.client.get("/docs").status_code == 200


def test_cors_for_configured_browser_wallets(make_harness: Any) -> None:
    harness: Harness = make_harness(cors_allow_origins=["http://127.0.0.1:8200"])
    origin = {"Origin": "http://127.0.0.1:8200"}
    metadata = harness.client.get(well_known(harness.pid, "openid-credential-issuer"), headers=origin)
    assert metadata.headers["access-control-allow-origin"] == "http://127.0.0.1:8200"
    other = harness.client.get(well_known(harness.pid, "openid-credential-issuer"), headers={"Origin": "http://x"})
    assert "access-control-allow-origin" not in other.headers
    preflight = harness.client.options(
        f"{harness.pid}/credential",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,dpop",
        },
    )
    assert preflight.status_code == 200
    assert "dpop" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in preflight.headers
    nonce = harness.client.post(f"{harness.pid}/nonce", headers=origin)
    assert "dpop-nonce" in nonce.headers["access-control-expose-headers"].lower()
    refused = harness.client.options(
        f"{harness.pid}/credential", headers={**origin, "Access-Control-Request-Method": "DELETE"}
    )
    assert refused.status_code == 400


def test_no_cors_unless_configured(harness: Harness) -> None:
    answer = harness.client.get(well_known(harness.pid, "openid-credential-issuer"), headers={"Origin": "http://x"})
    assert "access-control-allow-origin" not in answer.headers


def _x5c_key(token: str, root: Any) -> Any:
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    return validate_chain(parse_x5c(header["x5c"]), [root], datetime.now(UTC)).public_key()


def test_signed_metadata_verifies_against_the_national_root(harness: Harness) -> None:
    url = well_known(harness.pid, "openid-credential-issuer")
    answer = harness.client.get(url, headers={"Accept": "application/jwt, application/json;q=0.5"})
    assert answer.headers["content-type"] == "application/jwt"
    key = _x5c_key(answer.text, national_root(harness.settings.data_dir))
    typ = "openidvci-issuer-metadata+jwt"
    _, claims = verify_compact(answer.text, key, algorithms=["ES256"], typ=typ)
    assert claims["sub"] == claims["credential_issuer"] == harness.pid
    unsigned = harness.client.get(url).json()
    assert claims["credential_configurations_supported"] == unsigned["credential_configurations_supported"]
    head, body, signature = answer.text.split(".")
    with pytest.raises(IdcoreError):
        verify_compact(f"{head}.{body[:-4]}AAAA.{signature}", key, algorithms=["ES256"], typ=typ)
    json_first = harness.client.get(url, headers={"Accept": "application/json, application/jwt"})
    assert json_first.headers["content-type"] == "application/json"
