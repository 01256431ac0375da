"""The README stays true: two quickstart commands, CI runs exactly the test one, the configuration
reference matches the code, and the files it links exist."""

from __future__ import annotations

import re
from pathlib import Path

from lintas_cli.config_reference import reference_markdown

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def quickstart_commands() -> list[str]:
    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_quickstart_is_exactly_two_commands_and_ci_runs_the_second() -> None:
    demo, test = quickstart_commands()
    assert (ROOT / demo.removeprefix("./")).exists()
    assert (ROOT / test.removeprefix("./")).exists()
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci[-1] == f"exec {test}"


def test_configuration_reference_matches_the_settings() -> None:
    body = README.split("<!-- config-reference:start -->", 1)[1].split("<!-- config-reference:end -->", 1)[0]
    assert body.strip() == reference_markdown().strip(), "run: python -m lintas_cli.config_reference"


def test_linked_files_exist() -> None:
    for target in re.findall(r'(?:\]\(|src=")([^)"#:]+)[)"]', README):
        assert (ROOT / target).exists(), target


def test_every_setting_is_described() -> None:
    from lintas_cli.config_reference import SERVICES, settings_rows

    for _, module, name in SERVICES:
        for env, _, text in settings_rows(module, name):
            assert text, f"{env}: add a '#:' comment above the field in {module}"
