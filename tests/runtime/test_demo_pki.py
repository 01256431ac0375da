"""The one demo-PKI builder (:mod:`lintas.demo_pki`) that the trust registry and a standalone issuer share.

A root is made once and kept; a document signer's chain validates under it with the issuer id as
SAN URI (HAIP), and its files are what both services read. Twins: the chain does not validate
under another country's root; a second ``ensure_national_root`` with other names changes nothing;
a registry seeding a data directory where a standalone issuer already made the root keeps that root.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.errors import X509Error
from idcore.x509 import certificates_from_pem, san_uris, validate_chain
from lintas.demo_pki import Validity, ensure_national_root, issue_document_signer
from trust_registry.pki import ensure_country_root, ensure_issuer

NOW = datetime.now(UTC)
WINDOW = Validity(NOW - timedelta(hours=1), NOW + timedelta(days=30))
ISSUER_ID = "https://issuers.example/sg"


def test_a_root_is_made_once_and_kept(tmp_path: Path) -> None:
    signer, cert = ensure_national_root(tmp_path, "SG", common_name="SG Root", organization="SG", validity=WINDOW)
    again_signer, again = ensure_national_root(tmp_path, "SG", common_name="Other", organization="X", validity=WINDOW)
    assert again == cert
    assert again_signer.public_jwk == signer.public_jwk
    assert (tmp_path / "countries" / "sg" / "root-cert.pem").is_file()
    assert (tmp_path / "countries" / "sg" / "keys" / "root.pem").stat().st_mode & 0o077 == 0


def test_a_document_signer_chain_validates_under_its_root_only(tmp_path: Path) -> None:
    root = ensure_national_root(tmp_path, "SG", common_name="SG Root", organization="SG", validity=WINDOW)
    key = ec.generate_private_key(ec.SECP256R1())
    info = {"id": ISSUER_ID, "country": "SG", "vcts": [], "names": {"en": "SG PID"}}
    chain = issue_document_signer(
        tmp_path,
        "sg-pid",
        root=root,
        public_key=key.public_key(),
        info=info,
        common_name="SG PID",
        organization="SG",
        validity=WINDOW,
    )
    assert certificates_from_pem((tmp_path / "issuers" / "sg-pid" / "chain.pem").read_bytes()) == chain
    assert json.loads((tmp_path / "issuers" / "sg-pid" / "issuer.json").read_text())["id"] == ISSUER_ID
    assert validate_chain(chain, [root[1]], NOW) == chain[0]
    assert san_uris(chain[0]) == [ISSUER_ID]
    other = ensure_national_root(tmp_path, "MY", common_name="MY Root", organization="MY", validity=WINDOW)
    with pytest.raises(X509Error):
        validate_chain(chain[:1], [other[1]], NOW)


def test_the_registry_keeps_a_root_a_standalone_issuer_made(tmp_path: Path) -> None:
    made = ensure_national_root(tmp_path, "SG", common_name="SG Root", organization="SG", validity=WINDOW)
    kept = ensure_country_root(tmp_path, "SG", common_name="Seed name", organization="Seed", now=0, days=1)
    assert kept[1] == made[1]
    material = ensure_issuer(
        tmp_path,
        "sg-pid",
        issuer={"id": ISSUER_ID, "country": "SG", "vcts": [], "names": {"en": "SG PID"}},
        root=kept,
        now=int(NOW.timestamp()),
        days=30,
    )
    assert validate_chain(material.chain, [made[1]], NOW) == material.chain[0]
