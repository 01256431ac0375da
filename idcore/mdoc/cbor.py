"""Strict CBOR for mdoc (RFC 8949 via cbor2; ISO/IEC 18013-5:2021 Sections 7.2.1, 8.1, 9.1.2).

Decoding is closed by default, in one place:

* duplicate map keys are refused (RFC 8949 Section 5.6: such a map is not valid CBOR, and two
  readers could see two different values);
* indefinite-length items are refused (every 18013-5 structure is encoded with definite lengths,
  and the digests are taken over the bytes as sent);
* nesting depth and input size are bounded;
* only the tags 18013-5 uses are accepted: 24 (embedded CBOR, ``#6.24(bstr .cbor X)``),
  0 (``tdate``), 1004 (``full-date``, RFC 8943) and 18 (``COSE_Sign1_Tagged``, RFC 9052).
  cbor2 would otherwise give every other tag it knows a meaning (value sharing, string
  references, sets, decimals ...); here each is kept as a raw :class:`cbor2.CBORTag` so the
  checks see exactly what was on the wire, then refused.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import cbor2

from idcore.errors import MdocError, Reason

__all__ = [
    "MAX_DEPTH",
    "TAG_COSE_SIGN1",
    "TAG_EMBEDDED",
    "decode",
    "embed",
    "encode",
    "full_date",
    "json_ready",
    "parse_tdate",
    "plain",
    "tdate",
    "unembed",
]

TAG_TDATE = 0
TAG_COSE_SIGN1 = 18
TAG_EMBEDDED = 24
TAG_FULL_DATE = 1004
MAX_DEPTH = 32
_ALLOWED_TAGS = frozenset({TAG_TDATE, TAG_COSE_SIGN1, TAG_EMBEDDED, TAG_FULL_DATE})
# The tags cbor2 6 decodes itself (measured: every tag whose round trip is not a CBORTag).
_NATIVE_TAGS = (0, 1, 2, 3, 4, 5, 25, 28, 29, 30, 35, 36, 37, 52, 54, 100, 256, 258, 260, 261, 1004, 55799)
# RFC 3339 date-time as 18013-5 Section 7.2.1 restricts it: UTC ("Z"), no fractional seconds.
_TDATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_FULL_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


class _TagRefused(Exception):
    """Raised inside cbor2's hooks; turned into an MdocError by :func:`decode`."""


def _raw(tag: int) -> Callable[[Any, bool], Any]:
    def keep(value: Any, immutable: bool) -> Any:
        if tag not in _ALLOWED_TAGS:
            raise _TagRefused(tag)
        return cbor2.CBORTag(tag, value)

    return keep


_SEMANTIC = {tag: _raw(tag) for tag in _NATIVE_TAGS}


def _tag_hook(tag: cbor2.CBORTag, immutable: bool) -> Any:
    if tag.tag not in _ALLOWED_TAGS:
        raise _TagRefused(tag.tag)
    return tag


def decode(data: bytes, what: str, *, max_bytes: int) -> Any:
    """Decode one complete CBOR item under the rules above; raise ``malformed``/``too_large``."""
    if not isinstance(data, bytes | bytearray):
        raise MdocError(Reason.MALFORMED, f"{what} is not a byte string")
    if len(data) > max_bytes:
        raise MdocError(Reason.TOO_LARGE, f"{what} is larger than {max_bytes} bytes")
    stream = io.BytesIO(data)
    try:
        # read_size=1 keeps the stream position exact, so trailing bytes can be refused below.
        value = cbor2.CBORDecoder(
            stream,
            tag_hook=_tag_hook,
            semantic_decoders=_SEMANTIC,
            max_depth=MAX_DEPTH,
            allow_indefinite=False,
            allow_duplicate_keys=False,
            str_errors="strict",
            read_size=1,
        ).decode()
    except _TagRefused as exc:
        raise MdocError(Reason.MALFORMED, f"{what}: CBOR tag {exc.args[0]} is not allowed") from None
    except cbor2.CBORDecodeError as exc:
        cause = exc.__cause__
        if isinstance(cause, _TagRefused):
            raise MdocError(Reason.MALFORMED, f"{what}: CBOR tag {cause.args[0]} is not allowed") from None
        if "duplicate" in str(exc).lower():
            raise MdocError(Reason.DUPLICATE_MEMBER, f"{what}: a map has a duplicate key") from None
        raise MdocError(Reason.MALFORMED, f"{what} is not valid CBOR ({exc})") from None
    except (ValueError, TypeError, RecursionError, UnicodeDecodeError):
        # cbor2 raises these for trailing data, unhashable keys and bad text on some paths.
        raise MdocError(Reason.MALFORMED, f"{what} is not valid CBOR") from None
    if stream.read(1):
        raise MdocError(Reason.MALFORMED, f"{what} has trailing bytes after the CBOR item")
    return value


