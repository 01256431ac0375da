"""Validly signed, oddly shaped SD-JWT VC presentations (RFC 9901, SD-JWT VC) for the verifier fuzz tests.

A garbled signature stops at the first check; the checks behind it (disclosure processing,
registry, status, validity, holder binding, DCQL, policy) only ever see tokens that a trusted
issuer really signed. :class:`Forge` signs whatever payload, header, Disclosures and KB-JWT
claims a test asks for with a trusted issuer's key of the test world, so that those later checks
meet hostile values too. Nothing here validates: that is the point.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from idcore.b64 import b64u_encode, json_dumps
from idcore.jose import KeySigner, sign_compact
from idcore.trust.vct import VCT_PID
from idcore.x509 import x5c_from_certificates
from tests.verifier.world import PID_CLAIMS, T0, World, new_key

__all__ = ["Forge", "Parts", "sd_hash"]


def _digest(text: str) -> str:
    return b64u_encode(hashlib.sha256(text.encode("ascii")).digest())


def sd_hash(sd_jwt: str) -> str:
    """The KB-JWT ``sd_hash`` of ``<JWT>~<D1>~...~`` with SHA-256 (RFC 9901 Section 4.3.1)."""
    return _digest(sd_jwt)


@dataclass
class Parts:
    """Everything a forged presentation is made of; tests change any member before :meth:`Forge.build`."""

    header: dict[str, Any]
    payload: dict[str, Any]
    disclosures: list[Any]  # JSON values, encoded as Disclosures as they are (even when not [salt, name, value])
    kb_header: dict[str, Any] = field(default_factory=lambda: {"typ": "kb+jwt"})
    kb_claims: dict[str, Any] = field(default_factory=dict)
    with_kb: bool = True


class Forge:
    """Signs presentations as the world's ``sg-pid`` issuer, bound to one holder key."""

    def __init__(self, world: World, slug: str = "sg-pid") -> None:
        self.world = world
        self.issuer = world.issuers[slug]
        self.holder = KeySigner(new_key())
        self.slug = slug

    def parts(self, *, nonce: str, aud: str, claims: Mapping[str, Any] = PID_CLAIMS) -> Parts:
        """A genuine presentation's parts: every claim disclosed, status index 0 (valid), KB-JWT over it."""
        disclosures: list[Any] = [[f"salt-{i}", name, value] for i, (name, value) in enumerate(claims.items())]
        payload = {
            "iss": self.issuer.issuer_id,
            "vct": VCT_PID,
            "iat": T0 - 86400,
            "exp": T0 + 365 * 86400,
            "cnf": {"jwk": dict(self.holder.public_jwk)},
            "_sd_alg": "sha-256",
            "status": {"status_list": {"idx": 0, "uri": self.world.status_uri(self.slug)}},
        }
        header = {"typ": "dc+sd-jwt", "x5c": x5c_from_certificates(self.issuer.chain)}
        kb_claims = {"iat": T0, "aud": aud, "nonce": nonce}
        return Parts(header, payload, disclosures, kb_claims=kb_claims)

    def build(self, parts: Parts) -> str:
        """Sign ``parts``: ``_sd`` lists the digest of every Disclosure unless the payload already has one."""
        encoded = [b64u_encode(json_dumps(d)) for d in parts.disclosures]
        payload = dict(parts.payload)
        payload.setdefault("_sd", sorted(_digest(e) for e in encoded))
        issuer_jwt = sign_compact(parts.header, payload, self.issuer.signer)
        sd_jwt = "~".join([issuer_jwt, *encoded]) + "~"
        if not parts.with_kb:
            return sd_jwt
        kb_claims = {"sd_hash": sd_hash(sd_jwt), **parts.kb_claims}
        return sd_jwt + sign_compact(parts.kb_header, kb_claims, self.holder)
