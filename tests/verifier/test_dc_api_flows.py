"""OpenID4VP over the Digital Credentials API through the real verifier (issue #15 item 6, Appendix A).

The relying party creates a ``dc_api`` / ``dc_api.jwt`` transaction, fetches the signed request
its page would hand to ``navigator.credentials.get``, and relays ``{origin, data}``; a scripted
DC API wallet (below) plays the browser and the platform wallet: it verifies the request against
the pinned relying-party CA, checks the origin is expected, and binds its presentation to
``origin:<origin>`` (SD-JWT VC KB-JWT ``aud``) or to the DC API SessionTranscript (mdoc).
Positive flows for both formats and both modes; twins: an unregistered origin, a presentation
bound to another registered origin, a replay, another relying party, plaintext where
``dc_api.jwt`` was asked, a wallet error, creation without registered origins or unsigned, and
the ``/wallet`` endpoints never reaching a DC API transaction; malformed origins refused in the
configuration and plain-http ones outside development mode.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509

from idcore.b64 import b64u_decode, b64u_encode, json_dumps
from idcore.jose import KeySigner, parse_compact, verify_parsed
from idcore.jwk import jwk_thumbprint
from idcore.mdoc import dc_api_session_transcript, device_response, present_mdoc
from idcore.oid4vp import encrypt_compact
from idcore.oid4vp.request import REQUEST_OBJECT_ALGS, REQUEST_OBJECT_TYP
from idcore.ports import FixedClock
from idcore.sdjwt import HolderCredential
from idcore.x509 import certificate_from_pem, parse_x5c, validate_chain
from lintas.testing import RedisServer
from tests.unit.mdoc_helpers import MDL_NS, mdl_claims
from tests.verifier.conftest import RunningVerifier, start_verifier
from tests.verifier.test_pipeline_mdoc import DCQL as MDL_DCQL
from tests.verifier.world import MDL_DOCTYPE, PID_CLAIMS, World, document_signer, issue_mdl, new_key
from verifier.dc_api import check_dc_create
from verifier.policy import ConfigError, RelyingParty, load_config

ROOT = Path(__file__).resolve().parents[2]
BANK = "https://bank.example.my"
BANK_APP = "https://app.bank.example.my"
RENTAL = "https://sewa.example.my"


def _config() -> dict[str, Any]:
    config: dict[str, Any] = json.loads((ROOT / "verifier" / "demo_config.json").read_text())
    config["policies"]["car-rental"] = {
        "purpose": "Rent a car",
        "dcql_query": MDL_DCQL,
        "require_true": ["age_over_18"],
    }
    config["relying_parties"]["my-bank"]["origins"] = [BANK, BANK_APP]
    config["relying_parties"]["my-car-rental"] = {
        "name": "Kereta Sewa (demo)",
        "country": "MY",
        "policies": ["car-rental"],
        "origins": [RENTAL],
    }
    return config


@pytest.fixture(scope="module")
def dcv(
    tmp_path_factory: pytest.TempPathFactory, world: World, clock: FixedClock, redis_server: RedisServer
) -> Iterator[RunningVerifier]:
    tmp = tmp_path_factory.mktemp("dc-api")
    config = tmp / "verifier.json"
    config.write_text(json.dumps(_config()), encoding="utf-8")
    yield from start_verifier(tmp / "data", world, clock, redis_server.url, config_file=config)


def _bearer(verifier: RunningVerifier, client_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {verifier.token(client_id)}"}


def _dc_request(verifier: RunningVerifier, client_id: str, tid: str) -> httpx.Response:
    return verifier.http.get(f"{verifier.url}/v1/presentations/{tid}/dc-request", headers=_bearer(verifier, client_id))


def _dc_response(verifier: RunningVerifier, client_id: str, tid: str, body: dict[str, Any]) -> httpx.Response:
    url = f"{verifier.url}/v1/presentations/{tid}/dc-response"
    return verifier.http.post(url, json=body, headers=_bearer(verifier, client_id))


class DcWallet:
    """The browser and the platform wallet in one: what a conforming DC API wallet does (A.2-A.4)."""

    def __init__(self, verifier: RunningVerifier, world: World, clock: FixedClock) -> None:
        pem = verifier.http.get(f"{verifier.url}/.well-known/lintas/rp-ca.pem").content
        self.anchors: list[x509.Certificate] = [certificate_from_pem(pem)]
        self.world, self.clock = world, clock
        self.holder = KeySigner(new_key())

    def read(self, dc_request: dict[str, Any], origin: str) -> dict[str, Any]:
        """Verify the signed request and that the page's origin is expected (A.3.2)."""
        assert dc_request["protocol"] == "openid4vp-v1-signed"
        jws = parse_compact(dc_request["data"]["request"])
        leaf = validate_chain(parse_x5c(jws.header["x5c"]), self.anchors, self.world_now())
        claims = verify_parsed(jws, leaf.public_key(), algorithms=REQUEST_OBJECT_ALGS, typ=REQUEST_OBJECT_TYP)  # type: ignore[arg-type]
        assert origin in claims["expected_origins"]
        return claims

    def world_now(self) -> Any:
        from datetime import UTC, datetime

        return datetime.fromtimestamp(self.clock.now(), UTC)

    def sd_jwt(self, claims: dict[str, Any], origin: str) -> str:
        """An SD-JWT+KB with ``aud`` = ``origin:<origin>`` (A.4)."""
        credential = self.world.issue("sg-pid", PID_CLAIMS, dict(self.holder.public_jwk), idx=1)
        held = HolderCredential.parse(credential)
        paths = [c["path"] for c in claims["dcql_query"]["credentials"][0].get("claims", [])]
        return held.present(
            held.select(paths), signer=self.holder, aud=f"origin:{origin}", nonce=claims["nonce"], iat=self.clock.now()
        )

    def mdl(self, claims: dict[str, Any], origin: str) -> str:
        """A DeviceResponse signed over the DC API SessionTranscript (Appendix B.2.6.2)."""
        key = claims["client_metadata"].get("jwks", {}).get("keys", [None])[0]
        thumbprint = b64u_decode(jwk_thumbprint(key)) if claims["response_mode"] == "dc_api.jwt" else None
        transcript = dc_api_session_transcript(origin=origin, nonce=claims["nonce"], jwk_thumbprint=thumbprint)
        ds = document_signer(self.world, "TH", self.world.issuers["th-mdl"].issuer_id)
        issued = issue_mdl(self.world, ds, mdl_claims(), self.holder.private_key.public_key())  # type: ignore[arg-type]
        disclose: dict[str, Any] = {MDL_NS: ["age_over_18", "driving_privileges", "issuing_country"]}
        document = present_mdoc(
            issued, doctype=MDL_DOCTYPE, device_signer=self.holder, session_transcript=transcript, disclose=disclose
        )
        return b64u_encode(device_response([document]))

    @staticmethod
    def data(claims: dict[str, Any], payload: dict[str, Any], *, plaintext: bool = False) -> dict[str, Any]:
        """The ``data`` the DC API returns: encrypted to the request's key for ``dc_api.jwt`` (A.4)."""
        if claims["response_mode"] == "dc_api.jwt" and not plaintext:
            key = claims["client_metadata"]["jwks"]["keys"][0]
            return {"response": encrypt_compact(json_dumps(payload), key, enc="A256GCM", kid=key["kid"])}
        return payload


