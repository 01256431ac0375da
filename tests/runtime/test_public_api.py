"""The runtime's public API: every ``__all__`` name exists and is documented."""

from __future__ import annotations

import importlib
import inspect

import pytest

MODULES = [
    "lintas.kv",
    "lintas.kv.port",
    "lintas.kv.sqlite_store",
    "lintas.kv.redis_store",
    "lintas.oauth",
    "lintas.access_tokens",
    "lintas.demo_pki",
    "lintas.problem",
    "lintas.server",
    "lintas.testing",
]
# Names re-exported from authlib keep authlib's own documentation.
FOREIGN = {"InsufficientScopeError", "InvalidTokenError"}


@pytest.mark.parametrize("name", MODULES)
def test_all_names_exist_and_have_docstrings(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__doc__
    exported = module.__all__
    assert len(exported) == len(set(exported))
    for attr in exported:
        value = getattr(module, attr)  # AttributeError fails the test
        if attr not in FOREIGN and (inspect.isclass(value) or inspect.isfunction(value)):
            assert inspect.getdoc(value), f"{name}.{attr} has no docstring"


def test_kv_contract_is_unchanged() -> None:
    # Other services code against these exact names and signatures.
    from lintas.kv import KeyValueStore, open_store

    methods = {
        "get",
        "set",
        "set_if_absent",
        "consume",
        "delete",
        "incr",
        "atomic_write",
        "scan_prefix",
        "ping",
        "close",
    }
    assert methods <= set(dir(KeyValueStore))
    assert list(inspect.signature(open_store).parameters)[:3] == ["redis_url", "data_dir", "namespace"]
