"""Hand-written hostile requests that schemathesis does not think of, at every route of every service.

Routes come from the OpenAPI document plus each service's unlisted routes (pages, the login form,
the "done" page). Every answer must be clean in the sense of :mod:`tests.fuzz.shape`: no 5xx, no
stack trace, a spec-shaped 4xx. Where a request could have changed state (the registry's
governance API), the signed list must be unchanged afterwards.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx
import pytest

from tests.fuzz.shape import problems_of
from tests.fuzz.targets import Target

SERVICES = ["registry", "issuer", "verifier", "wallet"]

#: Path parameter values: unicode, invalid UTF-8 and NUL percent-escapes, traversal, huge, numeric edge cases.
SEGMENTS = ["ñ日本🙂", "%ff%fe", "%00", "..%2f..%2fetc%2fpasswd", "a" * 4000, "-1", "9" * 40, "1e999"]
_DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000
_DEEP_OBJECT = b'{"a":' * 20_000 + b"1" + b"}" * 20_000
BODIES: list[tuple[str, bytes]] = [
    ("application/json", b"\xff\xfe\x00not json"),
    ("application/json", _DEEP_ARRAY),
    ("application/json", _DEEP_OBJECT),
    ("application/json", b'{"a": 1, "a": 2, "subject_id": "x", "subject_id": "y"}'),
    ("application/json", b"[1, 2, 3]"),
    ("application/json", b"null"),
    ("application/json", b'{"x": NaN, "y": Infinity, "z": -Infinity}'),
    ("application/json", b'{"n": ' + b"9" * 5000 + b"}"),
    ("application/json", b'{"idx": -1, "limit": -99999999999999999999, "after": 1e308, "wait": -1}'),
    ("application/json", b"{" + b'"k": 1,' * 1 + b'"big": "' + b"x" * (2 * 1024 * 1024) + b'"}'),
    ("application/json; charset=latin-1", '{"a": "é"}'.encode("latin-1")),
    ("application/x-www-form-urlencoded", b"grant_type=client_credentials&grant_type=authorization_code&a=1&a=2"),
    ("application/x-www-form-urlencoded", b"\xff\xfe=\xff&%ff%fe=%80"),
    ("application/x-www-form-urlencoded", b"&".join(b"k%d=v" % i for i in range(3000))),
    ("multipart/form-data; boundary=zz", b'--zz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--zz--\r\n'),
    ("multipart/form-data", b"no boundary"),
    ("text/plain", b"hello"),
    ("application/xml", b"<?xml version='1.0'?><!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>"),
    ("", b""),
    ("application/jwt", b"a.b.c"),
]
HEADERS: list[dict[str, Any]] = [
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer a.b.c"},
    {"Authorization": "Basic %%%"},
    {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode()},
    {"Authorization": "DPoP a.b.c", "DPoP": "x.y.z"},
    {"Authorization": b"Bearer " + "é".encode("latin-1")},
    {"Accept": "é".encode("latin-1")},
    {"Accept": "application/jwt;q=abc, */*;q=-1"},
    {"If-None-Match": '"' + "x" * 8000 + '"'},
    {"Origin": "http://evil.example", "Access-Control-Request-Method": "DELETE"},
    {"Content-Type": "application/json; charset=utf-32"},
]
QUERIES = [
    "wait=-1&limit=-1&after=%ff&response_code=%00&x=1&x=2",
    "wait=1e999&limit=99999999999999999999",
    "&".join(f"k{i}=v" for i in range(1500)),
    "subject_id=%ff%fe&subject_id=a",
]
_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _routes(target: Target) -> list[tuple[str, str]]:
    listed = [(method.upper(), path) for path, ops in target.app.openapi()["paths"].items() for method in ops]
    return sorted(set(listed) | set(target.hidden_routes))


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


class Probe:
    """Sends hostile requests to one target and collects what was wrong with the answers."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.found: list[str] = []
        self.sent = 0

    def __call__(self, method: str, url: str, **kwargs: Any) -> None:
        # An event stream of a real transaction would not end; the fuzzed ids never name one.
        self.record(self.target.client.request(method, url, **kwargs), str(kwargs)[:120])

    def record(self, response: httpx.Response, note: str = "") -> None:
        """Judge one answer."""
        self.sent += 1
        url = str(response.request.url)[:100]
        self.found += [f"{response.request.method} {url} {note}: {p}" for p in problems_of(response)]

    def verdict(self, at_least: int) -> None:
        """Fail with the first problems found, or if fewer requests than expected were sent."""
        assert not self.found, "\n".join(self.found[:20])
        assert self.sent >= at_least, f"only {self.sent} requests sent"


@pytest.fixture(params=SERVICES)
def target(request: pytest.FixtureRequest) -> Target:
    """Each service in turn."""
    found: Target = request.getfixturevalue(request.param)
    return found


def test_hostile_path_parameters_and_methods(target: Target) -> None:
    probe = Probe(target)
    for method, path in _routes(target):
        urls = [_fill(path, seg) for seg in SEGMENTS] if "{" in path else [path]
        for url in urls:
            for verb in (method, "HEAD", "OPTIONS"):
                probe(verb, url, headers=target.auth)
        probe("TRACE", _fill(path, "x"))
        probe("PUT", _fill(path, "x"), content=b"{}")
    probe.verdict(at_least=5 * len(_routes(target)))


def test_hostile_headers_and_queries(target: Target) -> None:
    probe = Probe(target)
    for method, path in _routes(target):
        url = _fill(path, "x")
        for headers in HEADERS:
            probe(method, url, headers=headers)
        for query in QUERIES:
            probe(method, f"{url}?{query}", headers=target.auth)
    probe.verdict(at_least=(len(HEADERS) + len(QUERIES)) * len(_routes(target)))


def test_hostile_bodies(target: Target) -> None:
    probe = Probe(target)
    for method, path in _routes(target):
        if method not in _WRITE_METHODS:
            continue
        url = _fill(path, "SG")
        for content_type, body in BODIES:
            headers = {"Content-Type": content_type} if content_type else {}
            probe(method, url, content=body, headers=headers)
            probe(method, url, content=body, headers={**headers, **target.auth})
    probe.verdict(at_least=2 * len(BODIES))


def test_a_body_without_content_length_is_judged_like_any_other(target: Target) -> None:
    probe = Probe(target)
    body = b'{"a": "' + b"x" * 300_000 + b'"}'
    for method, path in _routes(target):
        if method not in _WRITE_METHODS:
            continue
        request = target.client.build_request(
            method, _fill(path, "SG"), content=body, headers={"Content-Type": "application/json", **target.auth}
        )
        del request.headers["Content-Length"]  # as a chunked upload arrives: the size is unknown up front
        probe.record(target.client.send(request), "(no Content-Length)")
    probe.verdict(at_least=1)
