"""Behaviour tests for idcore.status_list (draft-ietf-oauth-status-list).

Keys are generated here; every positive test has a tampered or malformed twin.
"""

from __future__ import annotations

import random
import tracemalloc
import zlib
from collections.abc import Mapping
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from idcore.b64 import b64u_decode as b64decode_strict
from idcore.b64 import b64u_encode
from idcore.errors import Reason, StatusListError, X509Error
from idcore.jose import KeySigner, sign_compact
from idcore.ports import FixedClock, SystemRandom
from idcore.status_list import (
    StatusList,
    StatusReference,
    allocate_index,
    check_status,
    evaluate_status,
    parse_status_reference,
    sign_status_list_token,
    verify_status_list_token,
)

URI = "https://issuer.example/statuslists/7"
NOW = 1_800_000_000


def reason_of(exc_info: pytest.ExceptionInfo[StatusListError]) -> Reason:
    return exc_info.value.reason


# --- StatusList: packing, get/set -------------------------------------------------------


def test_packing_matches_spec_figures() -> None:
    """Section "Compressed Byte Array": the two worked examples give 0xB9 0xA3 and 0xC9 0x44 0xF9."""
    one = StatusList(1, 16)
    for idx, value in enumerate([1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]):
        one.set(idx, value)
    assert one.to_bytes() == bytes([0xB9, 0xA3])
    two = StatusList(2, 12)
    for idx, value in enumerate([1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]):
        two.set(idx, value)
    assert two.to_bytes() == bytes([0xC9, 0x44, 0xF9])
    # Twin: MSB-first packing would give other bytes; one changed entry changes the array.
    two.set(0, 0)
    assert two.to_bytes() == bytes([0xC8, 0x44, 0xF9])


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_set_overwrites_only_its_entry(bits: int) -> None:
    status_list = StatusList(bits, 64)
    top = (1 << bits) - 1
    status_list.set(5, top)
    status_list.set(6, top)
    status_list.set(5, 0)
    assert [status_list.get(i) for i in (4, 5, 6, 7)] == [0, 0, top, 0]


def test_size_rounds_up_to_whole_bytes() -> None:
    assert StatusList(1, 13).size == 16
    assert StatusList(2, 5).size == 8
    assert StatusList(8, 5).size == 5
    assert StatusList(4, 0).size == 0


@pytest.mark.parametrize("bits", [0, 3, 5, 16, True, "1", None])
def test_constructor_rejects_bits(bits: Any) -> None:
    with pytest.raises(StatusListError) as err:
        StatusList(bits, 8)
    assert reason_of(err) is Reason.MALFORMED


@pytest.mark.parametrize("idx", [-1, 16, 10**9, True, 1.0, "1"])
def test_get_set_reject_bad_index(idx: Any) -> None:
    status_list = StatusList(1, 16)
    with pytest.raises(StatusListError) as err:
        status_list.get(idx)
    assert reason_of(err) is Reason.STATUS_INDEX_OUT_OF_RANGE
    with pytest.raises(StatusListError):
        status_list.set(idx, 1)


@pytest.mark.parametrize(("bits", "value"), [(1, 2), (2, 4), (4, 16), (8, 256), (8, -1), (1, True)])
def test_set_rejects_value_that_does_not_fit(bits: int, value: Any) -> None:
    status_list = StatusList(bits, 8)
    with pytest.raises(StatusListError) as err:
        status_list.set(0, value)
    assert reason_of(err) is Reason.MALFORMED
    assert status_list.get(0) == 0


# --- encode / decode --------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    bits=st.sampled_from([1, 2, 4, 8]),
    values=st.lists(st.integers(min_value=0, max_value=255), max_size=300),
    aggregation_uri=st.none() | st.just("https://issuer.example/aggregation"),
)
def test_round_trip(bits: int, values: list[int], aggregation_uri: str | None) -> None:
    status_list = StatusList(bits, len(values), aggregation_uri=aggregation_uri)
    for idx, value in enumerate(values):
        status_list.set(idx, value % (1 << bits))
    encoded = status_list.encode()
    assert set(encoded) == {"bits", "lst"} | ({"aggregation_uri"} if aggregation_uri else set())
    decoded = StatusList.decode(encoded)
    assert decoded == status_list
    assert [decoded.get(i) for i in range(len(values))] == [v % (1 << bits) for v in values]


