"""A scripted OpenID4VP 1.0 wallet that talks to the verifier over real sockets.

It does what a conforming wallet does (Sections 5, 5.10, 8.2, 8.3.1): parse the link, POST to the
``request_uri`` with a fresh ``wallet_nonce``, verify the Request Object against the pinned
relying-party CA, pick the requested disclosures, sign the KB-JWT with ``aud`` = full client_id
and the request ``nonce``, and post ``vp_token`` — encrypted to the request's ephemeral key for
``direct_post.jwt``. Hooks let tests tamper with any step.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography import x509

from idcore.b64 import json_dumps
from idcore.jose import KeySigner
from idcore.oid4vp import encrypt_compact, parse_request_link, verify_request_object
from idcore.ports import Clock
from idcore.sdjwt import HolderCredential

__all__ = ["AuthorizationRequest", "ScriptedWallet"]


@dataclass
class AuthorizationRequest:
    """A verified request as the wallet sees it."""

    claims: dict[str, Any]
    link: dict[str, str]

    @property
    def client_id(self) -> str:
        """The full Client Identifier (KB-JWT ``aud``)."""
        return str(self.claims["client_id"])


class ScriptedWallet:
    """One holder key, a set of credentials, and the protocol steps."""

    def __init__(self, http: httpx.Client, anchors: list[x509.Certificate], clock: Clock, holder: KeySigner) -> None:
        self.http = http
        self.anchors = anchors
        self.clock = clock
        self.holder = holder

    def fetch(self, link: str, *, wallet_nonce: str | None = None) -> AuthorizationRequest:
        """Resolve a link to a verified request (request_uri_method=post with wallet_nonce)."""
        params = parse_request_link(link)
        nonce = wallet_nonce or secrets.token_urlsafe(16)
        form = {"wallet_nonce": nonce, "wallet_metadata": '{"vp_formats_supported":{"dc+sd-jwt":{}}}'}
        response = self.http.post(
            params["request_uri"], data=form, headers={"Accept": "application/oauth-authz-req+jwt"}
        )
        response.raise_for_status()
        assert response.headers["content-type"].startswith("application/oauth-authz-req+jwt")
        claims = verify_request_object(
            response.text, client_id=params["client_id"], anchors=self.anchors, now=self.clock.now(), wallet_nonce=nonce
        )
        return AuthorizationRequest(claims, params)

    def present(
        self,
        request: AuthorizationRequest,
        credential: str,
        paths: list[list[str]] | None = None,
        *,
        aud: str | None = None,
        nonce: str | None = None,
        iat: int | None = None,
        signer: KeySigner | None = None,
    ) -> str:
        """An SD-JWT+KB disclosing ``paths`` (default: the claims the request's first query asks for)."""
        if paths is None:
            query = request.claims["dcql_query"]["credentials"][0]
            paths = [c["path"] for c in query.get("claims", [])]
        holder = HolderCredential.parse(credential)
        return holder.present(
            holder.select(paths),
            signer=signer or self.holder,
            aud=aud or request.client_id,
            nonce=nonce or request.claims["nonce"],
            iat=iat if iat is not None else self.clock.now(),
        )

    def response_form(
        self,
        request: AuthorizationRequest,
        vp_token: dict[str, list[str]],
        *,
        enc: str = "A256GCM",
        state: str | None = None,
        mutate: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, str]:
        """The form body for ``direct_post`` or ``direct_post.jwt``."""
        payload: dict[str, Any] = {"vp_token": vp_token, "state": state or request.claims["state"]}
        if mutate is not None:
            mutate(payload)
        if request.claims["response_mode"] == "direct_post.jwt":
            key = request.claims["client_metadata"]["jwks"]["keys"][0]
            jwe = encrypt_compact(json_dumps(payload), key, enc=enc, kid=key["kid"])
            return {"response": jwe}
        return {"vp_token": json_dumps(payload["vp_token"]).decode(), "state": payload["state"]}

    def post(self, request: AuthorizationRequest, form: dict[str, str]) -> httpx.Response:
        """Post a response to the request's ``response_uri``."""
        return self.http.post(request.claims["response_uri"], data=form)
