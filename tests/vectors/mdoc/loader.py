"""Loaders for the mdoc vectors in this directory (sources in README.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cbor2
from cryptography import x509

HERE = Path(__file__).parent
#: A moment inside both the MSO validity (2020-10-01T13:30:02Z .. 2021-10-01T13:30:02Z) and the
#: Document Signer certificate's (2020-10-01 .. 2021-10-01) of the Annex D example.
ANNEX_D_VALID_AT = datetime(2021, 1, 1, tzinfo=UTC)


def _hex(name: str) -> bytes:
    return bytes.fromhex((HERE / name).read_text().strip())


def annex_d_device_response() -> bytes:
    """ISO/IEC 18013-5:2021 Annex D.4.1.2, the example DeviceResponse."""
    return _hex("annex_d_device_response.hex")


def annex_d_session_transcript_bytes() -> bytes:
    """ISO/IEC 18013-5:2021 Annex D.5.1, SessionTranscriptBytes (tag 24 around the transcript)."""
    return _hex("annex_d_session_transcript_bytes.hex")


def annex_d_document_signer() -> x509.Certificate:
    """The Document Signer certificate carried in the example's issuerAuth x5chain ("utopia ds")."""
    response = cbor2.loads(annex_d_device_response())
    der: bytes = response["documents"][0]["issuerSigned"]["issuerAuth"][1][33]
    return x509.load_der_x509_certificate(der)


def openid4vp_transcripts() -> dict[str, Any]:
    """The OpenID4VP 1.0 Appendix B.2.6 SessionTranscript examples."""
    data: dict[str, Any] = json.loads((HERE / "openid4vp_b2_session_transcripts.json").read_text())
    return data
