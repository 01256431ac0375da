"""Authorization error codes: OpenID4VP 1.0 Section 8.5 ("Error Response") over RFC 6749 Section 4.1.2.1.

One exception, :class:`AuthorizationError`, carries the spec's ``error`` string (what the Wallet
or Verifier may tell the other side) and an idcore :class:`~idcore.errors.Reason` (what the
operator logs). Services map the code to HTTP; idcore knows no HTTP.
"""

from __future__ import annotations

from idcore.errors import IdcoreError, Reason

__all__ = ["INVALID_REQUEST", "INVALID_REQUEST_URI_METHOD", "SPEC_ERRORS", "AuthorizationError"]

INVALID_REQUEST = "invalid_request"
INVALID_CLIENT = "invalid_client"
INVALID_SCOPE = "invalid_scope"
ACCESS_DENIED = "access_denied"
VP_FORMATS_NOT_SUPPORTED = "vp_formats_not_supported"
INVALID_REQUEST_URI_METHOD = "invalid_request_uri_method"
INVALID_TRANSACTION_DATA = "invalid_transaction_data"
WALLET_UNAVAILABLE = "wallet_unavailable"
#: Every ``error`` value a Wallet may send back (Section 8.5 and RFC 6749 Section 4.1.2.1).
SPEC_ERRORS = frozenset(
    {
        INVALID_REQUEST,
        INVALID_CLIENT,
        INVALID_SCOPE,
        ACCESS_DENIED,
        VP_FORMATS_NOT_SUPPORTED,
        INVALID_REQUEST_URI_METHOD,
        INVALID_TRANSACTION_DATA,
        WALLET_UNAVAILABLE,
        "unauthorized_client",
        "unsupported_response_type",
        "server_error",
        "temporarily_unavailable",
    }
)


class AuthorizationError(IdcoreError):
    """A request or response broke OpenID4VP; ``error`` is the spec code to answer with."""

    def __init__(self, error: str, reason: Reason = Reason.MALFORMED, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.error = error
