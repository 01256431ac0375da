"""Holder side: choosing Disclosures and binding a presentation (RFC 9901 Sections 4.3 and 7.2).

The Holder processes its SD-JWT as in Section 7.1, learns where each Disclosure sits in the
payload, and selects the Disclosures for the claim paths a Verifier asked for — together
with their ancestors (a nested claim cannot be revealed without its parent) and
descendants (asking for ``address`` means the whole object). Section 7.2 step 2 holds by
construction: every selected Disclosure is referenced by the payload or another selected one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from idcore.errors import Reason, SdJwtError
from idcore.jose import parse_compact, sign_compact
from idcore.ports import Signer
from idcore.sdjwt.disclosure import Disclosure, digest
from idcore.sdjwt.serialization import parse_presentation
from idcore.sdjwt.verification import KB_TYP, process_payload

__all__ = ["HolderCredential"]

ClaimPath = Sequence[str | int | None]


def _matches(pattern: ClaimPath, path: Sequence[str | int]) -> bool:
    """True when ``pattern`` and ``path`` agree on their common prefix (``None`` = any index)."""
    for want, got in zip(pattern, path, strict=False):
        if want is None:
            if not isinstance(got, int):
                return False
        elif want != got:
            return False
    return True


@dataclass(frozen=True, slots=True)
class HolderCredential:
    """An issued SD-JWT as the Holder keeps it, with every Disclosure placed in the payload.

    Build it with :meth:`parse`, which processes (but does not verify the signature of) the
    SD-JWT: the Holder verifies the Issuer separately when it receives the credential.
    """

    issuer_jwt: str
    claims: dict[str, Any]
    disclosures: tuple[Disclosure, ...]
    paths: tuple[tuple[str | int, ...], ...]
    sd_alg: str

    @classmethod
    def parse(cls, sd_jwt: str) -> HolderCredential:
        """Process an issued SD-JWT; an SD-JWT+KB is refused (Section 7.2)."""
        parts = parse_presentation(sd_jwt)
        if parts.kb_jwt is not None:
            raise SdJwtError(Reason.KB_UNEXPECTED, "a Holder receives an SD-JWT, not an SD-JWT+KB")
        payload = parse_compact(parts.issuer_jwt).claims()
        sd_alg = payload.get("_sd_alg", "sha-256")
        processed = process_payload(payload, parts.disclosures, ("sha-256", "sha-384", "sha-512"))
        return cls(parts.issuer_jwt, processed.claims, processed.disclosures, processed.paths, sd_alg)

    def select(self, claim_paths: Iterable[ClaimPath]) -> list[Disclosure]:
        """The Disclosures needed to reveal the claims at ``claim_paths`` (and nothing else)."""
        patterns = [list(p) for p in claim_paths]
        return [
            d for d, path in zip(self.disclosures, self.paths, strict=True) if any(_matches(p, path) for p in patterns)
        ]

    def present(
        self,
        disclosures: Iterable[Disclosure],
        *,
        signer: Signer | None = None,
        aud: str | None = None,
        nonce: str | None = None,
        iat: int | None = None,
    ) -> str:
        """Assemble an SD-JWT (no ``signer``) or SD-JWT+KB for the chosen Disclosures."""
        chosen = list(disclosures)
        known = {d.encoded for d in self.disclosures}
        if any(d.encoded not in known for d in chosen):
            raise SdJwtError(Reason.UNREFERENCED_DISCLOSURE, "not a Disclosure of this credential")
        return create_presentation(
            self.issuer_jwt,
            [d.encoded for d in chosen],
            signer=signer,
            aud=aud,
            nonce=nonce,
            iat=iat,
            sd_alg=self.sd_alg,
        )


def make_kb_jwt(sd_jwt: str, signer: Signer, *, aud: str, nonce: str, iat: int, sd_alg: str = "sha-256") -> str:
    """Create a Key Binding JWT over ``<JWT>~<D1>~...~`` (Section 4.3)."""
    if not sd_jwt.endswith("~"):
        raise SdJwtError(Reason.MALFORMED, "sd_hash is computed over an SD-JWT ending in '~'")
    claims: Mapping[str, Any] = {"iat": iat, "aud": aud, "nonce": nonce, "sd_hash": digest(sd_jwt, sd_alg)}
    return sign_compact({"typ": KB_TYP}, claims, signer)


def create_presentation(
    issuer_jwt: str,
    disclosures: Sequence[str],
    *,
    signer: Signer | None = None,
    aud: str | None = None,
    nonce: str | None = None,
    iat: int | None = None,
    sd_alg: str = "sha-256",
) -> str:
    """Build ``<JWT>~<D...>~`` and, with a ``signer``, append the KB-JWT (``aud``, ``nonce``, ``iat`` required)."""
    if len(set(disclosures)) != len(disclosures):
        raise SdJwtError(Reason.DUPLICATE_DISCLOSURE, "a Disclosure may be sent only once")
    sd_jwt = "~".join((issuer_jwt, *disclosures)) + "~"
    if signer is None:
        return sd_jwt
    if aud is None or nonce is None or iat is None:
        raise SdJwtError(Reason.KB_INVALID, "a KB-JWT needs aud, nonce and iat")
    return sd_jwt + make_kb_jwt(sd_jwt, signer, aud=aud, nonce=nonce, iat=iat, sd_alg=sd_alg)
