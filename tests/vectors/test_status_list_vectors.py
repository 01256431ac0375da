"""Known-answer tests: draft-ietf-oauth-status-list vectors in tests/vectors/token_status_list/.

Each positive vector has a tampered twin next to it.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from idcore.b64 import b64u_decode, b64u_encode
from idcore.errors import Reason, StatusListError
from idcore.jwk import public_key_from_jwk
from idcore.ports import FixedClock
from idcore.status_list import StatusList, check_status, parse_status_reference, verify_status_list_token

VECTOR_DIR = Path(__file__).parent / "token_status_list"
TOKEN_FILE = "status_list_token_jwt_spec_example.json"
LIST_FILES = sorted(p.name for p in VECTOR_DIR.glob("*.json") if p.name != TOKEN_FILE)


def load(name: str) -> dict[str, Any]:
    """Load one vector file."""
    value: dict[str, Any] = json.loads((VECTOR_DIR / name).read_text(encoding="utf-8"))
    return value


def expected_list(vector: dict[str, Any]) -> StatusList:
    """Build the list the vector describes: listed indices set, everything else unlisted_value."""
    assert vector["unlisted_value"] == 0  # StatusList starts zeroed
    status_list = StatusList(vector["bits"], vector["size"])
    for idx, value in vector["expected"].items():
        status_list.set(int(idx), value)
    return status_list


def test_all_list_vectors_present() -> None:
    assert len(LIST_FILES) == 6


@pytest.mark.parametrize("name", LIST_FILES)
def test_decode_vector(name: str) -> None:
    vector = load(name)
    decoded = StatusList.decode({"bits": vector["bits"], "lst": vector["lst"]})
    assert decoded.bits == vector["bits"]
    assert decoded.size == vector["size"]
    assert len(decoded.to_bytes()) == vector["decompressed_length_bytes"]
    for idx, value in vector["expected"].items():
        assert decoded.get(int(idx)) == value
    # Comparing whole byte arrays checks every unlisted index is 0 without a Python loop.
    assert decoded == expected_list(vector)
    with pytest.raises(StatusListError) as err:
        decoded.get(vector["size"])
    assert err.value.reason is Reason.STATUS_INDEX_OUT_OF_RANGE


@pytest.mark.parametrize("name", LIST_FILES)
def test_decode_vector_flipped_bit(name: str) -> None:
    """Tampered twin: a flipped bit in lst either fails to inflate or changes the list."""
    vector = load(name)
    original = expected_list(vector)
    compressed = bytearray(b64u_decode(vector["lst"]))
    positions = sorted({2, len(compressed) // 2, len(compressed) - 5})
    for position in positions:
        tampered = bytearray(compressed)
        tampered[position] ^= 0x01
        outcome = decode_or_reason({"bits": vector["bits"], "lst": b64u_encode(bytes(tampered))})
        assert outcome in {Reason.MALFORMED, Reason.TOO_LARGE} or (
            isinstance(outcome, StatusList) and outcome != original
        )


def decode_or_reason(obj: dict[str, Any]) -> StatusList | Reason:
    """Decode, or return the rejection reason."""
    try:
        return StatusList.decode(obj)
    except StatusListError as exc:
        return exc.reason


@pytest.mark.parametrize("name", LIST_FILES)
def test_reencode_vector(name: str) -> None:
    vector = load(name)
    decoded = StatusList.decode({"bits": vector["bits"], "lst": vector["lst"]})
    encoded = decoded.encode()
    assert StatusList.decode(encoded) == decoded
    if "compressed_hex_in_spec" in vector:
        # CPython's zlib at level 9 reproduces the draft's bytes exactly for the small examples.
        assert b64u_decode(encoded["lst"]).hex() == vector["compressed_hex_in_spec"]
        assert encoded["lst"] == vector["lst"]
    # The appendix lists came from another zlib build/level; only the content must agree.
    assert zlib.decompress(b64u_decode(encoded["lst"])) == decoded.to_bytes()


@pytest.mark.parametrize("name", LIST_FILES)
def test_decode_vector_wrong_bits(name: str) -> None:
    """Tampered twin: the same lst read with other bits is a different list, or refused (bits=3)."""
    vector = load(name)
    other_bits = 2 if vector["bits"] == 1 else 1
    reread = StatusList.decode({"bits": other_bits, "lst": vector["lst"]})
    assert reread != expected_list(vector)
    with pytest.raises(StatusListError) as err:
        StatusList.decode({"bits": 3, "lst": vector["lst"]})
    assert err.value.reason is Reason.MALFORMED


# --- the signed Status List Token example -------------------------------------------------


@pytest.fixture(scope="module")
def token_vector() -> dict[str, Any]:
    return load(TOKEN_FILE)


def verify_token(vector: dict[str, Any], token: str | None = None, **overrides: Any) -> Any:
    """Verify the example token with its public key at the vector's ``now``."""
    args: dict[str, Any] = {
        "algorithms": ["ES256"],
        "expected_sub": vector["expected_payload"]["sub"],
        "clock": FixedClock(vector["now"]),
    }
    args.update(overrides)
    key = public_key_from_jwk({k: v for k, v in vector["issuer_public_jwk"].items() if k != "kid"})
    return verify_status_list_token(token or vector["status_list_token"], key, **args)


