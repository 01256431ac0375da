"""The configuration reference: every setting of every service, its environment variable and default.

``python -m lintas_cli.config_reference`` prints the Markdown tables the README carries; a test
checks that the README and the code agree. Descriptions are the ``#:`` comments above each
field in the services' ``settings.py``, so the documentation lives next to the code it describes.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo

__all__ = ["SERVICES", "reference_markdown", "settings_rows"]

#: (title, module, class) of each service's settings.
SERVICES = (
    ("Trust registry (`lintas registry`)", "trust_registry.settings", "RegistrySettings"),
    ("National issuer (`lintas issuer`)", "issuer.settings", "IssuerSettings"),
    ("Verifier (`lintas verifier`)", "verifier.settings", "VerifierSettings"),
    ("Wallet and relying-party demo (`lintas wallet`)", "wallet_demo.settings", "WalletSettings"),
)


def _comments(cls: type) -> dict[str, str]:
    """Field name -> the ``#:`` comment lines directly above it in the class body."""
    source = inspect.getsource(cls)
    lines = source.splitlines()
    found: dict[str, str] = {}
    for node in ast.parse(source).body[0].body:  # type: ignore[attr-defined]
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            text: list[str] = []
            row = node.lineno - 2
            while row >= 0 and lines[row].strip().startswith("#:"):
                text.insert(0, lines[row].strip()[2:].strip())
                row -= 1
            found[node.target.id] = " ".join(text)
    return found


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value: Any = field.default_factory()  # type: ignore[call-arg]
    else:
        value = field.default
    if isinstance(value, Path):
        # Package files are shown relative to the repository, not to this machine.
        parts = value.parts
        for anchor in ("trust_registry", "issuer", "verifier", "wallet_demo"):
            if anchor in parts and value.is_absolute():
                return "`" + "/".join(parts[parts.index(anchor) :]) + "` (shipped)"
        return f"`{value}`"
    if value is None:
        return "unset"
    if value in ({}, [], ""):
        return "empty"
    return f"`{value}`"


def settings_rows(module: str, name: str) -> Iterator[tuple[str, str, str]]:
    """(environment variable(s), default, description) for each field of a settings class."""
    cls = getattr(importlib.import_module(module), name)
    prefix = cls.model_config.get("env_prefix", "")
    comments = _comments(cls)
    for field_name, field in cls.model_fields.items():
        names = [f"{prefix}{field_name}".upper()]
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        if choices:
            names = [str(c) for c in choices if str(c).isupper()]
        env = " / ".join(f"`{n}`" for n in names)
        # The shared mode is a word in the environment (lintas.devmode), a bool in the code.
        default = "`production`" if "LINTAS_MODE" in names else _default(field)
        yield env, default, comments.get(field_name, "")


def reference_markdown() -> str:
    """The README's configuration section body."""
    out: list[str] = []
    for title, module, name in SERVICES:
        out += [f"#### {title}", "", "| environment variable | default | what it sets |", "|---|---|---|"]
        out += [f"| {env} | {default} | {text} |" for env, default, text in settings_rows(module, name)]
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover
    print(reference_markdown())
