"""Shared pieces of the parser-limit tests: the services' body caps, a tracemalloc probe, signed inputs.

Keys are generated at test time; nothing here is ever committed key material.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from idcore.b64 import b64u_encode, json_dumps
from idcore.errors import IdcoreError
from idcore.jose import KeySigner, sign_compact
from idcore.ports import FixedClock
from idcore.sdjwt import VerifyOptions
from idcore.sdjwt.disclosure import digest
from issuer.app import MAX_BODY_BYTES as ISSUER_BODY_CAP
from trust_registry.app import MAX_BODY_BYTES as REGISTRY_BODY_CAP
from verifier.app import MAX_BODY_BYTES as VERIFIER_BODY_CAP

__all__ = [
    "ISSUER_BODY_CAP",
    "NOW",
    "REGISTRY_BODY_CAP",
    "VERIFIER_BODY_CAP",
    "Outcome",
    "assert_refused_cheaply",
    "digests_of",
    "disclosure",
    "measure",
    "new_signer",
    "options",
    "sd_jwt",
]

NOW = 1_800_000_000
#: "A small multiple" of the input: what a parser may allocate while refusing it (issue 12).
FACTOR = 4


@dataclass(frozen=True)
class Outcome:
    """What a call returned or raised, and the peak of Python allocations while it ran."""

    value: Any
    error: IdcoreError | None
    peak: int

    @property
    def reason(self) -> str | None:
        """The IdcoreError reason code, or None when the call succeeded."""
        return None if self.error is None else self.error.reason.value


def measure(call: Callable[[], Any]) -> Outcome:
    """Run ``call`` under tracemalloc (inputs are built before, so only the parser's own work counts)."""
    gc.collect()
    tracemalloc.start()
    try:
        try:
            value, error = call(), None
        except IdcoreError as exc:
            value, error = None, exc
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return Outcome(value, error, peak)


def assert_refused_cheaply(
    call: Callable[[], Any], reason: str, input_size: int, *, extra: int = 0, factor: int = FACTOR
) -> Outcome:
    """``call`` raises ``reason`` and allocates at most ``factor`` x ``input_size`` (+ ``extra``) bytes."""
    outcome = measure(call)
    assert outcome.reason == reason, (outcome.reason, outcome.error)
    budget = factor * input_size + extra
    assert outcome.peak <= budget, f"peak {outcome.peak} bytes > {budget} for a {input_size}-byte input"
    return outcome


def new_signer() -> KeySigner:
    """A fresh P-256 issuer key."""
    return KeySigner(ec.generate_private_key(ec.SECP256R1()))


def options(max_bytes: int | None = None) -> VerifyOptions:
    """Generic SD-JWT policy at NOW without key binding (the limits under test come before KB)."""
    if max_bytes is None:
        return VerifyOptions(clock=FixedClock(NOW), typ="dc+sd-jwt")
    return VerifyOptions(clock=FixedClock(NOW), typ="dc+sd-jwt", max_bytes=max_bytes)


def disclosure(salt: str, *content: Any) -> str:
    """A Disclosure ``[salt, (name,) value]``."""
    return b64u_encode(json_dumps([salt, *content]))


def sd_jwt(signer: KeySigner, claims: dict[str, Any], disclosures: Sequence[str] = ()) -> str:
    """A validly signed compact SD-JWT (no KB) over ``claims`` with ``disclosures`` appended."""
    body = {"iss": "https://issuer.example", "vct": "https://vct.example/pid", "iat": NOW - 60, **claims}
    jwt = sign_compact({"typ": "dc+sd-jwt"}, body, signer)
    return "~".join((jwt, *disclosures)) + "~"


def digests_of(disclosures: Sequence[str]) -> list[str]:
    """The ``_sd`` digests referencing ``disclosures``."""
    return [digest(d) for d in disclosures]