@pytest.fixture
def dc_wallet(dcv: RunningVerifier, world: World, clock: FixedClock) -> DcWallet:
    return DcWallet(dcv, world, clock)


def _start(dcv: RunningVerifier, client_id: str, policy: str, mode: str) -> tuple[str, httpx.Response]:
    created = dcv.create(client_id, policy=policy, response_mode=mode)
    assert "request_link" not in created
    assert created["expected_origins"]
    return created["transaction_id"], _dc_request(dcv, client_id, created["transaction_id"])


@pytest.mark.parametrize("mode", ["dc_api", "dc_api.jwt"])
def test_sd_jwt_vc_over_the_dc_api(dcv: RunningVerifier, dc_wallet: DcWallet, mode: str) -> None:
    tid, fetched = _start(dcv, "my-bank", "pid-onboarding", mode)
    assert fetched.status_code == 200, fetched.text
    claims = dc_wallet.read(fetched.json(), BANK)
    assert (claims["response_mode"], claims["expected_origins"]) == (mode, [BANK, BANK_APP])
    assert not {"response_uri", "state", "redirect_uri"} & set(claims)
    assert claims["verifier_info"][0]["data"]["relying_party"]["id"] == "my-bank"  # who asks, signed
    assert "mso_mdoc" not in claims["client_metadata"]["vp_formats_supported"]  # an SD-JWT VC query
    assert dcv.status("my-bank", tid)["status"] == "fetched"
    data = dc_wallet.data(claims, {"vp_token": {"pid": [dc_wallet.sd_jwt(claims, BANK)]}})
    answer = _dc_response(dcv, "my-bank", tid, {"origin": BANK, "data": data})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"transaction_id": tid, "status": "verified"}
    result = dcv.status("my-bank", tid)
    assert (result["status"], result["flow"]) == ("verified", "dc_api")
    assert result["credentials"][0]["claims"]["full_name"] == "Tan Wei Ling"
    assert "credentials" not in dcv.status("my-bank", tid)  # handed over once
    # Twin: the same answer again is a replay.
    again = _dc_response(dcv, "my-bank", tid, {"origin": BANK, "data": data})
    assert again.status_code == 400
    assert (again.json()["check"], again.json()["reason"]) == ("session", "session_used")


