"""A :class:`~idcore.keystore.KeyStore` whose keys live in a PKCS#11 token (HSM; SoftHSM2 in tests).

Keys are EC key pairs generated on the token (PKCS#11 v2.40 ``CKM_EC_KEY_PAIR_GEN``), stored as
token objects labelled with the key id, ``CKA_SENSITIVE`` and not ``CKA_EXTRACTABLE``: the private
key never leaves the token. Signing hashes the JWS signing input in Python and asks the token for
raw ``CKM_ECDSA`` over the digest, because SoftHSM2 offers no ``CKM_ECDSA_SHA256``. PKCS#11 returns
ECDSA signatures as ``r || s`` with each integer padded to the curve size, which is exactly the
JWS form of RFC 7518 Section 3.4; the length is still checked on every signature.

Supported: ``ES256`` (P-256, SHA-256) and ``ES384`` (P-384, SHA-384).

Sessions. PKCS#11 logs in per application and token, not per session, and closing a logged-in
session logs every session out. So this module keeps one logged-in session per (library, token)
for the whole process, shared by every store instance, and serialises all calls into the library
with one lock (python-pkcs11 initialises the library without OS locking). A second store with a
different PIN is refused: the token already accepted one PIN, and a logged-in token would not
check another. The PIN is never logged, printed or put in an error.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import pkcs11
from cryptography.hazmat.primitives.asymmetric import ec
from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass
from pkcs11.util.ec import encode_named_curve_parameters

from idcore.errors import KeyStoreError, Reason
from idcore.jwk import PublicKey, public_jwk
from idcore.keystore._base import check_key_id

__all__ = ["Pkcs11KeyStore"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Curve:
    alg: str
    curve_name: str  # asn1crypto / cryptography name, also used for CKA_EC_PARAMS
    size: int
    digest: Callable[[bytes], Any]


_CURVES = {
    "ES256": _Curve("ES256", "secp256r1", 32, hashlib.sha256),
    "ES384": _Curve("ES384", "secp384r1", 48, hashlib.sha384),
}
_CURVE_BY_PARAMS = {encode_named_curve_parameters(c.curve_name): c for c in _CURVES.values()}
_EC_CLASSES = {"secp256r1": ec.SECP256R1, "secp384r1": ec.SECP384R1}


@dataclass(slots=True)
class _TokenSession:
    session: pkcs11.Session
    pin_digest: bytes


# One lock for every call into any PKCS#11 library in this process (C_Initialize got no locking
# callbacks, so the library may assume a single thread), and the shared logged-in sessions.
_LOCK = threading.RLock()
_SESSIONS: dict[tuple[str, str], _TokenSession] = {}
# Errors after which the shared session is unusable and must be reopened.
_STALE = (
    pkcs11.SessionHandleInvalid,
    pkcs11.SessionClosed,
    pkcs11.UserNotLoggedIn,
    pkcs11.DeviceRemoved,
    pkcs11.TokenNotPresent,
)


def _pin_digest(pin: str) -> bytes:
    return hashlib.sha256(pin.encode("utf-8")).digest()


def _open_session(library_path: str, token_label: str, user_pin: str) -> _TokenSession:
    """Return the shared logged-in session for a token, opening it if needed. Call under _LOCK."""
    key = (library_path, token_label)
    entry = _SESSIONS.get(key)
    digest = _pin_digest(user_pin)
    if entry is not None:
        if not hmac.compare_digest(entry.pin_digest, digest):
            raise KeyStoreError(Reason.KEY_STORE, f"wrong PIN for token {token_label!r}")
        return entry
    try:
        token = pkcs11.lib(library_path).get_token(token_label=token_label)
        session = token.open(rw=True, user_pin=user_pin)
    except pkcs11.NoSuchToken:
        raise KeyStoreError(Reason.KEY_STORE, f"no PKCS#11 token labelled {token_label!r}") from None
    except (pkcs11.PinIncorrect, pkcs11.PinLenRange, pkcs11.PinLocked):
        raise KeyStoreError(Reason.KEY_STORE, f"token {token_label!r} refused the PIN") from None
    except pkcs11.PKCS11Error as exc:
        raise KeyStoreError(Reason.KEY_STORE, f"cannot open token {token_label!r}: {type(exc).__name__}") from None
    entry = _TokenSession(session, digest)
    _SESSIONS[key] = entry
    return entry


def _unwrap_ec_point(data: bytes, size: int) -> bytes:
    """CKA_EC_POINT is a DER OCTET STRING around the X9.62 point; some tokens omit the wrapper."""
    raw_len = 1 + 2 * size
    if len(data) == raw_len + 2 and data[0] == 0x04 and data[1] == raw_len:
        return data[2:]
    if len(data) == raw_len and data[0] == 0x04:
        return data
    raise KeyStoreError(Reason.BAD_KEY, "token returned an EC point in an unexpected form")


class Pkcs11Signer:
    """A :class:`~idcore.ports.Signer` for a private key that stays inside a PKCS#11 token."""

    def __init__(self, store: Pkcs11KeyStore, key_id: str, curve: _Curve, public_key: PublicKey) -> None:
        self._store = store
        self._key_id = key_id
        self._curve = curve
        self._public_key = public_key
        self._jwk = public_jwk(public_key)

    def __repr__(self) -> str:
        return f"Pkcs11Signer(key_id={self._key_id!r}, alg={self._curve.alg!r})"

    @property
    def alg(self) -> str:
        """The JWS algorithm (``ES256`` or ``ES384``)."""
        return self._curve.alg

    @property
    def key_id(self) -> str:
        """The key id (token object label)."""
        return self._key_id

    @property
    def public_jwk(self) -> Mapping[str, Any]:
        """The public key as read back from the token, as a JWK."""
        return self._jwk

    @property
    def public_key(self) -> PublicKey:
        """The public key as a ``cryptography`` key."""
        return self._public_key

    def sign(self, signing_input: bytes) -> bytes:
        """Hash ``signing_input`` here, sign the digest with raw ECDSA on the token, return ``R || S``."""
        digest = self._curve.digest(signing_input).digest()
        signature = self._store._sign_digest(self._key_id, digest)
        if len(signature) != 2 * self._curve.size:
            raise KeyStoreError(Reason.KEY_STORE, "token returned an ECDSA signature of the wrong length")
        return signature