def test_encode_uses_zlib_at_highest_level() -> None:
    status_list = StatusList(1, 1 << 16)
    status_list.set(4242, 1)
    lst = status_list.encode()["lst"]
    assert "=" not in lst
    compressed = b64decode_strict(lst)
    assert compressed[:2] == b"\x78\xda"  # ZLIB header announcing maximum compression
    assert compressed == zlib.compress(status_list.to_bytes(), 9)


def lst_of(raw: bytes) -> str:
    return b64u_encode(raw)


@pytest.mark.parametrize(
    ("obj", "reason"),
    [
        ([1, "eNoDAAAAAAE"], Reason.MALFORMED),
        ({"lst": "eNoDAAAAAAE"}, Reason.MALFORMED),
        ({"bits": 3, "lst": "eNoDAAAAAAE"}, Reason.MALFORMED),
        ({"bits": True, "lst": "eNoDAAAAAAE"}, Reason.MALFORMED),
        ({"bits": 1.0, "lst": "eNoDAAAAAAE"}, Reason.MALFORMED),
        ({"bits": 1}, Reason.MALFORMED),
        ({"bits": 1, "lst": 5}, Reason.MALFORMED),
        ({"bits": 1, "lst": "eNoDAAAAAAE", "aggregation_uri": 7}, Reason.MALFORMED),
        ({"bits": 1, "lst": "eNrbuRgAAhcBXQ=="}, Reason.BAD_BASE64),
        ({"bits": 1, "lst": "eNrbuRgAAhcBXR"}, Reason.BAD_BASE64),  # non-zero unused bits
        ({"bits": 1, "lst": "eNrbuRgAAhcB+Q"}, Reason.BAD_BASE64),
        ({"bits": 1, "lst": lst_of(zlib.compress(b"\xb9\xa3")[:-2])}, Reason.MALFORMED),  # truncated
        ({"bits": 1, "lst": lst_of(zlib.compress(b"\xb9\xa3") + b"\x00")}, Reason.MALFORMED),  # trailing
        ({"bits": 1, "lst": lst_of(b"\xb9\xa3")}, Reason.MALFORMED),  # not compressed at all
        ({"bits": 1, "lst": lst_of(zlib.compress(b"\xb9\xa3", wbits=-15))}, Reason.MALFORMED),  # raw
        ({"bits": 1, "lst": lst_of(zlib.compress(b"\xb9\xa3", wbits=31))}, Reason.MALFORMED),  # gzip
    ],
)
def test_decode_rejects(obj: Any, reason: Reason) -> None:
    with pytest.raises(StatusListError) as err:
        StatusList.decode(obj)
    assert reason_of(err) is reason


def test_decode_accepts_the_well_formed_twin() -> None:
    """Positive twin of the table above: the same bytes, well formed, decode."""
    decoded = StatusList.decode(
        {"bits": 1, "lst": lst_of(zlib.compress(b"\xb9\xa3")), "aggregation_uri": "https://a.example/agg"}
    )
    assert decoded.to_bytes() == b"\xb9\xa3"
    assert decoded.aggregation_uri == "https://a.example/agg"


def test_decompression_cap_boundary() -> None:
    obj = {"bits": 8, "lst": lst_of(zlib.compress(bytes(1000), 9))}
    assert StatusList.decode(obj, max_decompressed_bytes=1000).size == 1000
    with pytest.raises(StatusListError) as err:
        StatusList.decode(obj, max_decompressed_bytes=999)
    assert reason_of(err) is Reason.TOO_LARGE


def zlib_bomb(megabytes: int) -> str:
    compressor = zlib.compressobj(9)
    chunk = bytes(1 << 20)
    body = b"".join(compressor.compress(chunk) for _ in range(megabytes)) + compressor.flush()
    return lst_of(body)


