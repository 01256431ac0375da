"""Fixtures for the runtime tests: in-process async HTTP over httpx's ASGITransport."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    """Run ``@pytest.mark.anyio`` tests on asyncio only."""
    return "asyncio"
