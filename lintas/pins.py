"""Several registry pins at once: the current list-signing certificate and the next one.

A registry rotating its list-signing key publishes the new certificate's SHA-256 ahead of the
switch; verifiers pin both (``LINTAS_VERIFIER_REGISTRY_PIN_SHA256=<current>,<next>``) and drop the
old one afterwards, so no verifier is ever without a list it can check. The wallet demo pins the
registry the same way to learn which relying-party CAs the member states list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.errors import Reason, TrustError
from idcore.trust import TrustListPin

__all__ = ["pin_set"]


@dataclass(frozen=True, slots=True)
class PinSet(TrustListPin):
    """A :class:`TrustListPin` that accepts a certificate matching any one of ``pins``.

    Subclassed (not a new type) because :func:`idcore.trust.verify_trust_list` asks its pin to
    ``check`` the signing certificate; the base fields hold the first pin only to satisfy its
    exactly-one rule, and :meth:`check` consults every pin.
    """

    pins: tuple[TrustListPin, ...] = ()

    def check(self, cert: x509.Certificate) -> ec.EllipticCurvePublicKey:
        """Return the certificate's key if it matches one of the pins; ``trust_list_invalid`` otherwise."""
        for pin in self.pins:  # each comparison is constant-time (TrustListPin.check)
            try:
                return pin.check(cert)
            except TrustError:
                continue
        raise TrustError(Reason.TRUST_LIST_INVALID, "list not signed by a pinned registry key")


def pin_set(certificate_sha256: Sequence[str]) -> PinSet:
    """Pins from certificate hashes (hex); an empty sequence is refused (it would trust nobody, silently)."""
    if not certificate_sha256:
        raise TrustError(Reason.BAD_KEY, "at least one registry pin is needed")
    pins = tuple(TrustListPin(certificate_sha256=h) for h in certificate_sha256)
    return PinSet(certificate_sha256=certificate_sha256[0], pins=pins)
