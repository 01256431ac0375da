"""The trust mark keeper (:mod:`lintas.trust_marks`) against a real trust mark endpoint on loopback.

The endpoint is a small app under uvicorn that answers what the test sets: marks genuinely signed
with an anchor key generated here (never stored), 404, errors, oversized bodies. A valid mark for
this entity and type is carried until it expires; every tampered twin (another subject, another
type, another ``typ``, expired, not yet valid, signed by another key, issued by another entity,
oversized, not a JWS) is refused and replaces nothing but drops what was carried; a 404 drops the
mark; an outage keeps it until it expires.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI, Request
from fastapi.responses import Response

from idcore.jose import KeySigner, sign_compact
from idcore.ports import FixedClock
from idcore.trust.federation_keys import normalise_jwk
from idcore.trust.federation_marks import REGISTERED_RELYING_PARTY, sign_trust_mark
from lintas.federation_fetch import endpoint_allowed
from lintas.testing import UvicornServer, free_port
from lintas.trust_marks import MAX_INTERVAL, MAX_MARK_BYTES, TrustMarkKeeper

NOW = 1_800_000_000
SUBJECT = "https://verifier.example"


@dataclass
class MarkServer:
    """The endpoint's next answer, what it was asked, and the anchor that signs."""

    url: str
    anchor_id: str
    signer: KeySigner = field(default_factory=lambda: KeySigner(ec.generate_private_key(ec.SECP256R1())))
    status: int = 200
    body: bytes = b""
    asked: list[dict[str, str]] = field(default_factory=list)

    @property
    def jwk(self) -> dict[str, str]:
        return normalise_jwk(self.signer.public_jwk)

    def mark(self, **changes: Any) -> str:
        """A mark for SUBJECT of the registered-relying-party type by the anchor, valid now for 600 s."""
        values: dict[str, Any] = {
            "iss": self.anchor_id,
            "sub": SUBJECT,
            "mark_type": REGISTERED_RELYING_PARTY,
            "iat": NOW - 10,
            "exp": NOW + 600,
            "signer": self.signer,
            "kid": self.jwk["kid"],
        }
        values.update(changes)
        return sign_trust_mark(
            values["iss"],
            values["sub"],
            values["mark_type"],
            values["iat"],
            values["exp"],
            values["signer"],
            values["kid"],
        )

    def answer(self, status: int, body: str | bytes = b"") -> None:
        self.status, self.body = status, body.encode() if isinstance(body, str) else body


def _app(server: MarkServer) -> FastAPI:
    app = FastAPI()

    @app.get("/federation/trust-mark")
    def trust_mark(request: Request) -> Response:
        server.asked.append(dict(request.query_params))
        return Response(server.body, status_code=server.status, media_type="application/trust-mark+jwt")

    return app


@pytest.fixture(scope="module")
def endpoint() -> Iterator[MarkServer]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = MarkServer(f"{base}/federation/trust-mark", base)
    with UvicornServer(_app(server), port=port):
        yield server


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


def keeper(server: MarkServer, http: httpx.Client, clock: FixedClock, *, anchor: bool = True) -> TrustMarkKeeper:
    return TrustMarkKeeper(
        server.url,
        REGISTERED_RELYING_PARTY,
        SUBJECT,
        client=http,
        clock=clock,
        development=True,
        anchor=(server.anchor_id, [server.jwk]) if anchor else None,
    )


