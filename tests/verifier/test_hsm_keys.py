"""The verifier's request-signing key in a PKCS#11 token (SoftHSM2): generated there, certified, used.

The key is made on the token with ``lintas keys generate`` (non-extractable), a CSR from it is
signed by a test "ministry CA", and a verifier with ``key_backend=pkcs11`` signs its Request
Objects on the token: a wallet verifies them with the issued certificate. Twins: the file
backend (no such key in the data directory) refuses start-up without making one; pkcs11 without
a PIN is refused by the settings.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import ValidationError

from idcore.errors import IdcoreError
from idcore.jose import parse_compact, sign_compact, verify_compact
from idcore.jwk import public_key_from_jwk
from idcore.keystore import Pkcs11KeyStore
from idcore.oid4vp import sign_request_object
from idcore.x509 import certificate_to_pem, create_root_ca, parse_x5c
from lintas.testing import UvicornServer, free_port
from lintas_cli.main import main
from tests.softhsm import SoftHsmToken, softhsm_token  # noqa: F401 - pytest fixture
from tests.verifier.world import new_key
from verifier.app import create_app
from verifier.keys import CertificateMismatch
from verifier.settings import VerifierSettings

HOST = "verifier.example.gov"


def _ministry_signs(csr_pem: bytes, data: Path) -> None:
    """A stand-in national CA: issue the CSR's key a certificate with the CSR's SANs (made now, never committed)."""
    csr = x509.load_pem_x509_csr(csr_pem)
    assert csr.is_signature_valid
    ca_key = new_key()
    now = datetime.now(UTC)
    ca = create_root_ca(
        ca_key,
        common_name="Ministry RP CA",
        country="MY",
        organization="Ministry",
        not_before=now,
        not_after=now + timedelta(days=30),
    )
    san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    cert = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(ca.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(san.value, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    (data / "rp-ca.pem").write_bytes(certificate_to_pem(ca))
    (data / "access-cert.pem").write_bytes(certificate_to_pem(cert))


@pytest.fixture
def hsm_data(tmp_path: Path, softhsm_token: SoftHsmToken, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: F811
    """A data directory whose access certificate certifies a fresh key on the token."""
    key_id = "access"
    store = Pkcs11KeyStore(*softhsm_token.store_args())
    monkeypatch.setenv("LINTAS_PKCS11_PIN", softhsm_token.user_pin)
    hsm = ["--pkcs11-library", softhsm_token.library_path, "--token-label", softhsm_token.token_label]
    assert store.exists(key_id) or main(["keys", "generate", key_id, *hsm]) == 0
    csr_path = tmp_path / "access.csr"
    csr = ["keys", "csr", key_id, *hsm, "--public-url", f"https://{HOST}", "--country", "MY", "--out", str(csr_path)]
    assert main([*csr, "--organization", "Ministry of Digital"]) == 0
    data = tmp_path / "verifier-data"
    data.mkdir()
    _ministry_signs(csr_path.read_bytes(), data)
    return data


def _settings(data: Path, token: SoftHsmToken, **extra: object) -> VerifierSettings:
    return VerifierSettings(  # type: ignore[arg-type]
        public_url=f"https://{HOST}",
        data_dir=data,
        key_backend="pkcs11",
        pkcs11_library=token.library_path,
        pkcs11_token_label=token.token_label,
        pkcs11_user_pin=token.user_pin,
        **extra,
    )


def test_requests_are_signed_on_the_token(hsm_data: Path, softhsm_token: SoftHsmToken) -> None:  # noqa: F811
    app = create_app(_settings(hsm_data, softhsm_token))
    with UvicornServer(app, port=free_port()):
        keys = app.state.keys
        assert "d" not in keys.request_signer.public_jwk  # nothing private leaves the token
        assert not (hsm_data / "keys" / "access.pem").exists()  # and no file key was made instead
        # The relying parties' access tokens are signed on the token too; no file key for them either.
        assert "d" not in keys.oauth_signer.public_jwk
        assert not (hsm_data / "keys" / "oauth.pem").exists()
        token = sign_compact({"typ": "at+jwt"}, {"sub": "my-bank"}, keys.oauth_signer)
        oauth_key = public_key_from_jwk(keys.oauth_signer.public_jwk)
        assert verify_compact(token, oauth_key, algorithms={"ES256"}, typ="at+jwt")[1] == {"sub": "my-bank"}
        # What the transaction service does for every Request Object: sign with the token's key, x5c = chain.
        signed = sign_request_object({"client_id": "x"}, keys.request_signer, keys.chain)
    cert = parse_x5c(parse_compact(signed).header["x5c"])[0]
    assert certificate_to_pem(cert) == (hsm_data / "access-cert.pem").read_bytes()
    public = cert.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    _, claims = verify_compact(signed, public, algorithms={"ES256"}, typ="oauth-authz-req+jwt")
    assert claims == {"client_id": "x"}
    with pytest.raises(IdcoreError):  # twin: one flipped signature character fails
        verify_compact(
            signed[:-2] + ("A" if signed[-2] != "A" else "B") + signed[-1], public, algorithms={"ES256"}, typ=None
        )


def test_the_file_backend_does_not_match_the_token_certificate(hsm_data: Path) -> None:
    # the data directory has no file key: nothing is made up to stand in for the token's
    with pytest.raises(CertificateMismatch, match="no request-signing key 'access'"):
        create_app(VerifierSettings(public_url=f"https://{HOST}", data_dir=hsm_data))
    assert not (hsm_data / "keys" / "access.pem").exists()


def test_pkcs11_needs_a_pin(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="PKCS11_USER_PIN"):
        VerifierSettings(public_url=f"https://{HOST}", data_dir=tmp_path, key_backend="pkcs11")
