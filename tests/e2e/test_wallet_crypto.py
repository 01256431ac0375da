"""The wallet's library-based crypto (``jose``, pkijs) and its PIN record, in Chromium.

* ``jose.js`` accepts an ES256 JWS that idcore signed and refuses its tampered twins: a flipped
  signature, another key, ``alg`` none or HS256, a ``crit`` header, the wrong ``typ``.
* ``x509.js`` accepts a leaf under a pinned CA (directly and through an intermediate) and refuses
  each tampered twin: a flipped signature byte, another CA, an expired leaf, an intermediate that
  is no CA, an unknown critical extension, a self-signed leaf, a chain longer than five.
* ``pin.js`` stores PBKDF2-HMAC-SHA-256 with a random 16-byte salt and ≥ 600,000 iterations (the
  stored hash equals Python's ``hashlib.pbkdf2_hmac``), never the PIN or a plain SHA-256 of it;
  another record format is refused, and wrong PINs count down.

Keys and certificates are made at test time; none is committed.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from idcore.b64 import b64u_decode, b64u_encode
from idcore.jose import KeySigner, sign_compact
from idcore.jwk import public_jwk
from tests.e2e.stack import Stack

NOW = datetime.datetime.now(datetime.UTC)
DAY = datetime.timedelta(days=1)


@pytest.fixture(scope="module")
def js(browser: Any, stack: Stack) -> Iterator[Any]:
    """A page on the wallet's origin, where the modules can be imported."""
    ctx = browser.new_context()
    tab = ctx.new_page()
    tab.goto(f"{stack.wallet}/history")
    yield tab
    ctx.close()


_VERIFY = """async ({ token, jwk, typ }) => {
  const jose = await import("/static/js/jose.js");
  try { return { ok: (await jose.verifyJws(token, await jose.importVerifyJwk(jwk), { typ })).payload }; }
  catch (e) { return { error: e.code }; }
}"""


def _b64json(value: dict[str, Any]) -> str:
    return b64u_encode(json.dumps(value).encode())


def test_jws_signed_by_idcore_verifies_and_tampered_twins_do_not(js: Any) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = public_jwk(key.public_key())
    payload = {"iss": "https://issuer.example", "n": 1}
    token = sign_compact({"typ": "kb+jwt"}, payload, KeySigner(key))
    assert js.evaluate(_VERIFY, {"token": token, "jwk": jwk, "typ": "kb+jwt"}) == {"ok": payload}

    head, body, sig = token.split(".")
    raw = bytearray(b64u_decode(sig))
    raw[5] ^= 1
    other = public_jwk(ec.generate_private_key(ec.SECP256R1()).public_key())
    none = f"{_b64json({'alg': 'none', 'typ': 'kb+jwt'})}.{body}."
    hs256 = f"{_b64json({'alg': 'HS256', 'typ': 'kb+jwt'})}.{body}.{sig}"
    crit = sign_compact({"typ": "kb+jwt", "crit": ["b64"], "b64": True}, payload, KeySigner(key))
    twins = {
        "flipped signature": (f"{head}.{body}.{b64u_encode(bytes(raw))}", jwk, "kb+jwt", "bad_signature"),
        "another key": (token, other, "kb+jwt", "bad_signature"),
        "alg none": (none, jwk, "kb+jwt", "bad_signature"),
        "alg HS256": (hs256, jwk, "kb+jwt", "bad_signature"),
        "crit header": (crit, jwk, "kb+jwt", "bad_signature"),
        "wrong typ": (token, jwk, "dc+sd-jwt", "bad_type"),
        "JSON serialisation": (
            json.dumps({"payload": body, "protected": head, "signature": sig}),
            jwk,
            "kb+jwt",
            "malformed",
        ),
    }
    for name, (bad, key_jwk, typ, code) in twins.items():
        assert js.evaluate(_VERIFY, {"token": bad, "jwk": key_jwk, "typ": typ}) == {"error": code}, name


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "SG"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[str, ec.EllipticCurvePrivateKey] | None = None,
    *,
    ca: bool = False,
    not_after: datetime.datetime | None = None,
    critical_unknown: bool = False,
) -> x509.Certificate:
    """A P-256 certificate signed ECDSA-SHA256 by ``issuer`` (self-signed without one)."""
    issuer_name, issuer_key = issuer or (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - DAY)
        .not_valid_after(not_after or NOW + 30 * DAY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName("rp.example")]), critical=False)
    if critical_unknown:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00"), critical=True
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _b64(cert: x509.Certificate | bytes) -> str:
    der = cert if isinstance(cert, bytes) else cert.public_bytes(Encoding.DER)
    return base64.b64encode(der).decode()


_CHAIN = """async ({ x5c, anchors }) => {
  const x = await import("/static/js/x509.js");
  try { return { ok: (await x.validateChain(x5c, anchors, Date.now() / 1000)).dnsNames }; }
  catch (e) { return { error: e.code }; }
}"""