def test_a_valid_mark_is_carried_until_it_expires(endpoint: MarkServer, http: httpx.Client) -> None:
    clock = FixedClock(NOW)
    mark = endpoint.mark()
    endpoint.answer(200, mark)
    kept = keeper(endpoint, http, clock)
    assert kept.current(NOW) == []
    delay = kept.refresh()
    assert endpoint.asked[-1] == {"trust_mark_type": REGISTERED_RELYING_PARTY, "sub": SUBJECT}
    assert kept.current(NOW) == [{"trust_mark_type": REGISTERED_RELYING_PARTY, "trust_mark": mark}]
    assert delay == min(MAX_INTERVAL, 600 // 2)  # min(300 s, half the remaining life)
    clock.advance(500)
    assert kept.refresh() == 50  # half of the 100 s left
    # Twin: once expired it is no longer carried, whatever the endpoint said before.
    assert kept.current(NOW + 600) == []


def test_a_404_drops_the_mark(endpoint: MarkServer, http: httpx.Client) -> None:
    kept = keeper(endpoint, http, FixedClock(NOW))
    endpoint.answer(200, endpoint.mark())
    kept.refresh()
    assert kept.current(NOW)
    endpoint.answer(404, '{"error": "not_found"}')
    kept.refresh()
    assert kept.current(NOW) == []


def _other_signer() -> KeySigner:
    return KeySigner(ec.generate_private_key(ec.SECP256R1()))


TWINS: dict[str, Any] = {
    "another subject": lambda s: s.mark(sub="https://other-verifier.example"),
    "another type": lambda s: s.mark(mark_type="https://lintas.asean.example/trust-marks/recognised-pid-issuer"),
    "another typ": lambda s: sign_compact(
        {"typ": "JWT", "kid": s.jwk["kid"]},
        {"iss": s.anchor_id, "sub": SUBJECT, "trust_mark_type": REGISTERED_RELYING_PARTY, "iat": NOW, "exp": NOW + 9},
        s.signer,
    ),
    "expired": lambda s: s.mark(iat=NOW - 700, exp=NOW),
    "not yet valid": lambda s: s.mark(iat=NOW + 60),
    "signed by another key": lambda s: s.mark(signer=_other_signer()),
    "issued by another entity": lambda s: s.mark(iss="http://127.0.0.1:1/federation/TH"),
    "oversized": lambda s: s.mark() + "A" * MAX_MARK_BYTES,
    "not a JWS": lambda s: "not-a-mark",
    "not ASCII": lambda s: "\u00e9t\u00e9".encode(),
}


@pytest.mark.parametrize("twin", sorted(TWINS))
def test_invalid_marks_are_refused_and_drop_the_carried_one(
    endpoint: MarkServer, http: httpx.Client, twin: str, caplog: pytest.LogCaptureFixture
) -> None:
    kept = keeper(endpoint, http, FixedClock(NOW))
    endpoint.answer(200, endpoint.mark())
    kept.refresh()
    assert kept.current(NOW), "the genuine mark is carried first"
    bad = TWINS[twin](endpoint)
    endpoint.answer(200, bad)
    with caplog.at_level(logging.WARNING, logger="lintas.trust_marks"):
        kept.refresh()
    assert kept.current(NOW) == []
    assert "refused" in caplog.text
    assert (bad if isinstance(bad, str) else bad.decode())[:40] not in caplog.text  # never the token


def test_a_mark_a_few_seconds_ahead_is_carried_one_beyond_the_skew_is_not(
    endpoint: MarkServer, http: httpx.Client
) -> None:
    kept = keeper(endpoint, http, FixedClock(NOW))
    endpoint.answer(200, endpoint.mark(iat=NOW + 5))  # the registry's clock is 5 s ahead of this one
    kept.refresh()
    assert kept.current(NOW)
    endpoint.answer(200, endpoint.mark(iat=NOW + 31))  # twin: beyond the bounded skew
    kept.refresh()
    assert kept.current(NOW) == []


def test_without_anchor_keys_the_signature_is_not_judged_but_everything_else_is(
    endpoint: MarkServer, http: httpx.Client
) -> None:
    kept = keeper(endpoint, http, FixedClock(NOW), anchor=False)
    endpoint.answer(200, endpoint.mark(signer=_other_signer()))
    kept.refresh()
    assert kept.current(NOW)  # structure, subject, type and times are all this keeper can check
    endpoint.answer(200, endpoint.mark(sub="https://other-verifier.example"))
    kept.refresh()
    assert kept.current(NOW) == []


def test_an_outage_keeps_the_mark_until_it_expires(endpoint: MarkServer, http: httpx.Client) -> None:
    clock = FixedClock(NOW)
    kept = keeper(endpoint, http, clock)
    endpoint.answer(200, endpoint.mark())
    kept.refresh()
    endpoint.answer(503, "down")
    assert kept.refresh() == 60  # retried sooner than the regular interval
    assert kept.current(NOW)
    unreachable = TrustMarkKeeper(
        f"http://127.0.0.1:{free_port()}/federation/trust-mark",
        REGISTERED_RELYING_PARTY,
        SUBJECT,
        client=http,
        clock=clock,
        development=True,
    )
    # Connection refused: logged, nothing carried, no exception; retried soon, then less and less often.
    assert [unreachable.refresh() for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert unreachable.current(NOW) == []
    assert kept.current(NOW + 600) == []


def test_the_background_task_fetches_at_start(endpoint: MarkServer, http: httpx.Client) -> None:
    kept = keeper(endpoint, http, FixedClock(NOW))
    endpoint.answer(200, endpoint.mark())

    async def scenario() -> list[dict[str, str]]:
        async with kept.running():
            for _ in range(100):
                if kept.current(NOW):
                    break
                await asyncio.sleep(0.05)
            return kept.current(NOW)

    assert asyncio.run(scenario())[0]["trust_mark_type"] == REGISTERED_RELYING_PARTY


@pytest.mark.parametrize(
    ("url", "development", "allowed"),
    [
        ("https://registry.example/federation/trust-mark", False, True),
        ("http://registry.example/federation/trust-mark", False, False),
        ("https://127.0.0.1/federation/trust-mark", False, False),
        ("https://10.0.0.1/federation/trust-mark", False, False),
        ("https://localhost/federation/trust-mark", False, False),
        ("https://user:pw@registry.example/trust-mark", False, False),
        ("http://127.0.0.1:8000/federation/trust-mark", True, True),
        ("https://registry.example/federation/trust-mark", True, False),
        ("ftp://127.0.0.1/trust-mark", True, False),
    ],
)
def test_endpoint_rule(url: str, development: bool, allowed: bool) -> None:
    assert endpoint_allowed(url, development) is allowed


def test_an_endpoint_outside_the_rule_refuses_construction(http: httpx.Client) -> None:
    with pytest.raises(ValueError, match="https"):
        TrustMarkKeeper(
            "http://registry.example/trust-mark", REGISTERED_RELYING_PARTY, SUBJECT, client=http, clock=FixedClock(NOW)
        )