def encode(value: Any) -> bytes:
    """Encode with definite lengths and shortest heads (the form every digest here is taken over)."""
    return cbor2.dumps(value)


def embed(value: Any) -> cbor2.CBORTag:
    """``#6.24(bstr .cbor value)``: the tag-24 wrapping of 18013-5 (e.g. IssuerSignedItemBytes)."""
    return cbor2.CBORTag(TAG_EMBEDDED, encode(value))


def unembed(item: Any, what: str, *, max_bytes: int) -> tuple[bytes, Any]:
    """Check ``item`` is ``#6.24(bstr)``; return (the embedded bytes, their decoded value)."""
    if not isinstance(item, cbor2.CBORTag) or item.tag != TAG_EMBEDDED or not isinstance(item.value, bytes):
        raise MdocError(Reason.MALFORMED, f"{what} must be tag 24 around a byte string")
    return item.value, decode(item.value, what, max_bytes=max_bytes)


def tdate(moment: datetime) -> cbor2.CBORTag:
    """``tdate = #6.0(tstr)`` in the 18013-5 Section 7.2.1 form: UTC, whole seconds, ``Z``."""
    if moment.tzinfo is None:
        raise ValueError("tdate needs a timezone-aware datetime")
    return cbor2.CBORTag(TAG_TDATE, moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def parse_tdate(item: Any, what: str) -> datetime:
    """Read a ``tdate``: tag 0, UTC, no fraction; anything else is ``malformed``."""
    if not isinstance(item, cbor2.CBORTag) or item.tag != TAG_TDATE or not isinstance(item.value, str):
        raise MdocError(Reason.MALFORMED, f"{what} must be a tdate (tag 0)")
    if not _TDATE_RE.fullmatch(item.value):
        raise MdocError(Reason.MALFORMED, f"{what} must be YYYY-MM-DDThh:mm:ssZ")
    try:
        return datetime.strptime(item.value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise MdocError(Reason.MALFORMED, f"{what} is not a real date and time") from None


def full_date(day: date) -> cbor2.CBORTag:
    """``full-date = #6.1004(tstr)`` (RFC 8943), the 18013-5 encoding of dates such as birth_date."""
    return cbor2.CBORTag(TAG_FULL_DATE, day.isoformat())


def parse_full_date(item: cbor2.CBORTag) -> date:
    """Read a tag-1004 ``full-date``; ``malformed`` if it is not ``YYYY-MM-DD``."""
    if not isinstance(item.value, str) or not _FULL_DATE_RE.fullmatch(item.value):
        raise MdocError(Reason.MALFORMED, "full-date must be YYYY-MM-DD")
    try:
        return date.fromisoformat(item.value)
    except ValueError:
        raise MdocError(Reason.MALFORMED, "full-date is not a real date") from None


def plain(value: Any, depth: int = 0) -> Any:
    """An element value as Python data: tdate -> datetime, full-date -> date, tag 24 -> decoded.

    Used for the verified claims; the wire form stays what the digests were taken over.
    """
    if depth > MAX_DEPTH:
        raise MdocError(Reason.MALFORMED, "element value nested too deeply")
    if isinstance(value, cbor2.CBORTag):
        if value.tag == TAG_TDATE:
            return parse_tdate(value, "element value")
        if value.tag == TAG_FULL_DATE:
            return parse_full_date(value)
        raise MdocError(Reason.MALFORMED, f"tag {value.tag} is not allowed in an element value")
    if isinstance(value, list):
        return [plain(v, depth + 1) for v in value]
    if isinstance(value, Mapping):
        return {k: plain(v, depth + 1) for k, v in value.items()}
    return value


def json_ready(value: Any) -> Any:
    """:func:`plain` output made JSON-safe: dates as ISO 8601, bytes as base64url (no padding)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode("ascii")
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    return value
