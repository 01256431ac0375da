"""SessionTranscript and DeviceAuthentication (ISO/IEC 18013-5:2021 Section 9.1.5.1, 9.1.3.4;
OpenID4VP 1.0 Appendix B.2.6 "Handover and SessionTranscript Definitions").

::

    SessionTranscript = [DeviceEngagementBytes, EReaderKeyBytes, Handover]
    ; OpenID4VP over redirects (B.2.6.1): [null, null, OpenID4VPHandover]
    OpenID4VPHandover = ["OpenID4VPHandover", sha-256(OpenID4VPHandoverInfoBytes)]
    OpenID4VPHandoverInfo = [clientId, nonce, jwkThumbprint / null, responseUri]
    ; OpenID4VP over the Digital Credentials API (B.2.6.2): [null, null, OpenID4VPDCAPIHandover]
    OpenID4VPDCAPIHandover = ["OpenID4VPDCAPIHandover", sha-256(OpenID4VPDCAPIHandoverInfoBytes)]
    OpenID4VPDCAPIHandoverInfo = [origin, nonce, jwkThumbprint / null]

    DeviceAuthentication = ["DeviceAuthentication", SessionTranscript, DocType, DeviceNameSpacesBytes]
    DeviceAuthenticationBytes = #6.24(bstr .cbor DeviceAuthentication)

The transcript is handled as its encoded bytes and spliced into DeviceAuthentication as is, so a
transcript from elsewhere (the Annex D one, a wallet's) is signed over byte for byte.
"""

from __future__ import annotations

import hashlib
from typing import Any

import cbor2

from idcore.errors import MdocError, Reason
from idcore.mdoc.cbor import TAG_EMBEDDED, decode, encode

__all__ = [
    "dc_api_session_transcript",
    "device_authentication_bytes",
    "openid4vp_session_transcript",
    "session_transcript_from_bytes",
]

MAX_TRANSCRIPT_BYTES = 64 * 1024
_JWK_THUMBPRINT_BYTES = 32


def _thumbprint(jwk_thumbprint: bytes | None) -> bytes | None:
    if jwk_thumbprint is not None and (not isinstance(jwk_thumbprint, bytes) or len(jwk_thumbprint) != 32):
        raise ValueError("jwk_thumbprint must be the 32-byte SHA-256 JWK thumbprint (RFC 7638), or None")
    return jwk_thumbprint


def _transcript(name: str, info: list[Any]) -> bytes:
    handover = [name, hashlib.sha256(encode(info)).digest()]
    return encode([None, None, handover])


def openid4vp_session_transcript(
    *, client_id: str, nonce: str, response_uri: str, jwk_thumbprint: bytes | None
) -> bytes:
    """The encoded SessionTranscript for a redirect-invoked OpenID4VP request (Appendix B.2.6.1).

    ``response_uri`` is the ``response_uri`` or ``redirect_uri`` parameter, whichever the response
    mode uses; ``jwk_thumbprint`` is the raw thumbprint of the encryption key when the response is
    encrypted (``direct_post.jwt``), else None.
    """
    info = [client_id, nonce, _thumbprint(jwk_thumbprint), response_uri]
    return _transcript("OpenID4VPHandover", info)


def dc_api_session_transcript(*, origin: str, nonce: str, jwk_thumbprint: bytes | None) -> bytes:
    """The encoded SessionTranscript for the Digital Credentials API (Appendix B.2.6.2).

    ``origin`` is the request's origin without an ``origin:`` prefix; ``jwk_thumbprint`` is set for
    ``dc_api.jwt`` and None for ``dc_api``.
    """
    if origin.startswith("origin:"):
        raise ValueError("origin must not carry the 'origin:' prefix (Appendix B.2.6.2)")
    return _transcript("OpenID4VPDCAPIHandover", [origin, nonce, _thumbprint(jwk_thumbprint)])


def session_transcript_from_bytes(data: bytes) -> bytes:
    """Accept an encoded SessionTranscript or SessionTranscriptBytes (tag 24); return the former.

    Checks the Section 9.1.5.1 shape: an array of three.
    """
    value = decode(data, "SessionTranscript", max_bytes=MAX_TRANSCRIPT_BYTES)
    if isinstance(value, cbor2.CBORTag) and value.tag == TAG_EMBEDDED and isinstance(value.value, bytes):
        data = value.value
        value = decode(data, "SessionTranscript", max_bytes=MAX_TRANSCRIPT_BYTES)
    if not isinstance(value, list) or len(value) != 3:
        raise MdocError(Reason.MALFORMED, "SessionTranscript must be an array of three")
    return bytes(data)


def device_authentication_bytes(session_transcript: bytes, doctype: str, device_namespaces_bytes: bytes) -> bytes:
    """DeviceAuthenticationBytes (Section 9.1.3.4), the detached payload of the deviceSignature.

    ``device_namespaces_bytes`` is the embedded content of DeviceNameSpacesBytes (inside tag 24);
    the transcript bytes are spliced in unchanged (an array head of 4 is 0x84).
    """
    body = b"\x84" + encode("DeviceAuthentication") + session_transcript + encode(doctype)
    body += encode(cbor2.CBORTag(TAG_EMBEDDED, device_namespaces_bytes))
    return encode(cbor2.CBORTag(TAG_EMBEDDED, body))
