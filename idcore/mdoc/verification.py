"""Verification of an mdoc Document and a DeviceResponse (ISO/IEC 18013-5:2021 Section 8.3.2.1.2.2,
9.3.1 issuer data authentication, 9.1.3 mdoc authentication; OpenID4VP 1.0 Appendix B.2).

::

    DeviceResponse = {"version": tstr, ? "documents": [+ Document], ? "documentErrors": [...], "status": uint}
    Document = {"docType": tstr, "issuerSigned": IssuerSigned, "deviceSigned": DeviceSigned, ? "errors": ...}
    DeviceSigned = {"nameSpaces": DeviceNameSpacesBytes, "deviceAuth": DeviceAuth}
    DeviceNameSpacesBytes = #6.24(bstr .cbor {* NameSpace => {+ DataElementIdentifier => any}})
    DeviceAuth = {"deviceSignature": COSE_Sign1} / {"deviceMac": COSE_Mac0}

mdoc authentication is required by default: the caller passes the SessionTranscript it built for
this transaction (see :mod:`idcore.mdoc.transcript`) and the deviceSignature must verify, with the
MSO's device key, over DeviceAuthenticationBytes as a detached payload. ``deviceMac`` (ECDH-derived
HMAC, Section 9.1.3.5) is not implemented and is refused with ``device_mac_unsupported``.
Device-signed elements must be authorised by the MSO's keyAuthorizations and are reported apart
from the issuer-signed claims. Verifying issuer data only is an explicit caller choice
(``require_device_auth=False``), for inspection tools; a relying party never makes it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography import x509

from idcore.errors import MdocError, Reason
from idcore.jwk import PublicKey
from idcore.mdoc.cbor import decode, plain, unembed
from idcore.mdoc.cose import COSE_ALGS, parse_sign1, verify_sign1
from idcore.mdoc.issuer_signed import VerifiedIssuerSigned, verify_issuer_signed
from idcore.mdoc.mso import DIGEST_ALGORITHMS, MAX_NAMESPACES, MobileSecurityObject, ValidityInfo
from idcore.mdoc.transcript import device_authentication_bytes
from idcore.ports import Clock

__all__ = [
    "MAX_DOCUMENTS",
    "MAX_RESPONSE_BYTES",
    "MdocVerifyOptions",
    "VerifiedDeviceResponse",
    "VerifiedMdoc",
    "read_device_response",
    "read_document",
    "verify_device_response",
    "verify_device_signed",
    "verify_mdoc",
]

MAX_RESPONSE_BYTES = 1024 * 1024
MAX_DOCUMENTS = 10
_DEVICE_NS_MAX_BYTES = 64 * 1024
_ALL_ALGS = frozenset(COSE_ALGS)


@dataclass(frozen=True, slots=True)
class MdocVerifyOptions:
    """Verifier policy for one DeviceResponse or Document.

    ``session_transcript`` is the encoded SessionTranscript of this transaction; it is required
    unless ``require_device_auth`` is explicitly False. An empty ``trust_anchors`` trusts nobody.
    """

    trust_anchors: Sequence[x509.Certificate]
    clock: Clock
    session_transcript: bytes | None = None
    require_device_auth: bool = True
    expected_doctype: str | None = None
    max_skew: int = 60
    issuer_algorithms: frozenset[int] = _ALL_ALGS
    device_algorithms: frozenset[int] = _ALL_ALGS
    digest_algorithms: frozenset[str] = frozenset(DIGEST_ALGORITHMS)
    max_bytes: int = MAX_RESPONSE_BYTES


@dataclass(frozen=True, slots=True)
class VerifiedMdoc:
    """A verified mdoc in format-neutral terms."""

    doctype: str
    #: Issuer-signed, digest-checked elements: namespace -> element identifier -> value.
    claims: dict[str, dict[str, Any]]
    #: Validated certificate path, Document Signer first, trust anchor (IACA) last.
    issuer_chain: tuple[x509.Certificate, ...]
    validity: ValidityInfo
    device_key: PublicKey
    #: The MSO ``status`` member (Token Status List reference), if any.
    status: Mapping[str, Any] | None
    #: True only when the deviceSignature was verified over the caller's SessionTranscript.
    device_authenticated: bool
    digest_algorithm: str
    #: Device-signed elements (authorised by keyAuthorizations); not issuer-attested.
    device_claims: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def signed_at(self) -> datetime:
        """When the issuer signed the MSO (validityInfo.signed)."""
        return self.validity.signed


@dataclass(frozen=True, slots=True)
class VerifiedDeviceResponse:
    """A verified DeviceResponse: every document in it passed."""

    version: str
    status: int
    documents: tuple[VerifiedMdoc, ...]


def _now(options: MdocVerifyOptions) -> datetime:
    return datetime.fromtimestamp(options.clock.now(), UTC)


def _device_namespaces(raw: Any, mso: MobileSecurityObject) -> tuple[bytes, dict[str, dict[str, Any]]]:
    """DeviceNameSpacesBytes: shape, limits and keyAuthorizations (Section 9.1.2.4)."""
    content, namespaces = unembed(raw, "DeviceNameSpacesBytes", max_bytes=_DEVICE_NS_MAX_BYTES)
    if not isinstance(namespaces, dict) or len(namespaces) > MAX_NAMESPACES:
        raise MdocError(Reason.MALFORMED, "DeviceNameSpaces must be a map of namespaces")
    claims: dict[str, dict[str, Any]] = {}
    for namespace, elements in namespaces.items():
        if not isinstance(namespace, str) or not isinstance(elements, dict) or not elements:
            raise MdocError(Reason.MALFORMED, "DeviceNameSpaces must map a namespace to elements")
        for element, value in elements.items():
            if not isinstance(element, str):
                raise MdocError(Reason.MALFORMED, "device-signed element identifier must be text")
            if not mso.key_authorizations.allows(namespace, element):
                raise MdocError(Reason.DEVICE_KEY_NOT_AUTHORISED, f"device key may not sign {namespace}/{element}")
            claims.setdefault(namespace, {})[element] = plain(value)
    return content, claims


def verify_device_signed(
    device_signed: Any,
    doctype: str,
    mso: MobileSecurityObject,
    *,
    session_transcript: bytes | None,
    algorithms: Collection[int] = _ALL_ALGS,
) -> tuple[bool, dict[str, dict[str, Any]]]:
    """Section 9.1.3 mdoc authentication: shape always; the deviceSignature when a transcript is given.

    Returns (authenticated, device-signed claims). Without ``session_transcript`` the signature is
    not checked and the answer is ``False`` (issuer data only, by the caller's explicit choice).
    Raises ``device_auth_invalid``, ``device_mac_unsupported``, ``device_key_not_authorised``, ``malformed``.
    """
    if not isinstance(device_signed, dict) or set(device_signed) != {"nameSpaces", "deviceAuth"}:
        raise MdocError(Reason.MALFORMED, "DeviceSigned must have exactly nameSpaces and deviceAuth")
    content, device_claims = _device_namespaces(device_signed["nameSpaces"], mso)
    auth = device_signed["deviceAuth"]
    if not isinstance(auth, dict) or len(auth) != 1 or not set(auth) <= {"deviceSignature", "deviceMac"}:
        raise MdocError(Reason.MALFORMED, "DeviceAuth must hold exactly one of deviceSignature or deviceMac")
    kind = next(iter(auth))
    message = parse_sign1(auth[kind], kind) if kind == "deviceSignature" else None
    if message is not None and message.payload is not None:
        raise MdocError(Reason.MALFORMED, "deviceSignature payload must be null (detached)")
    if session_transcript is None:
        return False, device_claims
    if message is None:
        raise MdocError(Reason.DEVICE_MAC_UNSUPPORTED, "deviceMac (Section 9.1.3.5) is not supported")
    payload = device_authentication_bytes(session_transcript, doctype, content)
    verify_sign1(
        message,
        mso.device_key,
        algorithms=algorithms,
        reason=Reason.DEVICE_AUTH_INVALID,
        detached_payload=payload,
    )
    return True, device_claims


def read_document(document: Any) -> tuple[str, Any, Any]:
    """Section 8.3.2.1.2.2 Document shape: return (docType, issuerSigned, deviceSigned), not yet verified."""
    if not isinstance(document, dict) or not {"docType", "issuerSigned", "deviceSigned"} <= set(document):
        raise MdocError(Reason.MALFORMED, "Document must have docType, issuerSigned and deviceSigned")
    doctype = document["docType"]
    if not isinstance(doctype, str) or not doctype:
        raise MdocError(Reason.MALFORMED, "docType must be a non-empty text string")
    return doctype, document["issuerSigned"], document["deviceSigned"]


def _verify_document(document: Any, options: MdocVerifyOptions, at: datetime) -> VerifiedMdoc:
    doctype, issuer_signed, device_signed = read_document(document)
    issuer: VerifiedIssuerSigned = verify_issuer_signed(
        issuer_signed,
        trust_anchors=options.trust_anchors,
        at=at,
        algorithms=options.issuer_algorithms,
        digest_algorithms=options.digest_algorithms,
        max_skew=options.max_skew,
    )
    mso = issuer.mso
    if doctype != mso.doctype:
        raise MdocError(Reason.DOCTYPE_MISMATCH, "Document docType differs from the signed MSO docType")
    if options.expected_doctype is not None and doctype != options.expected_doctype:
        raise MdocError(Reason.DOCTYPE_MISMATCH, f"docType {doctype!r} is not the requested one")
    authenticated, device_claims = verify_device_signed(
        device_signed, doctype, mso, session_transcript=options.session_transcript, algorithms=options.device_algorithms
    )
    return VerifiedMdoc(
        doctype=doctype,
        claims=issuer.claims,
        issuer_chain=issuer.chain,
        validity=mso.validity,
        device_key=mso.device_key,
        status=mso.status,
        device_authenticated=authenticated,
        digest_algorithm=mso.digest_algorithm,
        device_claims=device_claims,
    )


def _check_policy(options: MdocVerifyOptions) -> None:
    if options.require_device_auth and options.session_transcript is None:
        raise ValueError("require_device_auth needs the transaction's session_transcript")


def verify_mdoc(document: Any, options: MdocVerifyOptions) -> VerifiedMdoc:
    """Verify one decoded Document (Section 8.3.2.1.2.2) under ``options``; raise :class:`MdocError`."""
    _check_policy(options)
    return _verify_document(document, options, _now(options))


def verify_device_response(data: bytes, options: MdocVerifyOptions) -> VerifiedDeviceResponse:
    """Decode and verify a DeviceResponse: every Document must pass, and there must be at least one.

    ``status`` other than 0 (Section 8.3.2.1.2.3) is ``wallet_error``; ``documentErrors`` alone
    (no documents) is ``malformed``.
    """
    _check_policy(options)
    version, status, documents = read_device_response(data, max_bytes=options.max_bytes)
    at = _now(options)
    verified = tuple(_verify_document(document, options, at) for document in documents)
    return VerifiedDeviceResponse(version=version, status=status, documents=verified)


def read_device_response(data: bytes, *, max_bytes: int = MAX_RESPONSE_BYTES) -> tuple[str, int, list[Any]]:
    """Decode a DeviceResponse (Section 8.3.2.1.2.2): return (version, status, documents), not yet verified.

    ``status`` other than 0 (Section 8.3.2.1.2.3) is ``wallet_error``; ``documentErrors`` alone
    (no documents) is ``malformed``; more than :data:`MAX_DOCUMENTS` is ``too_large``.
    """
    response = decode(data, "DeviceResponse", max_bytes=max_bytes)
    if not isinstance(response, dict):
        raise MdocError(Reason.MALFORMED, "DeviceResponse must be a map")
    version, status, documents = response.get("version"), response.get("status"), response.get("documents")
    if not isinstance(version, str) or not version.startswith("1."):
        raise MdocError(Reason.MALFORMED, "DeviceResponse version must be 1.x")
    if isinstance(status, bool) or not isinstance(status, int) or status < 0:
        raise MdocError(Reason.MALFORMED, "DeviceResponse status must be an unsigned integer")
    if status != 0:
        raise MdocError(Reason.WALLET_ERROR, f"DeviceResponse status {status}")
    if not isinstance(documents, list) or not documents:
        raise MdocError(Reason.MALFORMED, "DeviceResponse holds no documents")
    if len(documents) > MAX_DOCUMENTS:
        raise MdocError(Reason.TOO_LARGE, f"more than {MAX_DOCUMENTS} documents")
    return version, status, documents
