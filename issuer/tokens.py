"""Access tokens of the issuer's Authorization Server: JWTs (RFC 9068, ``typ: at+jwt``).

The Credential Issuer and its Authorization Server are one process, so the token is checked
with the same key that signed it; ``aud`` is the Credential Issuer Identifier, so a token of the
PID issuer is useless at the business issuer next door. A DPoP-bound token carries
``cnf.jkt`` (RFC 9449 Section 6.1) and is accepted only with a matching proof.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from idcore.b64 import b64u_encode
from idcore.errors import IdcoreError
from idcore.jose import sign_compact, verify_compact
from idcore.jwk import public_key_from_jwk
from idcore.ports import Clock, RandomSource, Signer

__all__ = ["ACCESS_TOKEN_TYP", "AccessClaims", "AccessTokens", "InvalidAccessToken"]

ACCESS_TOKEN_TYP = "at+jwt"  # noqa: S105 - a media type, not a secret


class InvalidAccessToken(Exception):
    """The access token is malformed, expired, for another audience or badly signed."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What a verified access token authorises."""

    subject_id: str
    configuration_ids: tuple[str, ...]
    client_id: str | None
    jkt: str | None
    jti: str
    #: Credential Dataset identifiers returned in the token response's authorization_details (Section 6.2).
    credential_identifiers: tuple[str, ...] = ()


class AccessTokens:
    """Mint and verify the issuer's access tokens."""

    def __init__(self, signer: Signer, clock: Clock, random: RandomSource, ttl: int) -> None:
        self.signer = signer
        self._key = public_key_from_jwk(signer.public_jwk)
        self._clock = clock
        self._random = random
        self.ttl = ttl

    def mint(
        self,
        audience: str,
        subject_id: str,
        configuration_ids: Sequence[str],
        client_id: str | None,
        jkt: str | None,
        credential_identifiers: Sequence[str] = (),
    ) -> str:
        """A signed access token for ``audience`` (the Credential Issuer Identifier)."""
        now = self._clock.now()
        claims: dict[str, Any] = {
            "iss": audience,
            "aud": audience,
            "sub": subject_id,
            "iat": now,
            "exp": now + self.ttl,
            "jti": b64u_encode(self._random.token_bytes(16)),
            "credential_configuration_ids": list(configuration_ids),
        }
        if client_id is not None:
            claims["client_id"] = client_id
        if jkt is not None:
            claims["cnf"] = {"jkt": jkt}
        if credential_identifiers:
            claims["credential_identifiers"] = list(credential_identifiers)
        return sign_compact({"typ": ACCESS_TOKEN_TYP}, claims, self.signer)

    def verify(self, token: str, audience: str) -> AccessClaims:
        """Check signature, ``typ``, ``iss``/``aud`` and expiry; raise :class:`InvalidAccessToken`."""
        try:
            _, claims = verify_compact(
                token, self._key, algorithms=[self.signer.alg], typ=ACCESS_TOKEN_TYP, max_bytes=8192
            )
        except IdcoreError:
            raise InvalidAccessToken("access token is invalid") from None
        exp, sub, configs = claims.get("exp"), claims.get("sub"), claims.get("credential_configuration_ids")
        if claims.get("aud") != audience or claims.get("iss") != audience:
            raise InvalidAccessToken("access token is for another issuer")
        if not isinstance(exp, int) or exp <= self._clock.now():
            raise InvalidAccessToken("access token expired")
        if not isinstance(sub, str) or not isinstance(configs, list):
            raise InvalidAccessToken("access token lacks its grant")
        cnf = claims.get("cnf")
        jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
        client_id = claims.get("client_id")
        identifiers = claims.get("credential_identifiers", [])
        return AccessClaims(
            sub,
            tuple(str(c) for c in configs),
            client_id if isinstance(client_id, str) else None,
            jkt if isinstance(jkt, str) else None,
            str(claims.get("jti")),
            tuple(str(i) for i in identifiers) if isinstance(identifiers, list) else (),
        )
