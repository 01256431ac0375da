"""ISO/IEC 18013-5:2021 mdoc: issuer data (IssuerSigned + MSO), DeviceResponse and mdoc authentication.

Modules, each citing its sections:

* :mod:`idcore.mdoc.cbor` strict CBOR (tags 24/0/1004/18 only, no duplicate keys, limits);
* :mod:`idcore.mdoc.cose` COSE_Sign1, COSE_Key, x5chain (RFC 9052, 9053, 9360);
* :mod:`idcore.mdoc.pki` IACA -> Document Signer path validation (Annex B);
* :mod:`idcore.mdoc.mso` the Mobile Security Object (Section 9.1.2.4);
* :mod:`idcore.mdoc.issuer_signed` issuer data authentication (Section 9.3.1);
* :mod:`idcore.mdoc.transcript` SessionTranscript for OpenID4VP 1.0 (Appendix B.2.6) and
  DeviceAuthenticationBytes (Section 9.1.3.4);
* :mod:`idcore.mdoc.verification` :func:`verify_mdoc` / :func:`verify_device_response`;
* :mod:`idcore.mdoc.issuance` :func:`issue_mdoc`, :func:`present_mdoc`, :func:`device_response`.
"""

from idcore.mdoc.issuance import device_response, issue_mdoc, present_mdoc
from idcore.mdoc.pki import create_document_signer_certificate
from idcore.mdoc.transcript import (
    dc_api_session_transcript,
    openid4vp_session_transcript,
    session_transcript_from_bytes,
)
from idcore.mdoc.verification import MdocVerifyOptions, VerifiedMdoc, verify_device_response, verify_mdoc

__all__ = [
    "MdocVerifyOptions",
    "VerifiedMdoc",
    "create_document_signer_certificate",
    "dc_api_session_transcript",
    "device_response",
    "issue_mdoc",
    "openid4vp_session_transcript",
    "present_mdoc",
    "session_transcript_from_bytes",
    "verify_device_response",
    "verify_mdoc",
]
