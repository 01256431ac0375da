"""The architecture as a contract: pyproject.toml's import-linter contracts hold, and each can fail.

idcore imports no service, runtime or web framework; the runtime (``lintas``) imports no service and
not the launcher (``lintas_cli``); services import no other service; the modules of a package import
each other without cycles. The twins build a small tree in a temporary directory that breaks one
contract at a time and show the same configuration refuses it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = ["idcore", "lintas", "lintas_cli", "trust_registry", "issuer", "verifier", "wallet_demo"]


def _run(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=120
    )


def test_the_repository_keeps_every_contract() -> None:
    result = _run(ROOT, ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


def _tree(tmp_path: Path, extra: dict[str, str]) -> Path:
    """A tree with every root package (one module each) plus ``extra`` files, and our contracts."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert config["root_packages"] == PACKAGES
    files = {f"{name}/__init__.py": "" for name in PACKAGES}
    files |= {"lintas/server.py": "", "idcore/jose.py": "", "verifier/app.py": "", "issuer/app.py": ""}
    files |= extra
    for relative, text in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    # Written back with the same contracts, in the shape import-linter reads.
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    return tmp_path


@pytest.mark.parametrize(
    ("extra", "broken"),
    [
        ({"idcore/jose.py": "import fastapi\n"}, "idcore is pure"),
        ({"idcore/jose.py": "from lintas import server\n"}, "idcore is pure"),
        ({"lintas/server.py": "import verifier.app\n"}, "the runtime imports no service"),
        ({"lintas/server.py": "import lintas_cli\n"}, "the runtime imports no service"),
        ({"verifier/app.py": "from issuer import app\n"}, "services import no other service"),
        ({"lintas/a.py": "from lintas import b\n", "lintas/b.py": "from lintas import a\n"}, "no import cycles"),
    ],
)
def test_each_contract_can_fail(tmp_path: Path, extra: dict[str, str], broken: str) -> None:
    tree = _tree(tmp_path, extra)
    result = _run(tree, tree)
    assert result.returncode != 0
    broken_lines = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert len(broken_lines) == 1, result.stdout
    assert broken_lines[0].startswith(broken)


def test_clean_twin_tree_keeps_every_contract(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"verifier/app.py": "from lintas import server\nfrom idcore import jose\n"})
    result = _run(tree, tree)
    assert result.returncode == 0, result.stdout
