"""JWS policy (RFC 7515, RFC 8725): allow-lists, typ, crit, jwk headers, duplicates, base64url, size."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from idcore.b64 import b64u_decode, b64u_encode, json_dumps, json_loads
from idcore.errors import IdcoreError, JoseError
from idcore.jose import KeySigner, normalize_typ, sign_compact, verify_compact
from idcore.jwk import jwk_thumbprint, public_jwk, public_key_from_jwk

P256 = KeySigner(ec.generate_private_key(ec.SECP256R1()))
P384 = KeySigner(ec.generate_private_key(ec.SECP384R1()))
ED = KeySigner(ed25519.Ed25519PrivateKey.generate())


def reason(token: str, key: Any = None, **kw: Any) -> str:
    kw.setdefault("algorithms", {"ES256"})
    kw.setdefault("typ", "example+jwt")
    with pytest.raises(JoseError) as info:
        verify_compact(token, key or P256.private_key.public_key(), **kw)
    return info.value.reason.value


def forge(header: dict[str, Any], payload: bytes | None = None, signer: KeySigner = P256) -> str:
    """Sign an arbitrary header (including ones sign_compact would not produce)."""
    h = b64u_encode(json_dumps(header))
    p = b64u_encode(payload if payload is not None else json_dumps({"sub": "x"}))
    return f"{h}.{p}.{b64u_encode(signer.sign(f'{h}.{p}'.encode()))}"


@pytest.mark.parametrize("signer", [P256, P384, ED], ids=["ES256", "ES384", "EdDSA"])
def test_sign_and_verify_each_algorithm(signer: KeySigner) -> None:
    token = sign_compact({"typ": "example+jwt"}, {"sub": "siti"}, signer)
    header, payload = verify_compact(token, signer.private_key.public_key(), algorithms={signer.alg}, typ="example+jwt")
    assert payload == {"sub": "siti"}
    assert header["alg"] == signer.alg
    # tampered twin: one payload character changed
    h, _, s = token.split(".")
    bad = f"{h}.{b64u_encode(json_dumps({'sub': 'sitI'}))}.{s}"
    assert reason(bad, signer.private_key.public_key(), algorithms={signer.alg}) == "bad_signature"


@pytest.mark.parametrize("alg", ["none", "HS256", "RS256", "PS256", "ES512", "", None, 1])
def test_algorithms_outside_the_allow_list_are_refused(alg: Any) -> None:
    assert reason(forge({"alg": alg, "typ": "example+jwt"})) == "alg_not_allowed"


def test_allow_list_is_per_call() -> None:
    token = sign_compact({"typ": "example+jwt"}, {"a": 1}, P384)
    assert reason(token, P384.private_key.public_key(), algorithms={"ES256"}) == "alg_not_allowed"
    assert reason(token, P256.private_key.public_key(), algorithms={"ES384"}) == "bad_key"


def test_typ_is_checked_case_insensitively_with_optional_application_prefix() -> None:
    token = forge({"alg": "ES256", "typ": "application/Example+JWT"})
    verify_compact(token, P256.private_key.public_key(), algorithms={"ES256"}, typ="example+jwt")
    assert normalize_typ("APPLICATION/dc+sd-jwt") == "dc+sd-jwt"
    assert reason(forge({"alg": "ES256", "typ": "jwt"})) == "typ_mismatch"
    assert reason(forge({"alg": "ES256"})) == "typ_mismatch"


@pytest.mark.parametrize(
    "crit",
    [["exp"], [], "b64", ["b64"], [1]],
)
def test_unknown_crit_is_refused(crit: Any) -> None:
    assert reason(forge({"alg": "ES256", "typ": "example+jwt", "crit": crit, "exp": 1})) == "unknown_crit"


def test_understood_crit_is_accepted() -> None:
    token = forge({"alg": "ES256", "typ": "example+jwt", "crit": ["x-lintas"], "x-lintas": 1})
    verify_compact(
        token, P256.private_key.public_key(), algorithms={"ES256"}, typ="example+jwt", understood_crit={"x-lintas"}
    )


def test_private_key_in_jwk_header_is_refused() -> None:
    private = dict(public_jwk(P256.private_key))
    private["d"] = b64u_encode(P256.private_key.private_numbers().private_value.to_bytes(32, "big"))  # type: ignore[union-attr]
    assert reason(forge({"alg": "ES256", "typ": "example+jwt", "jwk": private})) == "private_key_in_header"
    verify_compact(
        forge({"alg": "ES256", "typ": "example+jwt", "jwk": dict(P256.public_jwk)}),
        P256.private_key.public_key(),
        algorithms={"ES256"},
        typ="example+jwt",
    )


def test_duplicate_member_names_are_refused() -> None:
    header = b'{"alg":"ES256","typ":"example+jwt","typ":"other"}'
    h = b64u_encode(header)
    p = b64u_encode(b'{"sub":"a"}')
    token = f"{h}.{p}.{b64u_encode(P256.sign(f'{h}.{p}'.encode()))}"
    assert reason(token) == "duplicate_member"
    dup_payload = forge({"alg": "ES256", "typ": "example+jwt"}, b'{"sub":"a","sub":"b"}')
    assert reason(dup_payload) == "duplicate_member"


@pytest.mark.parametrize("text", ["QR", "QUJ", "QUI=", "Q+I", "Q/I", "A", " QUI", "QUI\n", "QÜI"])
def test_non_canonical_base64url_is_refused(text: str) -> None:
    with pytest.raises(IdcoreError) as info:
        b64u_decode(text)
    assert info.value.reason.value == "bad_base64"


@pytest.mark.parametrize("text", ["", "QQ", "QUI", "QUJD", "-_-_"])
def test_canonical_base64url_round_trips(text: str) -> None:
    assert b64u_encode(b64u_decode(text)) == text


def test_non_canonical_signature_encoding_is_refused() -> None:
    token = sign_compact({"typ": "example+jwt"}, {"a": 1}, P256)
    # 64-byte signature -> 86 chars, 2 unused bits in the last one; setting them keeps the bytes.
    last = token[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = token[:-1] + alphabet[alphabet.index(last) | 1]
    if twin != token:
        assert reason(twin) == "bad_base64"


def test_size_limit_and_shape() -> None:
    token = sign_compact({"typ": "example+jwt"}, {"blob": "x" * 5000}, P256)
    assert reason(token, max_bytes=1000) == "too_large"
    assert reason("a.b") == "malformed"
    assert reason("a.b.c.d") == "malformed"
    assert reason(forge({"alg": "ES256", "typ": "example+jwt"}, b"[1,2]")) == "malformed"
    assert reason(b64u_encode(b"[]") + ".e30.AA") == "malformed"


def test_nan_and_invalid_utf8_are_malformed() -> None:
    for raw in (b'{"a": NaN}', b'{"a": Infinity}', b'{"a": "\xff"}', b'{"a": 1'):
        with pytest.raises(IdcoreError) as info:
            json_loads(raw)
        assert info.value.reason.value == "malformed"


def test_rfc7638_thumbprint_example() -> None:
    # RFC 7638 Section 3.1 uses an RSA key; RFC 8037 Appendix A.3 gives an Ed25519 thumbprint.
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert jwk_thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_jwk_import_validates() -> None:
    good = dict(P256.public_jwk)
    assert public_key_from_jwk(good).public_numbers() == P256.private_key.public_key().public_numbers()  # type: ignore[union-attr]
    off_curve = dict(good, y=good["x"])
    for bad in (
        off_curve,
        dict(good, crv="P-521"),
        dict(good, kty="RSA"),
        {"kty": "EC"},
        dict(good, x="AA"),
        dict(good, d="AA"),
    ):
        with pytest.raises(JoseError):
            public_key_from_jwk(bad)
