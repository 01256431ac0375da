"""Issuing SD-JWTs (RFC 9901 Sections 4.1, 4.2 and 4.2.5).

Claims to be made selectively disclosable are wrapped in :class:`SD` — an object property
value (``{"given_name": SD("Siti")}``, Section 4.2.1) or an array element
(``["SG", SD("MY")]``, Section 4.2.2). Wrapping a value that itself contains :class:`SD`
gives recursive Disclosures (Section 4.2.6). Digests in each ``_sd`` array are sorted so
their order reveals nothing about the original claim order (Section 4.2.4.1), and decoy
digests (Section 4.2.5) hide how many claims there are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from idcore.b64 import b64u_encode
from idcore.errors import Reason, SdJwtError
from idcore.jose import sign_compact
from idcore.ports import RandomSource, Signer
from idcore.sdjwt.disclosure import (
    RESERVED_NAMES,
    Disclosure,
    hash_function,
    make_array_disclosure,
    make_property_disclosure,
)

__all__ = ["SD", "IssuedSdJwt", "issue_sd_jwt", "mark_disclosable"]

ClaimPath = Sequence[str | int | None]


@dataclass(frozen=True, slots=True)
class SD:
    """Marks a claim value (object property or array element) as selectively disclosable."""

    value: Any


@dataclass(frozen=True, slots=True)
class IssuedSdJwt:
    """An issued SD-JWT: the Issuer-signed JWT and every Disclosure."""

    jwt: str
    disclosures: tuple[Disclosure, ...]

    def serialize(self) -> str:
        """Compact serialization ``<JWT>~<D1>~...~<DN>~`` (Section 4)."""
        return "~".join((self.jwt, *(d.encoded for d in self.disclosures))) + "~"


class _Builder:
    def __init__(self, random: RandomSource, sd_alg: str, decoys: tuple[int, int]) -> None:
        self.random = random
        self.sd_alg = sd_alg
        self.hash = hash_function(sd_alg)
        self.decoys = decoys
        self.disclosures: list[Disclosure] = []

    def salt(self) -> str:
        # 128 bits of CSPRNG output (Section 9.3).
        return b64u_encode(self.random.token_bytes(16))

    def digest(self, disclosure: Disclosure) -> str:
        self.disclosures.append(disclosure)
        return b64u_encode(self.hash(disclosure.encoded.encode("ascii")).digest())

    def decoy_digests(self) -> list[str]:
        low, high = self.decoys
        count = low + (self.random.token_bytes(1)[0] % (high - low + 1)) if high > low else low
        return [b64u_encode(self.hash(self.random.token_bytes(32)).digest()) for _ in range(count)]

    def build(self, node: Any) -> Any:
        if isinstance(node, SD):
            raise SdJwtError(Reason.MALFORMED, "SD() marks object property values or array elements only")
        if isinstance(node, Mapping):
            return self.obj(node)
        if isinstance(node, list | tuple):
            return self.array(node)
        return node

    def obj(self, node: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        digests: list[str] = []
        for name, value in node.items():
            if not isinstance(name, str) or name in RESERVED_NAMES:
                raise SdJwtError(Reason.RESERVED_CLAIM_NAME, f"claim name {name!r} is reserved")
            if isinstance(value, SD):
                digests.append(self.digest(make_property_disclosure(self.salt(), name, self.build(value.value))))
            else:
                out[name] = self.build(value)
        if digests:
            out["_sd"] = sorted(digests + self.decoy_digests())
        return out

    def array(self, node: Sequence[Any]) -> list[Any]:
        out: list[Any] = []
        for element in node:
            if isinstance(element, SD):
                out.append({"...": self.digest(make_array_disclosure(self.salt(), self.build(element.value)))})
            else:
                out.append(self.build(element))
        return out


def issue_sd_jwt(
    claims: Mapping[str, Any],
    signer: Signer,
    *,
    random: RandomSource,
    header: Mapping[str, Any] | None = None,
    sd_alg: str = "sha-256",
    decoys: tuple[int, int] = (0, 0),
) -> IssuedSdJwt:
    """Create an SD-JWT from claims with :class:`SD` markers, signed by ``signer``.

    ``header`` adds JOSE header members (``typ``, ``kid``, ``x5c``); ``decoys`` is the
    inclusive range of decoy digests added to every ``_sd`` array.
    """
    if "_sd_alg" in claims:
        raise SdJwtError(Reason.RESERVED_CLAIM_NAME, "_sd_alg is set by the issuer library")
    builder = _Builder(random, sd_alg, decoys)
    payload = builder.obj(claims)
    if builder.disclosures:
        payload["_sd_alg"] = sd_alg
    jwt = sign_compact(dict(header or {}), payload, signer)
    return IssuedSdJwt(jwt, tuple(builder.disclosures))


def _mark(node: Any, path: Sequence[str | int | None]) -> Any:
    head, rest = path[0], path[1:]
    if isinstance(node, Mapping) and isinstance(head, str) and head in node:
        copy = dict(node)
        copy[head] = _wrap(node[head], rest)
        return copy
    if isinstance(node, list) and (head is None or (isinstance(head, int) and 0 <= head < len(node))):
        return [_wrap(el, rest) if head is None or i == head else el for i, el in enumerate(node)]
    return node  # the path selects nothing in this credential: nothing to mark


def _wrap(value: Any, rest: Sequence[str | int | None]) -> Any:
    if not rest:
        return value if isinstance(value, SD) else SD(value)
    if isinstance(value, SD):
        return SD(_mark(value.value, rest))
    return _mark(value, rest)


def mark_disclosable(claims: Mapping[str, Any], paths: Iterable[ClaimPath]) -> dict[str, Any]:
    """Wrap the claims selected by claim paths (SD-JWT VC type metadata ``sd: always``) in :class:`SD`.

    Paths use the claim-path syntax of SD-JWT VC Section 9.1: strings select object
    members, ``None`` every array element, integers one element. Deeper paths are applied
    after shallower ones, so ``["address"]`` and ``["address", "street"]`` nest correctly.
    """
    result: Any = dict(claims)
    for path in sorted((list(p) for p in paths), key=len):
        if not path:
            raise SdJwtError(Reason.MALFORMED, "an empty claim path selects nothing")
        result = _mark(result, path)
    out: dict[str, Any] = result
    return out
