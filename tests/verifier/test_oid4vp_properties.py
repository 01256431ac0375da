"""Hypothesis properties: protocol parsers fail only with their typed errors, and JWE is exact.

Whatever a network peer sends, :func:`parse_form`, :func:`parse_response_params`,
:func:`parse_request_link` and :func:`decrypt_compact` either succeed or raise an
:class:`~idcore.errors.IdcoreError` (which the verifier maps to ``invalid_request``), never anything
else; any single-character change to a JWE is refused.
"""

from __future__ import annotations

import string

from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from idcore.errors import IdcoreError
from idcore.jwk import public_jwk
from idcore.oid4vp import decrypt_compact, encrypt_compact, parse_form, parse_request_link, parse_response_params

KEY = ec.generate_private_key(ec.SECP256R1())
JWE = encrypt_compact(b'{"vp_token":{"a":["b"]},"state":"s"}', public_jwk(KEY), enc="A256GCM", kid="k")
B64U = string.ascii_letters + string.digits + "-_"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_parse_form_raises_only_typed_errors(body: bytes) -> None:
    try:
        parse_form(body)
    except IdcoreError:
        pass


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["vp_token", "state", "error", "error_description", "x"]),
        json_values | st.text(max_size=40),
        max_size=4,
    )
)
def test_parse_response_params_raises_only_typed_errors(params: dict[str, object]) -> None:
    try:
        parse_response_params(params)
    except IdcoreError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_parse_request_link_raises_only_typed_errors(link: str) -> None:
    try:
        parse_request_link("openid4vp://?" + link)
    except IdcoreError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len(JWE) - 1), st.sampled_from(B64U + "."))
def test_any_single_character_change_to_a_jwe_is_refused(position: int, replacement: str) -> None:
    if JWE[position] == replacement:
        return
    tampered = JWE[:position] + replacement + JWE[position + 1 :]
    try:
        decrypt_compact(tampered, KEY, expected_kid="k")
    except IdcoreError:
        return
    raise AssertionError("a tampered JWE decrypted")
