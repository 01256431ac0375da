"""The OAuth 2.0 Authorization Server of one Credential Issuer, on authlib.

authlib (framework-neutral core) runs grant dispatch, client checks, redirect URI and scope
validation, authorization code issuance and PKCE (RFC 7636, ``CodeChallenge``), restricted here to
``S256``. Added on top, per OpenID4VCI 1.0:

* the Pre-Authorized Code grant ``urn:ietf:params:oauth:grant-type:pre-authorized_code``
  (Section 6.1) as an authlib grant: single-use code, ``tx_code`` with a limited number of
  attempts (Section 13.6 "Transaction Code Phishing"), anonymous access allowed (Section 12.3);
* the framework-neutral adapter (:class:`lintas.oauth.NeutralAuthorizationServer`,
  :class:`lintas.oauth.FormRequest`) the runtime's client-credentials server uses too;
* tokens minted by :class:`issuer.tokens.AccessTokens` over the runtime's one token path,
  DPoP-bound (``token_type: DPoP``) when the token request carried a verified DPoP proof
  (RFC 9449 Section 5).

PAR (RFC 9126) is hand-written in :mod:`issuer.routes.authorize`: authlib ships no PAR endpoint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.base import OAuth2Error  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749 import ClientMixin  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749.errors import (  # type: ignore[import-untyped]
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, BaseGrant  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749.grants.base import TokenEndpointMixin  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import CodeChallenge  # type: ignore[import-untyped]

from idcore.b64 import b64u_encode
from idcore.oid4vci.messages import PRE_AUTHORIZED_GRANT
from idcore.ports import RandomSource
from issuer.storage.records import IssuerRecords, tx_code_matches
from issuer.tokens import AccessTokens
from lintas.oauth import FormRequest, NeutralAuthorizationServer

__all__ = ["AuthzGrant", "TenantAuthorizationServer", "WalletClient"]

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "[::1]"})


@dataclass(frozen=True, slots=True)
class AuthzGrant:
    """What the End-User (or the operator's offer) authorised: a subject and credential configurations."""

    subject_id: str
    configuration_ids: tuple[str, ...]


class WalletClient(ClientMixin):  # type: ignore[misc]
    """A public wallet client (no secret, ``token_endpoint_auth_method: none``)."""

    def __init__(self, client_id: str, redirect_uris: list[str], allow_loopback: bool) -> None:
        self.client_id = client_id
        self.redirect_uris = redirect_uris
        self.allow_loopback = allow_loopback

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope: str | None) -> str:
        return scope or ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        if redirect_uri in self.redirect_uris:
            return True
        # Development: a wallet on any loopback port (RFC 8252 Section 7.3 allows the port to vary).
        parts = urlsplit(redirect_uri)
        return self.allow_loopback and parts.scheme == "http" and parts.netloc.rsplit(":", 1)[0] in _LOOPBACK

    def check_client_secret(self, client_secret: str) -> bool:
        return False

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


class _MintMixin:
    """Grants mint our JWT access tokens, DPoP-bound when the request proved a key."""

    request: FormRequest
    server: TenantAuthorizationServer

    def generate_token(self, user: AuthzGrant | None = None, **_: Any) -> dict[str, Any]:
        assert user is not None  # noqa: S101 - grants set the user before minting
        client = self.request.client
        details = parse_authorization_details(self.request.form.get("authorization_details"), user)
        return self.server.mint(user, client.get_client_id() if client else None, self.request.dpop_jkt, details)


class InvalidAuthorizationDetailsError(OAuth2Error):  # type: ignore[misc]
    """RFC 9396 Section 5: the ``authorization_details`` are malformed or not granted."""

    error = "invalid_authorization_details"


def parse_authorization_details(raw: str | None, grant: AuthzGrant) -> list[dict[str, Any]] | None:
    """Validate ``authorization_details`` of type ``openid_credential`` in a Token Request (Section 5.1.1, 6.1).

    Each entry must name a ``credential_configuration_id`` the grant covers (a subset may be asked for).
    """
    if raw is None:
        return None
    try:
        details = json.loads(raw)
    except ValueError:
        raise InvalidAuthorizationDetailsError("authorization_details is not JSON") from None
    if not isinstance(details, list) or not details:
        raise InvalidAuthorizationDetailsError("authorization_details must be a non-empty array")
    for entry in details:
        if not isinstance(entry, dict) or entry.get("type") != "openid_credential":
            raise InvalidAuthorizationDetailsError("only type openid_credential is supported")
        if entry.get("credential_configuration_id") not in grant.configuration_ids:
            raise InvalidAuthorizationDetailsError("credential_configuration_id not covered by this grant")
    return [dict(entry) for entry in details]


class _S256Only(CodeChallenge):  # type: ignore[misc]
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 - authlib's class attribute
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"


@dataclass
class _StoredCode:
    record: dict[str, Any]

    def get_redirect_uri(self) -> str | None:
        return self.record.get("redirect_uri")

    def get_scope(self) -> str:
        return str(self.record.get("scope", ""))

    @property
    def code_challenge(self) -> str | None:
        return self.record.get("code_challenge")

    @property
    def code_challenge_method(self) -> str | None:
        return self.record.get("code_challenge_method")


