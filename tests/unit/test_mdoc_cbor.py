"""Strict CBOR for mdoc (idcore/mdoc/cbor.py) and a fuzz pass: bad input is always an MdocError, never a crash."""

from __future__ import annotations

from datetime import UTC, date, datetime

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from idcore.errors import MdocError, Reason
from idcore.mdoc import MdocVerifyOptions, verify_device_response
from idcore.mdoc.cbor import MAX_DEPTH, decode, full_date, parse_tdate, plain, tdate
from idcore.ports import FixedClock
from tests.vectors.mdoc.loader import ANNEX_D_VALID_AT, annex_d_device_response, annex_d_document_signer


def _reason(data: bytes, max_bytes: int = 1 << 20) -> Reason:
    with pytest.raises(MdocError) as caught:
        decode(data, "test", max_bytes=max_bytes)
    return caught.value.reason


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (bytes.fromhex("a2616101616102"), Reason.DUPLICATE_MEMBER),  # {"a": 1, "a": 2}
        (bytes.fromhex("9f01ff"), Reason.MALFORMED),  # indefinite-length array
        (bytes.fromhex("0100"), Reason.MALFORMED),  # trailing byte
        (bytes.fromhex("d9010281 01".replace(" ", "")), Reason.MALFORMED),  # tag 258 (set)
        (bytes.fromhex("c11a5f75da9a"), Reason.MALFORMED),  # tag 1 (epoch date): not 18013-5
        (bytes.fromhex("d81c01"), Reason.MALFORMED),  # tag 28 (value sharing)
        (bytes.fromhex("d81900"), Reason.MALFORMED),  # tag 25 (string reference)
        (bytes.fromhex("c249010000000000000000"), Reason.MALFORMED),  # tag 2 (bignum)
        (bytes.fromhex("d9d9f701"), Reason.MALFORMED),  # self-described CBOR
        (bytes.fromhex("d82a01"), Reason.MALFORMED),  # an unknown tag
        (bytes.fromhex("62c328"), Reason.MALFORMED),  # invalid UTF-8 text
        (b"", Reason.MALFORMED),
    ],
)
def test_refused_encodings(data: bytes, reason: Reason) -> None:
    assert _reason(data) is reason


def test_size_and_depth_limits() -> None:
    assert _reason(cbor2.dumps(b"x" * 100), max_bytes=50) is Reason.TOO_LARGE
    deep = b"\x81" * (MAX_DEPTH + 2) + b"\x01"
    assert _reason(deep) is Reason.MALFORMED
    assert decode(b"\x81" * (MAX_DEPTH - 1) + b"\x01", "ok", max_bytes=1 << 10) is not None


def test_allowed_tags_stay_raw() -> None:
    value = decode(
        cbor2.dumps([cbor2.CBORTag(24, b"\x01"), tdate(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))]),
        "ok",
        max_bytes=1 << 10,
    )
    assert value == [cbor2.CBORTag(24, b"\x01"), cbor2.CBORTag(0, "2026-01-02T03:04:05Z")]


@pytest.mark.parametrize(
    "text", ["2026-01-02T03:04:05.5Z", "2026-01-02T03:04:05+07:00", "2026-01-02", "2026-13-02T03:04:05Z"]
)
def test_tdate_form_is_strict(text: str) -> None:
    with pytest.raises(MdocError):
        parse_tdate(cbor2.CBORTag(0, text), "t")
    assert parse_tdate(cbor2.CBORTag(0, "2026-01-02T03:04:05Z"), "t") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_plain_values() -> None:
    assert plain([full_date(date(2000, 2, 29)), {"x": cbor2.CBORTag(0, "2026-01-02T03:04:05Z")}]) == [
        date(2000, 2, 29),
        {"x": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)},
    ]
    for bad in (cbor2.CBORTag(1004, "2001-02-29"), cbor2.CBORTag(24, b"\x01")):
        with pytest.raises(MdocError):
            plain(bad)


_OPTIONS = MdocVerifyOptions(
    trust_anchors=[annex_d_document_signer()],
    clock=FixedClock(int(ANNEX_D_VALID_AT.timestamp())),
    require_device_auth=False,
)

_ORIGINAL_CLAIMS = verify_device_response(annex_d_device_response(), _OPTIONS).documents[0].claims


@settings(max_examples=150)
@given(st.binary(max_size=512))
def test_arbitrary_bytes_are_refused_cleanly(data: bytes) -> None:
    with pytest.raises(MdocError):
        verify_device_response(data, _OPTIONS)


@settings(max_examples=150)
@given(st.integers(min_value=0, max_value=3561), st.integers(min_value=1, max_value=255))
def test_annex_d_with_one_byte_changed_never_crashes(position: int, flip: int) -> None:
    data = bytearray(annex_d_device_response())
    data[position] ^= flip
    try:
        result = verify_device_response(bytes(data), _OPTIONS)
    except MdocError:
        return  # every failure is a typed rejection
    # A change that still verifies (e.g. in the unchecked deviceMac) can never change what is claimed.
    assert result.documents[0].claims == _ORIGINAL_CLAIMS
