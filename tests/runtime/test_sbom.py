"""``scripts/sbom`` describes exactly the locked runtime environment (CycloneDX JSON)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

import lintas

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import lockcheck  # noqa: E402


@pytest.mark.slow
def test_sbom_lists_the_runtime_lock_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "sbom.cdx.json"
    subprocess.run([str(ROOT / "scripts/sbom"), str(out)], check=True, capture_output=True, timeout=600)
    bom = json.loads(out.read_text())
    assert bom["bomFormat"] == "CycloneDX"
    root = bom["metadata"]["component"]
    assert (root["name"], root["version"]) == ("lintas", lintas.__version__)
    listed = {canonicalize_name(c["name"]): c["version"] for c in bom["components"]}
    pins = lockcheck.read_lock(ROOT / "requirements/runtime.txt")
    locked = {name: str(version) for name, (version, _) in pins.items()}
    assert listed == locked
    # Developer tools are not part of what deployers run.
    assert not {"pytest", "mypy", "ruff", "pip"} & listed.keys()
