"""The ISO mdoc credential verifier (OpenID4VP 1.0 Appendix B.2; ISO/IEC 18013-5:2021 Sections
8.3.2.1.2.2, 9.1.3 and 9.3.1), behind the same interface and stages as SD-JWT VC.

The presentation is the base64url-encoded DeviceResponse holding one Document (Appendix B.2.5).
Stages, each once, built from the steps of :mod:`idcore.mdoc.verification` and
:mod:`idcore.mdoc.issuer_signed`:

* ``parsing``: base64url, the DeviceResponse (size cap, version 1.x, status 0, exactly one
  Document), the Document, the IssuerSigned items, the issuerAuth COSE_Sign1 and its x5chain,
  the MSO decoded (not yet believed) and its docType equal to the Document's
  (``doctype_mismatch``) — the trust framework is asked about the signer before the signature
  is checked, and nothing read here is used unless that signature verifies;
* ``issuer_signature``: the trust framework judges the Document Signer chain (Annex B.1.4
  profile) for the issuer its certificate names (URI subjectAltName) and the country it names
  (countryName, Annex B.1.4), and gives its key; issuerAuth verifies with it (COSE algorithm
  allow-list), and every disclosed item's digest matches the MSO (Section 9.3.1);
* ``registry_authorisation``: the framework's authorisation of that issuer for the docType at
  ``validityInfo.signed``;
* ``validity``: ``validFrom``..``validUntil`` at the verification time;
* ``holder_binding``: the deviceSignature over DeviceAuthenticationBytes with this transaction's
  SessionTranscript and the MSO's device key (Section 9.1.3.6), device-signed elements only as
  the MSO's keyAuthorizations allow; ``deviceMac`` is refused (``device_mac_unsupported``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from idcore.b64 import b64u_decode
from idcore.credentials.model import CredentialError, Stage, VerificationContext, VerifiedCredential
from idcore.errors import IdcoreError, MdocError, Reason
from idcore.mdoc.cbor import json_ready
from idcore.mdoc.cose import COSE_ALGS, verify_sign1
from idcore.mdoc.issuer_signed import IssuerSignedParts, check_digests, check_mso_validity, read_issuer_signed
from idcore.mdoc.mso import DIGEST_ALGORITHMS
from idcore.mdoc.verification import MAX_RESPONSE_BYTES, read_device_response, read_document, verify_device_signed
from idcore.trust.framework import FORMAT_MDOC, IssuerEvidence, TrustJudgement
from idcore.x509 import san_uris, x5c_from_certificates

__all__ = ["MdocVerifier"]


@dataclass(frozen=True, slots=True)
class _Parsed:
    doctype: str
    issuer: IssuerSignedParts
    device_signed: Any


def _name_attribute(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str | None:
    values = cert.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if len(values) == 1 else None


class MdocVerifier:
    """:class:`~idcore.credentials.model.CredentialVerifier` for ``mso_mdoc``; stateless and thread-safe."""

    format = FORMAT_MDOC

    def __init__(
        self,
        *,
        issuer_algorithms: frozenset[int] = frozenset(COSE_ALGS),
        device_algorithms: frozenset[int] = frozenset(COSE_ALGS),
        digest_algorithms: frozenset[str] = frozenset(DIGEST_ALGORITHMS),
        max_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        """Configure the COSE and digest algorithm allow-lists and the DeviceResponse size cap."""
        self._issuer_algorithms = issuer_algorithms
        self._device_algorithms = device_algorithms
        self._digest_algorithms = digest_algorithms
        self._max_bytes = max_bytes

    def verify(self, raw: Any, context: VerificationContext) -> VerifiedCredential:
        """Verify one mdoc presentation (see the module docstring); raise :class:`CredentialError`."""
        if context.require_holder_binding and context.session_transcript is None:
            raise CredentialError(Stage.PARSING, Reason.DEVICE_AUTH_INVALID, "holder binding needs a SessionTranscript")
        parsed = self._parse(raw)
        mso = parsed.issuer.mso
        judgement, evidence, claims = self._authenticate(parsed, context)
        if not judgement.trusted:
            raise CredentialError(Stage.REGISTRY, judgement.error().reason, judgement.why)
        try:
            check_mso_validity(mso, datetime.fromtimestamp(context.now, UTC), timedelta(seconds=context.max_skew))
        except IdcoreError as exc:
            raise CredentialError.at(Stage.VALIDITY, exc) from None
        try:
            bound, _device_claims = verify_device_signed(
                parsed.device_signed,
                parsed.doctype,
                mso,
                session_transcript=context.session_transcript,
                algorithms=self._device_algorithms,
            )
        except IdcoreError as exc:
            raise CredentialError.at(Stage.HOLDER_BINDING, exc) from None
        assert judgement.issuer is not None  # noqa: S101 - a trusted judgement names its issuer
        return VerifiedCredential(
            format=self.format,
            credential_type=parsed.doctype,
            issuer=judgement.issuer,
            # Issuer-signed elements only: device-signed ones are not attested by the issuer.
            claims=json_ready(claims),
            issued_at=evidence.issued_at,
            valid_from=int(mso.validity.valid_from.timestamp()),
            valid_until=int(mso.validity.valid_until.timestamp()),
            holder_key=mso.device_key,
            holder_bound=bound,
            status=mso.status,
            trust=judgement,
            evidence=evidence,
        )

    def _parse(self, raw: Any) -> _Parsed:
        try:
            if not isinstance(raw, str):
                raise MdocError(Reason.MALFORMED, "an mso_mdoc presentation is a base64url string")
            if len(raw) > (self._max_bytes * 4 + 2) // 3:
                raise MdocError(Reason.TOO_LARGE, "DeviceResponse larger than allowed")
            _, _, documents = read_device_response(b64u_decode(raw), max_bytes=self._max_bytes)
            if len(documents) != 1:
                raise MdocError(Reason.MALFORMED, "one Document per presentation (OpenID4VP Appendix B.2.5)")
            doctype, issuer_signed, device_signed = read_document(documents[0])
            issuer = read_issuer_signed(issuer_signed, digest_algorithms=self._digest_algorithms)
            if issuer.mso.doctype != doctype:
                raise MdocError(Reason.DOCTYPE_MISMATCH, "Document docType differs from the signed MSO docType")
        except IdcoreError as exc:
            raise CredentialError.at(Stage.PARSING, exc) from None
        return _Parsed(doctype, issuer, device_signed)

    def _evidence(self, parsed: _Parsed, context: VerificationContext) -> IssuerEvidence:
        signer = parsed.issuer.chain[0]
        uris = san_uris(signer)
        return IssuerEvidence(
            format=self.format,
            issuer_id=uris[0] if uris else None,
            credential_type=parsed.doctype,
            issued_at=int(parsed.issuer.mso.validity.signed.timestamp()),
            at=context.now,
            x5c=tuple(x5c_from_certificates(parsed.issuer.chain)),
            country=_name_attribute(signer, NameOID.COUNTRY_NAME),
        )

    def _authenticate(
        self, parsed: _Parsed, context: VerificationContext
    ) -> tuple[TrustJudgement, IssuerEvidence, Mapping[str, Mapping[str, Any]]]:
        """``issuer_signature``: the framework's key for the Document Signer, issuerAuth, then the digests."""
        try:
            evidence = self._evidence(parsed, context)
            judgement = context.trust.judge(evidence)
            if judgement.key is None:
                raise judgement.error()
            issuer = parsed.issuer
            verify_sign1(issuer.auth, judgement.key, algorithms=self._issuer_algorithms, reason=Reason.BAD_SIGNATURE)
            claims = check_digests(issuer.mso, issuer.items)
        except IdcoreError as exc:
            raise CredentialError.at(Stage.ISSUER_SIGNATURE, exc) from None
        return judgement, evidence, claims
