"""OpenID4VP over the Digital Credentials API (OpenID4VP 1.0 Appendix A), the Verifier's side.

Every accepted shape has a refused twin: origins, request parameters, and response objects for
both response modes (no downgrade from ``dc_api.jwt`` to plaintext).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.b64 import json_dumps
from idcore.errors import IdcoreError
from idcore.jose import KeySigner, parse_compact, verify_signature
from idcore.jwk import public_jwk
from idcore.oid4vp import encrypt_compact
from idcore.oid4vp.client_id import ClientId
from idcore.oid4vp.dc_api import (
    PROTOCOL_SIGNED,
    build_dc_api_request,
    check_origin,
    origin_audience,
    parse_dc_api_response,
)
from idcore.x509 import create_root_ca

ORIGIN = "https://rent.example.my"
QUERY = {"credentials": [{"id": "mdl", "format": "mso_mdoc", "meta": {"doctype_value": "org.iso.18013.5.1.mDL"}}]}


@pytest.mark.parametrize("origin", ["https://rent.example.my", "https://rent.example.my:8443", "https://[2001:db8::1]"])
def test_serialized_https_origins_are_accepted(origin: str) -> None:
    assert check_origin(origin) == origin
    assert origin_audience(origin) == f"origin:{origin}"


@pytest.mark.parametrize(
    "origin",
    [
        "https://rent.example.my/",
        "https://rent.example.my/path",
        "https://rent.example.my?x=1",
        "https://user@rent.example.my",
        "https://Rent.example.my",
        "https://rent.example.my:08443",
        "http://rent.example.my",
        "http://127.0.0.1:8080",
        "rent.example.my",
        "",
        "https://" + "a" * 300,
        None,
        "https://rénte.example.my",
    ],
)
def test_other_origins_are_refused(origin: Any) -> None:
    with pytest.raises(IdcoreError):
        check_origin(origin)


def test_loopback_http_only_in_development() -> None:
    assert check_origin("http://127.0.0.1:8080", allow_loopback_http=True) == "http://127.0.0.1:8080"
    assert check_origin("http://localhost:8080", allow_loopback_http=True) == "http://localhost:8080"
    with pytest.raises(IdcoreError):
        check_origin("http://10.0.0.1:8080", allow_loopback_http=True)


def _signer() -> tuple[KeySigner, Any]:
    """A throwaway verifier key and self-signed certificate (made at test time)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = create_root_ca(
        key,
        common_name="rent.example.my",
        country="MY",
        organization="Car rental",
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=30),
    )
    return KeySigner(key), cert


def _request(**overrides: Any) -> dict[str, Any]:
    signer, cert = _signer()
    arguments: dict[str, Any] = {
        "client_id": ClientId.parse("x509_san_dns:rent.example.my"),
        "response_mode": "dc_api.jwt",
        "nonce": "n-0S6_WzA2Mj",
        "dcql_query": QUERY,
        "client_metadata": {},
        "expected_origins": [ORIGIN],
        "iat": 1_800_000_000,
        "lifetime": 300,
        "signer": signer,
        "chain": [cert],
        "extra": {"state": "must-not-survive", "response_uri": "https://x.example/r"},
    }
    arguments.update(overrides)
    return build_dc_api_request(**arguments)


def test_the_signed_request_has_the_dc_api_shape() -> None:
    signer, cert = _signer()
    request = _request(signer=signer, chain=[cert])
    assert request["protocol"] == PROTOCOL_SIGNED
    parsed = parse_compact(request["data"]["request"])
    verify_signature("ES256", cert.public_key(), parsed.signing_input, parsed.signature)
    header, claims = parsed.header, parsed.claims()
    assert header["typ"] == "oauth-authz-req+jwt"
    assert claims["expected_origins"] == [ORIGIN]
    assert claims["response_mode"] == "dc_api.jwt"
    assert claims["client_id"] == "x509_san_dns:rent.example.my"
    assert "state" not in claims
    assert "response_uri" not in claims


@pytest.mark.parametrize(
    "overrides",
    [
        {"response_mode": "direct_post"},
        {"expected_origins": []},
        {"expected_origins": ["https://rent.example.my/"]},
        {"expected_origins": [ORIGIN] * 17},
        {"nonce": "not url safe!"},
    ],
    ids=["mode", "no-origins", "bad-origin", "too-many-origins", "nonce"],
)
def test_bad_requests_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(IdcoreError):
        _request(**overrides)


def test_plain_dc_api_response() -> None:
    parsed = parse_dc_api_response({"vp_token": {"mdl": ["o2d2ZXJzaW9u"]}}, response_mode="dc_api")
    assert parsed.vp_token == {"mdl": ["o2d2ZXJzaW9u"]}
    with pytest.raises(IdcoreError):
        parse_dc_api_response({"vp_token": {"mdl": ["x"]}, "state": "s"}, response_mode="dc_api")
    with pytest.raises(IdcoreError):
        parse_dc_api_response({"response": "a.b.c.d.e"}, response_mode="dc_api")


def test_encrypted_response_and_no_downgrade() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = {**public_jwk(key), "kid": "k1"}
    sealed = encrypt_compact(json_dumps({"vp_token": {"mdl": ["abc"]}}), jwk, enc="A128GCM", kid="k1")
    parsed = parse_dc_api_response({"response": sealed}, response_mode="dc_api.jwt", decryption_key=key, kid="k1")
    assert parsed.vp_token == {"mdl": ["abc"]}
    with pytest.raises(IdcoreError):  # the twin: a plaintext vp_token where encryption was asked for
        parse_dc_api_response({"vp_token": {"mdl": ["abc"]}}, response_mode="dc_api.jwt", decryption_key=key, kid="k1")
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(IdcoreError):  # decrypted with another transaction's key
        parse_dc_api_response({"response": sealed}, response_mode="dc_api.jwt", decryption_key=other, kid="k1")
    with_state = encrypt_compact(json_dumps({"vp_token": {"mdl": ["abc"]}, "state": "s"}), jwk, enc="A128GCM", kid="k1")
    with pytest.raises(IdcoreError):
        parse_dc_api_response({"response": with_state}, response_mode="dc_api.jwt", decryption_key=key, kid="k1")


def test_wallet_errors_come_through_and_unknown_ones_are_not_reflected() -> None:
    parsed = parse_dc_api_response({"error": "access_denied"}, response_mode="dc_api.jwt")
    assert parsed.error == "access_denied"
    assert parse_dc_api_response({"error": "<script>"}, response_mode="dc_api").error == "unknown_error"
    for bad in ({}, [], {"vp_token": {}, "extra": 1}, "vp_token"):
        with pytest.raises(IdcoreError):
            parse_dc_api_response(bad, response_mode="dc_api")
