"""OpenID4VCI 1.0 messages: Credential Offer, Credential Request, Notification Request.

* Section 4.1.1 "Credential Offer Parameters" and 4.1.2/4.1.3 (by value / by reference):
  :func:`build_credential_offer`, :func:`credential_offer_uri`, :func:`parse_credential_offer`.
* Section 8.2 "Credential Request": :func:`parse_credential_request` (``credential_identifier``
  xor ``credential_configuration_id``; ``proofs`` with exactly one proof type whose value is a
  non-empty array no longer than the issuer's ``batch_size``, Section 12.2.4).
* Section 11.1 "Notification Request": :func:`parse_notification_request`.

Unknown members are ignored, as the spec requires; every known member is type-checked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from idcore.errors import Reason
from idcore.oid4vci.errors import (
    INVALID_CREDENTIAL_REQUEST,
    INVALID_ENCRYPTION_PARAMETERS,
    INVALID_NOTIFICATION_REQUEST,
    INVALID_PROOF,
    Oid4vciError,
)

__all__ = [
    "PRE_AUTHORIZED_GRANT",
    "CredentialOffer",
    "CredentialRequest",
    "NotificationRequest",
    "build_credential_offer",
    "credential_offer_uri",
    "parse_credential_offer",
    "parse_credential_request",
    "parse_notification_request",
    "split_offer_link",
]

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFER_SCHEME = "openid-credential-offer://"
NOTIFICATION_EVENTS = frozenset({"credential_accepted", "credential_failure", "credential_deleted"})
_MAX_TEXT = 300  # description lengths (tx_code description, event_description)


@dataclass(frozen=True, slots=True)
class CredentialRequest:
    """A parsed Credential Request: what to issue and the key proofs to bind it to."""

    credential_configuration_id: str | None
    credential_identifier: str | None
    proof_type: str | None
    proofs: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class NotificationRequest:
    """A parsed Notification Request."""

    notification_id: str
    event: str
    event_description: str | None


@dataclass(frozen=True, slots=True)
class CredentialOffer:
    """A parsed Credential Offer object."""

    credential_issuer: str
    credential_configuration_ids: tuple[str, ...]
    grants: dict[str, Any]

    @property
    def pre_authorized_code(self) -> str | None:
        """The Pre-Authorized Code, if the pre-authorized grant is offered."""
        grant = self.grants.get(PRE_AUTHORIZED_GRANT)
        code = grant.get("pre-authorized_code") if isinstance(grant, dict) else None
        return code if isinstance(code, str) else None

    @property
    def tx_code(self) -> dict[str, Any] | None:
        """The ``tx_code`` description object, if a Transaction Code is required."""
        grant = self.grants.get(PRE_AUTHORIZED_GRANT)
        tx = grant.get("tx_code") if isinstance(grant, dict) else None
        return tx if isinstance(tx, dict) else None

    @property
    def issuer_state(self) -> str | None:
        """The ``issuer_state`` of the authorization code grant, if offered."""
        grant = self.grants.get("authorization_code")
        state = grant.get("issuer_state") if isinstance(grant, dict) else None
        return state if isinstance(state, str) else None


def _request_error(detail: str) -> Oid4vciError:
    return Oid4vciError(INVALID_CREDENTIAL_REQUEST, Reason.MALFORMED, detail)


def _optional_string(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and (not isinstance(value, str) or not value):
        raise _request_error(f"{name} must be a non-empty string")
    return value


def _parse_proofs(body: Mapping[str, Any], batch_size: int) -> tuple[str | None, tuple[Any, ...]]:
    if "proof" in body:
        raise _request_error("the singular 'proof' parameter is not part of OpenID4VCI 1.0; use 'proofs'")
    proofs = body.get("proofs")
    if proofs is None:
        return None, ()
    if not isinstance(proofs, dict) or len(proofs) != 1:
        raise Oid4vciError(INVALID_PROOF, Reason.MALFORMED, "proofs must name exactly one proof type")
    ((proof_type, values),) = proofs.items()
    if not isinstance(values, list) or not values:
        raise Oid4vciError(INVALID_PROOF, Reason.MALFORMED, "proofs value must be a non-empty array")
    if len(values) > batch_size:
        raise _request_error(f"more than batch_size={batch_size} proofs")
    return proof_type, tuple(values)


def parse_credential_request(body: object, *, batch_size: int = 1) -> CredentialRequest:
    """Validate the shape of a Credential Request (Section 8.2); proofs are verified separately."""
    if not isinstance(body, dict):
        raise _request_error("the Credential Request must be a JSON object")
    config_id = _optional_string(body, "credential_configuration_id")
    identifier = _optional_string(body, "credential_identifier")
    if (config_id is None) == (identifier is None):
        raise _request_error("exactly one of credential_configuration_id and credential_identifier is required")
    if "credential_response_encryption" in body:
        # This issuer offers no credential_response_encryption in its metadata.
        raise Oid4vciError(INVALID_ENCRYPTION_PARAMETERS, Reason.MALFORMED, "response encryption is not supported")
    proof_type, proofs = _parse_proofs(body, batch_size)
    return CredentialRequest(config_id, identifier, proof_type, proofs)


def _ascii_text(value: object) -> bool:
    # Section 11.1: %x20-21 / %x23-5B / %x5D-7E (printable ASCII without '"' and '\').
    return (
        isinstance(value, str)
        and len(value) <= _MAX_TEXT
        and all(0x20 <= ord(c) <= 0x7E and c not in '"\\' for c in value)
    )


def parse_notification_request(body: object) -> NotificationRequest:
    """Validate a Notification Request (Section 11.1)."""
    if not isinstance(body, dict):
        raise Oid4vciError(INVALID_NOTIFICATION_REQUEST, Reason.MALFORMED, "not a JSON object")
    notification_id, event = body.get("notification_id"), body.get("event")
    if not isinstance(notification_id, str) or not notification_id:
        raise Oid4vciError(INVALID_NOTIFICATION_REQUEST, Reason.MISSING_CLAIM, "notification_id is required")
    if not isinstance(event, str) or event not in NOTIFICATION_EVENTS:  # a list or object is unhashable
        raise Oid4vciError(INVALID_NOTIFICATION_REQUEST, Reason.MALFORMED, "unknown or missing event")
    description = body.get("event_description")
    if description is not None and not _ascii_text(description):
        raise Oid4vciError(INVALID_NOTIFICATION_REQUEST, Reason.MALFORMED, "event_description is not plain ASCII")
    return NotificationRequest(notification_id, str(event), description)


def build_credential_offer(
    credential_issuer: str,
    configuration_ids: Sequence[str],
    *,
    pre_authorized_code: str | None = None,
    tx_code: Mapping[str, Any] | None = None,
    issuer_state: str | None = None,
) -> dict[str, Any]:
    """Build a Credential Offer object (Section 4.1.1) for one or both grants."""
    if not configuration_ids or len(set(configuration_ids)) != len(configuration_ids):
        raise _offer_error("configuration ids must be non-empty and unique")
    grants: dict[str, Any] = {}
    if issuer_state is not None:
        grants["authorization_code"] = {"issuer_state": issuer_state}
    if pre_authorized_code is not None:
        grant: dict[str, Any] = {"pre-authorized_code": pre_authorized_code}
        if tx_code is not None:
            grant["tx_code"] = dict(tx_code)
        grants[PRE_AUTHORIZED_GRANT] = grant
    offer: dict[str, Any] = {
        "credential_issuer": credential_issuer,
        "credential_configuration_ids": list(configuration_ids),
    }
    if grants:
        offer["grants"] = grants
    return offer


def credential_offer_uri(*, offer: Mapping[str, Any] | None = None, offer_uri: str | None = None) -> str:
    """``openid-credential-offer://?credential_offer=...`` (by value) or ``?credential_offer_uri=...``."""
    if (offer is None) == (offer_uri is None):
        raise ValueError("give exactly one of offer and offer_uri")
    if offer is not None:
        encoded = quote(json.dumps(offer, separators=(",", ":"), ensure_ascii=False), safe="")
        return f"{OFFER_SCHEME}?credential_offer={encoded}"
    return f"{OFFER_SCHEME}?credential_offer_uri={quote(str(offer_uri), safe='')}"


