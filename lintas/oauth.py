"""OAuth 2.0 client credentials (RFC 6749 Section 4.4) issuing JWT access tokens (RFC 9068), and
bearer-token checks for protected routes (RFC 6750).

The grant machinery (client authentication by ``client_secret_basic`` / ``client_secret_post``,
RFC 6749 Section 2.3.1; grant dispatch; error classes of Section 5.2) is authlib's. This module adds:

* clients whose secrets are stored only as SHA-256 hex, compared with :func:`hmac.compare_digest`;
* per-client scopes (RFC 6749 Section 3.3; no ``scope`` requested means all of the client's scopes);
* access tokens signed with :func:`idcore.jose.sign_compact`, header ``typ: at+jwt``, claims ``iss``,
  ``sub``, ``aud`` (= the issuer), ``client_id``, ``scope``, ``iat``, ``exp``, ``jti`` (RFC 9068 Section 2);
* :meth:`ClientCredentialsServer.require`, a FastAPI dependency answering ``401 invalid_token`` or
  ``403 insufficient_scope`` with a ``WWW-Authenticate: Bearer`` challenge (RFC 6750 Section 3).

The core (:meth:`ClientCredentialsServer.token_response`, :meth:`ClientCredentialsServer.verify_token`)
knows no web framework; :meth:`~ClientCredentialsServer.router` and :meth:`~ClientCredentialsServer.require`
are thin FastAPI adapters.

Shared with the issuer's own Authorization Server (``issuer.authz``), so each thing exists once:
tokens are minted and checked by :class:`lintas.access_tokens.JwtAccessTokens` (re-exported here);
:class:`FormRequest` and :class:`NeutralAuthorizationServer` are the one adapter between authlib's
server and our already-parsed requests and ``(status, body, headers)`` answers.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from authlib.common.security import is_secure_transport  # type: ignore[import-untyped]
from authlib.oauth2.base import OAuth2Error  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749 import AuthorizationServer, ClientCredentialsGrant, OAuth2Request  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidRequestError, InvalidScopeError  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload  # type: ignore[import-untyped]
from authlib.oauth2.rfc6750 import InsufficientScopeError, InvalidTokenError  # type: ignore[import-untyped]
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from idcore.ports import Clock, RandomSource, Signer, SystemRandom
from lintas.access_tokens import ACCESS_TOKEN_TYP, MAX_TOKEN_CHARS, JwtAccessTokens
from lintas.problem import OAuthHTTPException

__all__ = [
    "ACCESS_TOKEN_TYP",
    "ClientCredentialsServer",
    "FormRequest",
    "InsufficientScopeError",
    "InvalidTokenError",
    "JwtAccessTokens",
    "NeutralAuthorizationServer",
    "OAuthClient",
    "TokenClaims",
    "hash_secret",
]

_MAX_FORM_BYTES = 16 * 1024


def hash_secret(secret: str) -> str:
    """SHA-256 hex of a client secret, the only form in which secrets are stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class OAuthClient:
    """A registered confidential client: id, SHA-256 hex of its secret, scopes it may request."""

    client_id: str
    secret_sha256: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class TokenClaims:
    """What a verified access token grants: the client and its scopes."""

    client_id: str
    scopes: frozenset[str]


class _AuthlibClient:
    """authlib's ClientMixin view of an :class:`OAuthClient` (client credentials only)."""

    def __init__(self, client: OAuthClient) -> None:
        self.client = client

    def get_client_id(self) -> str:
        return self.client.client_id

    def check_client_secret(self, client_secret: str) -> bool:
        presented = hash_secret(client_secret).encode("ascii")
        return hmac.compare_digest(presented, self.client.secret_sha256.lower().encode("ascii"))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


# Unknown client ids are checked against this unguessable hash, so that an unknown id and a
# wrong secret take the same path and give the same answer.
_NOBODY = OAuthClient("", hashlib.sha256(b"lintas: no client has this secret").hexdigest() + "!", frozenset())