def test_decompression_bomb_rejected_without_inflating_it() -> None:
    bomb = {"bits": 1, "lst": zlib_bomb(100)}  # ~100 kB that inflates to 100 MB
    tracemalloc.start()
    try:
        with pytest.raises(StatusListError) as err:
            StatusList.decode(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reason_of(err) is Reason.TOO_LARGE
    # The default cap is 8 MiB; inflating the whole bomb would allocate 100 MB.
    assert peak < 24 * 1024 * 1024


# --- Status List Token (JWT) ------------------------------------------------------------


@pytest.fixture(scope="module")
def signer() -> KeySigner:
    return KeySigner(ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture(scope="module")
def other_signer() -> KeySigner:
    return KeySigner(ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture
def sample_list() -> StatusList:
    status_list = StatusList(2, 1024)
    status_list.set(10, 1)
    status_list.set(11, 2)
    status_list.set(12, 3)
    return status_list


def make_token(signer: KeySigner, status_list: StatusList, **overrides: Any) -> str:
    args: dict[str, Any] = {"sub": URI, "iat": NOW, "exp": NOW + 3600, "ttl": 300, "iss": "https://issuer.example"}
    args.update(overrides)
    return sign_status_list_token(status_list, signer=signer, **args)


def verify(token: str, signer: KeySigner, **overrides: Any) -> Any:
    args: dict[str, Any] = {"algorithms": ["ES256"], "expected_sub": URI, "clock": FixedClock(NOW + 10)}
    args.update(overrides)
    return verify_status_list_token(token, signer.private_key.public_key(), **args)  # type: ignore[arg-type]


def test_token_round_trip(signer: KeySigner, sample_list: StatusList) -> None:
    token = make_token(signer, sample_list, kid="k1", x5c=["MIIB"])
    verified = verify(token, signer)
    assert verified.header == {"alg": "ES256", "typ": "statuslist+jwt", "kid": "k1", "x5c": ["MIIB"]}
    assert verified.x5c == ["MIIB"]
    assert (verified.sub, verified.iat, verified.exp, verified.ttl) == (URI, NOW, NOW + 3600, 300)
    assert verified.iss == "https://issuer.example"
    assert verified.status_list == sample_list
    assert verified.refresh_after(NOW + 10) == NOW + 310
    assert verified.refresh_after(NOW + 3500) == NOW + 3600


def test_token_minimal_claims(signer: KeySigner, sample_list: StatusList) -> None:
    token = make_token(signer, sample_list, exp=None, ttl=None, iss=None)
    verified = verify(token, signer, clock=FixedClock(NOW + 10**8))  # no exp: no expiry
    assert set(verified.claims) == {"sub", "iat", "status_list"}
    assert verified.refresh_after(NOW) is None


def test_token_signed_by_another_key(signer: KeySigner, other_signer: KeySigner, sample_list: StatusList) -> None:
    with pytest.raises(StatusListError) as err:
        verify(make_token(other_signer, sample_list), signer)
    assert reason_of(err) is Reason.BAD_SIGNATURE


def test_token_tampered_list(signer: KeySigner, sample_list: StatusList) -> None:
    head, _, sig = make_token(signer, sample_list).split(".")
    sample_list.set(10, 0)  # "unrevoke" and splice the payload under the old signature
    forged_body = make_token(signer, sample_list).split(".")[1]
    with pytest.raises(StatusListError) as err:
        verify(f"{head}.{forged_body}.{sig}", signer)
    assert reason_of(err) is Reason.BAD_SIGNATURE


def raw_token(signer: KeySigner, header: Mapping[str, Any], **claims: Any) -> str:
    payload = {"sub": URI, "iat": NOW, "status_list": StatusList(1, 8).encode(), **claims}
    return sign_compact(header, {k: v for k, v in payload.items() if v is not None}, signer)


@pytest.mark.parametrize("typ", [None, "JWT", "statuslist+cwt", "application/jwt"])
def test_token_wrong_typ(signer: KeySigner, typ: str | None) -> None:
    header = {} if typ is None else {"typ": typ}
    with pytest.raises(StatusListError) as err:
        verify(raw_token(signer, header), signer)
    assert reason_of(err) is Reason.TYP_MISMATCH
    # Twin: the media type form of the right typ is accepted (RFC 7515 Section 4.1.9).
    assert verify(raw_token(signer, {"typ": "application/statuslist+jwt"}), signer).sub == URI


def test_token_alg_none_refused(signer: KeySigner) -> None:
    good = raw_token(signer, {"typ": "statuslist+jwt"})
    _, body, _ = good.split(".")
    head = b64u_encode(b'{"alg":"none","typ":"statuslist+jwt"}')
    with pytest.raises(StatusListError) as err:
        verify(f"{head}.{body}.", signer)
    assert reason_of(err) is Reason.ALG_NOT_ALLOWED


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"sub": None}, Reason.MISSING_CLAIM),
        ({"sub": 5}, Reason.MALFORMED),
        ({"sub": URI + "/"}, Reason.STATUS_URI_MISMATCH),
        ({"iat": None}, Reason.MISSING_CLAIM),
        ({"iat": "now"}, Reason.MALFORMED),
        ({"iat": True}, Reason.MALFORMED),
        ({"iat": NOW + 3600}, Reason.NOT_YET_VALID),
        ({"nbf": NOW + 3600}, Reason.NOT_YET_VALID),
        ({"exp": NOW}, Reason.EXPIRED),
        ({"ttl": 0}, Reason.MALFORMED),
        ({"ttl": -5}, Reason.MALFORMED),
        ({"ttl": "300"}, Reason.MALFORMED),
        ({"ttl": True}, Reason.MALFORMED),
        ({"iss": 7}, Reason.MALFORMED),
        ({"status_list": None}, Reason.MISSING_CLAIM),
        ({"status_list": {"bits": 3, "lst": "eNoDAAAAAAE"}}, Reason.MALFORMED),
        ({"status_list": "eNoDAAAAAAE"}, Reason.MALFORMED),
    ],
)
def test_token_bad_claims(signer: KeySigner, claims: dict[str, Any], reason: Reason) -> None:
    token = raw_token(signer, {"typ": "statuslist+jwt"}, **claims)
    with pytest.raises(StatusListError) as err:
        verify(token, signer, max_skew=60, clock=FixedClock(NOW + 60))
    assert reason_of(err) is reason


