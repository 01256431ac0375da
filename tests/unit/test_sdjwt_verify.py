"""RFC 9901 Section 7 verification: each rule has a presentation that breaks exactly it."""

from __future__ import annotations

from typing import Any

import pytest

from idcore.b64 import b64u_encode, json_dumps
from idcore.errors import IdcoreError, SdJwtError
from idcore.jose import sign_compact
from idcore.sdjwt import digest, verify_sd_jwt
from tests.unit.sdjwt_helpers import (
    AUD,
    NONCE,
    NOW,
    Keys,
    disclosure,
    kb_jwt,
    options,
    present,
    raw_disclosure,
    salt,
    sd,
    signed,
)


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys.generate()


def reason_of(presentation: str, keys: Keys, **kw: Any) -> str:
    with pytest.raises(IdcoreError) as info:
        verify_sd_jwt(presentation, keys.issuer.private_key.public_key(), options(**kw))
    return info.value.reason.value


def test_structured_presentation_verifies(keys: Keys) -> None:
    street = disclosure(salt(), "street", "1 Jalan Ampang")
    country = disclosure(salt(), "country", "MY")
    nat = disclosure(salt(), "MY")
    jwt = signed(
        {
            "address": {"_sd": [sd(street), sd(country), sd(disclosure(salt(), "decoy", 1))]},
            "nationalities": [{"...": sd(nat)}, "SG", {"...": "decoy-digest-not-matching"}],
            "_sd_alg": "sha-256",
        },
        keys,
    )
    got = verify_sd_jwt(present(jwt, [street, nat], keys), keys.issuer.private_key.public_key(), options())
    assert got.payload["address"] == {"street": "1 Jalan Ampang"}
    assert got.payload["nationalities"] == ["MY", "SG"]
    assert "_sd_alg" not in got.payload
    assert got.kb_payload is not None
    assert got.kb_payload["aud"] == AUD


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        # Section 7.1 step 4: the same digest twice
        (lambda d: ({"_sd": [sd(d), sd(d)]}, [d]), "duplicate_digest"),
        (
            lambda _: ({"a": [{"...": sd(x := disclosure(salt(), "MY"))}], "b": [{"...": sd(x)}]}, [x]),
            "duplicate_digest",
        ),
        (lambda _: ({"_sd": ["decoy", "decoy"]}, []), "duplicate_digest"),
        # step 3.3.2.2: reserved claim names in a Disclosure
        (lambda _: ({"_sd": [sd(x := disclosure(salt(), "_sd", ["a"]))]}, [x]), "reserved_claim_name"),
        (lambda _: ({"_sd": [sd(x := disclosure(salt(), "...", "a"))]}, [x]), "reserved_claim_name"),
        # step 3.3.2.3: the claim already exists at that level
        (lambda _: ({"sub": "plain", "_sd": [sd(x := disclosure(salt(), "sub", "x"))]}, [x]), "claim_name_collision"),
        (
            lambda _: ({"_sd": [sd(a := disclosure(salt(), "n", 1)), sd(b := disclosure(salt(), "n", 2))]}, [a, b]),
            "claim_name_collision",
        ),
        # step 3.3.2.1 / 3.3.3.1: wrong shapes
        (lambda _: ({"_sd": [sd(x := disclosure(salt(), "MY"))]}, [x]), "malformed_disclosure"),
        (lambda _: ({"a": [{"...": sd(x := disclosure(salt(), "n", 1))}]}, [x]), "malformed_disclosure"),
        (lambda _: ({"_sd": [sd(x := disclosure(salt(), "n", 1, 2))]}, [x]), "malformed_disclosure"),
        (lambda _: ({"_sd": [sd(x := disclosure(1, "n", 1))]}, [x]), "malformed_disclosure"),
        (lambda _: ({"_sd": [sd(x := disclosure(salt(), 7, 1))]}, [x]), "malformed_disclosure"),
        (lambda _: ({"_sd": [sd(x := raw_disclosure({"salt": 1}))]}, [x]), "malformed_disclosure"),
        (lambda _: ({"_sd": [sd(x := "bm90IGpzb24")]}, [x]), "malformed_disclosure"),
        # step 5: a Disclosure no digest references
        (lambda d: ({"_sd": []}, [d]), "unreferenced_disclosure"),
        # the payload's own digest structures must be well formed
        (lambda _: ({"_sd": "not-an-array"}, []), "malformed"),
        (lambda _: ({"_sd": [42]}, []), "malformed"),
        (lambda _: ({"a": [{"...": "x", "extra": 1}]}, []), "reserved_claim_name"),
        (lambda _: ({"a": {"...": "x"}}, []), "reserved_claim_name"),
        (lambda _: ({"_sd_alg": "md5"}, []), "unsupported_sd_alg"),
    ],
)
def test_section_7_1_violation_is_rejected(keys: Keys, build: Any, reason: str) -> None:
    payload, disclosures = build(disclosure(salt(), "given_name", "Siti"))
    assert reason_of(present(signed(payload, keys), disclosures, keys), keys) == reason


