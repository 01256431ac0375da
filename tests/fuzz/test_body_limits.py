"""Body caps hold for bodies sent without ``Content-Length`` (chunked uploads), RFC 9110 Section 15.5.14.

The registry refuses governance bodies over 256 KiB "unread". Checking only the declared length let a
chunked body through: an oversized issuer entry went into the signed trust list every verifier
downloads. Now the cap counts streamed bytes too, and a refused body writes nothing.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.fuzz.shape import problems_of
from tests.fuzz.targets import Target
from trust_registry.app import MAX_BODY_BYTES

PATH = "/v1/governance/countries/SG/issuers"


def _issuer(identifier: str, name_length: int) -> bytes:
    return json.dumps(
        {
            "id": identifier,
            "names": {"en": "n" * name_length, "ms": "nama"},
            "service_types": ["https://lintas.asean.example/svc/pid-issuance"],
            "vcts": ["https://lintas.asean.example/vct/pid/v1"],
            "assurance_level": "high",
        }
    ).encode()


def _post(registry: Target, body: bytes, *, chunked: bool, auth: bool = True) -> httpx.Response:
    headers: dict[str, Any] = {"Content-Type": "application/json", **(registry.auth if auth else {})}
    request = registry.client.build_request("POST", PATH, content=body, headers=headers)
    if chunked:
        del request.headers["Content-Length"]  # the size is unknown until the body has arrived
    return registry.client.send(request)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_oversized_governance_body_is_413_and_writes_nothing(registry: Target, chunked: bool) -> None:
    before = registry.client.get("/v1/trust-list").content
    body = _issuer(f"https://big-{int(chunked)}.issuers.lintas.test/sg", MAX_BODY_BYTES)
    for auth in (True, False):
        answer = _post(registry, body, chunked=chunked, auth=auth)
        assert problems_of(answer) == []
        assert answer.status_code == 413
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert registry.client.get("/v1/trust-list").content == before


def test_a_small_chunked_governance_body_is_accepted(registry: Target) -> None:
    answer = _post(registry, _issuer("https://small.issuers.lintas.test/sg", 40), chunked=True)
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(("which", "path"), [("issuer", "/sg/token"), ("verifier", "/wallet/response")])
def test_issuer_and_verifier_cap_unauthenticated_bodies(
    request: pytest.FixtureRequest, which: str, path: str, chunked: bool
) -> None:
    """The token endpoint and the wallet's Response URI take bodies from anyone: capped before reading."""
    target: Target = request.getfixturevalue(which)
    limit = 1024 * 1024 if which == "issuer" else 2 * 1024 * 1024
    for size, refused in ((limit + 1, True), (64, False)):
        built = target.client.build_request(
            "POST", path, content=b"a=" + b"x" * size, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        if chunked:
            del built.headers["Content-Length"]
        answer = target.client.send(built)
        assert problems_of(answer) == []
        assert (answer.status_code == 413) is refused, (size, answer.status_code)
