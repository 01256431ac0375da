"""idcore.keys: generation, PEM and private JWK round trips, each with a refusal twin."""

from __future__ import annotations

import importlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, rsa

from idcore.b64 import b64u_decode, b64u_encode
from idcore.errors import JoseError, KeyStoreError, Reason
from idcore.jose import KeySigner, verify_signature
from idcore.jwk import PRIVATE_MEMBERS, jwk_thumbprint, public_jwk, public_key_from_jwk
from idcore.keys import (
    KEY_ALGS,
    alg_for_key,
    generate_private_key,
    private_jwk,
    private_key_from_jwk,
    private_key_from_pem,
    private_key_to_pem,
    public_key_from_pem,
    public_key_to_pem,
)

ALGS = sorted(KEY_ALGS)


@pytest.mark.parametrize(("alg", "curve"), [("ES256", "secp256r1"), ("ES384", "secp384r1"), ("EdDSA", None)])
def test_generate(alg: str, curve: str | None) -> None:
    key = generate_private_key(alg)
    assert alg_for_key(key) == alg
    assert alg_for_key(key.public_key()) == alg
    if curve is not None:
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        assert key.curve.name == curve
    signer = KeySigner(key)
    assert signer.alg == alg
    verify_signature(alg, key.public_key(), b"m", signer.sign(b"m"))


@pytest.mark.parametrize("alg", ["RS256", "HS256", "none", "ES512", ""])
def test_generate_refuses_other_algs(alg: str) -> None:
    with pytest.raises(KeyStoreError) as err:
        generate_private_key(alg)
    assert err.value.reason is Reason.ALG_NOT_ALLOWED


def test_default_is_es256() -> None:
    assert alg_for_key(generate_private_key()) == "ES256"


@pytest.mark.parametrize("alg", ALGS)
def test_pem_round_trip(alg: str) -> None:
    key = generate_private_key(alg)
    pem = private_key_to_pem(key)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = private_key_from_pem(pem)
    assert public_jwk(loaded) == public_jwk(key)
    assert public_jwk(public_key_from_pem(public_key_to_pem(key))) == public_jwk(key)
    assert public_key_to_pem(key) == public_key_to_pem(key.public_key())
    other = generate_private_key(alg)
    assert public_jwk(private_key_from_pem(private_key_to_pem(other))) != public_jwk(key)


@pytest.mark.parametrize("alg", ALGS)
def test_encrypted_pem_round_trip_and_wrong_passphrase(alg: str) -> None:
    key = generate_private_key(alg)
    pem = private_key_to_pem(key, b"pass phrase")
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert public_jwk(private_key_from_pem(pem, b"pass phrase")) == public_jwk(key)
    for wrong in (b"pass phrasE", None):
        with pytest.raises(KeyStoreError) as err:
            private_key_from_pem(pem, wrong)
        assert err.value.reason is Reason.KEY_STORE


def test_empty_passphrase_refused() -> None:
    with pytest.raises(KeyStoreError):
        private_key_to_pem(generate_private_key(), b"")


def test_passphrase_for_plain_key_refused() -> None:
    pem = private_key_to_pem(generate_private_key())
    with pytest.raises(KeyStoreError) as err:
        private_key_from_pem(pem, b"unexpected")
    assert err.value.reason is Reason.KEY_STORE


def _pkcs8(key: object) -> bytes:
    return key.private_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _spki(key: object) -> bytes:
    return key.public_key().public_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: rsa.generate_private_key(65537, 2048),
        lambda: ec.generate_private_key(ec.SECP521R1()),
        lambda: ec.generate_private_key(ec.SECP256K1()),
        ed448.Ed448PrivateKey.generate,
    ],
    ids=["rsa", "p521", "secp256k1", "ed448"],
)
def test_unsupported_key_types_refused(make: object) -> None:
    key = make()  # type: ignore[operator]
    with pytest.raises(KeyStoreError) as err:
        private_key_from_pem(_pkcs8(key))
    assert err.value.reason is Reason.BAD_KEY
    with pytest.raises(KeyStoreError) as err:
        public_key_from_pem(_spki(key))
    assert err.value.reason is Reason.BAD_KEY
    with pytest.raises(KeyStoreError):
        alg_for_key(key)
    with pytest.raises(KeyStoreError):
        private_key_to_pem(key)


