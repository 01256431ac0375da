"""A leaf entity's OpenID Federation 1.0 entity configuration, signed once and reused (issue #16 item 2).

An entity configuration (OpenID Federation 1.0 Section 3.1, served at Section 9's
``/.well-known/openid-federation``) changes only with the entity's keys, its settings and the
trust marks it carries, yet anyone may ask for it. :class:`CachedConfiguration` signs it with the
entity's federation key and hands out the same signed statement until half its lifetime has
passed, so a flood of requests costs no signatures; it signs anew at once when the carried trust
marks change (a mark obtained, renewed, withdrawn or expired), so the configuration never carries
a mark the entity no longer holds. Issuer tenants and the verifier are built on it alike.

It adds the claims every configuration has (``iat``, ``exp``, ``jwks`` with the federation key,
``trust_marks`` when there are any); the caller gives the rest (``iss``, ``sub``,
``authority_hints``, ``metadata``). :func:`add_configuration_route` serves it, the same way for
every leaf entity: public, ``application/entity-statement+jwt``, cacheable five minutes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from idcore.jwk import public_key_from_jwk
from idcore.ports import Signer
from idcore.trust.federation import sign_entity_statement
from idcore.trust.federation_keys import normalise_jwk
from lintas.federation_fetch import MEDIA_TYPE

__all__ = ["CachedConfiguration", "add_configuration_route"]

#: Caches may keep a configuration briefly; a rotated key or a dropped mark reaches relying parties within this.
_CACHE = {"Cache-Control": "public, max-age=300"}

#: The carried trust marks (Section 3.1 ``trust_marks``): ``[{"trust_mark_type", "trust_mark"}]``.
Marks = Callable[[int], list[dict[str, str]]]


class CachedConfiguration:
    """One entity's configuration, signed with its federation entity key and reused; thread-safe."""

    def __init__(
        self, signer: Signer, lifetime: int, claims: Callable[[int], Mapping[str, Any]], marks: Marks | None = None
    ) -> None:
        """``signer`` is the entity's ES256 federation key; ``claims(now)`` the entity's own claims.

        ``marks(now)`` gives the trust marks to carry at ``now`` (none when not given).
        """
        self._signer = signer
        self.jwk = normalise_jwk(signer.public_jwk)
        public_key_from_jwk(self.jwk)  # a malformed key refuses start-up, not the first request
        self.lifetime = lifetime
        self._claims = claims
        self._marks = marks
        self._lock = threading.Lock()
        self._signed: tuple[str, int, list[dict[str, str]]] | None = None

    def statement_claims(self, now: int, marks: list[dict[str, str]]) -> dict[str, Any]:
        """Every claim of the configuration signed at ``now`` carrying ``marks``."""
        claims = {**self._claims(now), "iat": now, "exp": now + self.lifetime, "jwks": {"keys": [self.jwk]}}
        if marks:
            claims["trust_marks"] = marks
        return claims

    def configuration(self, now: int) -> str:
        """The signed configuration: re-signed after half its lifetime, or when the carried marks change."""
        marks = self._marks(now) if self._marks is not None else []
        with self._lock:
            signed = self._signed
            if signed is None or now - signed[1] >= self.lifetime // 2 or now < signed[1] or marks != signed[2]:
                token = sign_entity_statement(self.statement_claims(now, marks), self._signer, self.jwk["kid"])
                signed = self._signed = (token, now, marks)
            return signed[0]


def add_configuration_route(router: APIRouter, path: str, configuration: Callable[[], str]) -> None:
    """``GET path``: the entity configuration ``configuration()`` gives now (Section 9), public and cacheable."""
    media: dict[int | str, dict[str, Any]] = {200: {"content": {MEDIA_TYPE: {}}}}

    @router.get(
        path,
        response_class=Response,
        responses=media,
        summary="OpenID Federation entity configuration",
        tags=["metadata"],
    )
    def entity_configuration() -> Response:
        return Response(configuration(), media_type=MEDIA_TYPE, headers=_CACHE)
