"""``lintas keys csr``: a CSR for a key in a file store or on a PKCS#11 token (SoftHSM2).

A "ministry CA" made at test time signs each CSR the way a CA would (subject and SANs taken
from the request, after checking its signature); the certificate then validates under the CA
with idcore's chain rule, names the verifier's host, and certifies the very key in the store:
a JWS the store signs verifies with the certificate's key. Twins: a tampered CSR fails its
signature check, a certificate for another key fails the key check, bad options are usage errors.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from idcore.errors import X509Error
from idcore.jose import sign_compact, verify_compact
from idcore.keystore import FileKeyStore, KeyStore, Pkcs11KeyStore
from idcore.ports import Signer
from idcore.x509 import create_issuer_certificate, create_root_ca, san_dns_names, san_uris, validate_chain
from lintas_cli.main import main
from tests.softhsm import SoftHsmToken, softhsm_token  # noqa: F401  (pytest fixture)

NOW = datetime.now(UTC)
URL = "https://verifier.id.gov.example"
RP_URI = "https://verifier.id.gov.example/rp/ministry-portal"
CA = tuple[ec.EllipticCurvePrivateKey, x509.Certificate]


@pytest.fixture(scope="module")
def ministry_ca() -> CA:
    """A relying-party root CA of a made-up ministry, generated now (never committed)."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = create_root_ca(
        key,
        common_name="Ministry of Digital Affairs RP CA (test)",
        country="MY",
        organization="Ministry of Digital Affairs (test)",
        not_before=NOW - timedelta(hours=1),
        not_after=NOW + timedelta(days=30),
    )
    return key, cert


def issue(ca: CA, csr: x509.CertificateSigningRequest) -> x509.Certificate:
    """What the CA does: refuse a CSR whose signature fails, then certify its key, subject and SANs."""
    if not csr.is_signature_valid:
        raise ValueError("CSR signature invalid")
    sans = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    subject = {a.oid: str(a.value) for a in csr.subject}
    return create_issuer_certificate(
        ca[0],
        ca[1],
        csr.public_key(),
        common_name=subject[NameOID.COMMON_NAME],
        country=subject[NameOID.COUNTRY_NAME],
        organization=subject[NameOID.ORGANIZATION_NAME],
        not_before=NOW - timedelta(minutes=5),
        not_after=NOW + timedelta(days=7),
        san_dns=sans.get_values_for_type(x509.DNSName),
        san_uris=sans.get_values_for_type(x509.UniformResourceIdentifier),
    )


def csr_argv(key_id: str, out: Path) -> list[str]:
    return [
        "keys",
        "csr",
        key_id,
        "--public-url",
        URL,
        "--uri",
        RP_URI,
        "--organization",
        "Ministry of Digital Affairs (test)",
        "--country",
        "MY",
        "--out",
        str(out),
    ]


def check_certified(csr_path: Path, store: KeyStore, key_id: str, ca: CA, alg: str) -> x509.Certificate:
    """The CSR is right, the CA can sign it, and the certificate certifies the stored key."""
    csr = x509.load_pem_x509_csr(csr_path.read_bytes())
    assert csr.is_signature_valid
    assert csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "verifier.id.gov.example"
    assert csr.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "MY"
    public = store.public_key(key_id).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert (
        csr.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        == public
    )
    cert = issue(ca, csr)
    assert validate_chain([cert], [ca[1]], NOW) == cert
    assert san_dns_names(cert) == ["verifier.id.gov.example"]
    assert san_uris(cert) == [RP_URI]
    signer: Signer = store.signer(key_id)
    token = sign_compact({"typ": "oauth-authz-req+jwt"}, {"client_id": "x509_san_dns:verifier.id.gov.example"}, signer)
    verify_compact(token, cert.public_key(), algorithms={alg}, typ="oauth-authz-req+jwt")  # type: ignore[arg-type]
    return cert


