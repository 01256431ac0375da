"""``lintas mdoc verify`` exit codes and JSON output on the ISO 18013-5 Annex D vector, its twins and our mdocs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from idcore.b64 import b64u_encode
from idcore.jose import KeySigner
from idcore.mdoc import device_response, present_mdoc
from lintas_cli.main import main
from tests.unit.mdoc_helpers import MDL, MDL_NS, MdocPki, transcript
from tests.vectors.mdoc.loader import annex_d_device_response, annex_d_document_signer, annex_d_session_transcript_bytes

AT = "2021-01-01T00:00:00Z"


@pytest.fixture
def annex_d(tmp_path: Path) -> tuple[Path, Path]:
    response = tmp_path / "annex_d.cbor"
    response.write_bytes(annex_d_device_response())
    anchor = tmp_path / "utopia_ds.pem"
    anchor.write_bytes(annex_d_document_signer().public_bytes(serialization.Encoding.PEM))
    return response, anchor


def test_annex_d_valid_exits_0(annex_d: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    response, anchor = annex_d
    assert main(["mdoc", "verify", str(response), "--trust-anchor", str(anchor), "--at", AT]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["valid"] is True
    assert result["reason"] is None
    assert result["doctype"] == "org.iso.18013.5.1.mDL"
    assert result["claims"][MDL_NS]["family_name"] == "Doe"
    assert result["claims"][MDL_NS]["issue_date"] == "2019-10-20"
    assert result["documents"][0]["device_authenticated"] is False


def test_annex_d_hex_input_is_accepted(annex_d: tuple[Path, Path], tmp_path: Path) -> None:
    _, anchor = annex_d
    hex_file = tmp_path / "annex_d.hex"
    hex_file.write_text(annex_d_device_response().hex() + "\n")
    assert main(["mdoc", "verify", str(hex_file), "--trust-anchor", str(anchor), "--at", AT]) == 0


def test_annex_d_twin_exits_1_with_reason(
    annex_d: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, anchor = annex_d
    twin = tmp_path / "twin.cbor"
    twin.write_bytes(annex_d_device_response().replace(b"cDoe", b"cDof", 1))
    assert main(["mdoc", "verify", str(twin), "--trust-anchor", str(anchor), "--at", AT]) == 1
    assert json.loads(capsys.readouterr().out) == {"valid": False, "reason": "digest_mismatch"}


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (["--at", "2021-11-01T00:00:00Z"], "expired"),
        (["--at", AT, "--doctype", "eu.europa.ec.eudi.pid.1"], "doctype_mismatch"),
    ],
)
def test_annex_d_policy_failures_exit_1(
    annex_d: tuple[Path, Path], capsys: pytest.CaptureFixture[str], extra: list[str], reason: str
) -> None:
    response, anchor = annex_d
    assert main(["mdoc", "verify", str(response), "--trust-anchor", str(anchor), *extra]) == 1
    assert json.loads(capsys.readouterr().out)["reason"] == reason


def test_no_trust_anchor_trusts_nobody(annex_d: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    response, _ = annex_d
    assert main(["mdoc", "verify", str(response), "--at", AT]) == 1
    assert json.loads(capsys.readouterr().out)["reason"] == "untrusted_issuer"


def test_annex_d_with_its_transcript_refuses_device_mac(
    annex_d: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    response, anchor = annex_d
    st = tmp_path / "st.cbor"
    st.write_bytes(annex_d_session_transcript_bytes())
    command = ["mdoc", "verify", str(response), "--trust-anchor", str(anchor), "--at", AT, "--transcript", str(st)]
    assert main(command) == 1
    assert json.loads(capsys.readouterr().out)["reason"] == "device_mac_unsupported"


def test_device_signature_checked_with_transcript(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pki = MdocPki()
    document = present_mdoc(
        pki.issue(), doctype=MDL, device_signer=KeySigner(pki.device_key), session_transcript=transcript()
    )
    response = tmp_path / "vp_token.txt"
    response.write_text(b64u_encode(device_response([document])))
    anchor = tmp_path / "iaca.pem"
    anchor.write_bytes(pki.iaca.public_bytes(serialization.Encoding.PEM))
    good, other = tmp_path / "st.hex", tmp_path / "other.hex"
    good.write_text(transcript().hex())
    other.write_text(transcript("replayed-nonce").hex())
    base = ["mdoc", "verify", str(response), "--trust-anchor", str(anchor), "--at", "2026-06-01T12:00:00Z"]
    assert main([*base, "--transcript", str(good)]) == 0
    assert json.loads(capsys.readouterr().out)["documents"][0]["device_authenticated"] is True
    assert main([*base, "--transcript", str(other)]) == 1
    assert json.loads(capsys.readouterr().out)["reason"] == "device_auth_invalid"


def test_usage_errors_exit_2(annex_d: tuple[Path, Path], tmp_path: Path) -> None:
    response, anchor = annex_d
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello")
    assert main(["mdoc", "verify", str(tmp_path / "missing"), "--trust-anchor", str(anchor)]) == 2
    assert main(["mdoc", "verify", str(response), "--trust-anchor", str(not_pem)]) == 2
    assert main(["mdoc", "verify", str(response), "--trust-anchor", str(anchor), "--at", "yesterday"]) == 2
    assert main(["mdoc", "verify", str(response), "--transcript", str(not_pem)]) == 2
    with pytest.raises(SystemExit) as caught:
        main(["mdoc", "verify"])
    assert caught.value.code == 2


def test_console_entry_point(annex_d: tuple[Path, Path]) -> None:
    response, anchor = annex_d
    command = [sys.executable, "-m", "lintas_cli.main", "mdoc", "verify", str(response), "--trust-anchor", str(anchor)]
    assert subprocess.run([*command, "--at", AT], capture_output=True, check=False).returncode == 0
    assert subprocess.run([*command, "--at", "2030-01-01T00:00:00Z"], capture_output=True, check=False).returncode == 1
