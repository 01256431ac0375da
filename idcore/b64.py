"""Strict base64url (RFC 4648 Section 5, no padding) and strict JSON, as JOSE requires.

RFC 7515 Section 2 defines Base64url Encoding without padding. We refuse every input that
is not the unique canonical encoding of its bytes: characters outside the URL-safe
alphabet, padding, a length of 1 mod 4, and non-zero unused bits in the last character.
Otherwise two different strings would carry the same bytes, and a signature or digest
check over one string would "verify" a tampered twin.

JSON (RFC 8259 Section 4) leaves duplicate member names undefined; RFC 7515 Section 5.2
and RFC 9901 Section 7.1 require rejecting them, so :func:`json_loads` does.

RFC 8259 Section 9 lets a parser "set limits on the maximum depth of nesting" and on sizes:
:func:`json_loads` refuses documents nested deeper than :data:`MAX_JSON_DEPTH` (``too_deep``)
or holding more than :data:`MAX_JSON_VALUES` values (``too_many``), both checked on the text
*before* any Python object is built, so a hostile document costs a few scans of its bytes.
"""

from __future__ import annotations

import binascii
import json
import re
from typing import Any

from idcore.errors import IdcoreError, Reason

__all__ = ["MAX_JSON_DEPTH", "MAX_JSON_VALUES", "b64u_decode", "b64u_encode", "json_dumps", "json_loads"]

#: Deepest nesting of arrays and objects :func:`json_loads` accepts. Everything Lintas reads
#: (JOSE headers, credential payloads and Disclosures, DCQL queries, OAuth and OpenID4VP
#: messages, trust lists) nests fewer than 10 levels; 32 leaves room and keeps every recursive
#: consumer (claim processing, ``json.dumps`` of results) far below Python's recursion limit.
MAX_JSON_DEPTH = 32
#: Most values (scalars, arrays, objects; an object member counts once) in one document.
#: Parsing costs up to ~25 bytes of Python objects per input byte for tiny values
#: (``[{},{},...]``), so the count, not the size, bounds memory: 32,768 values are at most
#: ~6.5 MB of objects (measured in tests/security/test_parser_cost.py). The largest documents
#: parsed (a trust list under its 2 MiB fetch cap, a ``vp_token`` of 16 presentations) hold a
#: few thousand values.
MAX_JSON_VALUES = 32_768

_TO_STANDARD = bytes.maketrans(b"-_+/=", b"+/!!!")
_PADDING = (b"", b"", b"==", b"=")
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
# Index of each alphabet character, to check the unused low bits of the last character.
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# Value of each alphabet character by byte (0 for other bytes, which decoding refuses anyway).
_LOW_BITS = bytes(_ALPHABET.index(chr(b)) if chr(b) in _ALPHABET else 0 for b in range(256))


def b64u_encode(data: bytes) -> str:
    """Encode bytes as unpadded base64url text."""
    return binascii.b2a_base64(data, newline=False).translate(_TO_URLSAFE).rstrip(b"=").decode("ascii")


def b64u_decode(text: str | bytes) -> bytes:
    """Decode canonical unpadded base64url, refusing every non-canonical form.

    Raises :class:`IdcoreError` with :attr:`Reason.BAD_BASE64`. This runs for every JWS part
    and Disclosure a verifier sees, so it is one translate plus one strict binascii call:
    the table maps the URL-safe alphabet to the standard one and '+', '/' and '=' (members
    of other alphabets) to '!', which strict decoding refuses with everything else.
    """
    if isinstance(text, str):
        try:
            raw = text.encode("ascii")
        except UnicodeEncodeError:
            raise IdcoreError(Reason.BAD_BASE64, "non-ASCII base64url") from None
    else:
        raw = text
    rem = len(raw) & 3
    if rem:
        # The last character carries 6 bits of which only 2 (rem=2) or 4 (rem=3) are data.
        if rem == 1 or _LOW_BITS[raw[-1]] & (0b1111 if rem == 2 else 0b11):
            raise IdcoreError(Reason.BAD_BASE64, "not canonical base64url")
    try:
        standard = raw.translate(_TO_STANDARD)
        return binascii.a2b_base64(standard + _PADDING[rem] if rem else standard, strict_mode=True)
    except (binascii.Error, ValueError):
        raise IdcoreError(Reason.BAD_BASE64, "not canonical base64url") from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        names = [k for k, _ in pairs]
        dup = next(k for k in names if names.count(k) > 1)
        raise IdcoreError(Reason.DUPLICATE_MEMBER, f"duplicate JSON member name {dup!r}")
    return obj


def _no_constants(name: str) -> Any:
    raise IdcoreError(Reason.MALFORMED, f"non-standard JSON constant {name}")


# One decoder, built once: json.loads(..., object_pairs_hook=...) would build a new one per call.
_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constants)


_SCAN = _DECODER.scan_once  # type: ignore[attr-defined]  # set by JSONDecoder.__init__, not typed


# A JSON string literal (RFC 8259 Section 7) or one structural character. The possessive
# repeats never backtrack, so a megabyte-long string is matched in constant memory.
_TOKEN = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"|[\[\]{},]')


def _check_structure(text: str, max_depth: int, max_values: int) -> None:
    """Refuse ``text`` if it nests deeper than ``max_depth`` or holds more than ``max_values`` values.

    Cheap bounds first (free for the short texts of the verify hot path): the depth is at most
    the number of '[' and '{', and at most half the length; the values at most half the length.
    Only a text that passes neither gets the exact walk over its structural characters (string
    literals skipped whole), which stops at the first limit broken: at most ~3 x ``max_values``
    steps and constant memory, whatever the size of the text.
    """
    size = len(text)
    if size <= 2 * max_values and (size <= 2 * max_depth or text.count("[") + text.count("{") <= max_depth):
        return
    depth, values = 0, 1
    for token in _TOKEN.finditer(text):
        char = text[token.start()]
        if char == '"':
            continue
        if char == "[" or char == "{":
            depth += 1
            values += 1
            if depth > max_depth:
                raise IdcoreError(Reason.TOO_DEEP, f"JSON nested deeper than {max_depth}")
        elif char == ",":
            values += 1
        else:
            depth -= 1
        if values > max_values:
            raise IdcoreError(Reason.TOO_MANY, f"JSON with more than {max_values} values")


def json_loads(data: str | bytes, *, max_depth: int = MAX_JSON_DEPTH, max_values: int = MAX_JSON_VALUES) -> Any:
    """Parse RFC 8259 JSON, refusing duplicate member names, NaN/Infinity and bad UTF-8.

    Also refuses nesting deeper than ``max_depth`` (``too_deep``) and more than ``max_values``
    values (``too_many``), checked before parsing (RFC 8259 Section 9).
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        _check_structure(text, max_depth, max_values)
        # Hot path: the C scanner directly, when the value fills the whole text (no surrounding
        # whitespace); anything else takes the full decoder, which handles whitespace and errors.
        try:
            value, end = _SCAN(text, 0)
        except StopIteration:
            end = -1
        if end == len(text):
            return value
        return _DECODER.decode(text)
    except IdcoreError:
        raise
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError
        raise IdcoreError(Reason.MALFORMED, f"invalid JSON: {exc.__class__.__name__}") from None


def json_dumps(value: Any) -> bytes:
    """Serialise compactly as UTF-8 (no ASCII escaping, no spaces)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
