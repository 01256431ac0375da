"""The verifier's real registry fetch is the one fetcher: pinned, ETag-revalidated, size-capped, no redirects.

A small registry stand-in runs under uvicorn on loopback and records what the verifier sent;
the verifier's trust source is built exactly as ``create_app`` builds it (``trust_source``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import Response

from idcore.ports import FixedClock
from idcore.trust import TrustListCache, certificate_sha256_hex
from lintas.testing import UvicornServer, free_port
from lintas.trust_fetch import TrustListFetcher
from tests.verifier.world import T0, World
from verifier.app import trust_source
from verifier.settings import VerifierSettings


def _registry(world: World, seen: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()
    etag = '"7-list"'

    @app.get("/good/v1/trust-list")
    def good(request: Request) -> Response:
        seen.append({"path": "good", "if_none_match": request.headers.get("if-none-match")})
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return Response(world.token, media_type="application/jwt", headers={"ETag": etag})

    @app.get("/huge/v1/trust-list")
    def huge() -> Response:
        # Far past the list's size limit: the fetcher must stop reading, not buffer it all.
        return Response(world.token + "." * (3 * 1024 * 1024), media_type="application/jwt")

    @app.get("/moved/v1/trust-list")
    def moved() -> Response:
        return Response(status_code=302, headers={"Location": "/good/v1/trust-list"})

    return app


@pytest.fixture(scope="module")
def registry(world: World) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    port = free_port()
    with UvicornServer(_registry(world, seen), port=port) as server:
        yield server.base_url, seen


def _cache(tmp_path: Path, world: World, url: str, http: httpx.Client) -> TrustListCache:
    settings = VerifierSettings(
        public_url="http://localhost:8400",
        data_dir=tmp_path,
        development=True,
        registry_url=url,
        registry_pin_sha256=certificate_sha256_hex(world.registry_cert),
    )
    source = trust_source(settings, None, http, FixedClock(T0))
    assert isinstance(source, TrustListCache)
    return source


def test_the_verifier_fetches_with_the_one_fetcher_and_revalidates_by_etag(
    tmp_path: Path, world: World, registry: tuple[str, list[dict[str, Any]]]
) -> None:
    base, seen = registry
    with httpx.Client() as http:
        cache = _cache(tmp_path, world, f"{base}/good", http)
        assert isinstance(cache._fetch, TrustListFetcher)  # not a second, unbounded fetch
        assert cache.snapshot().sequence_number == 7
        assert cache.refresh(force=True)  # a 304 gives the same list back, accepted again
        assert cache.status().last_error == ""
    assert [s["if_none_match"] for s in seen if s["path"] == "good"][-2:] == [None, '"7-list"']


@pytest.mark.parametrize(("path", "error"), [("huge", "size limit"), ("moved", "HTTP 302")])
def test_an_oversized_or_redirected_list_trusts_nobody(
    tmp_path: Path, world: World, registry: tuple[str, list[dict[str, Any]]], path: str, error: str
) -> None:
    base, _ = registry
    with httpx.Client(follow_redirects=True) as http:  # even a client that would follow: the fetcher does not
        cache = _cache(tmp_path, world, f"{base}/{path}", http)
        assert cache.snapshot().sequence_number == 0  # the empty snapshot: trusts nobody
        assert error in cache.status().last_error
        # The twin: the same verifier settings against the well-behaved registry get the list.
        good = _cache(tmp_path, world, f"{base}/good", http)
        assert good.snapshot().sequence_number == 7
