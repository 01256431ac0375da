"""Authorization Requests and Request Objects: OpenID4VP 1.0 Sections 5, 5.1, 5.2, 5.10 and 8.2/8.3.

* Section 5 / RFC 9101 (JAR): the Request Object is a JWS with ``typ: oauth-authz-req+jwt``;
  for the ``x509_*`` prefixes it carries the Verifier's certificate chain in ``x5c`` (without
  the trust anchor, HAIP Section 5) and is signed with the leaf key.
* Section 5.1: ``dcql_query``, ``client_metadata`` (``jwks`` with the per-transaction ECDH-ES key,
  ``encrypted_response_enc_values_supported``, ``vp_formats_supported``), ``request_uri_method``.
* Section 5.2: ``nonce`` (required; ASCII URL-safe characters), ``state``, ``response_mode``.
* Section 5.8: ``aud`` is ``https://self-issued.me/v2`` (static discovery).
* Section 5.10: with ``request_uri_method=post`` the Wallet may send ``wallet_nonce``, which the
  Verifier copies into the Request Object; the Wallet checks it.
* Section 8.2: ``direct_post`` needs ``response_uri`` and forbids ``redirect_uri``.

:func:`verify_request_object` is the Wallet's side, used by Lintas' test wallet and by anyone who
needs to check a request before showing it to a user.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.b64 import json_dumps, json_loads
from idcore.errors import IdcoreError, Reason
from idcore.jose import parse_compact, sign_compact, verify_parsed
from idcore.oid4vp.client_id import ClientId, check_certificate_binding
from idcore.oid4vp.errors import INVALID_REQUEST, INVALID_REQUEST_URI_METHOD, AuthorizationError
from idcore.oid4vp.jwe import ALG_ECDH_ES, ENC_ALGS
from idcore.ports import Signer
from idcore.x509 import parse_x5c, validate_chain, x5c_from_certificates

__all__ = [
    "SELF_ISSUED_AUD",
    "build_client_metadata",
    "build_request_claims",
    "check_safe_value",
    "decode_by_value",
    "parse_request_link",
    "request_link",
    "sign_request_object",
    "unsigned_request_link",
    "verify_request_object",
]

REQUEST_OBJECT_TYP = "oauth-authz-req+jwt"
REQUEST_OBJECT_ALGS = frozenset({"ES256"})
SELF_ISSUED_AUD = "https://self-issued.me/v2"
RESPONSE_MODES = frozenset({"direct_post", "direct_post.jwt"})
_SAFE_RE = re.compile(r"[A-Za-z0-9._~-]{1,512}")
_MAX_LINK = 16 * 1024


def check_safe_value(value: object, name: str) -> str:
    """``nonce`` and ``state`` must only contain ASCII URL-safe characters (Section 5.2)."""
    if not isinstance(value, str) or _SAFE_RE.fullmatch(value) is None:
        raise AuthorizationError(INVALID_REQUEST, Reason.MALFORMED, f"{name} is not ASCII URL-safe")
    return value


def build_client_metadata(
    encryption_jwk: Mapping[str, Any] | None,
    encs: Sequence[str] = ("A128GCM", "A256GCM"),
    *,
    client_name: str | None = None,
) -> dict[str, Any]:
    """Verifier metadata (Section 11, 8.3): supported formats and, for ``direct_post.jwt``, the JWE key.

    ``client_name`` (RFC 7591 Section 2) names the relying party on whose behalf the verifier asks,
    so a wallet can show it next to the operator named in the signing certificate.
    """
    metadata: dict[str, Any] = {
        "vp_formats_supported": {"dc+sd-jwt": {"sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"]}}
    }
    if client_name:
        metadata["client_name"] = client_name
    if encryption_jwk is not None:
        if "kid" not in encryption_jwk:
            raise AuthorizationError(INVALID_REQUEST, Reason.BAD_KEY, "each client_metadata JWK needs a kid")
        key = {**encryption_jwk, "use": "enc", "alg": ALG_ECDH_ES}
        metadata["jwks"] = {"keys": [key]}
        metadata["encrypted_response_enc_values_supported"] = [e for e in encs if e in ENC_ALGS]
    return metadata


def build_request_claims(
    *,
    client_id: ClientId,
    response_uri: str,
    response_mode: str,
    nonce: str,
    state: str,
    dcql_query: Mapping[str, Any],
    client_metadata: Mapping[str, Any],
    iat: int,
    lifetime: int,
    wallet_nonce: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The Authorization Request parameters as Request Object claims (Sections 5, 5.10, 8.2)."""
    if response_mode not in RESPONSE_MODES:
        raise AuthorizationError(INVALID_REQUEST, Reason.MALFORMED, f"response_mode {response_mode!r}")
    claims: dict[str, Any] = {
        **(extra or {}),
        "aud": SELF_ISSUED_AUD,
        "client_id": client_id.value,
        "response_type": "vp_token",
        "response_mode": response_mode,
        "response_uri": response_uri,
        "nonce": check_safe_value(nonce, "nonce"),
        "state": check_safe_value(state, "state"),
        "dcql_query": dict(dcql_query),
        "client_metadata": dict(client_metadata),
        "iat": iat,
        "exp": iat + lifetime,
    }
    if wallet_nonce is not None:
        claims["wallet_nonce"] = wallet_nonce
    return claims


def sign_request_object(claims: Mapping[str, Any], signer: Signer, chain: Sequence[x509.Certificate]) -> str:
    """Sign a Request Object (JAR) with ``typ: oauth-authz-req+jwt`` and the chain in ``x5c``."""
    header = {"typ": REQUEST_OBJECT_TYP, "x5c": x5c_from_certificates(chain)}
    return sign_compact(header, claims, signer)


