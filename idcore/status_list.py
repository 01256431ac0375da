"""Token Status List (draft-ietf-oauth-status-list): the list, its JWT token, and status checks.

Sections implemented (``/work/shared/specs/draft-ietf-oauth-status-list.md``):

- "Status List" / "Compressed Byte Array": :class:`StatusList` packs ``bits`` (1, 2, 4 or 8)
  per entry, least significant bit first, and compresses with ZLIB (RFC 1950) at the highest
  level. "Status List in JSON Format": ``{"bits", "lst", "aggregation_uri"?}``, ``lst`` in
  base64url without padding.
- "Status List Token in JWT Format": :func:`sign_status_list_token` and
  :func:`verify_status_list_token` (``typ: statuslist+jwt``, required ``sub``/``iat``/
  ``status_list``, optional ``exp``/``ttl``).
- "Referenced Token" / "Status Claim" / "Referenced Token in JOSE":
  :func:`parse_status_reference` reads ``status.status_list.{idx, uri}``.
- "Validation Rules": ``sub`` must equal the reference ``uri``, ``exp`` is enforced, an index
  out of bounds is rejected (:func:`check_status`).
- "Status Types": :func:`evaluate_status` maps 0x00 VALID, 0x01 INVALID, 0x02 SUSPENDED;
  application-specific values (0x03, 0x0C-0x0F, ...) are not understood here and rejected.
- Privacy "Unlinkability" / "Linkability Mitigation" and OpenID4VC HAIP ("unique,
  unpredictable status list index"): :func:`allocate_index` draws a random unused index.

Decompression is capped ("Correct decoding and parsing of the encoded Status List"): a few
kilobytes of ZLIB can expand to gigabytes, so we never inflate more than the declared ``bits``
times the deployment's most entries (:data:`DEFAULT_MAX_ENTRIES`) allow, nor more than
:data:`DEFAULT_MAX_DECOMPRESSED_BYTES`; ``zlib.decompressobj`` stops at that length, so a bomb
costs at most the cap. The token itself is capped at :data:`idcore.jose.DEFAULT_MAX_BYTES`
before it is decoded.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Collection, Container, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from idcore.b64 import b64u_decode, b64u_encode
from idcore.errors import IdcoreError, Reason, StatusListError
from idcore.jose import DEFAULT_MAX_BYTES, parse_compact, sign_compact, verify_parsed
from idcore.jwk import PublicKey
from idcore.ports import Clock, RandomSource, Signer

__all__ = [
    "DEFAULT_MAX_DECOMPRESSED_BYTES",
    "STATUS_INVALID",
    "STATUS_SUSPENDED",
    "STATUS_VALID",
    "StatusList",
    "StatusReference",
    "VerifiedStatusList",
    "allocate_index",
    "check_status",
    "evaluate_status",
    "parse_status_reference",
    "sign_status_list_token",
    "verify_status_list_token",
]

ALLOWED_BITS = (1, 2, 4, 8)
STATUS_VALID = 0x00
STATUS_INVALID = 0x01
STATUS_SUSPENDED = 0x02
STATUS_LIST_TYP = "statuslist+jwt"
#: 8 MiB inflated = 8M entries at 8 bits or 64M at 1 bit; far above any sane list.
DEFAULT_MAX_DECOMPRESSED_BYTES = 8 * 1024 * 1024
#: Most entries one list may hold: 2^24 (16.7M). The draft's herd-privacy guidance asks for
#: lists of many thousand entries; Lintas issuers use 65,536 per list. At the declared ``bits``
#: this caps the inflated size: 2 MiB at 1 bit, the 8 MiB byte cap at 4 and 8 bits.
DEFAULT_MAX_ENTRIES = 1 << 24

#: Resolves the verification key from the (unverified) JWS header, e.g. after x5c validation.
KeyResolver = Callable[[Mapping[str, Any]], PublicKey]

# RFC 3986 characters (unreserved, reserved, percent); anything else is not a URI.
_URI_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_MAX_URI_LENGTH = 2048
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})


def _is_int(value: object) -> TypeGuard[int]:
    # bool is an int subclass; JSON true must not pass as 1.
    return isinstance(value, int) and not isinstance(value, bool)


class StatusList:
    """A mutable array of ``size`` status values of ``bits`` bits each ("Compressed Byte Array").

    ``size`` is rounded up to fill the last byte: a decoded list cannot tell padding entries
    from real ones, and padding entries read as 0x00 (VALID, unallocated).
    """

    def __init__(self, bits: int, size: int, *, aggregation_uri: str | None = None) -> None:
        if not _is_int(bits) or bits not in ALLOWED_BITS:
            raise StatusListError(Reason.MALFORMED, f"bits must be one of {ALLOWED_BITS}")
        if not _is_int(size) or size < 0:
            raise StatusListError(Reason.MALFORMED, "size must be a non-negative integer")
        per_byte = 8 // bits
        self._bits = bits
        self._bytes = bytearray((size + per_byte - 1) // per_byte)
        self.aggregation_uri = aggregation_uri

    @classmethod
    def from_bytes(cls, bits: int, data: bytes, *, aggregation_uri: str | None = None) -> StatusList:
        """Wrap an uncompressed byte array (entries packed LSB first)."""
        status_list = cls(bits, 0, aggregation_uri=aggregation_uri)
        status_list._bytes = bytearray(data)
        return status_list

    @property
    def bits(self) -> int:
        """Bits per entry: 1, 2, 4 or 8."""
        return self._bits

    @property
    def size(self) -> int:
        """Number of entries (whole bytes times entries per byte)."""
        return len(self._bytes) * (8 // self._bits)

    def to_bytes(self) -> bytes:
        """The uncompressed byte array."""
        return bytes(self._bytes)

    def _locate(self, idx: int) -> tuple[int, int]:
        if not _is_int(idx) or idx < 0 or idx >= self.size:
            raise StatusListError(Reason.STATUS_INDEX_OUT_OF_RANGE, f"index {idx!r} outside [0, {self.size})")
        bit_offset = idx * self._bits
        # Bytes in natural order, entries inside a byte from the least significant bit.
        return bit_offset // 8, bit_offset % 8

    def get(self, idx: int) -> int:
        """Return the status value at ``idx``; ``status_index_out_of_range`` if outside the list."""
        byte, shift = self._locate(idx)
        return (self._bytes[byte] >> shift) & ((1 << self._bits) - 1)

    def set(self, idx: int, value: int) -> None:
        """Set the status value at ``idx``; the value must fit in ``bits``."""
        mask = (1 << self._bits) - 1
        if not _is_int(value) or not 0 <= value <= mask:
            raise StatusListError(Reason.MALFORMED, f"status value {value!r} does not fit {self._bits} bits")
        byte, shift = self._locate(idx)
        self._bytes[byte] = (self._bytes[byte] & ~(mask << shift) & 0xFF) | (value << shift)

    def encode(self) -> dict[str, Any]:
        """The JSON Status List: ZLIB at level 9, base64url without padding."""
        obj: dict[str, Any] = {"bits": self._bits, "lst": b64u_encode(zlib.compress(self._bytes, 9))}
        if self.aggregation_uri is not None:
            obj["aggregation_uri"] = self.aggregation_uri
        return obj

    @classmethod
    def decode(
        cls,
        obj: object,
        *,
        max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
        max_entries: int = DEFAULT_MAX_ENTRIES,
    ) -> StatusList:
        """Parse a JSON Status List strictly, inflating at most ``max_entries`` entries of the
        declared ``bits`` and never more than ``max_decompressed_bytes``.

        Raises :class:`StatusListError`: ``malformed`` (shape, bits, bad ZLIB, truncated or
        trailing data), ``bad_base64`` (non-canonical ``lst``), ``too_large`` (over the cap).
        """
        if not isinstance(obj, Mapping):
            raise StatusListError(Reason.MALFORMED, "status_list is not a JSON object")
        bits, lst, aggregation_uri = obj.get("bits"), obj.get("lst"), obj.get("aggregation_uri")
        if not _is_int(bits) or bits not in ALLOWED_BITS:
            raise StatusListError(Reason.MALFORMED, f"status_list bits must be one of {ALLOWED_BITS}")
        if not isinstance(lst, str):
            raise StatusListError(Reason.MALFORMED, "status_list lst missing or not a string")
        if aggregation_uri is not None and not isinstance(aggregation_uri, str):
            raise StatusListError(Reason.MALFORMED, "aggregation_uri is not a string")
        try:
            compressed = b64u_decode(lst)
        except IdcoreError as exc:
            raise StatusListError(exc.reason, f"status_list lst: {exc.detail}") from None
        data = _inflate(compressed, min(max_decompressed_bytes, (max_entries * bits + 7) // 8))
        return cls.from_bytes(bits, data, aggregation_uri=aggregation_uri)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StatusList):
            return NotImplemented
        same_content = self._bits == other._bits and self._bytes == other._bytes
        return same_content and self.aggregation_uri == other.aggregation_uri

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"StatusList(bits={self._bits}, size={self.size})"


def _inflate(compressed: bytes, max_bytes: int) -> bytes:
    """ZLIB-decompress one complete stream, never producing more than ``max_bytes``."""
    inflater = zlib.decompressobj()  # wbits=15: ZLIB header and Adler-32 required
    try:
        # One byte over the cap tells "exactly at the cap" from "over it".
        data = inflater.decompress(compressed, max_bytes + 1)
    except zlib.error:
        raise StatusListError(Reason.MALFORMED, "status_list lst is not valid ZLIB") from None
    if len(data) > max_bytes:
        raise StatusListError(Reason.TOO_LARGE, f"status list inflates beyond {max_bytes} bytes")
    if not inflater.eof:
        raise StatusListError(Reason.MALFORMED, "status_list lst is a truncated ZLIB stream")
    if inflater.unused_data:
        raise StatusListError(Reason.MALFORMED, "status_list lst has data after the ZLIB stream")
    return data


def sign_status_list_token(
    status_list: StatusList,
    *,
    sub: str,
    iat: int,
    signer: Signer,
    iss: str | None = None,
    exp: int | None = None,
    ttl: int | None = None,
    x5c: list[str] | None = None,
    kid: str | None = None,
) -> str:
    """Sign a Status List Token in JWT form ("Status List Token in JWT Format").

    ``sub`` is the URI the Referenced Tokens carry in ``status.status_list.uri``.
    """
    if not isinstance(sub, str) or not sub:
        raise StatusListError(Reason.MALFORMED, "sub must be the status list URI")
    if not _is_int(iat) or (exp is not None and (not _is_int(exp) or exp <= iat)):
        raise StatusListError(Reason.MALFORMED, "iat must be an integer and exp later than iat")
    if ttl is not None and (not _is_int(ttl) or ttl <= 0):
        raise StatusListError(Reason.MALFORMED, "ttl must be a positive integer")
    if x5c is not None and (not x5c or not all(isinstance(c, str) and c for c in x5c)):
        raise StatusListError(Reason.MALFORMED, "x5c must be a non-empty list of base64 certificates")
    header: dict[str, Any] = {"typ": STATUS_LIST_TYP}
    if kid is not None:
        header["kid"] = kid
    if x5c is not None:
        header["x5c"] = list(x5c)
    optional = {"iss": iss, "exp": exp, "ttl": ttl}
    payload: dict[str, Any] = {"sub": sub, "iat": iat}
    payload.update({name: value for name, value in optional.items() if value is not None})
    payload["status_list"] = status_list.encode()
    return sign_compact(header, payload, signer)


@dataclass(frozen=True, slots=True)
class VerifiedStatusList:
    """A Status List Token whose signature, ``typ``, ``sub`` and validity were checked."""

    header: dict[str, Any]
    claims: dict[str, Any]
    status_list: StatusList
    sub: str
    iat: int
    exp: int | None
    ttl: int | None
    iss: str | None

    @property
    def x5c(self) -> list[str] | None:
        """The ``x5c`` header, for callers that validated the chain (or want to)."""
        value = self.header.get("x5c")
        return value if isinstance(value, list) else None

    def refresh_after(self, resolved_at: int) -> int | None:
        """When a cached copy resolved at ``resolved_at`` should be refetched (``ttl``/``exp``)."""
        by_ttl = None if self.ttl is None else resolved_at + self.ttl
        candidates = [t for t in (self.exp, by_ttl) if t is not None]
        return min(candidates) if candidates else None


def _token_error(exc: IdcoreError) -> StatusListError:
    # One exception class for callers, the JOSE reason code kept.
    return StatusListError(exc.reason, f"status list token: {exc.detail}")


def _numeric_date(claims: Mapping[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
        raise StatusListError(Reason.MALFORMED, f"status list token {name} is not a NumericDate")
    return None if value is None else int(value)


def _check_times(claims: Mapping[str, Any], now: int, max_skew: int) -> tuple[int, int | None]:
    iat, exp, nbf = (_numeric_date(claims, name) for name in ("iat", "exp", "nbf"))
    if iat is None:
        raise StatusListError(Reason.MISSING_CLAIM, "status list token has no iat")
    if exp is not None and now - max_skew >= exp:
        raise StatusListError(Reason.EXPIRED, "status list token expired")
    if iat > now + max_skew or (nbf is not None and nbf > now + max_skew):
        raise StatusListError(Reason.NOT_YET_VALID, "status list token issued in the future")
    return iat, exp


def verify_status_list_token(
    token: str,
    key: PublicKey | KeyResolver,
    *,
    algorithms: Collection[str],
    expected_sub: str,
    clock: Clock,
    max_skew: int = 60,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> VerifiedStatusList:
    """Verify a ``statuslist+jwt`` per "Validation Rules" steps 3-5 and decode its list.

    ``key`` is the verification key, or a :data:`KeyResolver` called with the unverified
    header (x5c chain validation is the resolver's job). ``expected_sub`` is the ``uri`` of
    the Referenced Token. ``max_bytes`` caps the token before decoding; ``max_entries`` and
    ``max_decompressed_bytes`` the inflated list. Raises :class:`StatusListError`; JOSE reasons (``bad_signature``,
    ``typ_mismatch``, ``alg_not_allowed``...) are kept. A resolver's own errors propagate.
    """
    try:
        jws = parse_compact(token, max_bytes=max_bytes)
    except IdcoreError as exc:
        raise _token_error(exc) from None
    public_key = key(jws.header) if callable(key) else key
    try:
        claims = verify_parsed(jws, public_key, algorithms=algorithms, typ=STATUS_LIST_TYP)
    except IdcoreError as exc:
        raise _token_error(exc) from None
    sub = claims.get("sub")
    if sub is None or "status_list" not in claims:
        raise StatusListError(Reason.MISSING_CLAIM, "status list token lacks sub or status_list")
    if not isinstance(sub, str):
        raise StatusListError(Reason.MALFORMED, "status list token sub is not a string")
    if sub != expected_sub:
        raise StatusListError(Reason.STATUS_URI_MISMATCH, "status list token sub differs from the uri")
    iat, exp = _check_times(claims, clock.now(), max_skew)
    ttl, iss = claims.get("ttl"), claims.get("iss")
    if ttl is not None and (not _is_int(ttl) or ttl <= 0):
        raise StatusListError(Reason.MALFORMED, "status list token ttl is not a positive integer")
    if iss is not None and not isinstance(iss, str):
        raise StatusListError(Reason.MALFORMED, "status list token iss is not a string")
    status_list = StatusList.decode(
        claims["status_list"], max_decompressed_bytes=max_decompressed_bytes, max_entries=max_entries
    )
    return VerifiedStatusList(jws.header, claims, status_list, sub, iat, exp, ttl, iss)


@dataclass(frozen=True, slots=True)
class StatusReference:
    """The ``status.status_list`` claim of a Referenced Token."""

    idx: int
    uri: str


def _check_uri(uri: object, allow_insecure_loopback: bool) -> str:
    if not isinstance(uri, str) or len(uri) > _MAX_URI_LENGTH or not _URI_CHARS.fullmatch(uri):
        raise StatusListError(Reason.STATUS_INVALID, "status_list uri is not a URI")
    try:
        parts = urlsplit(uri)
        host, _port = parts.hostname, parts.port  # .port raises on a bad port
    except ValueError:
        raise StatusListError(Reason.STATUS_INVALID, "status_list uri is not a URI") from None
    if not host:
        raise StatusListError(Reason.STATUS_INVALID, "status_list uri has no host")
    insecure_ok = allow_insecure_loopback and parts.scheme == "http" and host in _LOOPBACK_HOSTS
    if parts.scheme != "https" and not insecure_ok:
        raise StatusListError(Reason.STATUS_INVALID, "status_list uri must use https")
    return uri


def parse_status_reference(claims: Mapping[str, Any], *, allow_insecure_loopback: bool = False) -> StatusReference:
    """Read ``status.status_list`` ("Referenced Token in JOSE", "Validation Rules" step 1).

    ``missing_claim`` if there is no ``status_list``; ``status_invalid`` if it is malformed
    (``idx`` not a non-negative integer, ``uri`` not an https URI; plain http is allowed only
    for 127.0.0.1/localhost and only with ``allow_insecure_loopback``).
    """
    status = claims.get("status") if isinstance(claims, Mapping) else None
    if status is None:
        raise StatusListError(Reason.MISSING_CLAIM, "no status claim")
    if not isinstance(status, Mapping):
        raise StatusListError(Reason.STATUS_INVALID, "status claim is not a JSON object")
    reference = status.get("status_list")
    if reference is None:
        raise StatusListError(Reason.MISSING_CLAIM, "status claim has no status_list")
    if not isinstance(reference, Mapping):
        raise StatusListError(Reason.STATUS_INVALID, "status_list is not a JSON object")
    idx = reference.get("idx")
    if not _is_int(idx) or idx < 0:
        raise StatusListError(Reason.STATUS_INVALID, "status_list idx is not a non-negative integer")
    return StatusReference(idx, _check_uri(reference.get("uri"), allow_insecure_loopback))


def evaluate_status(value: int) -> None:
    """Accept 0x00 VALID; raise ``revoked`` (0x01), ``suspended`` (0x02) or ``status_invalid``."""
    if not _is_int(value) or not 0 <= value <= 0xFF:
        raise StatusListError(Reason.STATUS_INVALID, f"status value {value!r} out of range")
    if value == STATUS_VALID:
        return
    if value == STATUS_INVALID:
        raise StatusListError(Reason.REVOKED, "credential revoked (status 0x01)")
    if value == STATUS_SUSPENDED:
        raise StatusListError(Reason.SUSPENDED, "credential suspended (status 0x02)")
    # Closed default: application-specific or unregistered values are not a statement of validity.
    raise StatusListError(Reason.STATUS_INVALID, f"status value 0x{value:02x} not accepted")


def check_status(reference: StatusReference, verified: VerifiedStatusList) -> int:
    """Look up and evaluate the reference ("Validation Rules" steps 4a, 6, 7); return the value."""
    if reference.uri != verified.sub:
        raise StatusListError(Reason.STATUS_URI_MISMATCH, "status list token is for another uri")
    value = verified.status_list.get(reference.idx)
    evaluate_status(value)
    return value


def _random_below(n: int, random: RandomSource) -> int:
    """Uniform integer in ``[0, n)`` by rejection sampling (no modulo bias)."""
    bit_length = (n - 1).bit_length()
    if bit_length == 0:
        return 0
    mask = (1 << bit_length) - 1
    while True:
        candidate = int.from_bytes(random.token_bytes((bit_length + 7) // 8), "big") & mask
        if candidate < n:
            return candidate


def allocate_index(
    used: Container[int] | Callable[[int], bool],
    size: int,
    random: RandomSource,
    *,
    attempts: int = 32,
) -> int:
    """Pick a uniformly random unused index in ``[0, size)`` ("Unlinkability", HAIP).

    ``used`` is a container of allocated indices or a predicate ``is_used(idx)``. After
    ``attempts`` random draws hit used indices, the free indices are listed and one is
    drawn from them, so a nearly full list still gets a uniform pick. Raises
    ``status_unavailable`` when every index is taken. The caller must record the result
    atomically (double allocation is its concern, "Default Values and Double Allocation").
    """
    if not _is_int(size) or size <= 0:
        raise StatusListError(Reason.MALFORMED, "size must be a positive integer")
    is_used: Callable[[int], bool] = used if callable(used) else used.__contains__
    for _ in range(attempts):
        candidate = _random_below(size, random)
        if not is_used(candidate):
            return candidate
    free = [idx for idx in range(size) if not is_used(idx)]
    if not free:
        raise StatusListError(Reason.STATUS_UNAVAILABLE, "status list is full")
    return free[_random_below(len(free), random)]
