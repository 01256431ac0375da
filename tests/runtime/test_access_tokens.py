"""The one JWT access-token path (RFC 9068) shared by every service's OAuth code.

:class:`lintas.access_tokens.JwtAccessTokens` mints for both the client-credentials server
(:mod:`lintas.oauth`) and the issuer's Authorization Server (``issuer.tokens``). A minted token
verifies; each twin (another issuer or audience, expired, issued in the future, another key,
``typ`` other than ``at+jwt``, a registered claim smuggled in through the extras) fails.
"""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.b64 import b64u_decode
from idcore.jose import KeySigner, parse_compact, sign_compact
from idcore.ports import FixedClock, SystemRandom
from lintas.access_tokens import ACCESS_TOKEN_TYP, InvalidTokenError, JwtAccessTokens

T0 = 1_800_000_000
ISSUER = "https://issuer.example/sg"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def tokens(clock: FixedClock) -> JwtAccessTokens:
    return JwtAccessTokens(KeySigner(ec.generate_private_key(ec.SECP256R1())), clock, SystemRandom(), 600)


def test_a_minted_token_carries_the_registered_claims_and_verifies(tokens: JwtAccessTokens) -> None:
    token = tokens.mint(issuer=ISSUER, audience=ISSUER, subject="s1", claims={"scope": "a b"})
    parsed = parse_compact(token)
    assert parsed.header["typ"] == ACCESS_TOKEN_TYP
    claims = tokens.verify(token, issuer=ISSUER, audience=ISSUER)
    assert (claims["iss"], claims["aud"], claims["sub"], claims["scope"]) == (ISSUER, ISSUER, "s1", "a b")
    assert (claims["iat"], claims["exp"]) == (T0, T0 + 600)
    assert len(b64u_decode(claims["jti"])) == 16
    other = tokens.mint(issuer=ISSUER, audience=ISSUER, subject="s1", claims={})
    assert tokens.verify(other, issuer=ISSUER, audience=ISSUER)["jti"] != claims["jti"]


def test_a_token_is_refused_for_another_issuer_or_audience(tokens: JwtAccessTokens) -> None:
    token = tokens.mint(issuer=ISSUER, audience=ISSUER, subject="s1", claims={})
    for issuer, audience in ((ISSUER + "/business", ISSUER), (ISSUER, ISSUER + "/business")):
        with pytest.raises(InvalidTokenError):
            tokens.verify(token, issuer=issuer, audience=audience)


def test_a_token_is_refused_once_expired_or_if_issued_in_the_future(tokens: JwtAccessTokens, clock: FixedClock) -> None:
    token = tokens.mint(issuer=ISSUER, audience=ISSUER, subject="s1", claims={})
    clock.advance(599)
    assert tokens.verify(token, issuer=ISSUER, audience=ISSUER)
    clock.advance(1)
    with pytest.raises(InvalidTokenError, match="expired"):
        tokens.verify(token, issuer=ISSUER, audience=ISSUER)
    early = JwtAccessTokens(tokens.signer, FixedClock(T0 + 3600), SystemRandom(), 600)
    future = early.mint(issuer=ISSUER, audience=ISSUER, subject="s1", claims={})
    with pytest.raises(InvalidTokenError):
        JwtAccessTokens(tokens.signer, FixedClock(T0 + 3600 - 61), SystemRandom(), 600).verify(
            future, issuer=ISSUER, audience=ISSUER
        )


def _resigned(token: str, signer: KeySigner, header: dict[str, Any]) -> str:
    return sign_compact(header, parse_compact(token).claims(), signer)


def test_a_token_of_another_key_or_typ_is_refused(tokens: JwtAccessTokens) -> None:
    token = tokens.mint(issuer=ISSUER, audience=ISSUER, subject="s1", claims={})
    assert isinstance(tokens.signer, KeySigner)
    assert tokens.verify(_resigned(token, tokens.signer, {"typ": "at+jwt"}), issuer=ISSUER, audience=ISSUER)
    forged = [
        _resigned(token, KeySigner(ec.generate_private_key(ec.SECP256R1())), {"typ": "at+jwt"}),
        _resigned(token, tokens.signer, {"typ": "JWT"}),
        _resigned(token, tokens.signer, {}),
    ]
    for bad in forged:
        with pytest.raises(InvalidTokenError):
            tokens.verify(bad, issuer=ISSUER, audience=ISSUER)


@pytest.mark.parametrize("claim", ["iss", "sub", "aud", "iat", "exp", "jti"])
def test_extra_claims_may_not_replace_the_registered_ones(tokens: JwtAccessTokens, claim: str) -> None:
    with pytest.raises(ValueError, match="registered"):
        tokens.mint(issuer=ISSUER, audience=ISSUER, subject="s1", claims={claim: "x"})


def test_a_non_positive_lifetime_is_refused(tokens: JwtAccessTokens) -> None:
    with pytest.raises(ValueError, match="token_ttl"):
        JwtAccessTokens(tokens.signer, FixedClock(T0), SystemRandom(), 0)
