"""The mdoc Document Signer certificate names its issuer (the trust list's binding, issue #15).

A generated DS certificate carries the tenant identifier as its one URI SAN; an old one without
it (what the issuer made before) is re-issued for the same key when ``generate_pki`` is on, and
refuses start-up when it is off (a provisioned certificate every verifier would refuse). Twin:
a provisioned certificate that does name the identifier is used as it is.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from idcore.jwk import public_key_from_jwk
from idcore.mdoc import create_document_signer_certificate
from idcore.x509 import certificate_from_pem, certificate_to_pem, certificates_from_pem, san_uris
from tests.issuer.conftest import Harness
from tests.issuer.helpers import national_root

MDL = "org.iso.18013.5.1.mDL"


def _th_pid(harness: Harness) -> Any:
    return next(t for t in harness.service.tenants if t.spec.slug == "th-pid")


def _ds_path(harness: Harness) -> Path:
    return harness.settings.data_dir / "issuers" / "th-pid" / "mdoc-ds-certificate.pem"


def _rewrite(harness: Harness, san: list[str]) -> bytes:
    """Replace the DS certificate with one for the same key under the TH root, naming ``san``."""
    from lintas.demo_pki import Validity, ensure_national_root

    now = datetime.now(UTC)
    root_key, root = ensure_national_root(
        harness.settings.data_dir, "TH", common_name="-", organization="-", validity=Validity(now, now)
    )
    key = _th_pid(harness).mdoc_keys.signer.public_jwk
    cert = create_document_signer_certificate(
        root_key.private_key,
        root,
        public_key_from_jwk(key),
        common_name="TH DS",
        country="TH",
        not_before=now - timedelta(hours=1),
        not_after=now + timedelta(days=30),
        san_uris=san,
    )
    pem = certificate_to_pem(cert)
    _ds_path(harness).write_bytes(pem)
    return pem


def test_the_generated_ds_certificate_names_the_issuer(make_harness: Any) -> None:
    th = make_harness(country="TH")
    cert = certificate_from_pem(_ds_path(th).read_bytes())
    assert san_uris(cert) == [th.pid]
    assert cert.issuer == national_root(th.settings.data_dir, "TH").subject
    assert MDL in th.wallet().issuer_metadata(th.pid)["credential_configurations_supported"]


def test_an_old_ds_certificate_without_the_identifier_is_reissued_in_development(make_harness: Any) -> None:
    th = make_harness(country="TH")
    old = _rewrite(th, [])
    again = make_harness(country="TH", data_dir=th.settings.data_dir)
    renewed = _ds_path(again).read_bytes()
    assert renewed != old
    assert san_uris(certificates_from_pem(renewed)[0]) == [th.pid]


@pytest.mark.parametrize("san", [[], ["https://issuers.example/my"]])
def test_without_generation_a_ds_certificate_for_another_issuer_refuses_start_up(
    make_harness: Any, san: list[str]
) -> None:
    th = make_harness(country="TH")
    _rewrite(th, san)
    with pytest.raises(ValueError, match="URI SAN"):
        make_harness(country="TH", data_dir=th.settings.data_dir, generate_pki=False)


def test_without_generation_a_matching_ds_certificate_is_used_as_provisioned(make_harness: Any) -> None:
    th = make_harness(country="TH")
    provisioned = _rewrite(th, [th.pid])
    again = make_harness(country="TH", data_dir=th.settings.data_dir, generate_pki=False)
    assert certificate_to_pem(_th_pid(again).mdoc_keys.certificate) == provisioned
    assert _ds_path(again).read_bytes() == provisioned
