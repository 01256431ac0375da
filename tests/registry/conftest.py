"""Fixtures for the trust registry: a real registry under uvicorn on 127.0.0.1, on both stores.

``registry`` is parametrised through the shared ``kv_store`` fixture (``tests/conftest.py``):
every test that takes it runs on the embedded SQLite store and on a real ``redis-server``.
The registry generates its keys into a temporary data directory; nothing is mocked.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from idcore.ports import FixedClock
from lintas.kv import KeyValueStore, open_store

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


@pytest.fixture(scope="module", params=["sqlite", "redis"])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """One registry per module and backend, for tests that change nothing (refusals, reads).

    Such tests assert that the stored state is unchanged, so sharing cannot hide a write.
    """
    data_dir = tmp_path_factory.mktemp("registry")
    if request.param == "sqlite":
        store = open_store(None, data_dir, "registry")
    else:
        server = request.getfixturevalue("redis_server")
        store = open_store(server.url, data_dir, f"r{uuid.uuid4().hex}")
    clock = FixedClock(int(time.time()))
    reg = start_registry(make_settings(data_dir / "data"), store, clock)
    try:
        yield reg
    finally:
        reg.http.close()
        reg.server.stop()
        store.close()
