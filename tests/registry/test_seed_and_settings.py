"""The demo governance file, first-start key material for the issuers, and settings validation."""

from __future__ import annotations

import json
import stat
import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509
from pydantic import ValidationError

from idcore.errors import Reason
from idcore.ports import FixedClock
from idcore.trust import (
    SERVICE_LEGAL_PERSON_ISSUANCE,
    SERVICE_PID_ISSUANCE,
    VCT_BUSINESS_REGISTRATION,
    VCT_PID,
    AseanTrustList,
    IssuerEvidence,
)
from idcore.trust.decision import is_authorised
from idcore.trust.vct import ASEAN_COUNTRIES, VCT_MANDATE
from idcore.x509 import certificates_from_pem, x5c_from_certificates
from lintas.kv import open_store
from lintas.oauth import hash_secret
from trust_registry.app import create_app
from trust_registry.pki import issuer_material_dir
from trust_registry.seed import load_seed
from trust_registry.service import RegistryService
from trust_registry.settings import DEFAULT_SEED, RegistrySettings

from .helpers import Registry, make_settings, start_registry

# Assembled, so that this file does not contain what it looks for.
PEM_PRIVATE_MARKERS = [
    b"-----BEGIN " + kind + b"-----" for kind in (b"PRIVATE KEY", b"EC PRIVATE KEY", b"ENCRYPTED PRIVATE KEY")
]
LOCAL_SCRIPTS = {"TH": "ประเทศไทย", "VN": "Việt Nam", "KH": "កម្ពុជា", "LA": "ລາວ", "MM": "မြန်မာ"}


def test_seed_lists_all_member_states_in_english_and_local_languages() -> None:
    seed = load_seed(DEFAULT_SEED)
    countries = {c["code"]: c for c in seed["countries"]}
    assert set(countries) == ASEAN_COUNTRIES
    for code, country in countries.items():
        assert "en" in country["names"]
        assert len(country["names"]) >= 2, code
        services = {s for i in country["issuers"] for s in i["service_types"]}
        assert SERVICE_PID_ISSUANCE in services, code
        for issuer in country["issuers"]:
            assert issuer["id"].startswith("{issuer_base}/")
            assert len(issuer["names"]) >= 2
    for code, script in LOCAL_SCRIPTS.items():
        assert any(script in name for name in countries[code]["names"].values()), code
    for code in ("SG", "MY", "TH", "VN"):
        vcts = {v for i in countries[code]["issuers"] for v in i["vcts"]}
        mdoc = {"org.iso.18013.5.1.mDL", "org.asean.lintas.pid.1"} if code in ("TH", "MY") else set()
        assert vcts == {VCT_PID, VCT_BUSINESS_REGISTRATION} | ({VCT_MANDATE} if code == "VN" else set()) | mdoc
        services = {s for i in countries[code]["issuers"] for s in i["service_types"]}
        assert SERVICE_LEGAL_PERSON_ISSUANCE in services


def test_no_private_key_is_committed() -> None:
    root = Path(__file__).resolve().parents[2]
    tracked = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True).stdout.split()
    for name in tracked:
        if name.startswith(("trust_registry/", "tests/registry/")) and (root / name).is_file():
            content = (root / name).read_bytes()
            assert not any(marker in content for marker in PEM_PRIVATE_MARKERS), name


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> RegistryService:
    data_dir = tmp_path_factory.mktemp("seeded")
    store = open_store(None, data_dir, "registry")
    app = create_app(RegistrySettings(data_dir=data_dir), store=store, clock=FixedClock(1_800_000_000))
    service: RegistryService = app.state.registry
    return service


def test_every_seeded_issuer_gets_a_usable_document_signer(seeded: RegistryService) -> None:
    """What the issuer service will load: key, certificate under the national root, SAN = issuer id."""
    from idcore.keystore import FileKeyStore

    published = seeded.current()
    now = seeded.clock.now()
    issuers = [i for c in published.trust_list.countries for i in c.issuers]
    assert len(issuers) == 16  # a PID issuer per state, 4 business registries, the VN mandate issuer
    for issuer in issuers:
        directory = issuer_material_dir(seeded.settings.data_dir, issuer.issuer_id)
        assert directory is not None
        chain = certificates_from_pem((directory / "chain.pem").read_bytes())
        judgement = AseanTrustList(published.snapshot).judge(_evidence(issuer.issuer_id, issuer.vcts[0], chain, now))
        assert judgement.trusted
        assert judgement.issuer is not None
        assert judgement.issuer.country == issuer.country
        signer = FileKeyStore(directory).signer("document-signer")
        assert signer.private_key.public_key().public_numbers() == chain[0].public_key().public_numbers()
        assert stat.S_IMODE((directory / "document-signer.pem").stat().st_mode) == 0o600
        meta = json.loads((directory / "issuer.json").read_text())
        assert meta["id"] == issuer.issuer_id
        assert is_authorised(published.snapshot, issuer.issuer_id, issuer.vcts[0], now, now).authorised


def _evidence(issuer_id: str, vct: str, chain: list[x509.Certificate], now: int) -> IssuerEvidence:
    return IssuerEvidence("dc+sd-jwt", issuer_id, vct, now, now, x5c=tuple(x5c_from_certificates(chain[:1])))


