"""Client credentials token endpoint (RFC 6749 Section 4.4) and bearer checks (RFC 6750).

No ``from __future__ import annotations`` here: the routes are defined inside a function and
FastAPI must see their ``Annotated[..., Depends(local_dependency)]`` objects, not strings.
"""

import base64
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Depends, FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st

from idcore.b64 import b64u_decode, b64u_encode, json_dumps
from idcore.jose import KeySigner, parse_compact, sign_compact
from idcore.ports import FixedClock
from lintas.oauth import ClientCredentialsServer, InvalidTokenError, OAuthClient, TokenClaims, hash_secret
from lintas.problem import install_error_handlers
from lintas.testing import UvicornServer

pytestmark = pytest.mark.anyio

ISSUER = "http://127.0.0.1:8400"
T0 = 1_700_000_000
WRITER = ("registry-admin", "writer-secret-0001")
READER = ("verifier-7", "reader-secret-0002")


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


class Setup:
    def __init__(self) -> None:
        self.signer = KeySigner(ec.generate_private_key(ec.SECP256R1()))
        self.clock = FixedClock(T0)
        self.server = ClientCredentialsServer(
            clients=[
                OAuthClient(WRITER[0], hash_secret(WRITER[1]), frozenset({"registry:write", "registry:read"})),
                OAuthClient(READER[0], hash_secret(READER[1]), frozenset({"registry:read"})),
            ],
            signer=self.signer,
            issuer=ISSUER,
            clock=self.clock,
        )
        self.app = FastAPI()
        install_error_handlers(self.app)
        self.app.include_router(self.server.router())
        read = self.server.require("registry:read")
        write = self.server.require("registry:write")
        both = self.server.require(lambda scopes: {"registry:read", "registry:write"} <= scopes)

        @self.app.get("/read")
        def read_route(claims: Annotated[TokenClaims, Depends(read)]) -> dict[str, Any]:
            return {"client_id": claims.client_id, "scopes": sorted(claims.scopes)}

        @self.app.post("/write")
        def write_route(claims: Annotated[TokenClaims, Depends(write)]) -> dict[str, str]:
            return {"client_id": claims.client_id}

        @self.app.get("/both")
        def both_route(claims: Annotated[TokenClaims, Depends(both)]) -> dict[str, str]:
            return {"client_id": claims.client_id}

    def forge(self, header: dict[str, Any] | None = None, **claims: Any) -> str:
        """A token signed by the real key with chosen header/claims (for tampered twins)."""
        body = {
            "iss": ISSUER,
            "sub": READER[0],
            "aud": ISSUER,
            "client_id": READER[0],
            "scope": "registry:read",
            "iat": T0,
            "exp": T0 + 600,
            "jti": "x",
            **claims,
        }
        return sign_compact({"typ": "at+jwt"} if header is None else header, body, self.signer)


@pytest.fixture
def setup() -> Setup:
    return Setup()


@pytest.fixture
async def client(setup: Setup) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=setup.app), base_url=ISSUER) as c:
        yield c


async def token_for(client: httpx.AsyncClient, who: tuple[str, str], **form: str) -> str:
    response = await client.post("/oauth/token", data={"grant_type": "client_credentials", **form}, headers=basic(*who))
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def assert_oauth_error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"


# --- token endpoint ---------------------------------------------------------------------------


async def test_basic_auth_issues_a_signed_at_jwt(setup: Setup, client: httpx.AsyncClient) -> None:
    response = await client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(*WRITER))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 600
    assert body["scope"] == "registry:read registry:write"  # no scope asked: all of the client's
    jws = parse_compact(body["access_token"])
    assert jws.header == {"alg": "ES256", "typ": "at+jwt"}
    claims = jws.claims()
    assert {k: claims[k] for k in ("iss", "aud", "sub", "client_id", "iat", "exp")} == {
        "iss": ISSUER,
        "aud": ISSUER,
        "sub": WRITER[0],
        "client_id": WRITER[0],
        "iat": T0,
        "exp": T0 + 600,
    }
    assert len(b64u_decode(claims["jti"])) == 16


async def test_wrong_secret_with_basic_is_401_invalid_client(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(WRITER[0], WRITER[1] + "x")
    )
    assert_oauth_error(response, 401, "invalid_client")
    assert response.headers["www-authenticate"].startswith("Basic ")


async def test_unknown_client_and_wrong_secret_get_the_same_answer(client: httpx.AsyncClient) -> None:
    data = {"grant_type": "client_credentials"}
    unknown = await client.post("/oauth/token", data=data, headers=basic("nobody", WRITER[1]))
    wrong = await client.post("/oauth/token", data=data, headers=basic(WRITER[0], "guess"))
    assert_oauth_error(unknown, 401, "invalid_client")
    assert (unknown.json(), unknown.headers["www-authenticate"]) == (wrong.json(), wrong.headers["www-authenticate"])