class _Grant(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012

    def validate_requested_scope(self) -> None:
        allowed = self.request.client.client.scopes
        requested = self.request.payload.scope
        if requested is not None and not set(requested.split()) <= allowed:
            raise InvalidScopeError("The requested scope is not allowed for this client.")


class FormRequest(OAuth2Request):  # type: ignore[misc]
    """An already-parsed request for authlib: method, URL, headers and its form (or query) parameters.

    ``dpop_jkt`` is the JWK thumbprint of a DPoP proof the endpoint verified (RFC 9449 Section 5),
    for grants that bind the token to it; ``None`` when there was none.
    """

    def __init__(self, method: str, uri: str, headers: Mapping[str, str], params: dict[str, str]) -> None:
        super().__init__(method, uri, headers=headers)
        self.payload = BasicOAuth2Payload(params)
        self._params = params
        self.dpop_jkt: str | None = None

    @property
    def form(self) -> dict[str, str]:
        return self._params

    @property
    def args(self) -> dict[str, str]:
        return self._params


class NeutralAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """authlib's server with no web framework: takes :class:`FormRequest`, answers ``(status, body, headers)``.

    Subclasses register their grants and answer ``query_client``.
    """

    def save_token(self, token: Mapping[str, Any], request: Any) -> None:
        """JWT access tokens are self-contained: nothing to store."""

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signal system."""

    def create_oauth2_request(self, request: FormRequest) -> FormRequest:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
        return status, dict(body), dict(headers)


class _Authlib(NeutralAuthorizationServer):
    """authlib's server wired to our client list (client credentials only)."""

    def __init__(self, clients: Mapping[str, OAuthClient]) -> None:
        super().__init__()
        self._clients = clients
        self.register_grant(_Grant)

    def query_client(self, client_id: str) -> _AuthlibClient:
        return _AuthlibClient(self._clients.get(client_id, _NOBODY))


TokenResponse = tuple[int, dict[str, Any], dict[str, str]]


class ClientCredentialsServer:
    """Token endpoint for the client credentials grant plus bearer checks for protected routes."""

    def __init__(
        self,
        *,
        clients: Sequence[OAuthClient],
        signer: Signer,
        issuer: str,
        clock: Clock,
        token_ttl: int = 600,
        random: RandomSource | None = None,
    ) -> None:
        if not is_secure_transport(issuer):
            raise ValueError("the OAuth issuer must be an https URL (http only on loopback)")
        self.issuer = issuer.rstrip("/")
        self.token_endpoint = f"{self.issuer}/oauth/token"
        self._tokens = JwtAccessTokens(signer, clock, random or SystemRandom(), token_ttl)
        self._clients = {c.client_id: c for c in clients}
        self._authlib = _Authlib(self._clients)
        self._authlib.register_token_generator("default", self._generate_token)

    # --- token endpoint (framework-neutral) -----------------------------------------------------

    def token_response(self, headers: Mapping[str, str], form: Sequence[tuple[str, str]]) -> TokenResponse:
        """Answer a token request given its headers and form fields: ``(status, body, headers)``."""
        params: dict[str, str] = {}
        for name, value in form:
            if name in params:  # RFC 6749 Section 3.2: parameters MUST NOT repeat
                # A static description: authlib refuses descriptions with characters users may send.
                return self._error(InvalidRequestError("A parameter is repeated."))
            params[name] = value
        if not params.get("grant_type"):
            return self._error(InvalidRequestError("Missing 'grant_type' parameter."))
        # Header names are case-insensitive; a plain dict from another framework works too.
        authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
        if authorization is not None:
            if "client_secret" in params:  # Section 2.3: one authentication method only
                return self._error(InvalidRequestError("More than one client authentication method."))
            if not _well_formed_basic(authorization):
                return self._error(InvalidClientError(status_code=401))
        auth_header = {} if authorization is None else {"Authorization": authorization}
        request = FormRequest("POST", self.token_endpoint, auth_header, params)
        status, body, out_headers = self._authlib.create_token_response(request)
        if body.get("error") == "invalid_client":
            # Same answer for unknown client and wrong secret; 401 with a Basic challenge (Section 5.2).
            return self._error(InvalidClientError(status_code=401))
        return status, body, out_headers

    def _error(self, error: Any) -> TokenResponse:
        status, body, headers = self._authlib.handle_error_response(None, error)
        if body.get("error") == "invalid_client":
            body["error_description"] = "Client authentication failed."
            headers["WWW-Authenticate"] = f'Basic realm="{self.issuer}", error="invalid_client"'
        return status, body, headers

    def _generate_token(self, *, client: _AuthlibClient, scope: str | None, **_: Any) -> dict[str, Any]:
        granted = " ".join(sorted(client.client.scopes if scope is None else frozenset(scope.split())))
        client_id = client.client.client_id
        token = self._tokens.mint(
            issuer=self.issuer,
            audience=self.issuer,
            subject=client_id,
            claims={"client_id": client_id, "scope": granted},
        )
        return {"access_token": token, "token_type": "Bearer", "expires_in": self._tokens.ttl, "scope": granted}

    # --- bearer tokens (framework-neutral) ------------------------------------------------------

    def verify_token(self, token: str) -> TokenClaims:
        """Check signature, ``typ``, ``iss``, ``aud``, ``exp``, ``iat``; raise authlib ``InvalidTokenError``."""
        claims = self._tokens.verify(token, issuer=self.issuer, audience=self.issuer)
        scope, client_id = claims.get("scope"), claims.get("client_id")
        if not isinstance(client_id, str) or not isinstance(scope, str):
            raise InvalidTokenError("The access token is invalid.")
        return TokenClaims(client_id, frozenset(scope.split()))

    @staticmethod
    def check_scope(claims: TokenClaims, scope: str | Callable[[frozenset[str]], bool]) -> None:
        """Raise authlib ``InsufficientScopeError`` unless ``claims`` satisfy ``scope``."""
        allowed = scope(claims.scopes) if callable(scope) else scope in claims.scopes
        if not allowed:
            raise InsufficientScopeError("The access token lacks the required scope.")

    # --- FastAPI adapters -----------------------------------------------------------------------

    def router(self) -> APIRouter:
        """``POST /oauth/token`` (form-encoded; ``client_secret_basic`` or ``client_secret_post``)."""
        router = APIRouter()

        @router.post("/oauth/token", summary="OAuth 2.0 token endpoint (client credentials)")
        async def token(request: Request) -> JSONResponse:
            media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            body = await request.body()
            if media_type != "application/x-www-form-urlencoded":
                result = self._error(InvalidRequestError("Expected application/x-www-form-urlencoded."))
            elif len(body) > _MAX_FORM_BYTES:
                result = self._error(InvalidRequestError("Request body too large."))
            else:
                try:
                    form = parse_qsl(body.decode("ascii"), keep_blank_values=True, max_num_fields=50, errors="strict")
                except (UnicodeDecodeError, ValueError):
                    result = self._error(InvalidRequestError("Malformed form body."))
                else:
                    result = self.token_response(request.headers, form)
            status, payload, headers = result
            return JSONResponse(payload, status_code=status, headers=headers)

        return router

    def require(self, scope: str | Callable[[frozenset[str]], bool]) -> Callable[[Request], TokenClaims]:
        """FastAPI dependency: the bearer token's :class:`TokenClaims` if it is valid and has ``scope``.

        Missing token: 401 with a bare ``Bearer`` challenge (RFC 6750 Section 3.1: no error code);
        invalid or expired: 401 ``invalid_token``; valid without the scope: 403 ``insufficient_scope``.
        Use as ``Annotated[TokenClaims, Depends(server.require("scope"))]``; if the route lives in a
        function body, that module must not use ``from __future__ import annotations`` (FastAPI
        cannot resolve a local dependency from a string annotation).
        """

        def bearer_claims(request: Request) -> TokenClaims:
            token = _bearer_token(request.headers.get("authorization"))
            if token is None:
                raise OAuthHTTPException(
                    401, "invalid_token", "Missing bearer token.", {"WWW-Authenticate": self._challenge()}
                )
            try:
                claims = self.verify_token(token)
                self.check_scope(claims, scope)
            except OAuth2Error as err:
                needed = scope if isinstance(scope, str) and err.error == "insufficient_scope" else None
                challenge = self._challenge(err.error, err.description, needed)
                headers = {"WWW-Authenticate": challenge}
                raise OAuthHTTPException(err.status_code, err.error, err.description, headers) from None
            return claims

        return bearer_claims

    def _challenge(self, error: str | None = None, description: str | None = None, scope: str | None = None) -> str:
        # RFC 6750 Section 3: auth-params are quoted strings; our values never contain '"' or '\'.
        params = [f'realm="{self.issuer}"']
        if error:
            params.append(f'error="{error}"')
        if description:
            params.append(f'error_description="{description}"')
        if scope:
            params.append(f'scope="{scope}"')
        return "Bearer " + ", ".join(params)


_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


def _bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token68>`` header, ``""`` if malformed, else ``None``."""
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    return token if len(token) <= MAX_TOKEN_CHARS and _TOKEN68.fullmatch(token) else ""


def _well_formed_basic(authorization: str) -> bool:
    """Whether a header is ``Basic base64(client_id:secret)`` that authlib can read (RFC 7617)."""
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = binascii.a2b_base64(credentials.strip().encode("ascii"), strict_mode=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        return False
    return ":" in decoded