def test_a_chain_is_refused_for_another_seeded_issuer(seeded: RegistryService) -> None:
    published = seeded.current()
    sg = issuer_material_dir(seeded.settings.data_dir, "https://issuers.lintas.asean.example/sg")
    assert sg is not None
    chain = certificates_from_pem((sg / "chain.pem").read_bytes())
    my_id = "https://issuers.lintas.asean.example/my"
    now = seeded.clock.now()
    judgement = AseanTrustList(published.snapshot).judge(_evidence(my_id, VCT_PID, chain, now))
    assert (judgement.trusted, judgement.reason) == (False, Reason.UNTRUSTED_ISSUER)
    sg_id = "https://issuers.lintas.asean.example/sg"
    assert AseanTrustList(published.snapshot).judge(_evidence(sg_id, VCT_PID, chain, now)).trusted


@pytest.mark.parametrize(
    "values",
    [
        {"public_url": "http://registry.example"},
        {"public_url": "http://127.0.0.1:8100"},  # loopback only in development
        {"issuer_base": "http://127.0.0.1:8200"},
        {"issuer_base": "http://10.0.0.1", "development": True},
        {"issuer_overrides": {"sg-pid": "ftp://x.example"}},
        {"issuer_bases": {"XX": "https://x.example"}},
        {"list_validity": 10},
    ],
)
def test_settings_refuse_insecure_or_invalid_values(values: dict[str, object], tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        RegistrySettings(data_dir=tmp_path, **values)


def test_settings_accept_loopback_in_development_and_map_issuer_ids(tmp_path: Path) -> None:
    settings = RegistrySettings(
        data_dir=tmp_path,
        development=True,
        public_url="http://127.0.0.1:8100",
        issuer_base="http://127.0.0.1:8200",
        issuer_bases={"MY": "http://localhost:8300"},
        issuer_overrides={"th-pid": "https://pid.th.example"},
    )
    assert settings.issuer_id("sg-pid", "{issuer_base}/sg", "SG") == "http://127.0.0.1:8200/sg"
    assert settings.issuer_id("my-pid", "{issuer_base}/my", "MY") == "http://localhost:8300/my"
    assert settings.issuer_id("th-pid", "{issuer_base}/th", "TH") == "https://pid.th.example"


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6390/0")
    monkeypatch.setenv("LINTAS_REGISTRY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LINTAS_REGISTRY_ISSUER_BASE", "https://issuers.example")
    settings = RegistrySettings()
    assert settings.redis_url == "redis://127.0.0.1:6390/0"
    assert settings.data_dir == tmp_path
    assert settings.issuer_id("sg-pid", "{issuer_base}/sg", "SG") == "https://issuers.example/sg"
    monkeypatch.setenv("LINTAS_REGISTRY_REDIS_URL", "redis://127.0.0.1:6391/0")
    assert RegistrySettings().redis_url == "redis://127.0.0.1:6391/0"


def test_governance_clients_from_settings(tmp_path: Path) -> None:
    client = {"client_id": "ops-th", "secret_sha256": hash_secret("s3cret-value"), "scopes": ["registry:write:TH"]}
    settings = make_settings(tmp_path / "data", governance_clients=[client])
    store = open_store(None, tmp_path, "registry")
    registry = start_registry(settings, store, FixedClock(int(time.time())))
    try:
        token = registry.http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=("ops-th", "s3cret-value")
        )
        assert token.status_code == 200
        assert token.json()["scope"] == "registry:write:TH"
        wrong = registry.http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=("ops-th", "s3cret-valuf")
        )
        assert wrong.status_code == 401
        assert not (tmp_path / "data" / "governance-clients.json").exists()
    finally:
        registry.http.close()
        registry.server.stop()
        store.close()


@pytest.mark.parametrize("scopes", [["registry:read"], ["registry:write:XX"], ["registry:write:"], []])
def test_governance_client_scopes_are_checked(scopes: list[str], tmp_path: Path) -> None:
    client = {"client_id": "ops", "secret_sha256": "ab" * 32, "scopes": scopes}
    with pytest.raises(ValidationError):
        RegistrySettings(data_dir=tmp_path, governance_clients=[client])


def test_seed_certifies_mdoc_document_signers_only_for_issuers_listed_with_doctypes(registry: Registry) -> None:
    """TH's PID issuer is listed for the mDL: the seed makes its mdoc Document Signer (Annex B.1.4
    profile, SAN URI naming the issuer, under TH's root), so issuers need no PKI of their own; SG's
    PID issuer lists no doctype and gets none (the twin)."""
    data = registry.settings.data_dir
    th = issuer_material_dir(data, "https://issuers.lintas.asean.example/th")
    sg = issuer_material_dir(data, "https://issuers.lintas.asean.example/sg")
    assert th is not None
    assert sg is not None
    assert not (sg / "mdoc-ds-certificate.pem").exists()
    certificate = x509.load_pem_x509_certificate((th / "mdoc-ds-certificate.pem").read_bytes())
    sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.UniformResourceIdentifier) == ["https://issuers.lintas.asean.example/th"]
    eku = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.ObjectIdentifier("1.0.18013.5.1.2") in eku  # id-mdl-kp-mdlDS
    root = certificates_from_pem((th / "chain.pem").read_bytes())[-1]
    certificate.verify_directly_issued_by(root)
    assert certificate.issuer == root.subject