async def test_client_secret_post_works_and_its_tampered_twin_fails(client: httpx.AsyncClient) -> None:
    good = {"grant_type": "client_credentials", "client_id": READER[0], "client_secret": READER[1]}
    response = await client.post("/oauth/token", data=good)
    assert response.status_code == 200
    assert response.json()["scope"] == "registry:read"
    for tampered in ({**good, "client_secret": READER[1][:-1]}, {**good, "client_id": "ghost"}):
        bad = await client.post("/oauth/token", data=tampered)
        assert_oauth_error(bad, 401, "invalid_client")
        assert "www-authenticate" in bad.headers


async def test_scope_must_be_allowed_for_the_client(client: httpx.AsyncClient) -> None:
    token = await token_for(client, WRITER, scope="registry:read")
    assert parse_compact(token).claims()["scope"] == "registry:read"
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "scope": "registry:write"}, headers=basic(*READER)
    )
    assert_oauth_error(response, 400, "invalid_scope")


async def test_unsupported_grant_type(client: httpx.AsyncClient) -> None:
    response = await client.post("/oauth/token", data={"grant_type": "password"}, headers=basic(*WRITER))
    assert_oauth_error(response, 400, "unsupported_grant_type")


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b"scope=registry%3Aread", basic(*WRITER)),  # no grant_type
        (b"grant_type=client_credentials&grant_type=client_credentials", basic(*WRITER)),  # repeated
        (b"grant_type=client_credentials&client_secret=" + READER[1].encode(), basic(*READER)),  # two methods
        (b"grant_type=client_credentials&scope=%ff", basic(*WRITER)),  # not UTF-8
    ],
)
async def test_malformed_token_requests_are_invalid_request(
    client: httpx.AsyncClient, content: bytes, headers: dict[str, str]
) -> None:
    response = await client.post(
        "/oauth/token", content=content, headers={**headers, "Content-Type": "application/x-www-form-urlencoded"}
    )
    assert_oauth_error(response, 400, "invalid_request")


async def test_json_body_is_invalid_request(client: httpx.AsyncClient) -> None:
    response = await client.post("/oauth/token", json={"grant_type": "client_credentials"}, headers=basic(*WRITER))
    assert_oauth_error(response, 400, "invalid_request")


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic",
        "Basic !!!notbase64",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
        "Digest abc",
    ],
)
async def test_malformed_client_authentication_is_401(client: httpx.AsyncClient, authorization: str) -> None:
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": authorization}
    )
    assert_oauth_error(response, 401, "invalid_client")


async def test_no_client_authentication_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert_oauth_error(response, 401, "invalid_client")


# --- bearer checks ----------------------------------------------------------------------------


