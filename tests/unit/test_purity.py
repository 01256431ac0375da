"""idcore is pure (no web framework, Redis client, network client or environment) and lists its API."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import idcore

ROOT = Path(idcore.__file__).parent
BANNED_MODULES = {"fastapi", "starlette", "uvicorn", "redis", "httpx", "requests", "aiohttp", "urllib.request"}
BANNED_CALLS = {("os", "environ"), ("os", "getenv"), ("os", "environb"), ("os", "putenv")}


def sources() -> list[Path]:
    return sorted(ROOT.rglob("*.py"))


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_imports_nothing_impure(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            assert (node.value.id, node.attr) not in BANNED_CALLS, f"{path}: reads the environment"
            continue
        else:
            continue
        for name in names:
            assert not any(name == b or name.startswith(b + ".") for b in BANNED_MODULES), f"{path}: imports {name}"


def test_the_ban_detects_a_violation(tmp_path: Path) -> None:
    """The check above can fail: run it on a module that breaks the rule."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom fastapi import FastAPI\nx = os.environ['A']\n")
    with pytest.raises(AssertionError):
        test_module_imports_nothing_impure(bad)


def public_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(idcore.__path__, "idcore.") if "._" not in m.name)


@pytest.mark.parametrize("name", public_modules())
def test_all_lists_existing_public_names(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        return
    for symbol in exported:
        assert hasattr(module, symbol), f"{name}.__all__ names missing {symbol}"
    assert len(set(exported)) == len(exported)
