"""``lintas registry verifier-entity add|withdraw`` against a real registry: the operator's client of
the verifier-entity governance routes. Each success has its refused twin (exit 1 with the
registry's problem); file errors exit 2 without calling anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.jwk import public_jwk
from idcore.trust.recognition import verify_recognition_list
from lintas_cli.main import main

from .helpers import Registry, run_operator_command

BANK = "https://verifier.bank.my.example"


def _run(registry: Registry, tmp_path: Path, action: str, country: str, operator: str, *extra: str) -> int:
    return run_operator_command(
        registry, tmp_path, "verifier-entity", action, country, operator, "--entity-id", BANK, *extra
    )


def _registrations(registry: Registry) -> list[tuple[str, str, bool]]:
    listed = verify_recognition_list(registry.http.get("/v1/recognitions").content, registry.pin)
    return [(v.entity_id, v.country, v.until is None) for v in listed.verifier_entities]


def test_an_operator_registers_and_withdraws_a_verifier_and_others_cannot(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jwk_file = tmp_path / "federation.jwk"
    jwk_file.write_text(json.dumps(public_jwk(ec.generate_private_key(ec.SECP256R1()).public_key())))
    add = ("--jwk-file", str(jwk_file))
    assert _run(registry, tmp_path, "add", "MY", "operator-sg", *add) == 1  # another state's operator: 403
    assert "403" in capsys.readouterr().err
    assert _registrations(registry) == []
    assert _run(registry, tmp_path, "add", "MY", "operator-my", *add) == 0
    assert _registrations(registry) == [(BANK, "MY", True)]
    registry.clock.advance(5)
    assert _run(registry, tmp_path, "withdraw", "MY", "operator-my", "--note", "contract ended") == 0
    assert _registrations(registry) == [(BANK, "MY", False)]
    assert _run(registry, tmp_path, "add", "MY", "operator-my", *add) == 1  # a withdrawal is final: 409
    assert "Withdrawn verifier entity" in capsys.readouterr().err


def test_file_errors_exit_2_without_a_call(registry: Registry, tmp_path: Path) -> None:
    sequence = registry.trust_list().sequence_number
    missing = ("--jwk-file", str(tmp_path / "none.jwk"))
    assert _run(registry, tmp_path, "add", "MY", "operator-my", *missing) == 2
    (tmp_path / "big.jwk").write_text(" " * (16 * 1024 + 1))
    assert _run(registry, tmp_path, "add", "MY", "operator-my", "--jwk-file", str(tmp_path / "big.jwk")) == 2
    (tmp_path / "list.jwk").write_text("[1, 2]")
    assert _run(registry, tmp_path, "add", "MY", "operator-my", "--jwk-file", str(tmp_path / "list.jwk")) == 2
    assert registry.trust_list().sequence_number == sequence  # nothing changed
    with pytest.raises(SystemExit):
        main(["registry", "verifier-entity", "add", "--country", "MY"])  # missing arguments