@pytest.mark.parametrize("mode", ["dc_api", "dc_api.jwt"])
def test_a_thai_mdl_over_the_dc_api(dcv: RunningVerifier, dc_wallet: DcWallet, mode: str) -> None:
    tid, fetched = _start(dcv, "my-car-rental", "car-rental", mode)
    claims = dc_wallet.read(fetched.json(), RENTAL)
    formats = claims["client_metadata"]["vp_formats_supported"]
    assert formats["mso_mdoc"]["deviceauth_alg_values"] == [-35, -8, -7]
    data = dc_wallet.data(claims, {"vp_token": {"mdl": [dc_wallet.mdl(claims, RENTAL)]}})
    answer = _dc_response(dcv, "my-car-rental", tid, {"origin": RENTAL, "data": data})
    assert answer.status_code == 200, answer.text
    (credential,) = dcv.status("my-car-rental", tid)["credentials"]
    assert (credential["doctype"], credential["issuing_country"]) == (MDL_DOCTYPE, "TH")
    assert credential["claims"][MDL_NS]["age_over_18"] is True


def test_an_unregistered_origin_is_refused_and_the_transaction_stays_open(
    dcv: RunningVerifier, dc_wallet: DcWallet
) -> None:
    tid, fetched = _start(dcv, "my-bank", "pid-onboarding", "dc_api.jwt")
    claims = dc_wallet.read(fetched.json(), BANK)
    evil = "https://bank-example.my"
    data = dc_wallet.data(claims, {"vp_token": {"pid": [dc_wallet.sd_jwt(claims, evil)]}})
    refused = _dc_response(dcv, "my-bank", tid, {"origin": evil, "data": data})
    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert tuple(refused.json()[k] for k in ("outcome", "check", "reason")) == ("pending", "session", "aud_mismatch")
    assert dcv.status("my-bank", tid)["last_rejection"]["reason"] == "aud_mismatch"
    good = dc_wallet.data(claims, {"vp_token": {"pid": [dc_wallet.sd_jwt(claims, BANK)]}})
    assert _dc_response(dcv, "my-bank", tid, {"origin": BANK, "data": good}).status_code == 200


@pytest.mark.parametrize(("client_id", "policy"), [("my-bank", "pid-onboarding"), ("my-car-rental", "car-rental")])
def test_a_presentation_bound_to_another_origin_fails_holder_binding(
    dcv: RunningVerifier, dc_wallet: DcWallet, client_id: str, policy: str
) -> None:
    """The page claims one origin, the wallet bound the presentation to another (a relayed answer)."""
    tid, fetched = _start(dcv, client_id, policy, "dc_api")
    if client_id == "my-bank":
        claims = dc_wallet.read(fetched.json(), BANK_APP)
        vp = {"pid": [dc_wallet.sd_jwt(claims, BANK_APP)]}
        claimed, expected = BANK, ("holder_binding", "aud_mismatch")
    else:
        claims = dc_wallet.read(fetched.json(), RENTAL)
        vp = {"mdl": [dc_wallet.mdl(claims, "https://other.example.my")]}
        claimed, expected = RENTAL, ("holder_binding", "device_auth_invalid")
    refused = _dc_response(dcv, client_id, tid, {"origin": claimed, "data": {"vp_token": vp}})
    assert refused.status_code == 400
    assert (refused.json()["outcome"], refused.json()["check"]) == ("rejected", expected[0])
    result = dcv.status(client_id, tid)
    assert (result["status"], result["check"]) == ("rejected", expected[0])
    if client_id == "my-car-rental":
        assert result["reason"] == expected[1]


