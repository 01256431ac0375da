"""The ``lintas`` command line: every command the README names has ``--help``; ``keys generate`` works."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from idcore.jose import verify_compact
from idcore.jwk import public_key_from_jwk
from idcore.keystore import FileKeyStore, Pkcs11KeyStore
from lintas_cli.main import main
from tests.softhsm import SoftHsmToken, softhsm_token  # noqa: F401  (pytest fixture)

COMMANDS = [
    ["demo"],
    ["registry"],
    ["registry", "audit-verify"],
    ["issuer"],
    ["verifier"],
    ["wallet"],
    ["keys", "generate"],
    ["verify"],
    ["sdjwt", "verify"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    assert "usage: lintas " + " ".join(command) in capsys.readouterr().out


def test_unknown_command_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"])
    assert info.value.code == 2


def test_keys_generate_into_a_file_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEY_PASS", "correct horse battery staple")
    assert main(["keys", "generate", "issuer-sg", "--dir", str(tmp_path), "--passphrase-env", "KEY_PASS"]) == 0
    printed = json.loads(capsys.readouterr().out)
    pem = tmp_path / "issuer-sg.pem"
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in pem.read_bytes()
    assert "d" not in printed["jwk"]
    # the printed JWK verifies what the stored key signs
    signer = FileKeyStore(tmp_path, b"correct horse battery staple").signer("issuer-sg")
    from idcore.jose import sign_compact

    token = sign_compact({"typ": "x"}, {"a": 1}, signer)
    verify_compact(token, public_key_from_jwk(printed["jwk"]), algorithms={"ES256"}, typ="x")
    # twins: an existing key is not replaced; a missing passphrase or store is a usage error
    assert main(["keys", "generate", "issuer-sg", "--dir", str(tmp_path), "--passphrase-env", "KEY_PASS"]) == 1
    assert main(["keys", "generate", "other", "--dir", str(tmp_path), "--passphrase-env", "UNSET_VAR"]) == 2
    assert main(["keys", "generate", "other"]) == 2
    assert main(["keys", "generate", "../escape", "--dir", str(tmp_path)]) == 1


def test_keys_generate_on_a_pkcs11_token(
    softhsm_token: SoftHsmToken,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    library, label, pin = softhsm_token.store_args()
    monkeypatch.setenv("LINTAS_PKCS11_PIN", pin)
    assert main(["keys", "generate", "cli-hsm-key", "--pkcs11-library", library, "--token-label", label]) == 0
    printed = json.loads(capsys.readouterr().out)
    signer = Pkcs11KeyStore(library, label, pin).signer("cli-hsm-key")
    assert dict(signer.public_jwk) == printed["jwk"]
    monkeypatch.delenv("LINTAS_PKCS11_PIN")
    assert main(["keys", "generate", "cli-hsm-2", "--pkcs11-library", library, "--token-label", label]) == 2