def _offer_error(detail: str) -> Oid4vciError:
    return Oid4vciError(INVALID_CREDENTIAL_REQUEST, Reason.MALFORMED, detail)


def parse_credential_offer(offer: object) -> CredentialOffer:
    """Validate a Credential Offer object (Section 4.1.1), as a wallet does before using it."""
    if not isinstance(offer, dict):
        raise _offer_error("credential offer is not a JSON object")
    issuer, ids, grants = offer.get("credential_issuer"), offer.get("credential_configuration_ids"), offer.get("grants")
    if not isinstance(issuer, str) or not issuer:
        raise _offer_error("credential_issuer is required")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
        raise _offer_error("credential_configuration_ids must be a non-empty array of strings")
    if len(set(ids)) != len(ids):
        raise _offer_error("credential_configuration_ids must be unique")
    if grants is not None and not isinstance(grants, dict):
        raise _offer_error("grants must be an object")
    parsed = CredentialOffer(issuer, tuple(ids), dict(grants or {}))
    pre = parsed.grants.get(PRE_AUTHORIZED_GRANT)
    if pre is not None and parsed.pre_authorized_code is None:
        raise _offer_error("the pre-authorized grant needs a pre-authorized_code")
    return parsed


def split_offer_link(link: str) -> tuple[dict[str, Any] | None, str | None]:
    """Split an offer link into ``(offer_object, None)`` or ``(None, offer_uri)`` (Sections 4.1.2-4.1.3)."""
    query = parse_qs(urlsplit(link).query, keep_blank_values=True)
    by_value, by_reference = query.get("credential_offer"), query.get("credential_offer_uri")
    if (by_value is None) == (by_reference is None) or len(by_value or by_reference or []) != 1:
        raise _offer_error("an offer link carries exactly one of credential_offer and credential_offer_uri")
    if by_reference is not None:
        return None, by_reference[0]
    assert by_value is not None  # noqa: S101 - narrowed by the check above
    try:
        value = json.loads(by_value[0])
    except ValueError:
        raise _offer_error("credential_offer is not JSON") from None
    if not isinstance(value, dict):
        raise _offer_error("credential_offer is not a JSON object")
    return value, None