def test_plaintext_where_dc_api_jwt_was_asked_is_refused(dcv: RunningVerifier, dc_wallet: DcWallet) -> None:
    tid, fetched = _start(dcv, "my-bank", "pid-onboarding", "dc_api.jwt")
    claims = dc_wallet.read(fetched.json(), BANK)
    plain = dc_wallet.data(claims, {"vp_token": {"pid": [dc_wallet.sd_jwt(claims, BANK)]}}, plaintext=True)
    refused = _dc_response(dcv, "my-bank", tid, {"origin": BANK, "data": plain})
    assert refused.status_code == 400
    assert (refused.json()["check"], refused.json()["reason"]) == ("decryption", "decryption_failed")
    assert dcv.status("my-bank", tid)["status"] == "fetched"  # still open for the encrypted answer


def test_another_relying_party_cannot_fetch_or_answer(dcv: RunningVerifier, dc_wallet: DcWallet) -> None:
    tid, fetched = _start(dcv, "my-bank", "pid-onboarding", "dc_api")
    claims = dc_wallet.read(fetched.json(), BANK)
    assert _dc_request(dcv, "my-car-rental", tid).status_code == 404
    body = {"origin": BANK, "data": {"vp_token": {"pid": [dc_wallet.sd_jwt(claims, BANK)]}}}
    assert _dc_response(dcv, "my-car-rental", tid, body).status_code == 404
    assert dcv.status("my-bank", tid)["status"] == "fetched"  # untouched
    assert _dc_response(dcv, "my-bank", tid, body).status_code == 200


def test_a_wallet_error_keeps_the_transaction_open(dcv: RunningVerifier, dc_wallet: DcWallet) -> None:
    tid, _ = _start(dcv, "my-bank", "pid-onboarding", "dc_api")
    answer = _dc_response(dcv, "my-bank", tid, {"origin": BANK, "data": {"error": "access_denied"}})
    assert answer.status_code == 200
    assert (answer.json()["status"], answer.json()["wallet_error"]) == ("pending", "access_denied")
    assert dcv.status("my-bank", tid)["last_rejection"]["wallet_error"] == "access_denied"


@pytest.mark.parametrize(
    "body",
    [
        {"origin": BANK, "data": {"vp_token": {"pid": ["x"]}}, "extra": 1},
        ["not", "an", "object"],
    ],
)
def test_malformed_bodies_are_problems(dcv: RunningVerifier, body: Any) -> None:
    tid, _ = _start(dcv, "my-bank", "pid-onboarding", "dc_api")
    answer = _dc_response(dcv, "my-bank", tid, body)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert dcv.status("my-bank", tid)["status"] == "fetched"


@pytest.mark.parametrize(
    ("client_id", "extra"),
    [("th-procurement", {}), ("my-bank", {"client_id_prefix": "redirect_uri"}), ("my-bank", {"response_mode": "dc"})],
)
def test_dc_api_transactions_need_origins_and_a_signed_request(
    dcv: RunningVerifier, client_id: str, extra: dict[str, Any]
) -> None:
    policy = "business-registration" if client_id == "th-procurement" else "pid-onboarding"
    body = {"policy": policy, "response_mode": "dc_api", **extra}
    answer = dcv.http.post(f"{dcv.url}/v1/presentations", json=body, headers=_bearer(dcv, client_id))
    assert answer.status_code == 400, answer.text
    # The positive twin: the same body is accepted for a relying party with origins and a signed client_id.
    ok = {"policy": "pid-onboarding", "response_mode": "dc_api"}
    assert dcv.http.post(f"{dcv.url}/v1/presentations", json=ok, headers=_bearer(dcv, "my-bank")).status_code == 201


