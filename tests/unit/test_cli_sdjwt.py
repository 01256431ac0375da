"""``lintas sdjwt verify`` exit codes and output, on spec vectors and their tampered twins."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lintas_cli.main import main

VECTORS = Path(__file__).parents[1] / "vectors"


@pytest.fixture
def kb_vector(tmp_path: Path) -> tuple[Path, Path, dict[str, object]]:
    raw = json.loads((VECTORS / "sd_jwt_rfc9901" / "rfc9901_s5_2_presentation_kb.json").read_text())
    presentation = tmp_path / "p.txt"
    presentation.write_text(raw["sd_jwt_presentation"] + "\n")
    jwk = tmp_path / "issuer.jwk"
    jwk.write_text(json.dumps(raw["issuer_public_jwk"]))
    return presentation, jwk, raw


def args(p: Path, k: Path, raw: dict[str, object], *extra: str) -> list[str]:
    kb = raw["key_binding"]
    assert isinstance(kb, dict)
    # --generic: the RFC 9901 vectors are plain SD-JWTs (no vct, typ example+sd-jwt).
    return [
        "sdjwt",
        "verify",
        "--generic",
        str(p),
        "--issuer-jwk",
        str(k),
        "--nonce",
        kb["nonce"],
        "--aud",
        kb["aud"],
        "--now",
        str(raw["now"]),
        *extra,
    ]


def test_verified_prints_payload_and_exits_0(
    kb_vector: tuple[Path, Path, dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    p, k, raw = kb_vector
    assert main(args(p, k, raw)) == 0
    assert json.loads(capsys.readouterr().out) == raw["expected_verified_payload"]


def test_rejected_prints_reason_and_exits_1(
    kb_vector: tuple[Path, Path, dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    p, k, raw = kb_vector
    assert (
        main(
            [
                *args(p, k, raw)[:-4],
                "--nonce",
                "wrong",
                "--aud",
                str(raw["key_binding"]["aud"]),  # type: ignore[index]
                "--now",
                str(raw["now"]),
            ]
        )
        == 1
    )
    assert capsys.readouterr().out.strip() == "rejected: nonce_mismatch"
    assert main(["sdjwt", "verify", "--generic", str(p), "--issuer-jwk", str(k), "--now", str(raw["now"])]) == 1
    assert capsys.readouterr().out.strip() == "rejected: kb_unexpected"
    text = p.read_text()
    p.write_text(text.replace("~", "~" + text.split("~")[1] + "~", 1))
    assert main(args(p, k, raw)) == 1
    assert capsys.readouterr().out.strip() == "rejected: duplicate_disclosure"


def test_bad_usage_exits_2(kb_vector: tuple[Path, Path, dict[str, object]], tmp_path: Path) -> None:
    p, k, _ = kb_vector
    assert main(["sdjwt", "verify", str(p), "--issuer-jwk", str(k), "--require-kb"]) == 2
    assert main(["sdjwt", "verify", str(tmp_path / "missing"), "--issuer-jwk", str(k)]) == 2
    (tmp_path / "bad.jwk").write_text("{}")
    assert main(["sdjwt", "verify", str(p), "--issuer-jwk", str(tmp_path / "bad.jwk")]) == 2
    with pytest.raises(SystemExit) as info:
        main(["sdjwt", "verify", str(p)])
    assert info.value.code == 2


def test_json_serialization_and_console_script(tmp_path: Path) -> None:
    raw = json.loads((VECTORS / "sd_jwt_rfc9901" / "rfc9901_s8_2_json_flattened_presentation_kb.json").read_text())
    (tmp_path / "p.json").write_text(json.dumps(raw["sd_jwt_presentation"]))
    (tmp_path / "k.jwk").write_text(json.dumps(raw["issuer_public_jwk"]))
    kb = raw["key_binding"]
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "lintas_cli.main",
            "sdjwt",
            "verify",
            "--generic",
            str(tmp_path / "p.json"),
            "--issuer-jwk",
            str(tmp_path / "k.jwk"),
            "--nonce",
            kb["nonce"],
            "--aud",
            kb["aud"],
            "--now",
            str(raw["now"]),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == raw["expected_verified_payload"]