@pytest.mark.parametrize("junk", [b"", b"not a pem", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"])
def test_junk_pem_refused(junk: bytes) -> None:
    with pytest.raises(KeyStoreError):
        private_key_from_pem(junk)
    with pytest.raises(KeyStoreError):
        public_key_from_pem(junk)


@pytest.mark.parametrize("alg", ALGS)
def test_private_jwk_round_trip(alg: str) -> None:
    key = generate_private_key(alg)
    jwk = private_jwk(key)
    assert "d" in jwk
    assert {k: v for k, v in jwk.items() if k != "d"} == public_jwk(key)
    assert jwk_thumbprint(jwk) == jwk_thumbprint(public_jwk(key))
    back = private_key_from_jwk(jwk)
    assert private_jwk(back) == jwk
    # The public JWK import refuses private members: private JWKs never pass as public keys.
    with pytest.raises(JoseError, match="private"):
        public_key_from_jwk(jwk)
    assert PRIVATE_MEMBERS.isdisjoint(public_jwk(back))


@pytest.mark.parametrize("alg", ALGS)
def test_private_jwk_with_mismatched_d_refused(alg: str) -> None:
    jwk = private_jwk(generate_private_key(alg))
    jwk["d"] = private_jwk(generate_private_key(alg))["d"]
    with pytest.raises(KeyStoreError) as err:
        private_key_from_jwk(jwk)
    assert err.value.reason is Reason.BAD_KEY


def _mutated(jwk: dict[str, str], **changes: str | None) -> dict[str, str]:
    out = dict(jwk)
    for name, value in changes.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def test_private_jwk_malformed_refused() -> None:
    jwk = private_jwk(generate_private_key("ES256"))
    d = b64u_decode(jwk["d"])
    bad = [
        _mutated(jwk, d=None),
        _mutated(jwk, d=jwk["d"] + "A"),
        _mutated(jwk, d=b64u_encode(d[1:])),
        _mutated(jwk, d=b64u_encode(b"\x00" * 32)),
        _mutated(jwk, d=b64u_encode(b"\xff" * 32)),
        _mutated(jwk, crv="P-521"),
        _mutated(jwk, kty="RSA"),
        _mutated(jwk, x=None),
    ]
    for candidate in bad:
        with pytest.raises(KeyStoreError) as err:
            private_key_from_jwk(candidate)
        assert err.value.reason is Reason.BAD_KEY, candidate
    with pytest.raises(KeyStoreError):
        private_key_from_jwk("not a dict")  # type: ignore[arg-type]
    assert public_jwk(private_key_from_jwk(jwk)) == public_jwk(private_key_from_jwk(dict(jwk)))


def test_wrong_argument_types_are_key_store_errors() -> None:
    key = generate_private_key()
    pem = private_key_to_pem(key, b"pw")
    for call in (
        lambda: private_key_from_pem(pem.decode(), b"pw"),  # type: ignore[arg-type]
        lambda: private_key_from_pem(pem, "pw"),  # type: ignore[arg-type]
        lambda: public_key_from_pem(public_key_to_pem(key).decode()),  # type: ignore[arg-type]
        lambda: private_key_to_pem(key, "pw"),  # type: ignore[arg-type]
    ):
        with pytest.raises(KeyStoreError) as err:
            call()
        assert err.value.reason is Reason.MALFORMED
    assert public_jwk(private_key_from_pem(pem, b"pw")) == public_jwk(key)


@pytest.mark.parametrize(
    "module", ["idcore.keys", "idcore.keystore", "idcore.keystore.file", "idcore.keystore.pkcs11", "idcore.x509"]
)
def test_public_api_is_listed_and_exists(module: str) -> None:
    imported = importlib.import_module(module)
    assert imported.__all__
    assert sorted(imported.__all__) == sorted(set(imported.__all__))
    for name in imported.__all__:
        assert getattr(imported, name) is not None
    with pytest.raises(AttributeError):
        getattr(imported, "not_a_public_name")  # noqa: B009