def test_token_validity_window_edges(signer: KeySigner) -> None:
    """exp is honoured with the allowed skew, and not a second beyond it."""
    token = raw_token(signer, {"typ": "statuslist+jwt"}, exp=NOW + 100)
    assert verify(token, signer, clock=FixedClock(NOW + 159), max_skew=60).exp == NOW + 100
    with pytest.raises(StatusListError) as err:
        verify(token, signer, clock=FixedClock(NOW + 160), max_skew=60)
    assert reason_of(err) is Reason.EXPIRED


def test_token_bomb_inside_signed_token(signer: KeySigner) -> None:
    token = raw_token(signer, {"typ": "statuslist+jwt"}, status_list={"bits": 1, "lst": zlib_bomb(20)})
    with pytest.raises(StatusListError) as err:
        verify(token, signer, max_decompressed_bytes=1 << 20)
    assert reason_of(err) is Reason.TOO_LARGE


def test_token_over_size_limit(signer: KeySigner, sample_list: StatusList) -> None:
    token = make_token(signer, sample_list)
    with pytest.raises(StatusListError) as err:
        verify(token, signer, max_bytes=len(token) - 1)
    assert reason_of(err) is Reason.TOO_LARGE
    assert verify(token, signer, max_bytes=len(token)).sub == URI


