"""Fixtures for the trust registry: a real registry under uvicorn on 127.0.0.1, on both stores.

``registry`` is parametrised through the shared ``kv_store`` fixture (``tests/conftest.py``):
every test that takes it runs on the embedded SQLite store and on a real ``redis-server``.
The registry generates its keys into a temporary data directory; nothing is mocked.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from idcore.ports import FixedClock
from lintas.kv import KeyValueStore

from .helpers import Registry, make_settings, start_registry


@pytest.fixture
def clock() -> FixedClock:
    # Real time: certificates generated on first start must also be valid for httpx/ssl-free checks.
    return FixedClock(int(time.time()))


@pytest.fixture
def registry(kv_store: KeyValueStore, tmp_path: Path, clock: FixedClock) -> Iterator[Registry]:
    """A seeded registry on a fresh store (SQLite and Redis), served on a loopback port."""
    reg = start_registry(make_settings(tmp_path / "data"), kv_store, clock)
    try:
        yield reg
    finally:
        reg.http.close()
        reg.server.stop()
