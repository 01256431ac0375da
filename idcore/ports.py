"""Ports: the small interfaces through which idcore meets time, randomness, keys and the network.

idcore never reads the wall clock, the OS random source or the network directly in its
verification logic: callers pass a :class:`Clock`, a :class:`RandomSource`, a
:class:`Signer` and, where a lookup needs the network, a resolver implemented by a service.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "Clock",
    "FixedClock",
    "RandomSource",
    "Signer",
    "SystemClock",
    "SystemRandom",
]


@runtime_checkable
class Clock(Protocol):
    """Current time as integer seconds since the epoch (NumericDate, RFC 7519 Section 2)."""

    def now(self) -> int:
        """Return the current time in seconds since the epoch."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> int:
        """Return ``int(time.time())``."""
        return int(time.time())


@dataclass
class FixedClock:
    """A clock that tests set and advance explicitly."""

    t: int

    def now(self) -> int:
        """Return the fixed time."""
        return self.t

    def advance(self, seconds: int) -> None:
        """Move the clock forward by ``seconds``."""
        self.t += seconds


@runtime_checkable
class RandomSource(Protocol):
    """Cryptographically strong randomness (salts, nonces, indices)."""

    def token_bytes(self, n: int) -> bytes:
        """Return ``n`` random bytes."""
        ...


class SystemRandom:
    """Randomness from the OS CSPRNG via :mod:`secrets`."""

    def token_bytes(self, n: int) -> bytes:
        """Return ``n`` bytes from :func:`secrets.token_bytes`."""
        return secrets.token_bytes(n)


@runtime_checkable
class Signer(Protocol):
    """A private key that signs JWS signing inputs; it may live in a file or an HSM.

    ``sign`` returns the JWS signature value (for ECDSA the fixed-size ``R || S`` form of
    RFC 7518 Section 3.4, not DER).
    """

    @property
    def alg(self) -> str:
        """The JWS ``alg`` this key signs with (``ES256``, ``ES384``, ``EdDSA``)."""
        ...

    @property
    def public_jwk(self) -> Mapping[str, Any]:
        """The public key as a JWK (RFC 7517), without private members."""
        ...

    def sign(self, signing_input: bytes) -> bytes:
        """Sign ``signing_input`` and return the JWS signature bytes."""
        ...
