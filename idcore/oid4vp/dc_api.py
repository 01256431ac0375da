"""OpenID4VP over the W3C Digital Credentials API: the Verifier's request and response rules.

OpenID4VP 1.0 Section "OpenID4VP over the Digital Credentials API" (Appendix A):

* Protocol: ``openid4vp-v1-signed`` (JWS Compact Serialization, this module) or
  ``openid4vp-v1-unsigned``; the page passes ``{protocol, data}`` to
  ``navigator.credentials.get({digital: {requests: [...]}})``.
* Request (A.2, A.3.2): a signed Request Object carries ``client_id``, ``response_type``
  ``vp_token``, ``response_mode`` ``dc_api`` or ``dc_api.jwt``, ``nonce``, ``client_metadata``,
  ``dcql_query`` and, required for signed requests, ``expected_origins`` (a non-empty array of
  the Verifier's origins, which the Wallet compares with the Origin the browser reports). There
  is no ``response_uri`` and no ``state``: the response comes back through the API to the page.
* Response (A.4): ``data`` holds the Authorization Response parameters (``vp_token``), the
  encrypted ``response`` for ``dc_api.jwt``, or a single ``error``. The audience of every
  presentation (the KB-JWT ``aud``) is the Origin prefixed with ``origin:``, even for signed
  requests; for mdoc the SessionTranscript uses the DC API handover over the Origin
  (:func:`idcore.mdoc.dc_api_session_transcript`).

Closed by default: only the two response modes above, ``dc_api.jwt`` never accepts a plaintext
``vp_token`` (no downgrade), origins are serialized web origins (``https``, or ``http`` on a
loopback host only when the caller allows it), and the response object is bounded like a
``direct_post`` form.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.errors import Reason
from idcore.oid4vp.client_id import ClientId
from idcore.oid4vp.errors import INVALID_REQUEST, AuthorizationError
from idcore.oid4vp.request import SELF_ISSUED_AUD, check_safe_value, sign_request_object
from idcore.oid4vp.response import AuthorizationResponse, decrypt_response, parse_response_params
from idcore.ports import Signer

__all__ = [
    "DC_API_RESPONSE_MODES",
    "PROTOCOL_SIGNED",
    "build_dc_api_request",
    "check_origin",
    "origin_audience",
    "parse_dc_api_response",
]

PROTOCOL_SIGNED = "openid4vp-v1-signed"
DC_API_RESPONSE_MODES = frozenset({"dc_api", "dc_api.jwt"})
_MAX_ORIGINS = 16
_MAX_ORIGIN_CHARS = 256
_RESPONSE_KEYS = frozenset({"vp_token", "response", "error", "error_description"})


def _bad(detail: str) -> AuthorizationError:
    return AuthorizationError(INVALID_REQUEST, Reason.MALFORMED, detail)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_origin(origin: object, *, allow_loopback_http: bool = False) -> str:
    """A serialized web origin (RFC 6454 Section 6.1): ``https://host[:port]``, nothing more.

    ``http`` only on a loopback host and only when ``allow_loopback_http`` (development mode).
    """
    if not isinstance(origin, str) or not origin or len(origin) > _MAX_ORIGIN_CHARS or not origin.isascii():
        raise _bad("origin must be a short ASCII string")
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        raise _bad("origin is not a URL") from None
    host = parts.hostname or ""
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port is not None else "")
    if not host or origin != f"{parts.scheme}://{netloc}":
        # Anything else (path, query, fragment, user info, upper case, a port like ":0443") is
        # not the serialized form the browser reports, so it could never match: refuse it early.
        raise _bad("origin must be the serialized scheme://host[:port], nothing more")
    if parts.scheme == "https" or (parts.scheme == "http" and allow_loopback_http and _is_loopback(host)):
        return origin
    raise _bad("origin must be https (http only on loopback in development mode)")


def origin_audience(origin: str) -> str:
    """The audience of presentations made over the DC API: ``origin:`` + the Origin (A.4)."""
    return "origin:" + origin


def build_dc_api_request(
    *,
    client_id: ClientId,
    response_mode: str,
    nonce: str,
    dcql_query: Mapping[str, Any],
    client_metadata: Mapping[str, Any],
    expected_origins: Sequence[str],
    iat: int,
    lifetime: int,
    signer: Signer,
    chain: Sequence[x509.Certificate],
    extra: Mapping[str, Any] | None = None,
    allow_loopback_http: bool = False,
) -> dict[str, Any]:
    """The ``{protocol, data}`` object the relying party's page hands to the DC API (A.1, A.3.2.1)."""
    if response_mode not in DC_API_RESPONSE_MODES:
        raise _bad(f"response_mode {response_mode!r} is not a DC API response mode")
    if not expected_origins or len(expected_origins) > _MAX_ORIGINS:
        raise _bad(f"a signed DC API request needs 1 to {_MAX_ORIGINS} expected_origins")
    origins = [check_origin(o, allow_loopback_http=allow_loopback_http) for o in expected_origins]
    claims: dict[str, Any] = {
        **(extra or {}),
        "aud": SELF_ISSUED_AUD,
        "client_id": client_id.value,
        "response_type": "vp_token",
        "response_mode": response_mode,
        "nonce": check_safe_value(nonce, "nonce"),
        "dcql_query": dict(dcql_query),
        "client_metadata": dict(client_metadata),
        "expected_origins": origins,
        "iat": iat,
        "exp": iat + lifetime,
    }
    for absent in ("response_uri", "redirect_uri", "state", "request_uri"):
        claims.pop(absent, None)  # no place in a DC API request: the answer returns through the API
    return {"protocol": PROTOCOL_SIGNED, "data": {"request": sign_request_object(claims, signer, chain)}}


def parse_dc_api_response(
    data: object,
    *,
    response_mode: str,
    decryption_key: ec.EllipticCurvePrivateKey | None = None,
    kid: str | None = None,
    encs: tuple[str, ...] = ("A128GCM", "A256GCM"),
) -> AuthorizationResponse:
    """Read the ``data`` the DC API returned (A.4): ``vp_token``, an encrypted ``response`` or ``error``.

    ``dc_api.jwt`` accepts only the encrypted ``response`` (or an ``error``); ``dc_api`` only a
    plaintext ``vp_token`` (or an ``error``). Unknown members are refused: the page relays the
    object as it came from the browser and has no reason to add any.
    """
    if response_mode not in DC_API_RESPONSE_MODES:
        raise _bad(f"response_mode {response_mode!r} is not a DC API response mode")
    if not isinstance(data, Mapping) or not data or not set(data) <= _RESPONSE_KEYS:
        raise _bad("DC API data must be an object with vp_token, response or error")
    if "error" in data:
        return parse_response_params({k: v for k, v in data.items() if k in ("error", "error_description")})
    if response_mode == "dc_api.jwt":
        response = data.get("response")
        if "vp_token" in data or not isinstance(response, str):
            raise _bad("dc_api.jwt needs the encrypted response and no plaintext vp_token")
        if decryption_key is None or kid is None:
            raise _bad("dc_api.jwt needs the transaction's decryption key")
        decrypted = decrypt_response(response, decryption_key, kid=kid, encs=encs)
        if decrypted.state is not None:
            raise _bad("a DC API response carries no state")
        return decrypted
    if "response" in data:
        raise _bad("dc_api responses are not encrypted; this transaction asked for dc_api")
    return parse_response_params({"vp_token": data.get("vp_token")})