def test_certificate_chains_and_their_tampered_twins(js: Any) -> None:
    ca_key, mid_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    ca = _cert("RP CA", ca_key, ca=True)
    anchors = [_b64(ca)]
    leaf = _cert("rp.example", leaf_key, ("RP CA", ca_key))
    mid = _cert("RP Intermediate", mid_key, ("RP CA", ca_key), ca=True)
    leaf_under_mid = _cert("rp.example", leaf_key, ("RP Intermediate", mid_key))
    assert js.evaluate(_CHAIN, {"x5c": [_b64(leaf)], "anchors": anchors}) == {"ok": ["rp.example"]}
    assert js.evaluate(_CHAIN, {"x5c": [_b64(leaf_under_mid), _b64(mid)], "anchors": anchors}) == {"ok": ["rp.example"]}

    flipped = bytearray(leaf.public_bytes(Encoding.DER))
    flipped[-3] ^= 1  # inside the signature value
    other_key = ec.generate_private_key(ec.SECP256R1())
    not_ca_mid = _cert("RP Intermediate", mid_key, ("RP CA", ca_key), ca=False)
    twins = {
        "flipped signature": [_b64(bytes(flipped))],
        "another CA": [_b64(_cert("rp.example", leaf_key, ("RP CA", other_key)))],
        "expired leaf": [_b64(_cert("rp.example", leaf_key, ("RP CA", ca_key), not_after=NOW - DAY / 2))],
        "intermediate not a CA": [_b64(leaf_under_mid), _b64(not_ca_mid)],
        "unknown critical extension": [_b64(_cert("rp.example", leaf_key, ("RP CA", ca_key), critical_unknown=True))],
        "self-signed leaf": [_b64(_cert("rp.example", leaf_key))],
        "six certificates": [_b64(leaf)] * 6,
        "no chain": [],
    }
    for name, x5c in twins.items():
        assert js.evaluate(_CHAIN, {"x5c": x5c, "anchors": anchors}) == {"error": "bad_certificate"}, name
    assert js.evaluate(_CHAIN, {"x5c": [_b64(leaf)], "anchors": []}) == {"error": "bad_certificate"}


_PIN = """async ({ pin, attempt }) => {
  const pinjs = await import("/static/js/pin.js");
  const store = await import("/static/js/store.js");
  await store.setSetting("pin", null);
  await pinjs.setPin(pin);
  const record = await store.getSetting("pin");
  await pinjs.setPin(pin, pin);
  const again = await store.getSetting("pin");
  const errors = [];
  for (let i = 0; i < 6; i++) {
    try { await pinjs.verifyPin(attempt); errors.push("ok"); } catch (e) { errors.push(e.code + ": " + e.message); }
  }
  await store.setSetting("pin", { sha256: "legacy" });
  let legacy = "accepted";
  try { await pinjs.verifyPin(pin); } catch (e) { legacy = e.code; }
  await store.setSetting("pin", null);
  return { record, again, errors, legacy, state: await pinjs.pinState() };
}"""


def test_pin_record_is_salted_pbkdf2_and_attempts_are_limited(js: Any) -> None:
    pin = "246813"
    got = js.evaluate(_PIN, {"pin": pin, "attempt": "000000"})
    record = got["record"]
    salt = b64u_decode(record["salt"])
    assert len(salt) == 16
    assert record["iterations"] >= 600_000
    assert record["format"] == "pbkdf2-sha256-v1"
    assert record["failures"] == 0
    assert b64u_decode(record["hash"]) == hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, record["iterations"])
    plain = hashlib.sha256(pin.encode()).digest()
    stored = json.dumps(record)
    for forbidden in (pin, plain.hex(), b64u_encode(plain), base64.b64encode(plain).decode()):
        assert forbidden not in stored
    # The same PIN set again gets a new salt, so a new hash.
    assert got["again"]["salt"] != record["salt"]
    assert got["again"]["hash"] != record["hash"]
    assert [e.split(":")[0] for e in got["errors"]] == ["pin_wrong"] * 4 + ["pin_locked"] * 2
    assert "4 attempts left" in got["errors"][0]
    assert "1 attempt left" in got["errors"][3]
    assert got["legacy"] == "pin_unsupported"
    assert got["state"]["set"] is False


_RIGHT_PIN = """async ({ pin }) => {
  const pinjs = await import("/static/js/pin.js");
  const store = await import("/static/js/store.js");
  await store.setSetting("pin", null);
  await pinjs.setPin(pin);
  const out = [];
  for (const attempt of ["111111", pin, "111111", "111111", "111111", "111111", pin]) {
    try { await pinjs.verifyPin(attempt); out.push("ok"); } catch (e) { out.push(e.code); }
  }
  await store.setSetting("pin", null);
  return out;
}"""


def test_right_pin_passes_and_resets_the_count(js: Any) -> None:
    """The twin: the right PIN passes and resets the count, so only five wrong ones in a row lock."""
    got = js.evaluate(_RIGHT_PIN, {"pin": "975310"})
    assert got == ["pin_wrong", "ok", "pin_wrong", "pin_wrong", "pin_wrong", "pin_wrong", "ok"]