def test_nested_disclosure_needs_its_parent(keys: Keys) -> None:
    child = disclosure(salt(), "street", "x")
    parent = disclosure(salt(), "address", {"_sd": [sd(child)]})
    jwt = signed({"_sd": [sd(parent)]}, keys)
    assert reason_of(present(jwt, [child], keys), keys) == "unreferenced_disclosure"
    got = verify_sd_jwt(present(jwt, [parent, child], keys), keys.issuer.private_key.public_key(), options())
    assert got.payload["address"] == {"street": "x"}


@pytest.mark.parametrize(
    ("claims", "now", "reason"),
    [
        ({"exp": NOW - 61}, NOW, "expired"),
        ({"nbf": NOW + 61}, NOW, "not_yet_valid"),
        ({"iat": NOW + 61}, NOW, "not_yet_valid"),
        ({"exp": "tomorrow"}, NOW, "malformed"),
    ],
)
def test_validity_claims(keys: Keys, claims: dict[str, Any], now: int, reason: str) -> None:
    assert reason_of(present(signed(claims, keys), [], keys), keys, now=now) == reason


def test_validity_within_skew_is_accepted(keys: Keys) -> None:
    jwt = signed({"exp": NOW - 30, "nbf": NOW + 30, "iat": NOW + 30}, keys)
    verify_sd_jwt(present(jwt, [], keys), keys.issuer.private_key.public_key(), options())


def test_key_binding_is_decided_by_policy_not_presence(keys: Keys) -> None:
    jwt = signed({}, keys)
    assert reason_of(present(jwt, []), keys, kb=True) == "kb_missing"
    assert reason_of(present(jwt, [], keys), keys, kb=False) == "kb_unexpected"
    verify_sd_jwt(present(jwt, []), keys.issuer.private_key.public_key(), options(kb=False))


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"nonce": "other"}, "nonce_mismatch"),
        ({"nonce": None}, "nonce_mismatch"),
        ({"aud": "https://other.example"}, "aud_mismatch"),
        ({"aud": [AUD]}, "aud_mismatch"),
        ({"iat": NOW + 120}, "iat_out_of_window"),
        ({"iat": NOW - 1000}, "iat_out_of_window"),
        ({"iat": None}, "kb_invalid"),
        ({"iat": True}, "kb_invalid"),
        ({"sd_hash": "AAAA"}, "sd_hash_mismatch"),
        ({"exp": NOW - 100}, "expired"),
    ],
)
def test_kb_jwt_claims(keys: Keys, overrides: dict[str, Any], reason: str) -> None:
    jwt = signed({}, keys)
    sd_jwt = jwt + "~"
    assert reason_of(sd_jwt + kb_jwt(sd_jwt, keys, **overrides), keys) == reason


def test_kb_jwt_typ_and_key(keys: Keys) -> None:
    jwt = signed({}, keys)
    sd_jwt = jwt + "~"
    claims = {"iat": NOW, "aud": AUD, "nonce": NONCE, "sd_hash": digest(sd_jwt)}
    wrong_typ = sign_compact({"typ": "jwt"}, claims, keys.holder)
    assert reason_of(sd_jwt + wrong_typ, keys) == "typ_mismatch"
    other = Keys.generate()
    assert reason_of(sd_jwt + sign_compact({"typ": "kb+jwt"}, claims, other.holder), keys) == "bad_signature"
    no_cnf = sign_compact({"typ": "example+sd-jwt"}, {"iss": "x"}, keys.issuer) + "~"
    assert reason_of(no_cnf + kb_jwt(no_cnf, keys), keys) == "cnf_missing"


def test_alg_none_and_mac_are_refused(keys: Keys) -> None:
    body = b64u_encode(json_dumps({"iss": "x", "cnf": {"jwk": dict(keys.holder.public_jwk)}}))
    for alg in ("none", "HS256", "RS256"):
        header = b64u_encode(json_dumps({"alg": alg, "typ": "example+sd-jwt"}))
        assert reason_of(f"{header}.{body}.~", keys, kb=False) == "alg_not_allowed"


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda p: p.replace("~", "~~", 1), "malformed"),
        (lambda p: p[: p.index("~")], "malformed"),
        (lambda p: "x" * 600_000, "too_large"),
        (lambda p: p.replace(".", "=.", 1), "bad_base64"),
        (lambda p: p.replace("~", "~é", 1), "malformed"),  # non-ASCII in a disclosure: refused, not a crash
        (lambda p: p[:-3] + "中" + p[-2:], "malformed"),
    ],
)
def test_framing_errors(keys: Keys, mangle: Any, reason: str) -> None:
    d = disclosure(salt(), "given_name", "Siti")
    assert reason_of(mangle(present(signed({"_sd": [sd(d)]}, keys), [d], keys)), keys) == reason


def test_errors_are_typed(keys: Keys) -> None:
    with pytest.raises(SdJwtError):
        verify_sd_jwt(present(signed({}, keys), []), keys.issuer.private_key.public_key(), options(kb=True))
