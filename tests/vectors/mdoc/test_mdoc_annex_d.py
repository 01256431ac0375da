"""ISO/IEC 18013-5 Annex D and OpenID4VP Appendix B.2 vectors, each with tampered twins."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from idcore.b64 import b64u_decode
from idcore.errors import MdocError, Reason
from idcore.jwk import jwk_thumbprint
from idcore.mdoc import (
    MdocVerifyOptions,
    dc_api_session_transcript,
    openid4vp_session_transcript,
    session_transcript_from_bytes,
    verify_device_response,
)
from idcore.ports import FixedClock
from tests.vectors.mdoc.loader import (
    ANNEX_D_VALID_AT,
    annex_d_device_response,
    annex_d_document_signer,
    annex_d_session_transcript_bytes,
    openid4vp_transcripts,
)

MDL_NS = "org.iso.18013.5.1"


def _options(at: datetime = ANNEX_D_VALID_AT, **overrides: Any) -> MdocVerifyOptions:
    values: dict[str, Any] = {
        "trust_anchors": [annex_d_document_signer()],
        "clock": FixedClock(int(at.timestamp())),
        "require_device_auth": False,
    }
    values.update(overrides)
    return MdocVerifyOptions(**values)


def _twin(old: str, new: str, occurrence: int = 0) -> bytes:
    """The Annex D response with the ``occurrence``-th copy of hex ``old`` replaced by ``new``."""
    data = annex_d_device_response().hex()
    position = -1
    for _ in range(occurrence + 1):
        position = data.index(old, position + 1)
    assert len(old) == len(new)
    return bytes.fromhex(data[:position] + new + data[position + len(old) :])


def test_annex_d_issuer_data_verifies() -> None:
    [mdoc] = verify_device_response(annex_d_device_response(), _options()).documents
    assert mdoc.doctype == "org.iso.18013.5.1.mDL"
    claims = mdoc.claims[MDL_NS]
    assert claims["family_name"] == "Doe"
    assert claims["document_number"] == "123456789"
    assert claims["issue_date"] == date(2019, 10, 20)
    assert claims["expiry_date"] == date(2024, 10, 20)
    assert claims["driving_privileges"][1] == {
        "vehicle_category_code": "B",
        "issue_date": date(2017, 2, 23),
        "expiry_date": date(2024, 10, 20),
    }
    assert claims["portrait"][:2] == b"\xff\xd8"  # a JPEG
    assert mdoc.validity.signed == datetime(2020, 10, 1, 13, 30, 2, tzinfo=UTC)
    assert mdoc.device_authenticated is False
    assert mdoc.issuer_chain[0].subject.rfc4514_string() == "C=US,CN=utopia ds"


def test_annex_d_session_transcript_parses_and_device_mac_is_refused() -> None:
    transcript = session_transcript_from_bytes(annex_d_session_transcript_bytes())
    assert transcript.startswith(b"\x83\xd8\x18")  # [DeviceEngagementBytes, EReaderKeyBytes, Handover]
    with pytest.raises(MdocError) as caught:
        verify_device_response(annex_d_device_response(), _options(session_transcript=transcript))
    assert caught.value.reason is Reason.DEVICE_MAC_UNSUPPORTED


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        # "Doe" -> "Dof" in the family_name IssuerSignedItem.
        (lambda: _twin("63446f65", "63446f66"), Reason.DIGEST_MISMATCH),
        # One byte of the first MSO digest (digestID 0 of org.iso.18013.5.1).
        (lambda: _twin("75167333b47b6c2b", "75167333b47b6c2c"), Reason.BAD_SIGNATURE),
        # One byte of the issuer signature.
        (lambda: _twin("59e64205df1e2f70", "59e64205df1e2f71"), Reason.BAD_SIGNATURE),
        # The Document's docType (first copy; the MSO keeps the signed one): mDL -> mDM.
        (
            lambda: _twin("2e6d444c6c6973737565725369676e6564", "2e6d444d6c6973737565725369676e6564"),
            Reason.DOCTYPE_MISMATCH,
        ),
        # The response status 0 -> 10 (general error).
        (lambda: annex_d_device_response()[:-1] + b"\x0a", Reason.WALLET_ERROR),
    ],
)
def test_annex_d_tampered_twins(response: Any, reason: Reason) -> None:
    with pytest.raises(MdocError) as caught:
        verify_device_response(response(), _options())
    assert caught.value.reason is reason


@pytest.mark.parametrize(
    ("at", "reason"),
    [
        (datetime(2021, 11, 1, tzinfo=UTC), Reason.EXPIRED),  # after validUntil
        (datetime(2021, 10, 1, 6, 0, tzinfo=UTC), Reason.CERT_EXPIRED),  # the DS certificate ends first
        (datetime(2020, 9, 1, tzinfo=UTC), Reason.NOT_YET_VALID),
    ],
)
def test_annex_d_outside_its_validity(at: datetime, reason: Reason) -> None:
    with pytest.raises(MdocError) as caught:
        verify_device_response(annex_d_device_response(), _options(at))
    assert caught.value.reason is reason


def test_annex_d_without_a_trusted_anchor() -> None:
    with pytest.raises(MdocError) as caught:
        verify_device_response(annex_d_device_response(), _options(trust_anchors=[]))
    assert caught.value.reason is Reason.UNTRUSTED_ISSUER


def test_openid4vp_redirect_session_transcript_matches_appendix_b() -> None:
    vector = openid4vp_transcripts()
    thumbprint = b64u_decode(jwk_thumbprint(vector["jwk"]))
    assert thumbprint.hex() == vector["jwk_thumbprint_hex"]
    redirect = vector["redirect"]
    built = openid4vp_session_transcript(
        client_id=redirect["client_id"],
        nonce=vector["nonce"],
        response_uri=redirect["response_uri"],
        jwk_thumbprint=thumbprint,
    )
    assert built.hex() == redirect["session_transcript_hex"]
    # Twin: any change of input (here the nonce) changes the transcript.
    other = openid4vp_session_transcript(
        client_id=redirect["client_id"],
        nonce=vector["nonce"] + "x",
        response_uri=redirect["response_uri"],
        jwk_thumbprint=thumbprint,
    )
    assert other.hex() != redirect["session_transcript_hex"]


def test_dc_api_session_transcript_matches_appendix_b() -> None:
    vector = openid4vp_transcripts()
    thumbprint = bytes.fromhex(vector["jwk_thumbprint_hex"])
    dc_api = vector["dc_api"]
    built = dc_api_session_transcript(origin=dc_api["origin"], nonce=vector["nonce"], jwk_thumbprint=thumbprint)
    assert built.hex() == dc_api["session_transcript_hex"]
    unencrypted = dc_api_session_transcript(origin=dc_api["origin"], nonce=vector["nonce"], jwk_thumbprint=None)
    assert unencrypted.hex() != dc_api["session_transcript_hex"]
    with pytest.raises(ValueError, match="origin"):
        dc_api_session_transcript(origin="origin:https://example.com", nonce="n", jwk_thumbprint=None)
