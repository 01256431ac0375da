"""Behaviour of both key stores (file, PKCS#11 on a throw-away SoftHSM2 token), real crypto only."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from idcore.errors import JoseError, KeyStoreError, Reason
from idcore.jose import sign_compact, verify_compact, verify_signature
from idcore.jwk import public_jwk, public_key_from_jwk
from idcore.keys import private_key_from_pem
from idcore.keystore import FileKeyStore, KeyStore, Pkcs11KeyStore, check_key_id
from tests.softhsm import SoftHsmToken, softhsm_token  # noqa: F401  (pytest fixture)

StoreFactory = Callable[[], KeyStore]


@pytest.fixture(params=["file", "pkcs11"])
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    """A factory of fresh instances over the same backing store, so tests can 'reopen' it."""
    if request.param == "file":
        return lambda: FileKeyStore(tmp_path / "keys")
    token: SoftHsmToken = request.getfixturevalue("softhsm_token")
    return lambda: Pkcs11KeyStore(*token.store_args())


def _kid() -> str:
    return f"k-{uuid.uuid4().hex}"


def test_create_sign_verify_compact(store_factory: StoreFactory) -> None:
    store, kid = store_factory(), _kid()
    signer = store.create(kid)
    token = sign_compact({"typ": "example+jwt"}, {"sub": "alice"}, signer)
    key = public_key_from_jwk(signer.public_jwk)
    header, payload = verify_compact(token, key, algorithms={"ES256"}, typ="example+jwt")
    assert header["alg"] == "ES256"
    assert payload == {"sub": "alice"}
    assert public_jwk(store.public_key(kid)) == dict(signer.public_jwk)


def test_tampered_payload_fails(store_factory: StoreFactory) -> None:
    signer = store_factory().create(_kid())
    token = sign_compact({"typ": "example+jwt"}, {"sub": "alice"}, signer)
    forged_payload = sign_compact({"typ": "example+jwt"}, {"sub": "mallory"}, signer).split(".")[1]
    h, _, s = token.split(".")
    with pytest.raises(JoseError) as err:
        verify_compact(
            f"{h}.{forged_payload}.{s}", public_key_from_jwk(signer.public_jwk), algorithms={"ES256"}, typ="example+jwt"
        )
    assert err.value.reason is Reason.BAD_SIGNATURE


def test_signature_is_raw_r_s(store_factory: StoreFactory) -> None:
    signer = store_factory().create(_kid())
    signature = signer.sign(b"header.payload")
    assert len(signature) == 64  # R || S, not DER
    key = public_key_from_jwk(signer.public_jwk)
    verify_signature("ES256", key, b"header.payload", signature)
    with pytest.raises(JoseError) as err:
        verify_signature("ES256", key, b"header.payloaD", signature)
    assert err.value.reason is Reason.BAD_SIGNATURE


@pytest.mark.parametrize("alg", ["ES384", "EdDSA"])
def test_other_algs(store_factory: StoreFactory, alg: str) -> None:
    store = store_factory()
    if isinstance(store, Pkcs11KeyStore) and alg == "EdDSA":
        with pytest.raises(KeyStoreError) as err:
            store.create(_kid(), alg)
        assert err.value.reason is Reason.ALG_NOT_ALLOWED
        return
    signer = store.create(_kid(), alg)
    assert signer.alg == alg
    signature = signer.sign(b"input")
    key = public_key_from_jwk(signer.public_jwk)
    verify_signature(alg, key, b"input", signature)
    with pytest.raises(JoseError):
        verify_signature(alg, key, b"inpuT", signature)


def test_unknown_alg_refused(store_factory: StoreFactory) -> None:
    with pytest.raises(KeyStoreError) as err:
        store_factory().create(_kid(), "HS256")
    assert err.value.reason is Reason.ALG_NOT_ALLOWED


def test_unknown_key_not_found(store_factory: StoreFactory) -> None:
    store, kid = store_factory(), _kid()
    assert not store.exists(kid)
    for call in (store.signer, store.public_key):
        with pytest.raises(KeyStoreError) as err:
            call(kid)
        assert err.value.reason is Reason.KEY_NOT_FOUND
    store.create(kid)
    assert store.exists(kid)
    assert store.signer(kid).alg == "ES256"


def test_create_twice_refused(store_factory: StoreFactory) -> None:
    store, kid = store_factory(), _kid()
    first = store.create(kid)
    with pytest.raises(KeyStoreError) as err:
        store.create(kid)
    assert err.value.reason is Reason.KEY_STORE
    assert store.signer(kid).public_jwk == first.public_jwk  # the first key is untouched


def test_reopen_finds_key(store_factory: StoreFactory) -> None:
    kid = _kid()
    signer = store_factory().create(kid)
    reopened = store_factory().signer(kid)
    assert reopened.public_jwk == signer.public_jwk
    signature = reopened.sign(b"data")
    verify_signature("ES256", public_key_from_jwk(signer.public_jwk), b"data", signature)
    other = store_factory().create(_kid())
    with pytest.raises(JoseError):
        verify_signature("ES256", public_key_from_jwk(other.public_jwk), b"data", signature)


def test_get_or_create(store_factory: StoreFactory) -> None:
    store, kid = store_factory(), _kid()
    created = store.get_or_create(kid)
    again = store_factory().get_or_create(kid)
    assert again.public_jwk == created.public_jwk
    with pytest.raises(KeyStoreError) as err:
        store.get_or_create(kid, "ES384")
    assert err.value.reason is Reason.KEY_STORE


@pytest.mark.parametrize("bad_id", ["../etc/passwd", "a/b", "", "x" * 65, "..", "ok\n", "a b", "é"])
def test_bad_key_ids_refused(store_factory: StoreFactory, bad_id: str) -> None:
    store = store_factory()
    for call in (store.create, store.signer, store.exists):
        with pytest.raises(KeyStoreError) as err:
            call(bad_id)
        assert err.value.reason is Reason.MALFORMED


def test_good_key_ids_accepted() -> None:
    for good in ["a", "issuer-2025.v1_ES256", "x" * 64]:
        assert check_key_id(good) == good


def test_concurrent_use(store_factory: StoreFactory) -> None:
    """Threads signing and racing get_or_create on one id all see one key and valid signatures."""
    store, kid = store_factory(), _kid()

    def work(n: int) -> tuple[dict[str, object], bytes, bytes]:
        signer = store.get_or_create(kid)
        message = f"message-{n}".encode()
        return dict(signer.public_jwk), message, signer.sign(message)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(32)))
    jwks = {tuple(sorted(jwk.items())) for jwk, _, _ in results}
    assert len(jwks) == 1
    key = store.public_key(kid)
    for _, message, signature in results:
        verify_signature("ES256", key, message, signature)
    _, message, signature = results[0]
    with pytest.raises(JoseError):
        verify_signature("ES256", key, message + b"!", signature)


# ---- file store specifics -------------------------------------------------------------


def test_file_store_layout_and_permissions(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys")
    store.create("issuer")
    path = tmp_path / "keys" / "issuer.pem"
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "keys").stat().st_mode & 0o077 == 0
    assert list((tmp_path / "keys").iterdir()) == [path]  # no temp file left behind
    assert b"BEGIN PRIVATE KEY" in path.read_bytes()
    path.chmod(0o644)  # twin: a key readable by others is refused
    with pytest.raises(KeyStoreError) as err:
        FileKeyStore(tmp_path / "keys").signer("issuer")
    assert err.value.reason is Reason.KEY_STORE


def test_file_store_refuses_symlinked_key(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys")
    store.create("real")
    os.symlink(tmp_path / "keys" / "real.pem", tmp_path / "keys" / "alias.pem")
    assert FileKeyStore(tmp_path / "keys").signer("real").alg == "ES256"
    with pytest.raises(KeyStoreError) as err:
        FileKeyStore(tmp_path / "keys").signer("alias")
    assert err.value.reason is Reason.KEY_STORE


def test_file_store_passphrase_round_trip(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    signer = FileKeyStore(directory, passphrase=b"correct horse").create("enc")
    pem = (directory / "enc.pem").read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in pem
    assert private_key_from_pem(pem, b"correct horse") is not None
    reopened = FileKeyStore(directory, passphrase=b"correct horse").signer("enc")
    assert reopened.public_jwk == signer.public_jwk
    verify_signature("ES256", public_key_from_jwk(signer.public_jwk), b"m", reopened.sign(b"m"))


@pytest.mark.parametrize("passphrase", [b"wrong horse", None])
def test_file_store_wrong_passphrase(tmp_path: Path, passphrase: bytes | None) -> None:
    FileKeyStore(tmp_path, passphrase=b"correct horse").create("enc")
    with pytest.raises(KeyStoreError) as err:
        FileKeyStore(tmp_path, passphrase=passphrase).signer("enc")
    assert err.value.reason is Reason.KEY_STORE
    assert "correct horse" not in str(err.value)


def test_file_store_plaintext_key_refused_when_passphrase_set(tmp_path: Path) -> None:
    FileKeyStore(tmp_path).create("plain")
    with pytest.raises(KeyStoreError) as err:
        FileKeyStore(tmp_path, passphrase=b"pw").signer("plain")
    assert err.value.reason is Reason.KEY_STORE


def test_file_store_repr_hides_passphrase(tmp_path: Path) -> None:
    assert "s3cret" not in repr(FileKeyStore(tmp_path, passphrase=b"s3cret"))


def test_file_store_corrupt_file(tmp_path: Path) -> None:
    (tmp_path / "junk.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    (tmp_path / "junk.pem").chmod(0o600)
    with pytest.raises(KeyStoreError) as err:
        FileKeyStore(tmp_path).signer("junk")
    assert err.value.reason is Reason.KEY_STORE


# ---- PKCS#11 specifics ------------------------------------------------------------------


def test_pkcs11_private_key_is_not_extractable(softhsm_token: SoftHsmToken) -> None:  # noqa: F811
    import pkcs11
    from pkcs11 import Attribute, ObjectClass

    store, kid = Pkcs11KeyStore(*softhsm_token.store_args()), _kid()
    store.create(kid)

    def attributes(session: pkcs11.Session) -> tuple[bool, bool]:
        key = store._find(session, kid, ObjectClass.PRIVATE_KEY)
        return bool(key[Attribute.SENSITIVE]), bool(key[Attribute.EXTRACTABLE])

    assert store._run(attributes) == (True, False)

    def read_value(session: pkcs11.Session) -> bytes:
        return bytes(store._find(session, kid, ObjectClass.PRIVATE_KEY)[Attribute.VALUE])

    with pytest.raises(KeyStoreError):
        store._run(read_value)


def test_pkcs11_wrong_pin_and_token(softhsm_token: SoftHsmToken) -> None:  # noqa: F811
    good = Pkcs11KeyStore(*softhsm_token.store_args())
    assert not good.exists(_kid())
    wrong_pin = Pkcs11KeyStore(softhsm_token.library_path, softhsm_token.token_label, "0000")
    with pytest.raises(KeyStoreError) as err:
        wrong_pin.exists(_kid())
    assert err.value.reason is Reason.KEY_STORE
    assert softhsm_token.user_pin not in str(err.value) + repr(good)
    no_token = Pkcs11KeyStore(softhsm_token.library_path, "no-such-token", softhsm_token.user_pin)
    with pytest.raises(KeyStoreError) as err:
        no_token.exists(_kid())
    assert err.value.reason is Reason.KEY_STORE
    no_library = Pkcs11KeyStore("/nonexistent/libpkcs11.so", "x", "1234")
    with pytest.raises(KeyStoreError) as err:
        no_library.exists(_kid())
    assert err.value.reason is Reason.KEY_STORE


def test_pkcs11_key_survives_process(softhsm_token: SoftHsmToken) -> None:  # noqa: F811
    """A key created in another process (its own library instance and login) signs for us."""
    kid = _kid()
    script = textwrap.dedent(
        """
        import sys
        from idcore.keystore import Pkcs11KeyStore
        store = Pkcs11KeyStore(sys.argv[1], sys.argv[2], sys.stdin.read())
        sys.stdout.write(store.create(sys.argv[3]).sign(b"from-child").hex())
        """
    )
    child = subprocess.run(
        [sys.executable, "-c", script, softhsm_token.library_path, softhsm_token.token_label, kid],
        input=softhsm_token.user_pin,
        env=softhsm_token.env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    signature = bytes.fromhex(child.stdout)
    key = Pkcs11KeyStore(*softhsm_token.store_args()).public_key(kid)
    verify_signature("ES256", key, b"from-child", signature)
    with pytest.raises(JoseError):
        verify_signature("ES256", key, b"from-parent", signature)


def test_pkcs11_wrong_pin_in_fresh_process(softhsm_token: SoftHsmToken) -> None:  # noqa: F811
    """Where no login exists yet, the token itself refuses the PIN; the right PIN is the twin."""
    script = textwrap.dedent(
        """
        import sys
        from idcore.errors import KeyStoreError
        from idcore.keystore import Pkcs11KeyStore
        pins = sys.stdin.read().split()
        for pin in pins:
            try:
                Pkcs11KeyStore(sys.argv[1], sys.argv[2], pin).exists("probe")
                print("ok")
            except KeyStoreError as exc:
                print(exc.reason.value, pin in str(exc))
        """
    )
    child = subprocess.run(
        [sys.executable, "-c", script, softhsm_token.library_path, softhsm_token.token_label],
        input=f"0000 {softhsm_token.user_pin}",
        env=softhsm_token.env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert child.stdout.split("\n")[:2] == ["key_store False", "ok"]


def test_ec_point_forms() -> None:
    """CKA_EC_POINT arrives DER-wrapped (SoftHSM2, the standard) or raw (some tokens); junk is refused."""
    from idcore.keystore.pkcs11 import _unwrap_ec_point

    raw = b"\x04" + bytes(range(64))
    assert _unwrap_ec_point(b"\x04\x41" + raw, 32) == raw
    assert _unwrap_ec_point(raw, 32) == raw
    for junk in (b"\x04\x40" + raw, b"\x03\x41" + raw, raw[:-1], b"\x02" + raw[1:], b""):
        with pytest.raises(KeyStoreError) as err:
            _unwrap_ec_point(junk, 32)
        assert err.value.reason is Reason.BAD_KEY
