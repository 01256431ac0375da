"""OpenID for Verifiable Presentations 1.0 (``/work/shared/specs/openid4vp-1_0.md``), pure protocol.

* :mod:`~idcore.oid4vp.client_id` — Client Identifier Prefixes (Section 5.9);
* :mod:`~idcore.oid4vp.request` — Request Objects (JAR), links, ``request_uri_method=post`` (5, 5.10);
* :mod:`~idcore.oid4vp.response` — ``direct_post`` / ``direct_post.jwt`` responses, ``vp_token`` (8);
* :mod:`~idcore.oid4vp.jwe` — ECDH-ES P-256 + A128GCM/A256GCM JWE (8.3, HAIP Section 5);
* :mod:`~idcore.oid4vp.errors` — the spec's error codes (8.5).
"""

from idcore.oid4vp.client_id import ClientId, ClientIdError
from idcore.oid4vp.errors import AuthorizationError
from idcore.oid4vp.jwe import JweError, decrypt_compact, encrypt_compact, protected_header
from idcore.oid4vp.request import (
    build_client_metadata,
    build_request_claims,
    decode_by_value,
    parse_request_link,
    request_link,
    sign_request_object,
    unsigned_request_link,
    verify_request_object,
)
from idcore.oid4vp.response import AuthorizationResponse, decrypt_response, parse_form, parse_response_params

__all__ = [
    "AuthorizationError",
    "AuthorizationResponse",
    "ClientId",
    "ClientIdError",
    "JweError",
    "build_client_metadata",
    "build_request_claims",
    "decode_by_value",
    "decrypt_compact",
    "decrypt_response",
    "encrypt_compact",
    "parse_form",
    "parse_request_link",
    "parse_response_params",
    "protected_header",
    "request_link",
    "sign_request_object",
    "unsigned_request_link",
    "verify_request_object",
]
