"""idcore.trust.anchors: what may be a national root (issuer chains: test_trust_framework.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.errors import Reason, X509Error
from idcore.trust.anchors import check_anchor_certificate
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
    assert {"AseanTrustList", "TrustFramework", "is_authorised", "TrustListCache", "verify_trust_list"} <= exported
    for name in exported:
        assert getattr(idcore.trust, name) is not None
    assert len(exported) == len(idcore.trust.__all__)  # no name listed twice