class Pkcs11KeyStore:
    """EC signing keys generated and held in a PKCS#11 token, addressed by label = key id.

    The constructor touches nothing; the library is loaded and the session opened on first use.
    """

    def __init__(self, library_path: str, token_label: str, user_pin: str) -> None:
        self._library_path = library_path
        self._token_label = token_label
        self._user_pin = user_pin

    def __repr__(self) -> str:
        # Never show the PIN.
        return f"Pkcs11KeyStore({self._library_path!r}, {self._token_label!r})"

    def _run(self, operation: Callable[[pkcs11.Session], T]) -> T:
        """Run ``operation`` on the shared session; reopen it once if the token dropped it."""
        with _LOCK:
            for attempt in (1, 2):
                entry = _open_session(self._library_path, self._token_label, self._user_pin)
                try:
                    return operation(entry.session)
                except _STALE:
                    _SESSIONS.pop((self._library_path, self._token_label), None)
                    if attempt == 2:
                        raise KeyStoreError(Reason.KEY_STORE, "PKCS#11 session lost") from None
                except KeyStoreError:
                    raise
                except pkcs11.PKCS11Error as exc:
                    raise KeyStoreError(Reason.KEY_STORE, f"PKCS#11 error: {type(exc).__name__}") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _find(self, session: pkcs11.Session, key_id: str, object_class: ObjectClass) -> Any:
        found = list(
            session.get_objects(
                {Attribute.CLASS: object_class, Attribute.KEY_TYPE: KeyType.EC, Attribute.LABEL: key_id}
            )
        )
        if not found:
            raise KeyStoreError(Reason.KEY_NOT_FOUND, f"no key {key_id!r} on the token")
        if len(found) > 1:
            raise KeyStoreError(Reason.KEY_STORE, f"more than one key labelled {key_id!r} on the token")
        return found[0]

    def exists(self, key_id: str) -> bool:
        """Whether the token holds an EC private key labelled ``key_id``."""
        check_key_id(key_id)

        def probe(session: pkcs11.Session) -> bool:
            query = {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: key_id}
            return any(True for _ in session.get_objects(query))

        return self._run(probe)

    def create(self, key_id: str, alg: str = "ES256") -> Pkcs11Signer:
        """Generate an EC key pair on the token; KeyStoreError ``key_store`` if the label is taken."""
        check_key_id(key_id)
        curve = _CURVES.get(alg)
        if curve is None:
            raise KeyStoreError(Reason.ALG_NOT_ALLOWED, f"PKCS#11 store cannot create {alg!r} keys")

        def generate(session: pkcs11.Session) -> None:
            if any(True for _ in session.get_objects({Attribute.LABEL: key_id})):
                raise KeyStoreError(Reason.KEY_STORE, f"key {key_id!r} already exists on the token")
            session.generate_keypair(
                KeyType.EC,
                store=True,
                label=key_id,
                id=key_id.encode("ascii"),
                capabilities=MechanismFlag.SIGN | MechanismFlag.VERIFY,
                public_template={Attribute.EC_PARAMS: encode_named_curve_parameters(curve.curve_name)},
                private_template={
                    Attribute.PRIVATE: True,
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.DERIVE: False,
                },
            )

        self._run(generate)
        return self.signer(key_id)

    def signer(self, key_id: str) -> Pkcs11Signer:
        """A signer for the token key ``key_id``; KeyStoreError ``key_not_found`` if it is not there."""
        check_key_id(key_id)

        def load(session: pkcs11.Session) -> tuple[_Curve, PublicKey]:
            self._find(session, key_id, ObjectClass.PRIVATE_KEY)
            public = self._find(session, key_id, ObjectClass.PUBLIC_KEY)
            curve = _CURVE_BY_PARAMS.get(bytes(public[Attribute.EC_PARAMS]))
            if curve is None:
                raise KeyStoreError(Reason.BAD_KEY, f"key {key_id!r} is on an unsupported curve")
            point = _unwrap_ec_point(bytes(public[Attribute.EC_POINT]), curve.size)
            try:
                key = ec.EllipticCurvePublicKey.from_encoded_point(_EC_CLASSES[curve.curve_name](), point)
            except ValueError:
                raise KeyStoreError(Reason.BAD_KEY, f"key {key_id!r} has an invalid public point") from None
            return curve, key

        curve, public_key = self._run(load)
        return Pkcs11Signer(self, key_id, curve, public_key)

    def public_key(self, key_id: str) -> PublicKey:
        """The public key of ``key_id``, read back from the token."""
        return self.signer(key_id).public_key

    def get_or_create(self, key_id: str, alg: str = "ES256") -> Pkcs11Signer:
        """Return the signer for ``key_id``, generating the key first if absent; refuse another alg."""
        with _LOCK:  # re-entrant: makes check-then-create atomic within this process
            signer = self.signer(key_id) if self.exists(key_id) else self.create(key_id, alg)
        if signer.alg != alg:
            raise KeyStoreError(Reason.KEY_STORE, f"key {key_id!r} exists with alg {signer.alg}, not {alg}")
        return signer

    def _sign_digest(self, key_id: str, digest: bytes) -> bytes:
        def sign(session: pkcs11.Session) -> bytes:
            private = self._find(session, key_id, ObjectClass.PRIVATE_KEY)
            return bytes(private.sign(digest, mechanism=Mechanism.ECDSA))

        return self._run(sign)
