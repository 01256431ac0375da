"""Garbage in, typed rejection out: idcore's entry points raise only IdcoreError on hostile input.

A verifier that crashes (500) on a crafted presentation is a denial of service and leaks a
stack trace; every parser here must turn anything it cannot use into a reason code.
"""

from __future__ import annotations

import string
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from idcore.b64 import b64u_encode, json_dumps
from idcore.errors import IdcoreError
from idcore.jose import verify_compact
from idcore.jwk import public_key_from_jwk
from idcore.ports import FixedClock
from idcore.sdjwt import KeyBindingPolicy, VerifyOptions, verify_sd_jwt
from idcore.sdjwt.presentation import HolderCredential
from idcore.status_list import StatusList, parse_status_reference
from idcore.x509 import parse_x5c

KEY = ec.generate_private_key(ec.SECP256R1()).public_key()
OPTIONS = VerifyOptions(clock=FixedClock(1_800_000_000), typ=None, key_binding=KeyBindingPolicy(nonce="n", aud="a"))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=15,
)
b64_segments = json_values.map(lambda v: b64u_encode(json_dumps(v)))
tokens = st.lists(
    b64_segments | st.text(alphabet=string.ascii_letters + "-_", max_size=12), min_size=1, max_size=4
).map(".".join)
presentations = st.lists(tokens | b64_segments | st.text(max_size=20), min_size=1, max_size=6).map("~".join)


def only_idcore_errors(fn: Any, *args: Any, **kwargs: Any) -> None:
    try:
        fn(*args, **kwargs)
    except IdcoreError:
        pass


@settings(max_examples=300)
@given(presentations)
def test_verify_sd_jwt_compact(text: str) -> None:
    only_idcore_errors(verify_sd_jwt, text, KEY, OPTIONS)


@settings(max_examples=200)
@given(json_values)
def test_verify_sd_jwt_json_serialization(value: Any) -> None:
    only_idcore_errors(verify_sd_jwt, value if isinstance(value, dict) else {"payload": value}, KEY, OPTIONS)
    only_idcore_errors(verify_sd_jwt, json_dumps(value).decode(), KEY, OPTIONS)


@settings(max_examples=200)
@given(json_values, json_values)
def test_signed_garbage_payloads(header: Any, payload: Any) -> None:
    """Well-framed JWS whose header and payload are arbitrary JSON (signature wrong, of course)."""
    token = f"{b64u_encode(json_dumps(header))}.{b64u_encode(json_dumps(payload))}.{b64u_encode(b'x' * 64)}"
    only_idcore_errors(verify_compact, token, KEY, algorithms={"ES256"}, typ=None)
    only_idcore_errors(verify_sd_jwt, token + "~", KEY, OPTIONS)
    only_idcore_errors(HolderCredential.parse, token + "~")


@settings(max_examples=200)
@given(json_values)
def test_jwk_status_and_x5c(value: Any) -> None:
    only_idcore_errors(public_key_from_jwk, value)
    only_idcore_errors(StatusList.decode, value)
    only_idcore_errors(parse_status_reference, value if isinstance(value, dict) else {"status": value})
    only_idcore_errors(parse_x5c, value)


SIGNER_KEY = ec.generate_private_key(ec.SECP256R1())


@settings(max_examples=300)
@given(
    st.dictionaries(
        st.sampled_from(["_sd", "...", "_sd_alg", "cnf", "exp", "iat", "nbf", "a", "b"]), json_values, max_size=6
    ),
    st.lists(json_values.map(lambda v: b64u_encode(json_dumps(v))), max_size=4),
)
def test_correctly_signed_hostile_payloads(payload: dict[str, Any], disclosures: list[str]) -> None:
    """Valid issuer signatures over hostile structures: processing must reject, never crash."""
    from idcore.jose import KeySigner, sign_compact
    from idcore.sdjwt import digest

    signer = KeySigner(SIGNER_KEY)
    if disclosures and isinstance(payload.get("_sd"), list):
        payload["_sd"] = [*payload["_sd"], *(digest(d) for d in disclosures)]
    jwt = sign_compact({"typ": "x"}, payload, signer)
    presentation = "~".join((jwt, *disclosures)) + "~"
    options = VerifyOptions(clock=FixedClock(1_800_000_000), typ=None)
    only_idcore_errors(verify_sd_jwt, presentation, SIGNER_KEY.public_key(), options)
    only_idcore_errors(HolderCredential.parse, presentation)