def test_token_example_verifies(token_vector: dict[str, Any]) -> None:
    verified = verify_token(token_vector)
    assert verified.header == token_vector["expected_header"]
    assert verified.claims == token_vector["expected_payload"]
    assert (verified.iat, verified.exp, verified.ttl) == (1686920170, 2291720170, 43200)
    assert verified.iss == "https://example.com"
    assert verified.status_list.size == token_vector["size"]
    for idx, value in token_vector["expected"].items():
        assert verified.status_list.get(int(idx)) == value


def test_token_example_referenced_token(token_vector: dict[str, Any]) -> None:
    """The Referenced Token example of the draft (idx 0) points at a revoked entry; idx 1 is valid."""
    verified = verify_token(token_vector)
    uri = token_vector["expected_payload"]["sub"]
    valid = parse_status_reference({"status": {"status_list": {"idx": 1, "uri": uri}}})
    assert check_status(valid, verified) == 0
    revoked = parse_status_reference({"status": {"status_list": {"idx": 0, "uri": uri}}})
    with pytest.raises(StatusListError) as err:
        check_status(revoked, verified)
    assert err.value.reason is Reason.REVOKED


def test_token_example_bad_signature(token_vector: dict[str, Any]) -> None:
    head, payload, signature = token_vector["status_list_token"].split(".")
    raw = bytearray(b64u_decode(signature))
    raw[10] ^= 0x01
    with pytest.raises(StatusListError) as err:
        verify_token(token_vector, f"{head}.{payload}.{b64u_encode(bytes(raw))}")
    assert err.value.reason is Reason.BAD_SIGNATURE


def test_token_example_tampered_payload(token_vector: dict[str, Any]) -> None:
    head, _payload, signature = token_vector["status_list_token"].split(".")
    claims = dict(token_vector["expected_payload"], exp=2291720171)
    forged = b64u_encode(json.dumps(claims, separators=(",", ":")).encode())
    with pytest.raises(StatusListError) as err:
        verify_token(token_vector, f"{head}.{forged}.{signature}")
    assert err.value.reason is Reason.BAD_SIGNATURE


def test_token_example_wrong_sub(token_vector: dict[str, Any]) -> None:
    with pytest.raises(StatusListError) as err:
        verify_token(token_vector, expected_sub="https://example.com/statuslists/2")
    assert err.value.reason is Reason.STATUS_URI_MISMATCH


def test_token_example_expired(token_vector: dict[str, Any]) -> None:
    with pytest.raises(StatusListError) as err:
        verify_token(token_vector, clock=FixedClock(2291720170 + 3600))
    assert err.value.reason is Reason.EXPIRED


def test_token_example_alg_not_allowed(token_vector: dict[str, Any]) -> None:
    with pytest.raises(StatusListError) as err:
        verify_token(token_vector, algorithms=["ES384"])
    assert err.value.reason is Reason.ALG_NOT_ALLOWED
