"""Registered federation keys (idcore.trust.federation_keys): public P-256 only, kid = thumbprint."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.errors import Reason, TrustError
from idcore.jose import KeySigner
from idcore.trust.federation_keys import FederationKeys, normalise_jwk


def jwk(curve: ec.EllipticCurve | None = None) -> dict[str, Any]:
    return dict(KeySigner(ec.generate_private_key(curve or ec.SECP256R1())).public_jwk)


def test_keys_are_normalised_with_their_thumbprint() -> None:
    key = jwk()
    normal = normalise_jwk({**key, "use": "sig"})
    assert set(normal) == {"kty", "crv", "x", "y", "kid"}
    entry = FederationKeys.from_json({"issuer": "https://i.example", "keys": [key, jwk()]})
    assert FederationKeys.from_json(entry.to_json()) == entry


@pytest.mark.parametrize(
    "bad",
    [
        lambda: {**jwk(), "d": "AAAA"},  # a private key
        lambda: {**jwk(), "kid": "chosen-by-me"},
        lambda: jwk(ec.SECP384R1()),
        lambda: {**jwk(), "x": jwk()["x"]},  # not a point on the curve
        lambda: "not a jwk",
    ],
)
def test_bad_keys_are_refused(bad: Any) -> None:
    with pytest.raises(TrustError) as err:
        normalise_jwk(bad())
    assert err.value.reason is Reason.TRUST_LIST_INVALID


def test_entry_bounds() -> None:
    key = jwk()
    for keys in ([], [key, key], [jwk(), jwk(), jwk()]):
        with pytest.raises(TrustError):
            FederationKeys.from_json({"issuer": "https://i.example", "keys": keys})
    with pytest.raises(TrustError):
        FederationKeys.from_json({"issuer": "https://i.example", "keys": [key], "extra": 1})
