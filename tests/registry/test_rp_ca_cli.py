"""``lintas registry rp-ca add|withdraw`` against a real registry: the operator's client of the
relying-party CA governance routes. Each success has its refused twin (exit 1 with the registry's
problem), and usage or file errors exit 2 without calling anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from idcore.trust.rp_ca import RelyingPartyCAStatus
from idcore.x509 import certificate_to_pem
from lintas_cli.main import main

from .helpers import Registry, run_operator_command
from .test_rp_cas import rp_ca


def _run(registry: Registry, tmp_path: Path, action: str, country: str, operator: str, *extra: str) -> int:
    return run_operator_command(
        registry, tmp_path, "rp-ca", action, country, operator, *extra, str(tmp_path / "ca.pem")
    )


def test_an_operator_lists_and_withdraws_its_ca_and_others_cannot(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ca.pem").write_bytes(certificate_to_pem(rp_ca(registry.clock.now())))
    assert _run(registry, tmp_path, "add", "SG", "operator-my") == 1  # another state's operator: 403
    assert "403" in capsys.readouterr().err
    assert _run(registry, tmp_path, "add", "MY", "operator-my") == 0
    assert _run(registry, tmp_path, "add", "MY", "operator-my") == 1  # listed already: 409
    assert "Duplicate relying-party CA" in capsys.readouterr().err
    registry.clock.advance(5)
    assert _run(registry, tmp_path, "withdraw", "MY", "operator-my", "--note", "CA key retired") == 0
    country = registry.trust_list().country("MY")
    assert country is not None
    assert [c.status for c in country.relying_party_cas] == [RelyingPartyCAStatus.WITHDRAWN]


def test_file_and_usage_errors_exit_2_without_a_call(registry: Registry, tmp_path: Path) -> None:
    sequence = registry.trust_list().sequence_number
    assert _run(registry, tmp_path, "add", "MY", "operator-my") == 2  # no ca.pem
    (tmp_path / "ca.pem").write_text("not a certificate")
    assert _run(registry, tmp_path, "withdraw", "MY", "operator-my") == 2  # cannot name what it withdraws
    assert registry.trust_list().sequence_number == sequence  # nothing changed
    with pytest.raises(SystemExit):
        main(["registry", "rp-ca", "add", "--country", "MY"])  # missing arguments
