"""Disclosures and their digests (RFC 9901 Sections 4.2.1, 4.2.2 and 4.2.3).

A Disclosure is the base64url encoding of a JSON array ``[salt, name, value]`` (object
property) or ``[salt, value]`` (array element). Its digest is taken over the ASCII bytes of
the base64url string itself, never over the decoded bytes (Section 4.2.3).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, NamedTuple

from idcore.b64 import b64u_decode, b64u_encode, json_dumps, json_loads
from idcore.errors import IdcoreError, Reason, SdJwtError

__all__ = [
    "RESERVED_NAMES",
    "Disclosure",
    "decode_disclosure",
    "digest",
    "hash_function",
    "make_array_disclosure",
    "make_property_disclosure",
]

#: ``_sd_alg`` values (IANA Named Information Hash Algorithm names) we understand and deem secure.
HASH_ALGS: dict[str, Callable[[bytes], Any]] = {
    "sha-256": hashlib.sha256,
    "sha-384": hashlib.sha384,
    "sha-512": hashlib.sha512,
}
#: Claim names a Disclosure may never carry (RFC 9901 Section 7.1 step 3.3.2.2).
RESERVED_NAMES = frozenset({"_sd", "..."})


def hash_function(sd_alg: str) -> Callable[[bytes], Any]:
    """Return the hash constructor for an ``_sd_alg`` value or raise ``unsupported_sd_alg``."""
    try:
        return HASH_ALGS[sd_alg]
    except (KeyError, TypeError):
        raise SdJwtError(Reason.UNSUPPORTED_SD_ALG, f"_sd_alg {sd_alg!r} not supported") from None


def digest(encoded: str, sd_alg: str = "sha-256") -> str:
    """Digest of a base64url string (a Disclosure, or an SD-JWT for ``sd_hash``), base64url-encoded."""
    return b64u_encode(hash_function(sd_alg)(encoded.encode("ascii")).digest())


class Disclosure(NamedTuple):
    """One decoded Disclosure: ``name`` is ``None`` for an array element.

    A NamedTuple rather than a frozen dataclass: it is built once per Disclosure on the
    verifier's hot path, and tuple construction is several times cheaper there.
    """

    encoded: str
    salt: str
    name: str | None
    value: Any

    @property
    def is_array_element(self) -> bool:
        """True for a ``[salt, value]`` Disclosure."""
        return self.name is None

    def digest(self, sd_alg: str = "sha-256") -> str:
        """The digest that references this Disclosure."""
        return digest(self.encoded, sd_alg)

    @classmethod
    def decode(cls, encoded: str) -> Disclosure:
        """Decode and shape-check a Disclosure string; raise ``malformed_disclosure``."""
        return decode_disclosure(encoded)


_new_disclosure = tuple.__new__


def decode_disclosure(encoded: str) -> Disclosure:
    """Decode and shape-check a Disclosure string; raise ``malformed_disclosure``.

    A module function building the tuple directly: it runs once per Disclosure per verification.
    """
    try:
        content = json_loads(b64u_decode(encoded))
    except IdcoreError as exc:
        raise SdJwtError(Reason.MALFORMED_DISCLOSURE, f"disclosure: {exc.detail}") from None
    if content.__class__ is not list or not isinstance(content[0] if content else None, str):
        raise SdJwtError(Reason.MALFORMED_DISCLOSURE, "disclosure is not [salt, (name,) value]")
    size = len(content)
    if size == 3:
        if not isinstance(content[1], str):
            raise SdJwtError(Reason.MALFORMED_DISCLOSURE, "disclosure claim name is not a string")
        return _new_disclosure(Disclosure, (encoded, content[0], content[1], content[2]))
    if size == 2:
        return _new_disclosure(Disclosure, (encoded, content[0], None, content[1]))
    raise SdJwtError(Reason.MALFORMED_DISCLOSURE, "disclosure is not [salt, (name,) value]")


def make_property_disclosure(salt: str, name: str, value: Any) -> Disclosure:
    """Create the Disclosure of an object property (Section 4.2.1)."""
    if name in RESERVED_NAMES:
        raise SdJwtError(Reason.RESERVED_CLAIM_NAME, f"claim name {name!r} is reserved")
    return Disclosure(b64u_encode(json_dumps([salt, name, value])), salt, name, value)


def make_array_disclosure(salt: str, value: Any) -> Disclosure:
    """Create the Disclosure of an array element (Section 4.2.2)."""
    return Disclosure(b64u_encode(json_dumps([salt, value])), salt, None, value)
