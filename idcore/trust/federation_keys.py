"""Issuers' federation entity keys as the registry publishes them (issue #16 item 2).

A trust anchor's subordinate statement about an issuer carries the issuer's *federation entity
keys* (OpenID Federation 1.0, the ``jwks`` claim): the keys that sign the issuer's own entity
configuration. A member state's operator registers them for its issuers; the registry publishes
them, signed, in the recognition list beside each trust list (so they are in the audit log and
every replica serves the same), and issues statements with them.

Each key is a public EC P-256 JWK (ES256, the federation's only algorithm here) whose ``kid`` is
its RFC 7638 thumbprint; private members are refused; at most :data:`MAX_FEDERATION_KEYS` per
issuer (the current key and the next, for a rotation).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from idcore.errors import IdcoreError, Reason, TrustError
from idcore.jwk import jwk_thumbprint, public_key_from_jwk

__all__ = ["MAX_FEDERATION_KEYS", "FederationKeys", "normalise_jwk", "parse_key_set"]

MAX_FEDERATION_KEYS = 2
_PUBLIC_MEMBERS = ("kty", "crv", "x", "y")


def _invalid(detail: str) -> TrustError:
    return TrustError(Reason.TRUST_LIST_INVALID, detail)


def normalise_jwk(jwk: Any) -> dict[str, str]:
    """The public EC P-256 JWK ``jwk`` with only its public members and ``kid`` = its thumbprint."""
    if not isinstance(jwk, Mapping) or jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise _invalid("a federation key is an EC P-256 public JWK")
    try:
        public_key_from_jwk(jwk)  # validates the point and refuses private members
    except IdcoreError as exc:
        raise _invalid(f"federation key: {exc.reason.value}: {exc.detail}") from None
    public = {m: str(jwk[m]) for m in _PUBLIC_MEMBERS}
    kid = jwk_thumbprint(public)
    if "kid" in jwk and jwk["kid"] != kid:
        raise _invalid("a federation key's kid must be its RFC 7638 thumbprint")
    return {**public, "kid": kid}


def parse_key_set(raw: Any, owner: str) -> tuple[dict[str, str], ...]:
    """1 to :data:`MAX_FEDERATION_KEYS` distinct public P-256 keys of ``owner``, checked by :func:`normalise_jwk`."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_FEDERATION_KEYS:
        raise _invalid(f"{owner}: 1 to {MAX_FEDERATION_KEYS} federation keys")
    keys = tuple(normalise_jwk(k) for k in raw)
    if len({k["kid"] for k in keys}) != len(keys):
        raise _invalid(f"{owner}: a federation key is listed twice")
    return keys


@dataclass(frozen=True, slots=True)
class FederationKeys:
    """The federation entity keys registered for one issuer."""

    issuer_id: str
    keys: tuple[Mapping[str, str], ...]

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {"issuer": self.issuer_id, "keys": [dict(k) for k in self.keys]}

    @classmethod
    def from_json(cls, value: Any) -> FederationKeys:
        """Parse and check (1 to :data:`MAX_FEDERATION_KEYS` distinct public P-256 keys)."""
        if not isinstance(value, dict) or set(value) != {"issuer", "keys"} or not isinstance(value["issuer"], str):
            raise _invalid("federation keys are {issuer, keys}")
        return cls(value["issuer"], parse_key_set(value["keys"], value["issuer"]))
