"""idcore.trust.anchors: what may be a national root, and tying an issuer's x5c to its own country only."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from idcore.errors import Reason, TrustError, X509Error
from idcore.trust import SERVICE_PID_ISSUANCE, VCT_PID, TrustList, TrustSnapshot
from idcore.trust.anchors import check_anchor_certificate, find_issuer_for_certificate
from idcore.x509 import create_issuer_certificate, create_root_ca

NOW = 1_800_000_000
START = datetime.fromtimestamp(NOW, UTC) - timedelta(days=1)
SG_ID = "https://pid.sg.example"
MY_ID = "https://pid.my.example"


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


Root = tuple[ec.EllipticCurvePrivateKey, x509.Certificate]


def make_root(country: str, *, days: int = 365, start: datetime = START) -> Root:
    key = _key()
    cert = create_root_ca(
        key,
        common_name=f"{country} root",
        country=country,
        organization=f"{country} gov",
        not_before=start,
        not_after=start + timedelta(days=days),
    )
    return key, cert


def make_leaf(root: Root, san: str, country: str) -> x509.Certificate:
    key, cert = root
    return create_issuer_certificate(
        key,
        cert,
        _key().public_key(),
        common_name="issuer",
        country=country,
        organization="gov",
        not_before=START,
        not_after=START + timedelta(days=30),
        san_uris=[san],
    )


def _der(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(Encoding.DER)).decode()


def _country(code: str, root: x509.Certificate, issuer_id: str) -> dict[str, Any]:
    return {
        "code": code,
        "names": {"en": code, "ms": code},
        "anchors": [_der(root)],
        "issuers": [
            {
                "id": issuer_id,
                "names": {"en": "PID", "ms": "PID"},
                "service_types": [SERVICE_PID_ISSUANCE],
                "vcts": [VCT_PID],
                "assurance_level": "high",
                "status_history": [{"status": "granted", "since": NOW - 100}],
            }
        ],
    }


@pytest.fixture(scope="module")
def pki() -> dict[str, Any]:
    sg_root, my_root = make_root("SG"), make_root("MY")
    doc = {
        "format": "lintas-trust-list/1",
        "iss": "https://registry.example",
        "iat": NOW,
        "sequence_number": 1,
        "next_update": NOW + 100,
        "scheme_operator": {"names": {"en": "op", "ms": "op"}, "uri": "https://registry.example"},
        "countries": [_country("SG", sg_root[1], SG_ID), _country("MY", my_root[1], MY_ID)],
    }
    return {"sg": sg_root, "my": my_root, "snapshot": TrustSnapshot(TrustList.from_json(doc))}


def test_issuer_chain_to_its_own_country(pki: dict[str, Any]) -> None:
    leaf = make_leaf(pki["sg"], SG_ID, "SG")
    match = find_issuer_for_certificate(pki["snapshot"], SG_ID, [leaf], NOW)
    assert match.issuer.issuer_id == SG_ID
    assert match.country == "SG"
    assert match.leaf == leaf


def test_another_countrys_root_does_not_vouch(pki: dict[str, Any]) -> None:
    """A certificate for the SG issuer id, but issued by the MY root, is refused."""
    leaf = make_leaf(pki["my"], SG_ID, "MY")
    with pytest.raises(X509Error) as info:
        find_issuer_for_certificate(pki["snapshot"], SG_ID, [leaf], NOW)
    assert info.value.reason is Reason.UNTRUSTED_ISSUER


def test_leaf_must_name_the_issuer(pki: dict[str, Any]) -> None:
    leaf = make_leaf(pki["sg"], "https://someone-else.sg.example", "SG")
    with pytest.raises(TrustError) as info:
        find_issuer_for_certificate(pki["snapshot"], SG_ID, [leaf], NOW)
    assert info.value.reason is Reason.ISSUER_MISMATCH


def test_unlisted_issuer_is_untrusted(pki: dict[str, Any]) -> None:
    leaf = make_leaf(pki["sg"], "https://unlisted.example", "SG")
    with pytest.raises(TrustError) as info:
        find_issuer_for_certificate(pki["snapshot"], "https://unlisted.example", [leaf], NOW)
    assert info.value.reason is Reason.UNTRUSTED_ISSUER


def test_expired_leaf_is_refused(pki: dict[str, Any]) -> None:
    leaf = make_leaf(pki["sg"], SG_ID, "SG")
    with pytest.raises(X509Error) as info:
        find_issuer_for_certificate(pki["snapshot"], SG_ID, [leaf], NOW + 40 * 86400)
    assert info.value.reason is Reason.CERT_EXPIRED


def test_empty_snapshot_trusts_nobody(pki: dict[str, Any]) -> None:
    leaf = make_leaf(pki["sg"], SG_ID, "SG")
    with pytest.raises(TrustError) as info:
        find_issuer_for_certificate(TrustSnapshot.empty(), SG_ID, [leaf], NOW)
    assert info.value.reason is Reason.UNTRUSTED_ISSUER


def test_valid_root_is_accepted() -> None:
    check_anchor_certificate(make_root("SG")[1], NOW)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: make_leaf(make_root("SG"), SG_ID, "SG"), Reason.CERT_USAGE),
        (lambda: make_root("SG", days=1, start=START - timedelta(days=5))[1], Reason.CERT_EXPIRED),
        (lambda: make_root("SG", start=START + timedelta(days=5))[1], Reason.CERT_NOT_YET_VALID),
    ],
)
def test_bad_anchors_are_refused(make: Any, reason: Reason) -> None:
    with pytest.raises(X509Error) as info:
        check_anchor_certificate(make(), NOW)
    assert info.value.reason is reason


def test_intermediate_ca_is_not_an_anchor() -> None:
    """A CA certificate that is not self-signed cannot be a national root."""
    from idcore.x509 import create_intermediate_ca

    root_key, root = make_root("SG")
    intermediate = create_intermediate_ca(
        root_key,
        root,
        _key().public_key(),
        common_name="sub",
        country="SG",
        organization="gov",
        not_before=START,
        not_after=START + timedelta(days=9),
    )
    with pytest.raises(X509Error) as info:
        check_anchor_certificate(intermediate, NOW)
    assert info.value.reason is Reason.CHAIN_INVALID


def test_public_api_is_complete() -> None:
    import idcore.trust

    exported = set(idcore.trust.__all__)
    assert {"find_issuer_for_certificate", "is_authorised", "TrustListCache", "verify_trust_list"} <= exported
    for name in exported:
        assert getattr(idcore.trust, name) is not None
    assert len(exported) == len(idcore.trust.__all__)  # no name listed twice
