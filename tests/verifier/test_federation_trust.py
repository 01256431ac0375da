"""The verifier's federation settings, anchor keys and statement fetcher (issue #16 item 2).

The fetcher runs against a real uvicorn server on 127.0.0.1 answering what a hostile or broken
federation entity could: each limit (no redirects, media type, size declared and streamed, HTTP
errors, URL rules) has a test that must fail when the limit is removed. The end-to-end chain is
``tests/stack/test_federation_journey.py``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError

from idcore.jose import KeySigner
from idcore.jwk import jwk_thumbprint
from idcore.trust import federation as core
from idcore.trust.federation_marks import RECOGNISED_PID_ISSUER
from lintas.federation_fetch import MAX_STATEMENT_BYTES, FetchRefused, StatementFetcher
from lintas.testing import UvicornServer
from verifier.checkconfig import _trust
from verifier.federation import federation_trust, load_anchor
from verifier.settings import VerifierSettings

MEDIA = "application/entity-statement+jwt"
ANCHOR = "http://127.0.0.1:8000"
OTHER_MARK = "https://lintas.asean.example/trust-marks/some-other-mark"


def _public_jwk() -> dict[str, Any]:
    return dict(KeySigner(ec.generate_private_key(ec.SECP256R1())).public_jwk)


def settings(tmp_path: Path, **values: Any) -> VerifierSettings:
    base: dict[str, Any] = {"public_url": "http://localhost:8400", "data_dir": tmp_path, "development": True}
    return VerifierSettings(**{**base, **values})


def federation(tmp_path: Path, jwks: Any, **values: Any) -> VerifierSettings:
    return settings(
        tmp_path,
        trust_mode="federation",
        federation_trust_anchor=ANCHOR,
        federation_trust_anchor_jwks=json.dumps(jwks),
        **values,
    )


def test_trust_mode_settings_go_together(tmp_path: Path) -> None:
    jwks = json.dumps({"keys": [_public_jwk()]})
    assert settings(tmp_path).trust_mode == "list"
    made = federation(tmp_path, {"keys": [_public_jwk()]})
    assert (made.trust_mode, made.federation_trust_anchor, made.registry_url) == ("federation", ANCHOR, None)
    refused: list[dict[str, Any]] = [
        {"federation_trust_anchor": ANCHOR, "federation_trust_anchor_jwks": jwks},  # set but mode is list
        {"trust_mode": "federation"},  # no anchor
        {"trust_mode": "federation", "federation_trust_anchor": ANCHOR},  # no keys
        {
            "trust_mode": "federation",
            "federation_trust_anchor": ANCHOR,
            "federation_trust_anchor_jwks": jwks,
            "federation_trust_anchor_jwks_file": str(tmp_path / "jwks.json"),
        },  # two sources of keys
        {"trust_mode": "both", "federation_trust_anchor": ANCHOR, "federation_trust_anchor_jwks": jwks},  # no registry
        {
            "trust_mode": "federation",
            "federation_trust_anchor": "https://registry.example",
            "federation_trust_anchor_jwks": jwks,
        },
        {"trust_mode": "federation", "federation_trust_anchor": ANCHOR + "?x=1", "federation_trust_anchor_jwks": jwks},
    ]
    for values in refused:
        with pytest.raises(ValidationError):
            settings(tmp_path, **values)
    production = {"public_url": "https://verifier.example.gov", "data_dir": tmp_path, "development": False}
    keys = {"trust_mode": "federation", "federation_trust_anchor_jwks": jwks}
    assert VerifierSettings(
        **production, **keys, federation_trust_anchor="https://registry.example/"
    ).federation_trust_anchor == ("https://registry.example")
    with pytest.raises(ValidationError, match="https"):
        VerifierSettings(**production, **keys, federation_trust_anchor="http://127.0.0.1:8000")


def test_required_trust_marks_reach_the_federation_and_are_refused_in_list_mode(tmp_path: Path) -> None:
    jwks = {"keys": [_public_jwk()]}
    made = federation(tmp_path, jwks, federation_required_trust_marks=f"{RECOGNISED_PID_ISSUER}, {OTHER_MARK}")
    assert made.federation_required_trust_marks == [RECOGNISED_PID_ISSUER, OTHER_MARK]  # a comma list, as from env
    with httpx.Client() as http:
        judged = federation_trust(made, http).federation
        assert judged.required_marks == frozenset({RECOGNISED_PID_ISSUER, OTHER_MARK})
        # Twin: unset, nothing is required.
        assert federation_trust(federation(tmp_path, jwks), http).federation.required_marks == frozenset()
    with pytest.raises(ValidationError, match="trust_mode is list"):
        settings(tmp_path, federation_required_trust_marks=[RECOGNISED_PID_ISSUER])
    for bad in (["recognised-pid-issuer"], [RECOGNISED_PID_ISSUER, RECOGNISED_PID_ISSUER], ["https://x/" + "a" * 600]):
        with pytest.raises(ValidationError, match="federation_required_trust_marks"):
            federation(tmp_path, jwks, federation_required_trust_marks=bad)


def test_check_config_shows_required_marks_and_warns_that_both_binds_the_federation_only(tmp_path: Path) -> None:
    jwks = {"keys": [_public_jwk()]}
    required = {"federation_required_trust_marks": [RECOGNISED_PID_ISSUER]}
    both = settings(
        tmp_path,
        trust_mode="both",
        registry_url="http://127.0.0.1:8001",
        registry_pin_sha256=["0" * 64],
        federation_trust_anchor=ANCHOR,
        federation_trust_anchor_jwks=json.dumps(jwks),
        **required,
    )
    with httpx.Client(timeout=0.5) as http:  # nothing listens on the anchor's port: its own finding FAILs
        in_federation = {f.check: f for f in _trust(federation(tmp_path, jwks, **required), http, int(time.time()))}
        in_both = {f.check: f for f in _trust(both, http, int(time.time()))}
        unset = {f.check for f in _trust(federation(tmp_path, jwks), http, int(time.time()))}
    assert in_federation["trust-marks"].level == "ok"
    assert RECOGNISED_PID_ISSUER in in_federation["trust-marks"].message
    assert in_both["trust-marks"].level == "warn"
    assert "list path accepts without" in in_both["trust-marks"].message
    assert in_federation["federation"].level == "FAIL"  # the marks finding does not hide an unreachable anchor
    assert "trust-marks" not in unset  # twin: none required, nothing shown


def test_anchor_keys_are_public_p256_with_their_thumbprint(tmp_path: Path) -> None:
    public = _public_jwk()
    anchor = load_anchor(federation(tmp_path, {"keys": [public]}))
    assert anchor.entity_id == ANCHOR
    assert anchor.jwks[0]["kid"] == jwk_thumbprint({k: public[k] for k in ("kty", "crv", "x", "y")})
    path = tmp_path / "anchor.jwks"
    path.write_text(json.dumps({"keys": [public]}))
    from_file = settings(
        tmp_path, trust_mode="federation", federation_trust_anchor=ANCHOR, federation_trust_anchor_jwks_file=str(path)
    )
    assert load_anchor(from_file) == anchor
    private = dict(KeySigner(ec.generate_private_key(ec.SECP256R1())).public_jwk)
    private["d"] = "AAAA"
    for bad in (
        {"keys": [private]},
        {"keys": [{**public, "kid": "chosen-by-me"}]},
        {"keys": []},
        {"keys": [_public_jwk() for _ in range(5)]},
        {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]},
        ["not", "a", "set"],
    ):
        with pytest.raises(ValueError, match="federation trust anchor"):
            load_anchor(federation(tmp_path, bad))
    path.unlink()
    with pytest.raises(ValueError, match="unreadable"):
        load_anchor(from_file)


def _hostile_app() -> FastAPI:
    app = FastAPI()
    token = b"eyJhbGciOiJFUzI1NiJ9.e30.c2ln"

    @app.get("/ok")
    def ok() -> Response:
        return Response(token, media_type=MEDIA)

    @app.get("/slow")
    def slow() -> Response:
        time.sleep(0.6)
        return Response(token, media_type=MEDIA)

    @app.get("/gone")
    def gone() -> Response:
        return Response(b'{"error":"not_found"}', status_code=404, media_type="application/json")

    @app.get("/broken")
    def broken() -> Response:
        return Response(b"oops", status_code=500)

    @app.get("/moved")
    def moved() -> RedirectResponse:
        return RedirectResponse("/ok", status_code=302)

    @app.get("/html")
    def html() -> Response:
        return Response(token, media_type="text/html")

    @app.get("/large")
    def large() -> Response:
        return Response(b"a" * (MAX_STATEMENT_BYTES + 1), media_type=MEDIA)

    @app.get("/streamed")
    def streamed() -> StreamingResponse:
        chunks = (b"a" * 4096 for _ in range(MAX_STATEMENT_BYTES // 4096 + 2))
        return StreamingResponse(chunks, media_type=MEDIA)  # no Content-Length: only the running count stops it

    return app


@pytest.fixture(scope="module")
def hostile() -> Iterator[str]:
    with UvicornServer(_hostile_app()) as server:
        yield server.base_url


def test_statement_fetcher_limits(hostile: str) -> None:
    assert MAX_STATEMENT_BYTES == core.MAX_STATEMENT_BYTES  # reads no more than the parser accepts
    with httpx.Client(timeout=5) as http:
        fetch = StatementFetcher(http, development=True)
        assert fetch(f"{hostile}/ok") == b"eyJhbGciOiJFUzI1NiJ9.e30.c2ln"
        assert fetch(f"{hostile}/gone") is None  # the superior does not vouch: a chain failure, not an outage
        for path, why in [
            ("/broken", "HTTP 500"),
            ("/moved", "HTTP 302"),
            ("/html", "not an entity statement"),
            ("/large", "size limit"),
            ("/streamed", "size limit"),
        ]:
            with pytest.raises(FetchRefused, match=why):
                fetch(f"{hostile}{path}")


def test_one_resolution_shares_one_time_budget(hostile: str) -> None:
    """A chain of slow superiors costs at most the budget in all, not the budget per statement."""
    with httpx.Client(timeout=5) as http:
        fetch = StatementFetcher(http, timeout=1.0, development=True)
        assert fetch(f"{hostile}/slow") == fetch(f"{hostile}/slow")  # outside a resolution: each has the budget
        started = time.monotonic()
        with fetch.resolution():
            assert fetch(f"{hostile}/slow") is not None
            with pytest.raises((httpx.TimeoutException, FetchRefused)):
                fetch(f"{hostile}/slow")  # 0.4 s left: the read times out
            with pytest.raises(FetchRefused, match="budget is spent"):
                fetch(f"{hostile}/ok")
        assert time.monotonic() - started < 1.5
        with fetch.resolution():  # the next judgement has a fresh budget
            assert fetch(f"{hostile}/ok") is not None


@pytest.mark.parametrize(
    ("url", "development"),
    [
        ("https://registry.example/.well-known/openid-federation", True),  # development: loopback only
        ("http://registry.example/.well-known/openid-federation", False),  # production: https only
        ("https://10.0.0.5/.well-known/openid-federation", False),  # private address
        ("https://169.254.169.254/latest/meta-data", False),  # link-local (cloud metadata)
        ("https://127.0.0.1/.well-known/openid-federation", False),
        ("https://localhost/.well-known/openid-federation", False),
        ("https://user:pw@registry.example/x", False),
        ("file:///etc/passwd", False),
        ("https://registry.example/x#frag", False),  # a fragment is never part of an entity's URL
        ("https://[fd00::1]/.well-known/openid-federation", False),  # private IPv6 literal
    ],
)
def test_statement_fetcher_refuses_urls_before_connecting(url: str, development: bool) -> None:
    with httpx.Client(transport=httpx.MockTransport(lambda request: pytest.fail("connected")), timeout=1) as http:
        with pytest.raises(FetchRefused, match="statement URL"):
            StatementFetcher(http, development=development)(url)
