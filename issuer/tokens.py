"""Access tokens of the issuer's Authorization Server: JWTs (RFC 9068, ``typ: at+jwt``).

Minted and checked by the runtime's one token path (:class:`lintas.access_tokens.JwtAccessTokens`:
signature under the signer's algorithm, ``typ``, ``iss``, ``aud``, ``exp``, ``iat``); this module
adds only the credential grant (OpenID4VCI 1.0 Section 6.2: ``credential_configuration_ids``,
``credential_identifiers``) and the DPoP binding. The Credential Issuer and its Authorization
Server are one process, so the token is checked with the same key that signed it; ``iss`` and
``aud`` are the Credential Issuer Identifier, so a token of the PID issuer is useless at the
business issuer next door. A DPoP-bound token carries ``cnf.jkt`` (RFC 9449 Section 6.1) and is
accepted only with a matching proof.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from idcore.ports import Clock, RandomSource, Signer
from lintas.access_tokens import ACCESS_TOKEN_TYP, InvalidTokenError, JwtAccessTokens

__all__ = ["ACCESS_TOKEN_TYP", "AccessClaims", "AccessTokens", "InvalidAccessToken"]


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
    """Mint and verify the issuer's access tokens (the credential grant over :class:`JwtAccessTokens`)."""

    def __init__(self, signer: Signer, clock: Clock, random: RandomSource, ttl: int) -> None:
        self._jwt = JwtAccessTokens(signer, clock, random, ttl)
        self.signer = signer
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
        claims: dict[str, Any] = {"credential_configuration_ids": list(configuration_ids)}
        if client_id is not None:
            claims["client_id"] = client_id
        if jkt is not None:
            claims["cnf"] = {"jkt": jkt}
        if credential_identifiers:
            claims["credential_identifiers"] = list(credential_identifiers)
        return self._jwt.mint(issuer=audience, audience=audience, subject=subject_id, claims=claims)

    def verify(self, token: str, audience: str) -> AccessClaims:
        """Check the token (:meth:`JwtAccessTokens.verify`) and its grant; raise :class:`InvalidAccessToken`."""
        try:
            claims = self._jwt.verify(token, issuer=audience, audience=audience)
        except InvalidTokenError as exc:
            raise InvalidAccessToken(str(exc.description)) from None
        sub, configs = claims.get("sub"), claims.get("credential_configuration_ids")
        if not isinstance(sub, str) or not isinstance(configs, list):
            raise InvalidAccessToken("The access token lacks its grant.")
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
