"""idcore.oid4vp: JWE (spec vector + tampered twins), Client Identifiers, Request Objects, responses."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

import idcore.oid4vp as oid4vp
from idcore.b64 import b64u_decode, b64u_encode, json_dumps, json_loads
from idcore.errors import IdcoreError, Reason
from idcore.jose import KeySigner, sign_compact
from idcore.jwk import public_jwk
from idcore.oid4vp import (
    AuthorizationError,
    ClientId,
    ClientIdError,
    JweError,
    build_client_metadata,
    build_request_claims,
    decrypt_compact,
    encrypt_compact,
    parse_form,
    parse_request_link,
    parse_response_params,
    request_link,
    sign_request_object,
    verify_request_object,
)
from idcore.ports import SystemRandom
from idcore.x509 import create_issuer_certificate, create_root_ca

VECTOR = json.loads((Path(__file__).parent / "spec_vectors" / "openid4vp_8_3_encrypted_response.json").read_text())
RANDOM = SystemRandom()
NOW = 1_780_000_000


SPEC = Path(__file__).parents[3] / "shared" / "specs" / "openid4vp-1_0.md"


def _vector_key() -> ec.EllipticCurvePrivateKey:
    """The example key of Section 8.3, read from the spec text: no private key is committed here."""
    if not SPEC.exists():
        pytest.skip("the OpenID4VP spec text (../shared/specs) is not beside this checkout")
    match = re.search(r'"d"\s*:\s*"([A-Za-z0-9_-]{43})"', SPEC.read_text(encoding="utf-8"))
    assert match is not None, "Section 8.3 example private key not found in the spec text"
    key = ec.derive_private_key(int.from_bytes(b64u_decode(match.group(1)), "big"), ec.SECP256R1())
    assert public_jwk(key)["x"] == VECTOR["public_jwk"]["x"]
    return key


def test_public_api_is_listed() -> None:
    assert sorted(oid4vp.__all__) == sorted(name for name in oid4vp.__all__ if hasattr(oid4vp, name))
    assert len(set(oid4vp.__all__)) == len(oid4vp.__all__)


def test_spec_example_response_decrypts() -> None:
    header, plaintext = decrypt_compact(VECTOR["response"], _vector_key(), expected_kid="ac")
    assert {k: header[k] for k in ("alg", "enc", "kid")} == VECTOR["expected_header"]
    assert json_loads(plaintext) == VECTOR["expected_payload"]


def _reencode_header(token: str, **changes: Any) -> str:
    protected, rest = token.split(".", 1)
    header = json_loads(b64u_decode(protected)) | changes
    return b64u_encode(json_dumps(header)) + "." + rest


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda t: t[:-3] + ("AAA" if not t.endswith("AAA") else "BBB"), Reason.DECRYPTION_FAILED),  # tag
        (lambda t: _reencode_header(t, kid="ad"), Reason.DECRYPTION_FAILED),  # AAD covers the header
        (lambda t: _reencode_header(t, enc="A256GCM"), Reason.DECRYPTION_FAILED),
        (lambda t: _reencode_header(t, alg="ECDH-ES+A128KW"), Reason.ALG_NOT_ALLOWED),
        (lambda t: _reencode_header(t, alg="dir"), Reason.ALG_NOT_ALLOWED),
        (lambda t: _reencode_header(t, enc="A128CBC-HS256"), Reason.ALG_NOT_ALLOWED),
        (lambda t: _reencode_header(t, zip="DEF"), Reason.UNKNOWN_CRIT),
        (
            lambda t: _reencode_header(t, epk={"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}),
            Reason.DECRYPTION_FAILED,
        ),
        (lambda t: t.replace("..", ".AAAA.", 1), Reason.MALFORMED),  # non-empty encrypted key
        (lambda t: t + ".x", Reason.MALFORMED),
    ],
)
def test_tampered_spec_response_is_refused(mutate: Any, reason: Reason) -> None:
    with pytest.raises(JweError) as info:
        decrypt_compact(mutate(VECTOR["response"]), _vector_key(), expected_kid=None)
    assert info.value.reason is reason


@pytest.mark.parametrize("enc", ["A128GCM", "A256GCM"])
def test_encrypt_decrypt_round_trip_and_wrong_key(enc: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    jwe = encrypt_compact(b'{"vp_token":{}}', public_jwk(key), enc=enc, kid="k1")
    assert decrypt_compact(jwe, key, expected_kid="k1")[1] == b'{"vp_token":{}}'
    with pytest.raises(JweError):
        decrypt_compact(jwe, ec.generate_private_key(ec.SECP256R1()), expected_kid="k1")
    with pytest.raises(JweError):
        decrypt_compact(jwe, key, expected_kid="k2")
    with pytest.raises(JweError):
        decrypt_compact(jwe, key, encs=("A128GCM",) if enc == "A256GCM" else ("A256GCM",))


def test_client_identifier_prefixes() -> None:
    assert ClientId.parse("x509_san_dns:verifier.gov.my").value == "x509_san_dns:verifier.gov.my"
    assert ClientId.parse("x509_hash:" + "A" * 43).signed
    assert not ClientId.parse("redirect_uri:https://rp.example/cb").signed
    for bad in [
        "verifier.gov.my",
        "https://rp.example",
        "x509_san_dns:-bad-",
        "x509_hash:short",
        "origin:x",
        "redirect_uri:ftp://x",
        "decentralized_identifier:did:example:1",
        42,
    ]:
        with pytest.raises(ClientIdError):
            ClientId.parse(bad)


class _Pki:
    def __init__(self) -> None:
        start = datetime.fromtimestamp(NOW, UTC) - timedelta(days=1)
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca = create_root_ca(
            self.ca_key,
            common_name="rp ca",
            country="MY",
            organization="rp",
            not_before=start,
            not_after=start + timedelta(days=30),
        )
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.leaf = create_issuer_certificate(
            self.ca_key,
            self.ca,
            self.key.public_key(),
            common_name="verifier",
            country="MY",
            organization="rp",
            not_before=start,
            not_after=start + timedelta(days=30),
            san_dns=["verifier.gov.my"],
        )


@pytest.fixture(scope="module")
def pki() -> _Pki:
    return _Pki()


def _request(pki: _Pki, client_id: ClientId, **overrides: Any) -> str:
    claims = (
        build_request_claims(
            client_id=client_id,
            response_uri="https://verifier.gov.my/wallet/response",
            response_mode="direct_post.jwt",
            nonce="n-0S6_WzA2Mj",
            state="s1",
            dcql_query={"credentials": []},
            client_metadata=build_client_metadata({**public_jwk(ec.generate_private_key(ec.SECP256R1())), "kid": "e1"}),
            iat=NOW,
            lifetime=300,
            wallet_nonce="w1",
        )
        | overrides
    )
    return sign_request_object(claims, KeySigner(pki.key), [pki.leaf])


@pytest.mark.parametrize("prefix", ["x509_san_dns", "x509_hash"])
def test_request_object_verifies_and_tampered_twins_fail(pki: _Pki, prefix: str) -> None:
    client_id = ClientId.for_certificate(prefix, pki.leaf, "verifier.gov.my")
    token = _request(pki, client_id)
    claims = verify_request_object(token, client_id=client_id.value, anchors=[pki.ca], now=NOW, wallet_nonce="w1")
    assert claims["client_metadata"]["encrypted_response_enc_values_supported"] == ["A128GCM", "A256GCM"]
    bad_cases: list[tuple[str, dict[str, Any], list[Any]]] = [
        (token, {"wallet_nonce": "other"}, [pki.ca]),
        (token, {"client_id": "x509_san_dns:other.gov.my"}, [pki.ca]),
        (token, {}, []),  # no anchors: nothing is trusted
        (token, {}, [_Pki().ca]),  # another CA
        (_request(pki, client_id, exp=NOW - 1), {}, [pki.ca]),
        (_request(pki, client_id, redirect_uri="https://evil.example"), {}, [pki.ca]),
        (token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"), {}, [pki.ca]),
    ]
    if prefix == "x509_san_dns":  # only x509_san_dns binds the response_uri host to the certificate
        bad_cases.append((_request(pki, client_id, response_uri="https://evil.example/r"), {}, [pki.ca]))
    for bad_token, args, anchors in bad_cases:
        kwargs = {"client_id": client_id.value, "wallet_nonce": "w1"} | args
        with pytest.raises(AuthorizationError) as info:
            verify_request_object(bad_token, anchors=anchors, now=NOW, **kwargs)
        assert info.value.error == "invalid_request"


def test_request_object_with_wrong_typ_is_refused(pki: _Pki) -> None:
    client_id = ClientId.for_certificate("x509_hash", pki.leaf)
    token = _request(pki, client_id)
    payload = json_loads(b64u_decode(token.split(".")[1]))
    from idcore.x509 import x5c_from_certificates

    wrong = sign_compact({"typ": "JWT", "x5c": x5c_from_certificates([pki.leaf])}, payload, KeySigner(pki.key))
    with pytest.raises(AuthorizationError):
        verify_request_object(wrong, client_id=client_id.value, anchors=[pki.ca], now=NOW, wallet_nonce="w1")


def test_request_links() -> None:
    client_id = ClientId.parse("x509_hash:" + "A" * 43)
    params = parse_request_link(request_link("openid4vp", client_id, "https://v.example/r/1"))
    expected = {"client_id": client_id.value, "request_uri": "https://v.example/r/1", "request_uri_method": "post"}
    assert params == expected
    with pytest.raises(AuthorizationError) as info:
        parse_request_link("openid4vp://?client_id=a&request_uri=b&request_uri_method=PUT")
    assert info.value.error == "invalid_request_uri_method"
    with pytest.raises(AuthorizationError):
        parse_request_link("openid4vp://?client_id=a&client_id=b")


def test_response_parsing() -> None:
    ok = parse_response_params({"vp_token": '{"pid": ["eyJ...~"]}', "state": "s"})
    assert ok.vp_token == {"pid": ["eyJ...~"]}
    error = parse_response_params({"error": "access_denied", "state": "s"})
    assert (error.error, error.vp_token) == ("access_denied", None)
    assert parse_response_params({"error": "<script>", "state": "s"}).error == "unknown_error"
    for bad in [
        {"vp_token": "[]"},
        {"vp_token": '{"pid": []}'},
        {"vp_token": '{"pid": [1]}'},
        {"state": "s"},
        {"vp_token": '{"a":1,"a":2}'},
        {"vp_token": "{}", "error": "access_denied"},
        {"vp_token": "{}"},
    ]:
        with pytest.raises(AuthorizationError):
            parse_response_params(bad)
    with pytest.raises(IdcoreError):
        parse_form(b"a=1&a=2")
    assert parse_form(b"") == {}


def test_client_metadata_names_the_relying_party() -> None:
    assert build_client_metadata(None, client_name="Bank Rakyat Contoh")["client_name"] == "Bank Rakyat Contoh"
    assert "client_name" not in build_client_metadata(None)