def test_key_resolver_sees_header(signer: KeySigner, other_signer: KeySigner, sample_list: StatusList) -> None:
    keys = {"good": signer.private_key.public_key(), "other": other_signer.private_key.public_key()}
    seen: list[Mapping[str, Any]] = []

    def resolve(header: Mapping[str, Any]) -> Any:
        seen.append(header)
        if "x5c" not in header:
            raise X509Error(Reason.CHAIN_INVALID, "no x5c")
        return keys[header["kid"]]

    args = {"algorithms": ["ES256"], "expected_sub": URI, "clock": FixedClock(NOW)}
    token = make_token(signer, sample_list, kid="good", x5c=["MIIB"])
    assert verify_status_list_token(token, resolve, **args).status_list == sample_list
    assert seen[-1]["x5c"] == ["MIIB"]
    with pytest.raises(StatusListError) as bad_sig:
        verify_status_list_token(make_token(signer, sample_list, kid="other", x5c=["MIIB"]), resolve, **args)
    assert reason_of(bad_sig) is Reason.BAD_SIGNATURE
    with pytest.raises(X509Error):  # the resolver's verdict reaches the caller unchanged
        verify_status_list_token(make_token(signer, sample_list, kid="good"), resolve, **args)


@pytest.mark.parametrize(
    "overrides",
    [{"sub": ""}, {"iat": "x"}, {"exp": NOW}, {"exp": NOW - 1}, {"ttl": 0}, {"ttl": True}, {"x5c": []}],
)
def test_sign_refuses_bad_claims(signer: KeySigner, sample_list: StatusList, overrides: dict[str, Any]) -> None:
    with pytest.raises(StatusListError) as err:
        make_token(signer, sample_list, **overrides)
    assert reason_of(err) is Reason.MALFORMED


# --- Referenced Token: status claim and status evaluation -------------------------------


def status_claims(idx: Any = 3, uri: Any = URI) -> dict[str, Any]:
    return {"iss": "https://issuer.example", "status": {"status_list": {"idx": idx, "uri": uri}}}


def test_parse_status_reference() -> None:
    assert parse_status_reference(status_claims()) == StatusReference(3, URI)
    assert parse_status_reference(status_claims(idx=0)).idx == 0
    local = "http://127.0.0.1:8123/status/1"
    assert parse_status_reference(status_claims(uri=local), allow_insecure_loopback=True).uri == local
    assert parse_status_reference(status_claims(uri="http://localhost/s"), allow_insecure_loopback=True)


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({}, Reason.MISSING_CLAIM),
        ({"status": {"status_assertion": {}}}, Reason.MISSING_CLAIM),
        ({"status": "revoked"}, Reason.STATUS_INVALID),
        ({"status": {"status_list": [0, URI]}}, Reason.STATUS_INVALID),
        (status_claims(idx=-1), Reason.STATUS_INVALID),
        (status_claims(idx=True), Reason.STATUS_INVALID),
        (status_claims(idx=1.0), Reason.STATUS_INVALID),
        (status_claims(idx="3"), Reason.STATUS_INVALID),
        (status_claims(idx=None), Reason.STATUS_INVALID),
        (status_claims(uri=None), Reason.STATUS_INVALID),
        (status_claims(uri=7), Reason.STATUS_INVALID),
        (status_claims(uri="http://issuer.example/s"), Reason.STATUS_INVALID),
        (status_claims(uri="http://127.0.0.1/s"), Reason.STATUS_INVALID),  # loopback needs the flag
        (status_claims(uri="ftp://issuer.example/s"), Reason.STATUS_INVALID),
        (status_claims(uri="https:///no-host"), Reason.STATUS_INVALID),
        (status_claims(uri="https://issuer.example:99999/s"), Reason.STATUS_INVALID),
        (status_claims(uri="https://issuer.example/a b"), Reason.STATUS_INVALID),
        (status_claims(uri="https://issuer.example/\n"), Reason.STATUS_INVALID),
        (status_claims(uri="https://[::1/s"), Reason.STATUS_INVALID),
        (status_claims(uri="/statuslists/1"), Reason.STATUS_INVALID),
        (status_claims(uri="https://x.example/" + "a" * 3000), Reason.STATUS_INVALID),
    ],
)
def test_parse_status_reference_rejects(claims: dict[str, Any], reason: Reason) -> None:
    with pytest.raises(StatusListError) as err:
        parse_status_reference(claims)
    assert reason_of(err) is reason


