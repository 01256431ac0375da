"""``lintas issuer``: registered, documented, and refusing bad configuration with exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from lintas.cli import build_parser, main


def test_issuer_command_is_registered_with_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["issuer", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for option in ("--country", "--host", "--port", "--data", "--redis-url"):
        assert option in out
    args = build_parser().parse_args(["issuer", "--country", "SG", "--port", "8101", "--data", "d"])
    assert (args.country, args.port, args.data) == ("SG", 8101, "d")


def test_unknown_country_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["issuer", "--country", "XX", "--port", "8101", "--data", str(tmp_path)]) == 2
    assert "country" in capsys.readouterr().out


def test_public_http_url_off_loopback_exits_2(tmp_path: Path) -> None:
    code = main(["issuer", "--country", "SG", "--host", "0.0.0.0", "--data", str(tmp_path)])  # noqa: S104
    assert code == 2
