"""Fixtures for the fuzz suite: each service in-process, once per module, on a fresh data directory.

The verifier's test world (PKI, signed trust list, status lists) is shared by the session; its
status list server is a real uvicorn on 127.0.0.1. Everything is stopped at the end.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from idcore.ports import FixedClock
from lintas.testing import UvicornServer, free_port
from tests.fuzz.targets import Target, build_issuer, build_registry, build_verifier, build_wallet
from tests.verifier.world import T0, World, status_app


@pytest.fixture(scope="session")
def fuzz_world() -> Iterator[World]:
    """PKI, trust list and a running status list server (loopback)."""
    port = free_port()
    world = World(f"http://127.0.0.1:{port}")
    with UvicornServer(status_app(world), port=port):
        yield world


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The trust registry with the scheme operator's token."""
    target = build_registry(tmp_path_factory.mktemp("fuzz-registry"), FixedClock(int(time.time())))
    yield target
    target.close()


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The SG issuer with the operator's token."""
    target = build_issuer(tmp_path_factory.mktemp("fuzz-issuer"), FixedClock(int(time.time())))
    yield target
    target.close()


@pytest.fixture(scope="module")
def verifier_clock() -> FixedClock:
    """The verifier's clock, at the world's fixed "now"."""
    return FixedClock(T0)


@pytest.fixture(scope="module")
def verifier(
    tmp_path_factory: pytest.TempPathFactory, fuzz_world: World, verifier_clock: FixedClock
) -> Iterator[Target]:
    """The verifier with the fuzzing relying party's token."""
    target = build_verifier(tmp_path_factory.mktemp("fuzz-verifier"), verifier_clock, fuzz_world)
    yield target
    target.close()


@pytest.fixture(scope="module")
def wallet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The wallet demo (pages and JSON API)."""
    target = build_wallet(tmp_path_factory.mktemp("fuzz-wallet"))
    yield target
    target.close()