async def test_valid_token_reaches_the_route(client: httpx.AsyncClient) -> None:
    token = await token_for(client, WRITER)
    response = await client.post("/write", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == {"client_id": WRITER[0]}
    response = await client.get("/both", headers={"Authorization": f"bearer {token}"})
    assert response.status_code == 200


async def test_missing_token_is_401_with_a_bare_challenge(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Basic abc"}):
        response = await client.get("/read", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == f'Bearer realm="{ISSUER}"'


async def test_expired_token_is_invalid_token(setup: Setup, client: httpx.AsyncClient) -> None:
    token = await token_for(client, READER)
    setup.clock.advance(599)
    assert (await client.get("/read", headers={"Authorization": f"Bearer {token}"})).status_code == 200
    setup.clock.advance(1)
    response = await client.get("/read", headers={"Authorization": f"Bearer {token}"})
    assert_oauth_error(response, 401, "invalid_token")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def _tampered_signature(token: str) -> str:
    head, payload, sig = token.split(".")
    raw = bytearray(b64u_decode(sig))
    raw[5] ^= 1
    return f"{head}.{payload}.{b64u_encode(bytes(raw))}"


def _alg_none(token: str) -> str:
    _, payload, _ = token.split(".")
    return f"{b64u_encode(json_dumps({'alg': 'none', 'typ': 'at+jwt'}))}.{payload}."


@pytest.mark.parametrize(
    "make_token",
    [
        lambda s: s.forge(aud="https://other.example"),
        lambda s: s.forge(aud=["https://other.example"]),
        lambda s: s.forge(iss="https://other.example"),
        lambda s: s.forge(header={"typ": "JWT"}),
        lambda s: s.forge(header={}),
        lambda s: s.forge(exp=T0),
        lambda s: s.forge(exp=str(T0 + 600)),
        lambda s: s.forge(iat=T0 + 3600),
        lambda s: s.forge(scope=["registry:read"]),
        lambda s: _tampered_signature(s.forge()),
        lambda s: _alg_none(s.forge()),
        lambda s: sign_compact(
            {"typ": "at+jwt"}, parse_compact(s.forge()).claims(), KeySigner(ec.generate_private_key(ec.SECP256R1()))
        ),
        lambda s: "not.a.jwt",
        lambda s: "a" * 9000,
    ],
    ids=[
        "aud",
        "aud-list",
        "iss",
        "typ-jwt",
        "no-typ",
        "expired",
        "exp-string",
        "iat-future",
        "scope-list",
        "signature",
        "alg-none",
        "other-key",
        "garbage",
        "huge",
    ],
)
async def test_tampered_tokens_are_invalid_token(setup: Setup, client: httpx.AsyncClient, make_token: Any) -> None:
    # The untampered forge passes, so each case fails for its own reason only.
    ok = await client.get("/read", headers={"Authorization": f"Bearer {setup.forge()}"})
    assert ok.status_code == 200
    response = await client.get("/read", headers={"Authorization": f"Bearer {make_token(setup)}"})
    assert_oauth_error(response, 401, "invalid_token")
    assert response.headers["www-authenticate"].startswith(f'Bearer realm="{ISSUER}", error="invalid_token"')


async def test_missing_scope_is_403_insufficient_scope(client: httpx.AsyncClient) -> None:
    token = await token_for(client, READER)
    assert (await client.get("/read", headers={"Authorization": f"Bearer {token}"})).status_code == 200
    response = await client.post("/write", headers={"Authorization": f"Bearer {token}"})
    assert_oauth_error(response, 403, "insufficient_scope")
    assert 'scope="registry:write"' in response.headers["www-authenticate"]
    both = await client.get("/both", headers={"Authorization": f"Bearer {token}"})
    assert_oauth_error(both, 403, "insufficient_scope")


def test_issuer_must_be_https_or_loopback() -> None:
    signer = KeySigner(ec.generate_private_key(ec.SECP256R1()))
    ClientCredentialsServer(clients=[], signer=signer, issuer="https://registry.example", clock=FixedClock(T0))
    with pytest.raises(ValueError, match="https"):
        ClientCredentialsServer(clients=[], signer=signer, issuer="http://registry.example", clock=FixedClock(T0))


def test_hash_secret_is_sha256_hex() -> None:
    assert hash_secret("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert hash_secret("abd") != hash_secret("abc")


def test_over_a_real_socket(setup: Setup) -> None:
    with UvicornServer(setup.app) as server, httpx.Client(base_url=server.base_url) as http:
        response = http.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(*READER))
        assert response.status_code == 200
        token = response.json()["access_token"]
        assert http.get("/read", headers={"Authorization": f"Bearer {token}"}).json()["client_id"] == READER[0]
        assert http.get("/read", headers={"Authorization": f"Bearer {token}x"}).status_code == 401


_FUZZ = Setup()
_names = st.one_of(st.sampled_from(["grant_type", "scope", "client_id", "client_secret"]), st.text(max_size=8))
_values = st.one_of(
    st.sampled_from(["client_credentials", WRITER[0], WRITER[1], "registry:read"]), st.text(max_size=30)
)


@settings(max_examples=300, deadline=None)
@given(
    form=st.lists(st.tuples(_names, _values), max_size=6),
    authorization=st.one_of(st.none(), st.text(max_size=40), st.sampled_from([basic(*WRITER)["Authorization"]])),
)
def test_token_endpoint_core_always_answers_in_oauth_form(
    form: list[tuple[str, str]], authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    status, body, out_headers = _FUZZ.server.token_response(headers, form)
    assert out_headers["Cache-Control"] == "no-store"
    if status == 200:
        assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    else:
        assert status in (400, 401)
        assert body["error"] in {"invalid_request", "invalid_client", "unsupported_grant_type", "invalid_scope"}
        assert ("WWW-Authenticate" in out_headers) == (status == 401)


def test_token_endpoint_core_reads_plain_dict_headers() -> None:
    form = [("grant_type", "client_credentials")]
    for name in ("Authorization", "authorization"):
        status, body, _ = _FUZZ.server.token_response({name: basic(*READER)["Authorization"]}, form)
        assert (status, body["scope"]) == (200, "registry:read")
    status, body, _ = _FUZZ.server.token_response({"Authorization": basic(READER[0], "nope")["Authorization"]}, form)
    assert (status, body["error"]) == (401, "invalid_client")


@settings(max_examples=300, deadline=None)
@given(token=st.text(max_size=200))
def test_verify_token_rejects_arbitrary_strings_with_invalid_token(token: str) -> None:
    with pytest.raises(InvalidTokenError):
        _FUZZ.server.verify_token(token)