def test_insecure_loopback_flag_is_only_for_loopback() -> None:
    for uri in ("http://issuer.example/s", "http://127.0.0.2/s", "http://localhost.evil.example/s"):
        with pytest.raises(StatusListError) as err:
            parse_status_reference(status_claims(uri=uri), allow_insecure_loopback=True)
        assert reason_of(err) is Reason.STATUS_INVALID


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (1, Reason.REVOKED),
        (2, Reason.SUSPENDED),
        (3, Reason.STATUS_INVALID),
        (0x0C, Reason.STATUS_INVALID),
        (255, Reason.STATUS_INVALID),
        (256, Reason.STATUS_INVALID),
        (-1, Reason.STATUS_INVALID),
        (False, Reason.STATUS_INVALID),
    ],
)
def test_evaluate_status(value: Any, reason: Reason) -> None:
    assert evaluate_status(0) is None
    with pytest.raises(StatusListError) as err:
        evaluate_status(value)
    assert reason_of(err) is reason


def test_check_status(signer: KeySigner, sample_list: StatusList) -> None:
    verified = verify(make_token(signer, sample_list), signer)
    assert check_status(StatusReference(9, URI), verified) == 0
    assert check_status(StatusReference(1023, URI), verified) == 0
    cases = {
        StatusReference(10, URI): Reason.REVOKED,
        StatusReference(11, URI): Reason.SUSPENDED,
        StatusReference(12, URI): Reason.STATUS_INVALID,
        StatusReference(1024, URI): Reason.STATUS_INDEX_OUT_OF_RANGE,
        StatusReference(9, URI + "?x"): Reason.STATUS_URI_MISMATCH,
    }
    for reference, reason in cases.items():
        with pytest.raises(StatusListError) as err:
            check_status(reference, verified)
        assert reason_of(err) is reason


# --- issuer side: random index allocation -----------------------------------------------


class SeededRandom:
    """A deterministic RandomSource so allocation tests are reproducible."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def token_bytes(self, n: int) -> bytes:
        return self._rng.randbytes(n)


def test_allocate_index_picks_unused_random_indices() -> None:
    used: set[int] = set()
    for _ in range(200):
        idx = allocate_index(used, 256, SeededRandom(len(used)))
        assert 0 <= idx < 256
        assert idx not in used
        used.add(idx)
    assert sorted(used) != list(range(200))  # not sequential


def test_allocate_index_is_spread_over_the_list() -> None:
    rng = SeededRandom(7)
    draws = [allocate_index(set(), 1000, rng) for _ in range(2000)]
    assert all(0 <= idx < 1000 for idx in draws)  # 1000 is not a power of two: rejection needed
    assert min(draws) < 100
    assert max(draws) >= 900
    assert len(set(draws)) > 800


def test_allocate_index_predicate_and_nearly_full() -> None:
    free = 777
    assert allocate_index(lambda idx: idx != free, 1024, SeededRandom(1)) == free
    assert allocate_index(set(range(1023)), 1024, SystemRandom()) == 1023
    assert allocate_index(set(), 1, SystemRandom()) == 0


def test_allocate_index_fallback_is_random_among_free() -> None:
    free = {3, 500, 501, 900, 1023}
    used = set(range(1024)) - free
    picks = {allocate_index(used, 1024, SeededRandom(seed), attempts=0) for seed in range(60)}
    assert picks == free


def test_allocate_index_full_and_bad_size() -> None:
    with pytest.raises(StatusListError) as err:
        allocate_index(set(range(64)), 64, SeededRandom(2))
    assert reason_of(err) is Reason.STATUS_UNAVAILABLE
    with pytest.raises(StatusListError) as bad:
        allocate_index(set(), 0, SeededRandom(2))
    assert reason_of(bad) is Reason.MALFORMED
