"""Release metadata: one version, reported by the command line; the lock check can fail and says how to fix it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import distributions
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

import lintas
from lintas_cli.main import main

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import lockcheck  # noqa: E402

RELEASE = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_version_comes_from_pyproject(capsys: pytest.CaptureFixture[str]) -> None:
    assert lintas.__version__ == RELEASE
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"lintas {RELEASE}"


def test_license_is_an_spdx_string() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"


def _copy(tmp_path: Path) -> Path:
    (tmp_path / "requirements").mkdir()
    for name in ("pyproject.toml", "requirements/runtime.txt", "requirements/dev.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def _problems(root: Path) -> list[str]:
    return lockcheck.problems(root / "pyproject.toml", root / "requirements/runtime.txt", root / "requirements/dev.txt")


def test_committed_lock_satisfies_pyproject() -> None:
    assert _problems(ROOT) == []


def test_lock_pins_every_file_with_hashes() -> None:
    for name in ("runtime.txt", "dev.txt"):
        pins = lockcheck.read_lock(ROOT / "requirements" / name)
        assert pins, name
        assert all(hashes > 0 for _, hashes in pins.values()), name


def test_environment_holds_exactly_the_dev_lock() -> None:
    """What set-up installed is the lock, package for package, and nothing else but Lintas itself."""
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in distributions()}
    locked = {name: str(version) for name, (version, _) in lockcheck.read_lock(ROOT / "requirements/dev.txt").items()}
    assert installed.pop("lintas") == RELEASE
    assert installed == locked


def test_range_edited_without_relocking_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    pyproject = root / "pyproject.toml"
    pinned = lockcheck.read_lock(root / "requirements/runtime.txt")["redis"][0]
    text = pyproject.read_text()
    assert '"redis>=5"' in text
    pyproject.write_text(text.replace('"redis>=5"', f'"redis>{pinned}"'))
    found = _problems(root)
    assert len(found) == 2  # runtime and dev lock
    assert all("redis" in line and "outside" in line for line in found)


def test_dependency_added_without_relocking_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"cbor2>=5.6",', '"cbor2>=5.6",\n    "left-pad>=1",'))
    found = _problems(root)
    assert any("left-pad" in line and "not in requirements/runtime.txt" in line for line in found)


def test_lock_whose_pin_lost_its_hash_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    dev = root / "requirements/dev.txt"
    lines = [line for line in dev.read_text().splitlines() if "--hash=" not in line or "redis" in line]
    dev.write_text("\n".join(lines) + "\n")
    assert any("no sha256 hash" in line for line in _problems(root))


def test_lockcheck_script_names_the_fix(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "scripts").mkdir()
    shutil.copy(ROOT / "scripts/lockcheck.py", root / "scripts/lockcheck.py")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"cbor2>=5.6",', '"cbor2>=5.6",\n    "left-pad>=1",'))
    result = subprocess.run(
        [sys.executable, str(root / "scripts/lockcheck.py")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "left-pad" in result.stderr
    assert "run scripts/lock" in result.stderr
    ok = subprocess.run(
        [sys.executable, str(ROOT / "scripts/lockcheck.py")], capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0, ok.stderr
