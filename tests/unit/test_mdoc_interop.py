"""Interop with an independent implementation: pymdoccbor (PyPI, test environment only).

* pymdoccbor parses and verifies (issuer signature, element digests, DS signed by the trusted
  IACA) a DeviceResponse issued and presented by idcore.mdoc, and refuses its tampered twins.
* idcore.mdoc verifies an mdoc issued by pymdoccbor. pymdoccbor has no holder side (it cannot
  build DeviceSigned/DeviceAuth), so its IssuerSigned is checked by Section 9.3.1 issuer data
  authentication and then presented with idcore's device signature; tampered twins fail.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2
import pytest

from idcore.errors import MdocError, Reason
from idcore.jose import KeySigner
from idcore.mdoc import MdocVerifyOptions, device_response, present_mdoc, verify_device_response
from idcore.mdoc.cbor import decode
from idcore.mdoc.cose import cose_key_from_public
from idcore.mdoc.issuer_signed import verify_issuer_signed
from idcore.ports import FixedClock
from tests.unit.mdoc_helpers import MDL, MDL_NS, MdocPki, transcript

pymdoccbor_issuer = pytest.importorskip("pymdoccbor.mdoc.issuer")
pymdoccbor_verifier = pytest.importorskip("pymdoccbor.mdoc.verifier")

# pymdoccbor checks certificate validity against the wall clock, so these mdocs live around now.
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def pki() -> MdocPki:
    return MdocPki(at=NOW)


def _ours(pki: MdocPki) -> bytes:
    issuer_signed = pki.issue(
        signed=NOW - timedelta(minutes=5), valid_from=NOW - timedelta(minutes=5), valid_until=NOW + timedelta(days=30)
    )
    document = present_mdoc(
        issuer_signed, doctype=MDL, device_signer=KeySigner(pki.device_key), session_transcript=transcript()
    )
    return device_response([document])


def _pymdoccbor_verifies(response: bytes, anchors: list[Any]) -> tuple[bool, dict[str, Any]]:
    parsed = pymdoccbor_verifier.MdocCbor()
    parsed.loads(response)
    ok = parsed.verify(trusted_root_certs=anchors)
    return bool(ok), parsed.disclosure_map


def test_pymdoccbor_verifies_an_idcore_mdoc(pki: MdocPki) -> None:
    ok, disclosed = _pymdoccbor_verifies(_ours(pki), pki.anchors)
    assert ok is True
    assert disclosed[MDL_NS]["family_name"] == "Saetang"
    assert disclosed[MDL_NS]["driving_privileges"][0]["vehicle_category_code"] == "B"


def test_pymdoccbor_refuses_tampered_idcore_mdocs(pki: MdocPki) -> None:
    assert _pymdoccbor_verifies(_ours(pki), MdocPki(at=NOW).anchors)[0] is False  # another IACA
    response = cbor2.loads(_ours(pki))
    item = cbor2.loads(response["documents"][0]["issuerSigned"]["nameSpaces"][MDL_NS][0].value)
    item["elementValue"] = "Forged"
    response["documents"][0]["issuerSigned"]["nameSpaces"][MDL_NS][0] = cbor2.CBORTag(24, cbor2.dumps(item))
    assert _pymdoccbor_verifies(cbor2.dumps(response), pki.anchors)[0] is False


def _theirs(pki: MdocPki) -> dict[str, Any]:
    """IssuerSigned issued by pymdoccbor with the test DS key and x5chain, decoded by idcore's strict CBOR."""
    private = pki.ds_key.private_numbers().private_value.to_bytes(32, "big")
    issuer = pymdoccbor_issuer.MdocCborIssuer(
        private_key={"KTY": "EC2", "CURVE": "P_256", "ALG": "ES256", "D": private, "KID": b"ds"}, alg="ES256"
    )
    until = NOW + timedelta(days=30)
    validity = {"issuance_date": NOW.strftime("%Y-%m-%d"), "expiry_date": until.strftime("%Y-%m-%d")}
    with warnings.catch_warnings():
        # pymdoccbor calls datetime.utcnow(), deprecated since Python 3.12; not ours to fix.
        warnings.simplefilter("ignore", DeprecationWarning)
        issuer.new(
            data={MDL_NS: {"family_name": "Saetang", "age_over_18": True, "issuing_country": "TH"}},
            doctype=MDL,
            validity=validity,
            devicekeyinfo=cose_key_from_public(pki.device_key.public_key()),
            x509_chain=[pki.ds_cert],
        )
    response = decode(issuer.dump(), "pymdoccbor output", max_bytes=1 << 20)
    issuer_signed: dict[str, Any] = response["documents"][0]["issuerSigned"]
    return issuer_signed


def _soon() -> datetime:
    """A minute after *now*: pymdoccbor stamps validFrom at the moment it issues, which may be long after NOW."""
    return datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)


def _at(moment: datetime) -> FixedClock:
    return FixedClock(int(moment.timestamp()))


def test_idcore_verifies_a_pymdoccbor_mdoc(pki: MdocPki) -> None:
    issuer_signed = _theirs(pki)
    verified = verify_issuer_signed(
        issuer_signed,
        trust_anchors=pki.anchors,
        at=_soon(),
        algorithms={-7},
        digest_algorithms={"SHA-256"},
    )
    assert verified.claims == {MDL_NS: {"family_name": "Saetang", "age_over_18": True, "issuing_country": "TH"}}
    assert verified.mso.doctype == MDL
    document = present_mdoc(
        issuer_signed,
        doctype=MDL,
        device_signer=KeySigner(pki.device_key),
        session_transcript=transcript(),
        disclose={MDL_NS: ["age_over_18"]},
    )
    options = MdocVerifyOptions(trust_anchors=pki.anchors, clock=_at(_soon()), session_transcript=transcript())
    [mdoc] = verify_device_response(device_response([document]), options).documents
    assert mdoc.claims == {MDL_NS: {"age_over_18": True}}
    assert mdoc.device_authenticated


def test_idcore_refuses_tampered_pymdoccbor_mdocs(pki: MdocPki) -> None:
    issuer_signed = _theirs(pki)
    item = cbor2.loads(issuer_signed["nameSpaces"][MDL_NS][0].value)
    item["elementValue"] = "Forged" if isinstance(item["elementValue"], str) else False
    issuer_signed["nameSpaces"][MDL_NS][0] = cbor2.CBORTag(24, cbor2.dumps(item))
    for anchors, reason in ((pki.anchors, Reason.DIGEST_MISMATCH), (MdocPki(at=NOW).anchors, Reason.UNTRUSTED_ISSUER)):
        with pytest.raises(MdocError) as caught:
            verify_issuer_signed(
                issuer_signed, trust_anchors=anchors, at=_soon(), algorithms={-7}, digest_algorithms={"SHA-256"}
            )
        assert caught.value.reason is reason
