"""Operator clients provisioned through configuration, and the wallet demo's issuance desk that uses one.

Issue #13 item 5, services talk through their APIs: the desk no longer reads the issuer's
``issuer-<cc>-clients.json``. The launcher provisions an ``issuer:offer`` client at the issuer
(``IssuerSettings.provisioned_clients``: the SHA-256 of its secret, RFC 6749 Section 2.3.1
client authentication, Section 3.3 scopes) and hands the desk the secret in its configuration.
Each positive test has its twin: a wrong secret, a scope the client was not given, a desk with
no credential for the country, a settings value that would let a provisioned client pose as a
generated one.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from issuer.settings import IssuerSettings
from lintas.oauth import hash_secret
from tests.issuer.conftest import Harness
from wallet_demo.catalog import PID_CONFIGURATION, Persona
from wallet_demo.desk import IssuanceDesk
from wallet_demo.relying_party import RelyingPartyError

DESK = "demo-desk"
PERSONA = Persona("sg-tan-wei-ling", "citizen", "SG", "Tan Wei Ling", None, PID_CONFIGURATION)


@pytest.fixture
def desk_secret() -> str:
    return secrets.token_urlsafe(32)


@pytest.fixture
def issuer(make_harness: Any, desk_secret: str) -> Harness:
    provisioned = {DESK: {"secret_sha256": hash_secret(desk_secret), "scopes": ["issuer:offer"]}}
    return make_harness(provisioned_clients=provisioned)  # type: ignore[no-any-return]


def _token(issuer: Harness, secret: str, **form: str) -> Any:
    return issuer.client.post("/oauth/token", data={"grant_type": "client_credentials", **form}, auth=(DESK, secret))


def _files(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


def test_provisioned_client_creates_offers_and_the_issuer_keeps_only_its_hash(
    issuer: Harness, desk_secret: str
) -> None:
    answer = _token(issuer, desk_secret)
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == "issuer:offer"
    body = {"subject_id": "sg-tan-wei-ling", "credential_configuration_id": PID_CONFIGURATION}
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    assert issuer.client.post("/v1/offers", json=body, headers=headers).status_code == 201
    assert desk_secret.encode() not in _files(issuer.settings.data_dir)  # nothing written that holds it


def test_provisioned_client_with_a_wrong_secret_or_a_scope_it_lacks_is_refused(
    issuer: Harness, desk_secret: str
) -> None:
    wrong = _token(issuer, desk_secret[:-1] + ("A" if desk_secret[-1] != "A" else "B"))
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    assert _token(issuer, desk_secret, scope="issuer:admin").json()["error"] == "invalid_scope"
    token = _token(issuer, desk_secret).json()["access_token"]
    listed = issuer.client.get(
        "/v1/credentials", params={"subject_id": "sg-tan-wei-ling"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert listed.status_code == 403
    assert listed.json()["error"] == "insufficient_scope"
    # The generated clients keep working beside it.
    assert issuer.operator_token("admin")


@pytest.mark.parametrize(
    "provisioned",
    [
        {"operator": {"secret_sha256": "0" * 64, "scopes": ["issuer:offer"]}},  # would shadow a generated client
        {"admin": {"secret_sha256": "0" * 64, "scopes": ["issuer:admin"]}},
        {"Desk!": {"secret_sha256": "0" * 64, "scopes": ["issuer:offer"]}},
        {DESK: {"secret_sha256": "not-a-hash", "scopes": ["issuer:offer"]}},
        {DESK: {"secret_sha256": "0" * 64, "scopes": []}},
        {DESK: {"secret_sha256": "0" * 64, "scopes": ["issuer:everything"]}},
        {DESK: {"secret": "plaintext", "secret_sha256": "0" * 64, "scopes": ["issuer:offer"]}},
    ],
)
def test_settings_refuse_a_provisioned_client_that_is_malformed_or_takes_a_generated_id(
    tmp_path: Path, provisioned: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError):
        IssuerSettings(
            data_dir=tmp_path, development=True, public_url="http://127.0.0.1:8200", provisioned_clients=provisioned
        )
    fine = {DESK: {"secret_sha256": "0" * 64, "scopes": ["issuer:offer"]}}
    settings = IssuerSettings(
        data_dir=tmp_path, development=True, public_url="http://127.0.0.1:8200", provisioned_clients=fine
    )
    assert settings.provisioned_clients[DESK].scopes == ["issuer:offer"]


def _desk(issuer: Harness, secrets_by_country: dict[str, str]) -> IssuanceDesk:
    desk = IssuanceDesk(
        {"SG": issuer.settings.public_url}, DESK, {cc: SecretStr(s) for cc, s in secrets_by_country.items()}, 10
    )
    desk.http.close()
    desk.http = issuer.client  # the real issuer app in-process (no sockets); the desk's own calls, unchanged
    return desk


def test_desk_gets_an_offer_through_the_issuers_api_with_its_configured_credential(
    issuer: Harness, desk_secret: str
) -> None:
    created = _desk(issuer, {"SG": desk_secret}).offer(PERSONA, "pre-authorized_code")
    assert created["offer_link"].startswith("openid-credential-offer://?credential_offer_uri=")
    assert created["tx_code"].isdigit()


def test_desk_without_a_credential_or_with_a_wrong_one_gets_no_offer(issuer: Harness, desk_secret: str) -> None:
    with pytest.raises(RelyingPartyError, match="no issuance desk credential is configured for the SG issuer"):
        _desk(issuer, {"VN": desk_secret}).offer(PERSONA, "pre-authorized_code")
    with pytest.raises(RelyingPartyError, match="answered 401"):
        _desk(issuer, {"SG": "x" + desk_secret}).offer(PERSONA, "pre-authorized_code")
