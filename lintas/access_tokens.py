"""JWT access tokens (RFC 9068): the one path that mints and checks them, for every service.

The client-credentials server of the registry, issuers and verifier (:mod:`lintas.oauth`) and the
issuer's own Authorization Server (``issuer.tokens``, OpenID4VCI 1.0 Section 6) both mint through
:meth:`JwtAccessTokens.mint` and check through :meth:`JwtAccessTokens.verify`; each adds only its own
claims (``scope`` and ``client_id``; the credential grant and ``cnf``). The algorithm is the
signer's one algorithm, never the token's; ``typ`` must be ``at+jwt`` (Section 2.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from authlib.oauth2.rfc6750 import InvalidTokenError  # type: ignore[import-untyped]

from idcore.b64 import b64u_encode
from idcore.errors import IdcoreError
from idcore.jose import sign_compact, verify_compact
from idcore.jwk import public_key_from_jwk
from idcore.ports import Clock, RandomSource, Signer

__all__ = ["ACCESS_TOKEN_TYP", "MAX_TOKEN_CHARS", "InvalidTokenError", "JwtAccessTokens"]

ACCESS_TOKEN_TYP = "at+jwt"  # noqa: S105 - a media type, not a secret
#: Longest access token read at all (ours are well under 1 KiB).
MAX_TOKEN_CHARS = 8192


class JwtAccessTokens:
    """Mint and check JWT access tokens (RFC 9068) with one key: the one token path of every service.

    Header ``typ: at+jwt`` (and the key's ``kid`` if it has one); claims ``iss``, ``sub``, ``aud``,
    ``iat``, ``exp``, ``jti`` plus what the caller adds (Section 2.2). :meth:`verify` checks the
    signature under the signer's one algorithm, ``typ``, ``iss``, ``aud``, ``exp`` and ``iat``
    (Section 4) and raises authlib's ``InvalidTokenError`` (RFC 6750 ``invalid_token``).
    """

    def __init__(self, signer: Signer, clock: Clock, random: RandomSource, ttl: int) -> None:
        if ttl <= 0:
            raise ValueError("token_ttl must be positive")
        self.signer = signer
        self.ttl = ttl
        self._key = public_key_from_jwk(signer.public_jwk)
        self._clock = clock
        self._random = random

    def mint(self, *, issuer: str, audience: str, subject: str, claims: Mapping[str, Any]) -> str:
        """A signed access token; ``claims`` are added to the registered ones (and may not replace them)."""
        now = self._clock.now()
        registered = {
            "iss": issuer,
            "sub": subject,
            "aud": audience,
            "iat": now,
            "exp": now + self.ttl,
            "jti": b64u_encode(self._random.token_bytes(16)),
        }
        if set(claims) & set(registered):
            raise ValueError("extra claims may not replace the registered ones")
        header: dict[str, Any] = {"typ": ACCESS_TOKEN_TYP}
        if "kid" in self.signer.public_jwk:
            header["kid"] = self.signer.public_jwk["kid"]
        return sign_compact(header, {**registered, **claims}, self.signer)

    def verify(self, token: str, *, issuer: str, audience: str) -> dict[str, Any]:
        """The claims of a valid token for ``audience`` from ``issuer``; ``InvalidTokenError`` otherwise."""
        try:
            _, claims = verify_compact(
                token, self._key, algorithms=[self.signer.alg], typ=ACCESS_TOKEN_TYP, max_bytes=MAX_TOKEN_CHARS
            )
        except IdcoreError:
            raise InvalidTokenError("The access token is invalid.") from None
        now = self._clock.now()
        aud, exp, iat = claims.get("aud"), claims.get("exp"), claims.get("iat")
        if (
            claims.get("iss") != issuer
            or not (aud == audience or (isinstance(aud, list) and audience in aud))
            or not _is_int(exp)
            or not _is_int(iat)
        ):
            raise InvalidTokenError("The access token is invalid.")
        if exp <= now:
            raise InvalidTokenError("The access token has expired.")
        if iat > now + 60:  # issued in the future beyond clock skew: not ours
            raise InvalidTokenError("The access token is invalid.")
        return dict(claims)


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
