"""OpenID4VCI 1.0 error codes, carried by one idcore error class.

* Section 8.3.1.2 "Credential Request Errors": ``invalid_credential_request``,
  ``unknown_credential_configuration``, ``unknown_credential_identifier``, ``invalid_proof``,
  ``invalid_nonce``, ``invalid_encryption_parameters``, ``credential_request_denied``.
* Section 11.3 "Notification Error Response": ``invalid_notification_id``,
  ``invalid_notification_request``.
* RFC 9449 Sections 7.1 and 8: ``invalid_dpop_proof``, ``use_dpop_nonce``.

idcore knows no HTTP: each service maps ``error`` to a status code in its own handlers.
"""

from __future__ import annotations

from idcore.errors import IdcoreError, Reason

__all__ = [
    "CREDENTIAL_REQUEST_DENIED",
    "INVALID_CREDENTIAL_REQUEST",
    "INVALID_DPOP_PROOF",
    "INVALID_ENCRYPTION_PARAMETERS",
    "INVALID_NONCE",
    "INVALID_NOTIFICATION_ID",
    "INVALID_NOTIFICATION_REQUEST",
    "INVALID_PROOF",
    "UNKNOWN_CREDENTIAL_CONFIGURATION",
    "UNKNOWN_CREDENTIAL_IDENTIFIER",
    "Oid4vciError",
]

INVALID_CREDENTIAL_REQUEST = "invalid_credential_request"
UNKNOWN_CREDENTIAL_CONFIGURATION = "unknown_credential_configuration"
UNKNOWN_CREDENTIAL_IDENTIFIER = "unknown_credential_identifier"
INVALID_PROOF = "invalid_proof"
INVALID_NONCE = "invalid_nonce"
INVALID_ENCRYPTION_PARAMETERS = "invalid_encryption_parameters"
CREDENTIAL_REQUEST_DENIED = "credential_request_denied"
INVALID_NOTIFICATION_ID = "invalid_notification_id"
INVALID_NOTIFICATION_REQUEST = "invalid_notification_request"
INVALID_DPOP_PROOF = "invalid_dpop_proof"
USE_DPOP_NONCE = "use_dpop_nonce"


class Oid4vciError(IdcoreError):
    """A protocol message was rejected; ``error`` is the spec's error code, ``reason`` the idcore reason."""

    def __init__(self, error: str, reason: Reason = Reason.MALFORMED, detail: str = "") -> None:
        self.error = error
        super().__init__(reason, detail)
