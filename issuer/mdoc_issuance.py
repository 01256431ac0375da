"""The ``mso_mdoc`` branch of the Credential Endpoint (OpenID4VCI 1.0 Appendix A.2.4).

* Device key: the key the holder proved in its ``jwt`` key proof (the ``jwk`` header, Appendix
  F.1) becomes the COSE_Key of the MSO's ``deviceKeyInfo`` (ISO/IEC 18013-5:2021 Section
  9.1.2.4), so only that holder can produce the DeviceAuth of a presentation.
* Signature: the MSO is a COSE_Sign1 by the tenant's mdoc Document Signer with its certificate
  in ``x5chain`` (the IACA, the national root, is the verifier's anchor and is not sent).
* Validity: ``signed`` is the credential's randomised issuance time (the same correlation rule
  as the SD-JWT path's ``iat``); ``validFrom`` equals it; ``validUntil`` is the configuration's
  validity, capped by the Document Signer certificate's ``notAfter``.
* Status: ``status.status_list = {idx, uri}`` references the tenant's Token Status List
  (draft-ietf-oauth-status-list Section 6.3, "Referenced Token" in CBOR), the same list the
  SD-JWT credentials use, so revocation works for mdocs too.
* Response: the ``credential`` is the base64url (no padding) of the CBOR IssuerSigned (A.2.4).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from idcore.b64 import b64u_encode
from idcore.errors import Reason
from idcore.jwk import public_key_from_jwk
from idcore.mdoc import issue_mdoc
from idcore.mdoc.cbor import encode
from idcore.oid4vci.errors import CREDENTIAL_REQUEST_DENIED, Oid4vciError
from idcore.oid4vci.proof import KeyProof
from idcore.ports import RandomSource
from issuer.keys import MdocKeys
from issuer.subjects import Subject
from issuer.types_mdoc import MdocConfiguration

__all__ = ["mdoc_elements", "sign_mdoc", "valid_until"]

_DAY = 86400


def mdoc_elements(config: MdocConfiguration, subject: Subject, now: int) -> dict[str, dict[str, Any]]:
    """The subject's elements for ``config``; ``credential_request_denied`` when the register has none."""
    elements = config.elements(subject, datetime.fromtimestamp(now, UTC).date())
    if elements is None:
        raise Oid4vciError(
            CREDENTIAL_REQUEST_DENIED, Reason.NOT_AUTHORISED, f"no {config.doctype} can be issued for this subject"
        )
    return elements


def valid_until(config: MdocConfiguration, keys: MdocKeys, signed: int) -> int:
    """``validUntil``: the configuration's validity, never past the Document Signer certificate."""
    not_after = int(keys.certificate.not_valid_after_utc.timestamp())
    return min(signed + config.validity_days * _DAY, not_after)


def sign_mdoc(
    config: MdocConfiguration,
    keys: MdocKeys,
    *,
    elements: dict[str, dict[str, Any]],
    proof: KeyProof,
    signed: int,
    until: int,
    status: dict[str, Any],
    rng: RandomSource,
) -> str:
    """One IssuerSigned for the proven key, base64url-encoded for the Credential Response."""
    signed_at = datetime.fromtimestamp(signed, UTC)
    issuer_signed = issue_mdoc(
        doctype=config.doctype,
        claims=elements,
        device_key=public_key_from_jwk(proof.jwk),
        signer=keys.signer,
        signer_chain=[keys.certificate],
        signed=signed_at,
        valid_from=signed_at,
        valid_until=datetime.fromtimestamp(until, UTC),
        rng=rng,
        status=status,
    )
    return b64u_encode(encode(issuer_signed))
