"""The VN business registry issues a director's mandate (SD-JWT VC, ``VCT_MANDATE``) over OpenID4VCI."""

from __future__ import annotations

from typing import Any

from idcore.trust.vct import VCT_MANDATE
from tests.issuer.helpers import national_root, verify_credential

MANDATE_CONFIG = "asean_mandate_sd_jwt"


def test_vn_registry_issues_the_directors_mandate(make_harness: Any) -> None:
    harness = make_harness(country="VN")
    mandate_issuer = f"{harness.pid}/mandate"
    metadata = harness.client.get("/.well-known/openid-credential-issuer/vn/mandate").json()
    assert metadata["credential_issuer"] == mandate_issuer
    assert metadata["credential_configurations_supported"][MANDATE_CONFIG]["vct"] == VCT_MANDATE
    created = harness.offer("vn-song-hong-director-an", MANDATE_CONFIG)
    wallet = harness.wallet()
    issued = wallet.obtain(wallet.resolve_offer(created["offer_link_by_value"]), created["tx_code"])
    root = national_root(harness.settings.data_dir, "VN")
    verified = verify_credential(issued.credentials[0], [root], harness.clock, holder=issued.keys[0])
    assert verified.vct == VCT_MANDATE
    assert verified.iss == mandate_issuer
    claims = verified.claims
    assert claims["person_national_id"] == "001085012345"
    assert claims["business_registration_number"] == "0101234565"
    assert claims["role"] == "director"
    assert "procurement" in claims["scope"]


def test_a_mandate_is_offered_only_for_a_mandate_subject(make_harness: Any) -> None:
    harness = make_harness(country="VN")
    token = harness.operator_token()
    for subject in ("vn-nguyen-van-an", "vn-song-hong-trading"):  # a person and a business are not mandates
        body = {"subject_id": subject, "credential_configuration_id": MANDATE_CONFIG}
        answer = harness.client.post("/v1/offers", json=body, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 404, answer.text
    sg = make_harness(country="SG", data_dir=harness.settings.data_dir.parent / "sg")
    body = {"subject_id": "vn-song-hong-director-an", "credential_configuration_id": MANDATE_CONFIG}
    answer = sg.client.post("/v1/offers", json=body, headers={"Authorization": f"Bearer {sg.operator_token()}"})
    assert answer.status_code == 404  # SG has no mandate issuer, and the subject is not SG's