def test_csr_for_a_file_key(
    tmp_path: Path, ministry_ca: CA, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEY_PASS", "a passphrase only this test knows")
    keys = tmp_path / "keys"
    assert main(["keys", "generate", "access", "--dir", str(keys), "--passphrase-env", "KEY_PASS"]) == 0
    out = tmp_path / "access.csr"
    assert main([*csr_argv("access", out), "--dir", str(keys), "--passphrase-env", "KEY_PASS"]) == 0
    store = FileKeyStore(keys, b"a passphrase only this test knows")
    check_certified(out, store, "access", ministry_ca, "ES256")
    # twin: a CSR for a different key is a valid CSR, but not for this key
    assert main(["keys", "generate", "other", "--dir", str(keys)]) == 0
    other = tmp_path / "other.csr"
    assert main([*csr_argv("other", other), "--dir", str(keys)]) == 0
    with pytest.raises(AssertionError):
        check_certified(other, store, "access", ministry_ca, "ES256")
    # twin: the CSR is not overwritten once written
    assert main([*csr_argv("access", out), "--dir", str(keys), "--passphrase-env", "KEY_PASS"]) == 1


def test_tampered_csr_is_refused(tmp_path: Path, ministry_ca: CA) -> None:
    keys = tmp_path / "keys"
    assert main(["keys", "generate", "access", "--dir", str(keys)]) == 0
    out = tmp_path / "access.csr"
    assert main([*csr_argv("access", out), "--dir", str(keys)]) == 0
    der = x509.load_pem_x509_csr(out.read_bytes()).public_bytes(serialization.Encoding.DER)
    # swap the DNS name for another of the same length: the CA must not certify it
    forged = x509.load_der_x509_csr(der.replace(b"verifier.id.gov.example", b"attacker.id.gov.example"))
    assert san_names(forged) == ["attacker.id.gov.example"]
    assert not forged.is_signature_valid
    with pytest.raises(ValueError, match="signature"):
        issue(ministry_ca, forged)
    # and a certificate from another CA does not validate under the ministry's
    rogue_key = ec.generate_private_key(ec.SECP256R1())
    rogue = create_root_ca(
        rogue_key,
        common_name="Rogue",
        country="MY",
        organization="Rogue",
        not_before=NOW - timedelta(hours=1),
        not_after=NOW + timedelta(days=1),
    )
    with pytest.raises(X509Error):
        validate_chain([issue((rogue_key, rogue), x509.load_pem_x509_csr(out.read_bytes()))], [ministry_ca[1]], NOW)


def san_names(csr: x509.CertificateSigningRequest) -> list[str]:
    return list(
        csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    )


@pytest.mark.parametrize(
    ("options", "code"),
    [
        (["--public-url", "http://verifier.id.gov.example"], 2),  # not https
        (["--public-url", "https://192.0.2.10"], 2),  # an IP literal cannot be x509_san_dns
        (["--organization", "Ministry"], 2),  # no SAN and no CN
        (["--public-url", URL, "--country", "Malaysia"], 2),
        (["--public-url", URL, "--uri", "not a uri"], 2),
    ],
)
def test_bad_options_are_usage_errors(options: list[str], code: int, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    assert main(["keys", "generate", "access", "--dir", str(keys)]) == 0
    assert main(["keys", "csr", "access", "--dir", str(keys), *options]) == code


def test_missing_key_or_store(tmp_path: Path) -> None:
    assert main(["keys", "csr", "absent", "--dir", str(tmp_path), "--public-url", URL]) == 1
    assert main(["keys", "csr", "absent", "--public-url", URL]) == 2


@pytest.mark.parametrize("alg", ["ES256", "ES384"])
def test_csr_for_a_pkcs11_key(
    alg: str,
    tmp_path: Path,
    softhsm_token: SoftHsmToken,  # noqa: F811
    ministry_ca: CA,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    library, label, pin = softhsm_token.store_args()
    monkeypatch.setenv("LINTAS_PKCS11_PIN", pin)
    token = ["--pkcs11-library", library, "--token-label", label]
    key_id = f"csr-access-{alg.lower()}"
    assert main(["keys", "generate", key_id, "--alg", alg, *token]) == 0
    out = tmp_path / "access.csr"
    assert main([*csr_argv(key_id, out), *token]) == 0
    store = Pkcs11KeyStore(library, label, pin)
    cert = check_certified(out, store, key_id, ministry_ca, alg)
    assert cert.signature_hash_algorithm is not None
    csr = x509.load_pem_x509_csr(out.read_bytes())
    assert csr.signature_hash_algorithm is not None
    assert csr.signature_hash_algorithm.name == {"ES256": "sha256", "ES384": "sha384"}[alg]
    # twin: the key must exist on the token
    assert main([*csr_argv("no-such-key", tmp_path / "x.csr"), *token]) == 1
