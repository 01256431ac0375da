"""Shared fixtures: one real Redis per test session, and a key-value store on both backends.

``kv_store`` is parametrised over ``["sqlite", "redis"]``: a test that takes it runs twice, once
on the embedded SQLite store and once on Redis, so every suite checks both adapters.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from lintas.kv import KeyValueStore, open_store
from lintas.testing import RedisServer

# Properties are judged by their assertions, not by how fast a loaded 2-core machine generates
# examples: no deadlines, no "too slow" health check. Example counts stay as each test sets them.
settings.register_profile("lintas", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("lintas")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A redis-server on a free 127.0.0.1 port for the whole session (no persistence)."""
    with RedisServer() as server:
        yield server


def make_store(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> KeyValueStore:
    """Open a fresh, isolated store on ``backend`` ("sqlite" or "redis")."""
    if backend == "sqlite":
        return open_store(None, tmp_path / "kv", "test")
    server: RedisServer = request.getfixturevalue("redis_server")
    # A unique namespace per test isolates tests sharing the session's Redis.
    return open_store(server.url, tmp_path, f"t{uuid.uuid4().hex}")


@pytest.fixture(params=["sqlite", "redis"])
def kv_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KeyValueStore]:
    """A fresh, empty store, once per backend; closed after the test."""
    store = make_store(request.param, tmp_path, request)
    try:
        yield store
    finally:
        store.close()