def test_the_wallet_endpoints_never_reach_a_dc_api_transaction(dcv: RunningVerifier, dc_wallet: DcWallet) -> None:
    tid, fetched = _start(dcv, "my-bank", "pid-onboarding", "dc_api.jwt")
    claims = dc_wallet.read(fetched.json(), BANK)
    data = dc_wallet.data(claims, {"vp_token": {"pid": [dc_wallet.sd_jwt(claims, BANK)]}})
    posted = dcv.http.post(f"{dcv.url}/wallet/response", data={"response": data["response"]})
    assert posted.status_code == 400  # its kid is not indexed for the Response URI
    assert dcv.http.get(f"{dcv.url}/v1/presentations/{tid}/qr.svg", headers=_bearer(dcv, "my-bank")).status_code == 404
    # A redirect transaction has no DC API request; the DC API one still verifies through its own route.
    created = dcv.create("my-bank", policy="pid-onboarding", response_mode="direct_post")
    assert _dc_request(dcv, "my-bank", created["transaction_id"]).status_code == 404
    assert _dc_response(dcv, "my-bank", tid, {"origin": BANK, "data": data}).status_code == 200


def test_loopback_http_origins_serve_only_in_development() -> None:
    """``http://127.0.0.1`` parses in the configuration; outside development a DC API transaction is refused."""
    rp = RelyingParty("shop", "Shop", "MY", ("age-check",), origins=("http://127.0.0.1:8480",))
    check_dc_create(rp, "dc_api", "x509_san_dns", development=True)
    with pytest.raises(ConfigError, match="https"):
        check_dc_create(rp, "dc_api", "x509_san_dns", development=False)
    https = RelyingParty("shop", "Shop", "MY", ("age-check",), origins=("https://shop.example.my",))
    check_dc_create(https, "dc_api.jwt", "x509_hash", development=False)
    check_dc_create(RelyingParty("x", "X", "MY", ()), "direct_post", "x509_hash")  # not a DC API transaction


@pytest.mark.parametrize(
    "origins",
    [
        ["https://sewa.example.my/"],
        ["https://sewa.example.my", "https://sewa.example.my"],
        "https://sewa.example.my",
        [f"https://{i}.example.my" for i in range(17)],
        ["ftp://sewa.example.my"],
    ],
)
def test_malformed_origins_are_refused_in_the_configuration(tmp_path: Path, origins: Any) -> None:
    config = _config()
    config["relying_parties"]["my-car-rental"]["origins"] = origins
    path = tmp_path / "verifier.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ConfigError):
        load_config(path)
    config["relying_parties"]["my-car-rental"]["origins"] = [RENTAL, "http://127.0.0.1:8480"]  # the twin
    path.write_text(json.dumps(config), encoding="utf-8")
    assert load_config(path).relying_parties["my-car-rental"].origins == (RENTAL, "http://127.0.0.1:8480")


@pytest.mark.parametrize(
    ("mode", "data", "check"),
    [
        ("dc_api", None, "parsing"),
        ("dc_api", [], "parsing"),
        ("dc_api", {}, "parsing"),
        ("dc_api", {"vp_token": "not json"}, "parsing"),
        ("dc_api", {"vp_token": {"pid": []}}, "parsing"),
        ("dc_api", {"vp_token": {"pid": ["x"]}, "state": "s"}, "parsing"),
        ("dc_api", {"response": "a.b.c.d.e"}, "parsing"),
        ("dc_api.jwt", {"response": 123}, "parsing"),
        ("dc_api.jwt", {"response": "a.b.c.d.e"}, "decryption"),
        ("dc_api.jwt", {"response": "x", "vp_token": {"pid": ["x"]}}, "decryption"),
    ],
)
def test_hostile_data_is_refused_and_the_transaction_stays_open(
    dcv: RunningVerifier, mode: str, data: Any, check: str
) -> None:
    tid, _ = _start(dcv, "my-bank", "pid-onboarding", mode)
    refused = _dc_response(dcv, "my-bank", tid, {"origin": BANK, "data": data})
    assert refused.status_code == 400, refused.text
    assert (refused.json()["outcome"], refused.json()["check"]) == ("pending", check)
    assert dcv.status("my-bank", tid)["status"] == "fetched"