def request_link(scheme: str, client_id: ClientId, request_uri: str, *, method: str = "post") -> str:
    """The Wallet invocation link carrying ``client_id`` and ``request_uri`` (Section 5, RFC 9101 5.2)."""
    query = {"client_id": client_id.value, "request_uri": request_uri, "request_uri_method": method}
    return f"{scheme}://?{urlencode(query)}"


def unsigned_request_link(scheme: str, claims: Mapping[str, Any]) -> str:
    """A by-value request for the ``redirect_uri`` prefix: objects sent as JSON strings (Section 5.1)."""
    query = {
        k: (json_dumps(v).decode("utf-8") if isinstance(v, dict | list) else str(v))
        for k, v in claims.items()
        if k not in ("aud", "iat", "exp")
    }
    return f"{scheme}://?{urlencode(query)}"


def parse_request_link(link: str) -> dict[str, str]:
    """Split an ``openid4vp://`` link into its parameters; repeated parameters are refused."""
    if not isinstance(link, str) or len(link) > _MAX_LINK:
        raise AuthorizationError(INVALID_REQUEST, Reason.TOO_LARGE, "request link too long")
    try:
        pairs = parse_qsl(urlsplit(link).query, keep_blank_values=True, strict_parsing=True, max_num_fields=64)
    except ValueError:
        raise AuthorizationError(INVALID_REQUEST, Reason.MALFORMED, "request link is not a query string") from None
    params = dict(pairs)
    if len(params) != len(pairs):
        raise AuthorizationError(INVALID_REQUEST, Reason.DUPLICATE_MEMBER, "a request parameter is repeated")
    method = params.get("request_uri_method")
    if method is not None and method not in ("get", "post"):
        raise AuthorizationError(INVALID_REQUEST_URI_METHOD, Reason.MALFORMED, "request_uri_method is not get or post")
    if method is not None and "request_uri" not in params:
        raise AuthorizationError(INVALID_REQUEST, Reason.MALFORMED, "request_uri_method without request_uri")
    return params


def _invalid(exc: IdcoreError, what: str) -> AuthorizationError:
    return AuthorizationError(INVALID_REQUEST, exc.reason, f"{what}: {exc.detail}")


def _check_claims(claims: Mapping[str, Any], client_id: str, wallet_nonce: str | None, now: int) -> None:
    if claims.get("client_id") != client_id:
        raise AuthorizationError(INVALID_REQUEST, Reason.ISSUER_MISMATCH, "client_id differs from the request")
    if wallet_nonce is not None and claims.get("wallet_nonce") != wallet_nonce:
        raise AuthorizationError(INVALID_REQUEST, Reason.NONCE_MISMATCH, "wallet_nonce not echoed")
    if claims.get("response_type") != "vp_token" or claims.get("response_mode") not in RESPONSE_MODES:
        raise AuthorizationError(INVALID_REQUEST, Reason.MALFORMED, "unsupported response_type or response_mode")
    if "redirect_uri" in claims or not isinstance(claims.get("response_uri"), str):
        raise AuthorizationError(INVALID_REQUEST, Reason.MALFORMED, "direct_post needs response_uri only")
    if not isinstance(claims.get("dcql_query"), dict) or "scope" in claims:
        raise AuthorizationError(INVALID_REQUEST, Reason.MALFORMED, "exactly one dcql_query is required")
    check_safe_value(claims.get("nonce"), "nonce")
    exp = claims.get("exp")
    if isinstance(exp, int) and not isinstance(exp, bool) and exp <= now:
        raise AuthorizationError(INVALID_REQUEST, Reason.EXPIRED, "request object expired")


def verify_request_object(
    token: str,
    *,
    client_id: str,
    anchors: Sequence[x509.Certificate],
    now: int,
    wallet_nonce: str | None = None,
) -> dict[str, Any]:
    """The Wallet's checks of a signed Request Object (Sections 5, 5.9.3, 5.10.1); return its claims.

    ``typ``, ES256, an ``x5c`` chain to one of ``anchors`` (not containing a self-signed leaf),
    the signature by the leaf, the Client Identifier bound to the certificate and equal to the
    ``client_id`` of the link, ``wallet_nonce`` echoed, and a well-formed ``direct_post`` request.
    """
    try:
        jws = parse_compact(token)
        chain = parse_x5c(jws.header.get("x5c", ()))
        leaf = validate_chain(chain, anchors, datetime.fromtimestamp(now, UTC))
        key = leaf.public_key()
        if leaf.issuer == leaf.subject or not isinstance(key, ec.EllipticCurvePublicKey):
            raise AuthorizationError(INVALID_REQUEST, Reason.CHAIN_INVALID, "request signer must be a CA-issued EC key")
        claims = verify_parsed(jws, key, algorithms=REQUEST_OBJECT_ALGS, typ=REQUEST_OBJECT_TYP)
        parsed_id = ClientId.parse(client_id)
        if not parsed_id.signed:
            raise AuthorizationError(INVALID_REQUEST, Reason.MALFORMED, "this prefix cannot sign requests")
        check_certificate_binding(parsed_id, chain, str(claims.get("response_uri", "")))
    except AuthorizationError:
        raise
    except IdcoreError as exc:
        raise _invalid(exc, "request object") from None
    _check_claims(claims, client_id, wallet_nonce, now)
    return claims


def decode_by_value(params: Mapping[str, str]) -> dict[str, Any]:
    """Decode a by-value request's JSON parameters (``dcql_query``, ``client_metadata``)."""
    out: dict[str, Any] = dict(params)
    for name in ("dcql_query", "client_metadata"):
        if name in out:
            try:
                out[name] = json_loads(out[name])
            except IdcoreError as exc:
                raise _invalid(exc, name) from None
    return out