class _AuthorizationCode(_MintMixin, AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]  # noqa: RUF012 - authlib's class attribute

    def generate_authorization_code(self) -> str:
        return b64u_encode(self.server.random.token_bytes(32))

    def save_authorization_code(self, code: str, request: FormRequest) -> None:
        user: AuthzGrant = request.user
        record = {
            "client_id": request.client.get_client_id(),
            "redirect_uri": request.payload.redirect_uri,
            "scope": request.scope,
            "code_challenge": request.payload.data.get("code_challenge"),
            "code_challenge_method": request.payload.data.get("code_challenge_method", "S256"),
            "subject_id": user.subject_id,
            "configuration_ids": list(user.configuration_ids),
        }
        self.server.records.put_secret(self.server.kind("authcode"), code, record, ttl=300)

    def query_authorization_code(self, code: str, client: WalletClient) -> _StoredCode | None:
        # Consumed on first presentation: a replayed code finds nothing (RFC 6749 Section 4.1.2).
        record = self.server.records.take_secret(self.server.kind("authcode"), code)
        if record is None or record.get("client_id") != client.get_client_id():
            return None
        return _StoredCode(record)

    def delete_authorization_code(self, authorization_code: _StoredCode) -> None:
        """Already consumed by :meth:`query_authorization_code`."""

    def authenticate_user(self, authorization_code: _StoredCode) -> AuthzGrant:
        record = authorization_code.record
        return AuthzGrant(str(record["subject_id"]), tuple(record["configuration_ids"]))


class _PreAuthorizedCode(_MintMixin, BaseGrant, TokenEndpointMixin):  # type: ignore[misc]
    GRANT_TYPE = PRE_AUTHORIZED_GRANT
    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]  # noqa: RUF012 - authlib's class attribute

    def validate_token_request(self) -> None:
        form = self.request.form
        code = form.get("pre-authorized_code")
        if not code:
            raise InvalidRequestError("Missing 'pre-authorized_code'.")
        client_id = form.get("client_id")
        if client_id:  # Section 6.1: client authentication is optional for this grant
            client = self.server.query_client(client_id)
            if client is None:
                raise InvalidClientError(description="The client does not exist on this server.")
            self.request.client = client
        self.request.user = self.server.redeem_pre_authorized(
            code, form.get("tx_code"), form.get("authorization_details")
        )

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        token = self.generate_token(user=self.request.user)
        return 200, token, self.TOKEN_RESPONSE_HEADER


class TenantAuthorizationServer(NeutralAuthorizationServer):
    """authlib's server for one tenant; responses stay framework-neutral ``(status, body, headers)``."""

    def __init__(
        self,
        *,
        identifier: str,
        slug: str,
        scopes: dict[str, str],
        clients: dict[str, WalletClient],
        records: IssuerRecords,
        tokens: AccessTokens,
        random: RandomSource,
        tx_code_attempts: int,
    ) -> None:
        super().__init__(scopes_supported=list(scopes))
        self.identifier = identifier
        self.slug = slug
        self.scope_configs = scopes  # scope -> credential configuration id
        self.clients = clients
        self.records = records
        self.tokens = tokens
        self.random = random
        self.tx_code_attempts = tx_code_attempts
        self.register_grant(_AuthorizationCode, [_S256Only(required=True)])
        self.register_grant(_PreAuthorizedCode)

    def kind(self, name: str) -> str:
        """Store key kind of a secret of this tenant."""
        return f"{name}:{self.slug}"

    def query_client(self, client_id: str) -> WalletClient | None:
        return self.clients.get(client_id)

    def mint(
        self, grant: AuthzGrant, client_id: str | None, jkt: str | None, details: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """The token response body (RFC 6749 Section 5.1; OpenID4VCI 1.0 Section 6.2) for ``grant``.

        With ``authorization_details``, each entry is echoed with its ``credential_identifiers``; one
        Credential Dataset per configuration, so the identifier is the configuration id.
        """
        configs = tuple(d["credential_configuration_id"] for d in details) if details else grant.configuration_ids
        identifiers = list(configs) if details else []
        token = self.tokens.mint(self.identifier, grant.subject_id, configs, client_id, jkt, identifiers)
        body: dict[str, Any] = {
            "access_token": token,
            "token_type": "DPoP" if jkt else "Bearer",
            "expires_in": self.tokens.ttl,
        }
        if details:
            body["authorization_details"] = [
                {**d, "credential_identifiers": [d["credential_configuration_id"]]} for d in details
            ]
        return body

    def redeem_pre_authorized(
        self, code: str, tx_code: str | None, authorization_details: str | None = None
    ) -> AuthzGrant:
        """Check and use up a Pre-Authorized Code (Section 6.3 error rules).

        Everything the request can get wrong (``tx_code``, ``authorization_details``) is checked before
        the code is used up, so a refused request leaves the offer redeemable.
        """
        kind = self.kind("preauth")
        record = self.records.peek_secret(kind, code)
        if record is None:
            raise InvalidGrantError("The pre-authorized code is invalid, expired or already used.")
        expected = record.get("tx_code")
        if expected is None and tx_code is not None:
            raise InvalidRequestError("This offer expects no tx_code.")
        if expected is not None:
            if tx_code is None:
                raise InvalidRequestError("Missing 'tx_code'.")
            if not tx_code_matches(expected, tx_code):
                left = self.tx_code_attempts - self.records.count_failure(kind, code, ttl=3600)
                if left <= 0:
                    self.records.forget_secret(kind, code)  # too many attempts: the code is dead
                    raise InvalidGrantError("Wrong tx_code; no attempts left: the offer is cancelled.")
                # The holder may learn how many tries remain (the limit is small and fixed); never the code.
                raise InvalidGrantError(f"Wrong tx_code; {left} attempt{'s' if left > 1 else ''} left.")
        grant = AuthzGrant(str(record["subject_id"]), tuple(record["configuration_ids"]))
        parse_authorization_details(authorization_details, grant)
        if self.records.take_secret(kind, code) is None:  # lost a race with a concurrent redemption
            raise InvalidGrantError("The pre-authorized code was already used.")
        return grant
