"""idcore.mdoc issue -> present -> verify, and a tampered twin for every check (ISO/IEC 18013-5 9.3.1, 9.1.3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from idcore.errors import MdocError, Reason
from idcore.jose import KeySigner
from idcore.mdoc import MdocVerifyOptions, device_response, present_mdoc, verify_device_response, verify_mdoc
from idcore.mdoc.cbor import decode, encode
from idcore.mdoc.cose import HEADER_X5CHAIN, cose_key_from_public, public_key_from_cose, sign1
from tests.unit.mdoc_helpers import MDL, MDL_NS, NOW, MdocPki, clock, transcript

Document = dict[str, Any]


@pytest.fixture(scope="module")
def pki() -> MdocPki:
    return MdocPki()


def options(pki: MdocPki, **overrides: Any) -> MdocVerifyOptions:
    values: dict[str, Any] = {"trust_anchors": pki.anchors, "clock": clock(), "session_transcript": transcript()}
    values.update(overrides)
    return MdocVerifyOptions(**values)


def presented(pki: MdocPki, issuer_signed: dict[str, Any] | None = None, **kwargs: Any) -> Document:
    arguments: dict[str, Any] = {
        "doctype": MDL,
        "device_signer": KeySigner(pki.device_key),
        "session_transcript": transcript(),
    }
    arguments.update(kwargs)
    return present_mdoc(issuer_signed or pki.issue(), **arguments)


def rejected(pki: MdocPki, document: Document, reason: Reason, **overrides: Any) -> MdocError:
    with pytest.raises(MdocError) as caught:
        verify_device_response(device_response([document]), options(pki, **overrides))
    assert caught.value.reason is reason, caught.value
    return caught.value


def test_round_trip_verifies_with_selective_disclosure(pki: MdocPki) -> None:
    document = presented(pki, disclose={MDL_NS: ["age_over_18", "issuing_country", "birth_date"]})
    result = verify_device_response(device_response([document]), options(pki))
    [mdoc] = result.documents
    assert mdoc.doctype == MDL
    assert mdoc.claims == {MDL_NS: {"age_over_18": True, "issuing_country": "TH", "birth_date": date(1990, 4, 2)}}
    assert mdoc.device_authenticated is True
    assert mdoc.issuer_chain[0] == pki.ds_cert
    assert mdoc.issuer_chain[-1] == pki.iaca
    assert mdoc.validity.valid_until == NOW + timedelta(days=90)
    assert mdoc.signed_at == NOW - timedelta(days=1)
    assert isinstance(mdoc.device_key, ec.EllipticCurvePublicKey)
    assert mdoc.device_key.public_numbers() == pki.device_key.public_key().public_numbers()
    assert mdoc.status is None
    assert mdoc.digest_algorithm == "SHA-256"


def test_verify_mdoc_on_one_document(pki: MdocPki) -> None:
    document = decode(encode(presented(pki)), "doc", max_bytes=1 << 20)
    assert verify_mdoc(document, options(pki)).claims[MDL_NS]["given_name"] == "Somchai"


def _items(document: Document) -> list[cbor2.CBORTag]:
    items: list[cbor2.CBORTag] = document["issuerSigned"]["nameSpaces"][MDL_NS]
    return items


def _set_item(document: Document, index: int, **changes: Any) -> Document:
    twin: Document = cbor2.loads(cbor2.dumps(document))
    item = cbor2.loads(_items(twin)[index].value)
    item.update(changes)
    _items(twin)[index] = cbor2.CBORTag(24, cbor2.dumps(item))
    return twin


def test_changed_element_value_is_digest_mismatch(pki: MdocPki) -> None:
    rejected(pki, _set_item(presented(pki), 0, elementValue="Forged"), Reason.DIGEST_MISMATCH)


def test_item_under_another_digest_id_is_digest_mismatch(pki: MdocPki) -> None:
    rejected(pki, _set_item(presented(pki), 0, digestID=4000), Reason.DIGEST_MISMATCH)


def test_duplicate_digest_id_is_refused(pki: MdocPki) -> None:
    document = presented(pki)
    first = cbor2.loads(_items(document)[0].value)
    rejected(pki, _set_item(document, 1, digestID=first["digestID"]), Reason.DUPLICATE_DIGEST)


def test_changed_mso_byte_is_bad_signature(pki: MdocPki) -> None:
    document = presented(pki)
    payload = bytearray(document["issuerSigned"]["issuerAuth"][2])
    payload[-5] ^= 0x01
    document["issuerSigned"]["issuerAuth"][2] = bytes(payload)
    rejected(pki, document, Reason.BAD_SIGNATURE)


def test_changed_device_signature_is_device_auth_invalid(pki: MdocPki) -> None:
    document = presented(pki)
    signature = bytearray(document["deviceSigned"]["deviceAuth"]["deviceSignature"][3])
    signature[10] ^= 0x01
    document["deviceSigned"]["deviceAuth"]["deviceSignature"][3] = bytes(signature)
    rejected(pki, document, Reason.DEVICE_AUTH_INVALID)


def test_other_transaction_transcript_is_device_auth_invalid(pki: MdocPki) -> None:
    rejected(pki, presented(pki), Reason.DEVICE_AUTH_INVALID, session_transcript=transcript("another-nonce"))


def test_device_signature_by_another_key_is_device_auth_invalid(pki: MdocPki) -> None:
    stranger = KeySigner(ec.generate_private_key(ec.SECP256R1()))
    rejected(pki, presented(pki, device_signer=stranger), Reason.DEVICE_AUTH_INVALID)


def test_wrong_doctype_in_document_is_doctype_mismatch(pki: MdocPki) -> None:
    document = presented(pki)
    document["docType"] = "org.iso.23220.photoid.1"
    rejected(pki, document, Reason.DOCTYPE_MISMATCH)


def test_unexpected_doctype_is_doctype_mismatch(pki: MdocPki) -> None:
    rejected(pki, presented(pki), Reason.DOCTYPE_MISMATCH, expected_doctype="eu.europa.ec.eudi.pid.1")
    assert verify_device_response(device_response([presented(pki)]), options(pki, expected_doctype=MDL))


@pytest.mark.parametrize(
    ("at", "reason"),
    [
        (NOW + timedelta(days=91), Reason.EXPIRED),
        (NOW - timedelta(days=2), Reason.NOT_YET_VALID),
        (NOW + timedelta(days=400), Reason.EXPIRED),
    ],
)
def test_outside_validity_window(pki: MdocPki, at: Any, reason: Reason) -> None:
    rejected(pki, presented(pki), reason, clock=clock(at))


def test_document_signer_expired_before_the_mso(pki: MdocPki) -> None:
    issuer_signed = pki.issue(valid_until=NOW + timedelta(days=500))
    rejected(pki, presented(pki, issuer_signed), Reason.CERT_EXPIRED, clock=clock(NOW + timedelta(days=400)))


def test_untrusted_and_empty_trust_lists(pki: MdocPki) -> None:
    other = MdocPki()
    rejected(pki, presented(pki), Reason.UNTRUSTED_ISSUER, trust_anchors=other.anchors)
    rejected(pki, presented(pki), Reason.UNTRUSTED_ISSUER, trust_anchors=[])


def test_expired_iaca_is_cert_expired(pki: MdocPki) -> None:
    from idcore.x509 import create_root_ca

    expired = create_root_ca(
        pki.iaca_key,
        common_name="TH IACA (test)",
        country="TH",
        organization="Lintas test",
        not_before=NOW - timedelta(days=400),
        not_after=NOW - timedelta(days=1),
    )
    rejected(pki, presented(pki), Reason.CERT_EXPIRED, trust_anchors=[expired])


def test_document_signer_without_mdl_ds_eku_is_refused(pki: MdocPki) -> None:
    from idcore.x509 import create_issuer_certificate

    plain_cert = create_issuer_certificate(
        pki.iaca_key,
        pki.iaca,
        pki.ds_key.public_key(),
        common_name="no EKU",
        country="TH",
        organization="Lintas test",
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=30),
    )
    rejected(pki, presented(pki, pki.issue(signer_chain=[plain_cert])), Reason.CERT_USAGE)


def test_x5chain_missing_is_malformed(pki: MdocPki) -> None:
    document = presented(pki)
    document["issuerSigned"]["issuerAuth"][1] = {}
    rejected(pki, document, Reason.MALFORMED)


def test_issuer_alg_outside_allow_list(pki: MdocPki) -> None:
    rejected(pki, presented(pki), Reason.ALG_NOT_ALLOWED, issuer_algorithms=frozenset({-35}))


def test_device_mac_is_refused_clearly(pki: MdocPki) -> None:
    document = presented(pki)
    document["deviceSigned"]["deviceAuth"] = {"deviceMac": [encode({1: 5}), {}, None, b"\x00" * 32]}
    rejected(pki, document, Reason.DEVICE_MAC_UNSUPPORTED)


def test_device_signed_elements_need_key_authorisation(pki: MdocPki) -> None:
    document = presented(pki)
    document["deviceSigned"]["nameSpaces"] = cbor2.CBORTag(24, encode({MDL_NS: {"family_name": "Forged"}}))
    rejected(pki, document, Reason.DEVICE_KEY_NOT_AUTHORISED)


def test_attached_device_signature_payload_is_malformed(pki: MdocPki) -> None:
    document = presented(pki)
    document["deviceSigned"]["deviceAuth"]["deviceSignature"] = sign1(KeySigner(pki.device_key), b"x")
    rejected(pki, document, Reason.MALFORMED)


def test_device_auth_skipped_only_by_explicit_choice(pki: MdocPki) -> None:
    response = device_response([presented(pki)])
    result = verify_device_response(response, options(pki, session_transcript=None, require_device_auth=False))
    assert result.documents[0].device_authenticated is False
    with pytest.raises(ValueError, match="session_transcript"):
        verify_device_response(response, options(pki, session_transcript=None))


@pytest.mark.parametrize("algorithm", ["SHA-384", "SHA-512"])
def test_other_digest_algorithms(pki: MdocPki, algorithm: str) -> None:
    document = presented(pki, pki.issue(digest_algorithm=algorithm))
    assert verify_device_response(device_response([document]), options(pki)).documents[0].digest_algorithm == algorithm
    rejected(pki, document, Reason.UNSUPPORTED_DIGEST_ALG, digest_algorithms=frozenset({"SHA-256"}))


def test_ed25519_device_key_and_status_reference(pki: MdocPki) -> None:
    device = ed25519.Ed25519PrivateKey.generate()
    status = {"status_list": {"idx": 412, "uri": "https://issuer.example.th/status/1"}}
    issuer_signed = pki.issue(device_key=device.public_key(), status=status)
    document = presented(pki, issuer_signed, device_signer=KeySigner(device))
    mdoc = verify_device_response(device_response([document]), options(pki)).documents[0]
    assert mdoc.status == status
    assert isinstance(mdoc.device_key, ed25519.Ed25519PublicKey)


def _response_with(**changes: Any) -> bytes:
    response: dict[str, Any] = {"version": "1.0", "documents": [], "status": 0}
    response.update(changes)
    return encode(response)


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (_response_with(status=10), Reason.WALLET_ERROR),
        (_response_with(), Reason.MALFORMED),
        (_response_with(version=1), Reason.MALFORMED),
        (encode([1, 2]), Reason.MALFORMED),
        (b"\xa2\x61a\x01\x61a\x02", Reason.DUPLICATE_MEMBER),
        (encode({"a": 1}) + b"\x00", Reason.MALFORMED),
        (b"\xff", Reason.MALFORMED),
    ],
)
def test_device_response_shape(pki: MdocPki, response: bytes, reason: Reason) -> None:
    with pytest.raises(MdocError) as caught:
        verify_device_response(response, options(pki))
    assert caught.value.reason is reason


def test_size_and_count_limits(pki: MdocPki) -> None:
    document = presented(pki)
    with pytest.raises(MdocError) as caught:
        verify_device_response(device_response([document] * 11), options(pki))
    assert caught.value.reason is Reason.TOO_LARGE
    with pytest.raises(MdocError) as caught:
        verify_device_response(device_response([document]), options(pki, max_bytes=100))
    assert caught.value.reason is Reason.TOO_LARGE


def test_too_many_items_in_a_namespace(pki: MdocPki) -> None:
    claims = {MDL_NS: {f"e{i}": i for i in range(257)}}
    rejected(pki, presented(pki, pki.issue(claims=claims)), Reason.TOO_LARGE)


@pytest.mark.parametrize(
    "key",
    [
        {1: 2, -1: 1, -2: b"\x01" * 32, -3: b"\x02" * 32},
        {1: 2, -1: 1, -2: b"\x01" * 31, -3: b"\x02" * 32},
        {1: 2, -1: 1, -2: b"\x01" * 32, -3: True},
        {1: 3, -1: b"n", -2: b"e"},
        {1: 1, -1: 6, -2: b"x", -4: b"d"},
        [],
    ],
)
def test_bad_cose_keys(key: Any) -> None:
    with pytest.raises(MdocError) as caught:
        public_key_from_cose(key)
    assert caught.value.reason in {Reason.BAD_KEY, Reason.PRIVATE_KEY_IN_HEADER}


@pytest.mark.parametrize("make", [lambda: ec.generate_private_key(ec.SECP384R1()), ed25519.Ed25519PrivateKey.generate])
def test_cose_key_round_trip(make: Callable[[], Any]) -> None:
    public = make().public_key()
    assert public_key_from_cose(cose_key_from_public(public)) == public


def test_header_in_both_buckets_and_crit_are_refused(pki: MdocPki) -> None:
    document = presented(pki)
    document["issuerSigned"]["issuerAuth"][1][1] = -7
    rejected(pki, document, Reason.MALFORMED)
    document = presented(pki)
    document["issuerSigned"]["issuerAuth"][1][2] = [99]
    rejected(pki, document, Reason.UNKNOWN_CRIT)
    assert HEADER_X5CHAIN in presented(pki)["issuerSigned"]["issuerAuth"][1]
