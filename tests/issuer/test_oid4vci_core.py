"""Pure protocol checks of idcore.oid4vci (no HTTP): proofs, DPoP, messages, metadata helpers."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from idcore.errors import Reason
from idcore.oid4vci import (
    INVALID_PROOF,
    Oid4vciError,
    build_credential_offer,
    credential_offer_uri,
    integrity,
    parse_credential_offer,
    parse_credential_request,
    split_offer_link,
    verify_dpop_proof,
    verify_jwt_proof,
)
from idcore.ports import FixedClock
from tests.issuer.wallet_client import ScriptedWallet, make_proof, new_key

AUD = "https://issuer.example/sg"
NOW = 1_800_000_000


def _verify(token: str, **options: Any) -> Any:
    return verify_jwt_proof(token, audience=AUD, clock=FixedClock(NOW), algorithms=["ES256"], **options)


def test_proof_round_trip_and_twins() -> None:
    key = new_key()
    proof = _verify(make_proof(key, aud=AUD, nonce="n", iat=NOW))
    assert proof.jwk == dict(key.public_jwk)
    assert proof.nonce == "n"
    cases = {
        "aud": make_proof(key, aud=AUD + "/x", nonce="n", iat=NOW),
        "stale": make_proof(key, aud=AUD, nonce="n", iat=NOW - 301),
        "future": make_proof(key, aud=AUD, nonce="n", iat=NOW + 61),
        "typ": make_proof(key, aud=AUD, nonce="n", iat=NOW, typ="jwt"),
        "kid": make_proof(key, aud=AUD, nonce="n", iat=NOW, header={"kid": "k1"}),
        "nonce": make_proof(key, aud=AUD, nonce=None, iat=NOW),
        "iat": make_proof(key, aud=AUD, nonce="n", iat=True),  # type: ignore[arg-type]
    }
    for name, token in cases.items():
        with pytest.raises(Oid4vciError) as caught:
            _verify(token)
        assert caught.value.error == INVALID_PROOF, name
    with pytest.raises(Oid4vciError):
        _verify(make_proof(key, aud=AUD, nonce="n", iat=NOW, iss="wallet"), client_id="other")
    assert _verify(make_proof(key, aud=AUD, nonce="n", iat=NOW, iss="wallet"), client_id="wallet").iat == NOW
    assert _verify(make_proof(key, aud=AUD, nonce=None, iat=NOW), require_nonce=False).nonce is None


def test_alg_none_proof_is_refused() -> None:
    key = new_key()
    head, body, _ = make_proof(key, aud=AUD, nonce="n", iat=NOW).split(".")
    header = json.loads(base64.urlsafe_b64decode(head + "=="))
    header["alg"] = "none"
    none_head = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    with pytest.raises(Oid4vciError) as caught:
        _verify(f"{none_head}.{body}.")
    assert caught.value.reason in {Reason.ALG_NOT_ALLOWED, Reason.BAD_BASE64, Reason.MALFORMED}


def test_dpop_proof_checks() -> None:
    wallet = ScriptedWallet(http=None)  # type: ignore[arg-type]
    proof = wallet.dpop_proof("POST", "https://issuer.example/sg/token")
    clock = FixedClock(int(time.time()))
    checked = verify_dpop_proof(
        proof, method="POST", url="https://issuer.example/sg/token?x=1", clock=clock, algorithms=["ES256"]
    )
    assert checked.jkt
    for method, url in (("GET", "https://issuer.example/sg/token"), ("POST", "https://issuer.example/sg/tok")):
        with pytest.raises(Oid4vciError):
            verify_dpop_proof(proof, method=method, url=url, clock=clock, algorithms=["ES256"])
    with pytest.raises(Oid4vciError):
        verify_dpop_proof(
            proof,
            method="POST",
            url="https://issuer.example/sg/token",
            clock=clock,
            algorithms=["ES256"],
            access_token="at",
        )


def test_offer_links_round_trip() -> None:
    offer = build_credential_offer(AUD, ["pid"], pre_authorized_code="c", tx_code={"length": 6}, issuer_state="s")
    by_value, _ = split_offer_link(credential_offer_uri(offer=offer))
    parsed = parse_credential_offer(by_value)
    assert (parsed.pre_authorized_code, parsed.tx_code, parsed.issuer_state) == ("c", {"length": 6}, "s")
    assert split_offer_link(credential_offer_uri(offer_uri=f"{AUD}/offers/1")) == (None, f"{AUD}/offers/1")
    for bad in (
        "openid-credential-offer://?",
        "openid-credential-offer://?credential_offer=%7B",
        "openid-credential-offer://?credential_offer=1&credential_offer_uri=x",
    ):
        with pytest.raises(Oid4vciError):
            split_offer_link(bad)
    for bad_offer in (
        {},
        {"credential_issuer": AUD, "credential_configuration_ids": []},
        {"credential_issuer": AUD, "credential_configuration_ids": ["a", "a"]},
        {
            "credential_issuer": AUD,
            "credential_configuration_ids": ["a"],
            "grants": {"urn:ietf:params:oauth:grant-type:pre-authorized_code": {}},
        },
    ):
        with pytest.raises(Oid4vciError):
            parse_credential_offer(bad_offer)


def test_credential_request_shapes() -> None:
    parsed = parse_credential_request(
        {"credential_configuration_id": "pid", "proofs": {"jwt": ["a", "b"]}}, batch_size=2
    )
    assert parsed.proofs == ("a", "b")
    with pytest.raises(Oid4vciError):
        parse_credential_request({"credential_configuration_id": "pid", "proofs": {"jwt": ["a", "b"]}})
    with pytest.raises(Oid4vciError):
        parse_credential_request({"credential_configuration_id": "pid", "credential_identifier": "x"})
    with pytest.raises(Oid4vciError):
        parse_credential_request({"credential_configuration_id": "pid", "proofs": {"jwt": ["a"], "di_vp": ["b"]}})


def test_integrity_is_sri_sha256() -> None:
    assert integrity(b"") == "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    assert integrity(b" ") != integrity(b"")


def test_public_api_is_listed_and_importable() -> None:
    import importlib

    for name in (
        "idcore.oid4vci",
        "idcore.oid4vci.proof",
        "idcore.oid4vci.dpop",
        "idcore.oid4vci.messages",
        "idcore.oid4vci.metadata",
        "idcore.oid4vci.errors",
        "issuer.app",
        "issuer.service",
        "issuer.settings",
        "issuer.storage",
    ):
        module = importlib.import_module(name)
        assert module.__all__, name
        for exported in module.__all__:
            assert hasattr(module, exported), f"{name}.{exported}"


def test_dpop_with_a_non_ascii_access_token_is_invalid_not_a_crash() -> None:
    wallet = ScriptedWallet(http=None)  # type: ignore[arg-type]
    url = "https://issuer.example/sg/credential"
    proof = wallet.dpop_proof("POST", url, "token")
    clock = FixedClock(int(time.time()))
    assert verify_dpop_proof(proof, method="POST", url=url, clock=clock, algorithms=["ES256"], access_token="token")
    with pytest.raises(Oid4vciError):
        verify_dpop_proof(proof, method="POST", url=url, clock=clock, algorithms=["ES256"], access_token="tökén")


_PROOF_KEY = new_key()
_PROOF = make_proof(_PROOF_KEY, aud=AUD, nonce="n", iat=NOW)


@settings(max_examples=200, deadline=None)
@given(
    position=st.integers(min_value=0, max_value=len(_PROOF) - 1),
    replacement=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~="),
)
def test_any_single_character_change_to_a_proof_is_refused(position: int, replacement: str) -> None:
    if _PROOF[position] == replacement:
        return
    tampered = _PROOF[:position] + replacement + _PROOF[position + 1 :]
    with pytest.raises(Oid4vciError) as caught:
        _verify(tampered)
    assert caught.value.error == INVALID_PROOF
