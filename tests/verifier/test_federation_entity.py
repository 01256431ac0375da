"""The verifier as an OpenID Federation leaf entity (issue #16 item 2, :mod:`verifier.leaf`).

A verifier under uvicorn (state in the session's Redis) names the TH intermediate as its superior
and fetches its "registered relying party" trust mark from a trust mark endpoint on loopback that
serves marks genuinely signed by an anchor key generated here. It serves its entity configuration
self-signed with its own federation key (not the access key), with the verifier metadata a wallet
needs and the mark; the configuration is reused for half its lifetime and re-signed when the mark
changes. With idcore's ``resolve_chain`` over statements by test intermediate and anchor keys, the
resolved ``openid_credential_verifier`` metadata carries ``lintas_country`` from the superiors'
policy and the mark is recognised. Twins: no superiors (404), a superior binding another key, a
withdrawn mark, another data directory's key.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from fastapi.responses import Response
from pydantic import ValidationError

from idcore.errors import Reason, TrustError
from idcore.jose import KeySigner, verify_compact
from idcore.jwk import jwk_thumbprint, public_key_from_jwk
from idcore.keystore import Pkcs11KeyStore
from idcore.keystore.file import FileKeyStore
from idcore.ports import FixedClock
from idcore.trust.federation import (
    VERIFIER_ENTITY_TYPE,
    WELL_KNOWN_PATH,
    TrustAnchor,
    parse_statement,
    resolve_chain,
    sign_entity_statement,
)
from idcore.trust.federation_keys import normalise_jwk
from idcore.trust.federation_marks import REGISTERED_RELYING_PARTY, sign_trust_mark, valid_trust_marks
from lintas.kv import open_store
from lintas.testing import RedisServer, UvicornServer, free_port
from lintas_cli.main import main
from tests.softhsm import SoftHsmToken, softhsm_token  # noqa: F401 - pytest fixture
from tests.verifier.conftest import RunningVerifier, start_verifier
from tests.verifier.world import World
from verifier.app import create_app
from verifier.checkconfig import Finding, run_checks
from verifier.leaf import leaf_entity
from verifier.settings import VerifierSettings

MEDIA_TYPE = "application/entity-statement+jwt"


@dataclass
class Anchor:
    """The ASEAN anchor (which issues the marks) and the TH intermediate, keys generated here."""

    base: str
    now: int
    signer: KeySigner = field(default_factory=lambda: KeySigner(ec.generate_private_key(ec.SECP256R1())))
    th_signer: KeySigner = field(default_factory=lambda: KeySigner(ec.generate_private_key(ec.SECP256R1())))
    status: int = 200

    @property
    def th(self) -> str:
        return f"{self.base}/federation/TH"

    @property
    def jwk(self) -> dict[str, str]:
        return normalise_jwk(self.signer.public_jwk)

    @property
    def th_jwk(self) -> dict[str, str]:
        return normalise_jwk(self.th_signer.public_jwk)

    def mark(self, subject: str) -> str:
        return sign_trust_mark(
            self.base, subject, REGISTERED_RELYING_PARTY, self.now - 10, self.now + 600, self.signer, self.jwk["kid"]
        )

    def configuration(self) -> dict[str, Any]:
        return {
            "iss": self.base,
            "sub": self.base,
            "iat": self.now - 10,
            "exp": self.now + 600,
            "jwks": {"keys": [self.jwk]},
            "metadata": {"federation_entity": {"federation_fetch_endpoint": f"{self.base}/fetch"}},
            "trust_mark_issuers": {REGISTERED_RELYING_PARTY: [self.base]},
        }

    def served(self, verifier: str, bound_key: dict[str, Any]) -> dict[str, bytes]:
        """What anchor and intermediate serve: their configurations and their statements below."""
        times = {"iat": self.now - 10, "exp": self.now + 600}
        th_configuration = {
            "iss": self.th,
            "sub": self.th,
            **times,
            "jwks": {"keys": [self.th_jwk]},
            "authority_hints": [self.base],
            "metadata": {"federation_entity": {"federation_fetch_endpoint": f"{self.th}/fetch"}},
        }
        about_th = {"iss": self.base, "sub": self.th, **times, "jwks": {"keys": [self.th_jwk]}}
        policy = {VERIFIER_ENTITY_TYPE: {"lintas_country": {"value": "TH"}}}
        about_verifier = {
            "iss": self.th,
            "sub": verifier,
            **times,
            "jwks": {"keys": [bound_key]},
            "metadata_policy": policy,
        }
        th_kid, kid = self.th_jwk["kid"], self.jwk["kid"]
        return {
            self.base + WELL_KNOWN_PATH: sign_entity_statement(self.configuration(), self.signer, kid).encode(),
            self.th + WELL_KNOWN_PATH: sign_entity_statement(th_configuration, self.th_signer, th_kid).encode(),
            f"{self.base}/fetch?sub={quote(self.th, safe='')}": sign_entity_statement(
                about_th, self.signer, kid
            ).encode(),
            f"{self.th}/fetch?sub={quote(verifier, safe='')}": sign_entity_statement(
                about_verifier, self.th_signer, th_kid
            ).encode(),
        }


def _mark_app(anchor: Anchor) -> FastAPI:
    app = FastAPI()

    @app.get("/federation/trust-mark")
    def trust_mark(trust_mark_type: str, sub: str) -> Response:
        if anchor.status != 200 or trust_mark_type != REGISTERED_RELYING_PARTY:
            return Response('{"error": "not_found"}', status_code=404, media_type="application/json")
        return Response(anchor.mark(sub), media_type="application/trust-mark+jwt")

    return app


@pytest.fixture(scope="module")
def anchor(clock: FixedClock) -> Iterator[Anchor]:
    port = free_port()
    served = Anchor(f"http://127.0.0.1:{port}", clock.now())
    with UvicornServer(_mark_app(served), port=port):
        yield served


@pytest.fixture(scope="module")
def leaf(
    tmp_path_factory: pytest.TempPathFactory, world: World, clock: FixedClock, redis_server: RedisServer, anchor: Anchor
) -> Iterator[RunningVerifier]:
    """A verifier below the TH intermediate, carrying the anchor's mark (anchor keys configured)."""
    yield from start_verifier(
        tmp_path_factory.mktemp("leaf"),
        world,
        clock,
        redis_server.url,
        federation_authority_hints=[anchor.th],
        federation_entity_ttl=600,  # re-signed after 300 s, while the mark (600 s) is still valid
        federation_trust_mark_endpoint=f"{anchor.base}/federation/trust-mark",
        trust_mode="federation",
        federation_trust_anchor=anchor.base,
        federation_trust_anchor_jwks=json.dumps({"keys": [anchor.jwk]}),
    )


def configuration(verifier: RunningVerifier) -> str:
    answer = verifier.http.get(f"{verifier.url}{WELL_KNOWN_PATH}")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == MEDIA_TYPE
    assert "max-age" in answer.headers["cache-control"]
    return answer.text


def carrying_mark(verifier: RunningVerifier, clock: FixedClock) -> str:
    """The configuration once the keeper's first background fetch has brought the mark (bounded wait)."""
    keeper = verifier.server.app.state.trust_mark_keeper
    for _ in range(100):
        if keeper.current(clock.now()):
            break
        time.sleep(0.05)
    token = configuration(verifier)
    assert "trust_marks" in parse_statement(token).claims, "the mark was not fetched at start"
    return token


def test_configuration_is_self_signed_with_its_own_key(leaf: RunningVerifier, anchor: Anchor) -> None:
    token = configuration(leaf)
    statement = parse_statement(token)
    assert statement.iss == statement.sub == leaf.url
    assert statement.authority_hints == (anchor.th,)
    (own_key,) = statement.jwks
    header, _ = verify_compact(token, public_key_from_jwk(own_key), algorithms=["ES256"], typ="entity-statement+jwt")
    assert header["typ"] == "entity-statement+jwt"
    assert header["kid"] == own_key["kid"] == jwk_thumbprint(own_key)
    # Twin: another key does not verify it.
    other = KeySigner(ec.generate_private_key(ec.SECP256R1())).public_jwk
    with pytest.raises(Exception, match="signature"):
        verify_compact(token, public_key_from_jwk(other), algorithms=["ES256"], typ="entity-statement+jwt")


def test_the_federation_key_is_not_the_access_or_token_key(leaf: RunningVerifier) -> None:
    (own_key,) = parse_statement(configuration(leaf)).jwks
    keys = leaf.server.app.state.keys
    others = {jwk_thumbprint(keys.request_signer.public_jwk), jwk_thumbprint(keys.oauth_signer.public_jwk)}
    assert own_key["kid"] not in others
    assert (leaf.settings.data_dir / "keys" / "federation-entity.pem").is_file()


def test_metadata_is_what_a_wallet_needs(leaf: RunningVerifier) -> None:
    statement = parse_statement(configuration(leaf))
    metadata = statement.metadata[VERIFIER_ENTITY_TYPE]
    assert metadata["client_name"] == leaf.settings.operator_name
    assert metadata["client_uri"] == leaf.url
    assert metadata["response_types"] == ["vp_token"]
    formats = metadata["vp_formats_supported"]
    assert formats["dc+sd-jwt"] == {"sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"]}
    assert -7 in formats["mso_mdoc"]["issuerauth_alg_values"]
    assert metadata["encrypted_response_enc_values_supported"] == ["A128GCM", "A256GCM"]
    assert metadata["request_object_signing_alg"] == "ES256"
    access = leaf.server.app.state.keys.request_signer.public_jwk
    (request_key,) = metadata["jwks"]["keys"]
    assert request_key["kid"] == jwk_thumbprint(access)
    assert request_key["use"] == "sig"
    assert "d" not in request_key
    assert statement.metadata["federation_entity"] == {"organization_name": leaf.settings.operator_name}
    for secret in leaf.secrets.values():
        assert secret not in json.dumps(statement.claims)


def test_configuration_is_reused_for_half_its_lifetime_then_re_signed(leaf: RunningVerifier, clock: FixedClock) -> None:
    first = carrying_mark(leaf, clock)
    assert configuration(leaf) == first
    half = leaf.settings.federation_entity_ttl // 2
    clock.advance(half - 1)
    try:
        assert configuration(leaf) == first
        clock.advance(1)
        renewed = configuration(leaf)
        assert renewed != first
        claims = parse_statement(renewed).claims
        assert claims["iat"] == clock.now()
        assert claims["exp"] == clock.now() + leaf.settings.federation_entity_ttl
        assert claims["trust_marks"] == parse_statement(first).claims["trust_marks"]  # only the time moved
    finally:
        clock.advance(-half)


def _fetcher(verifier: RunningVerifier, served: dict[str, bytes]) -> Callable[[str], bytes | None]:
    def fetch(url: str) -> bytes | None:
        if url == verifier.url + WELL_KNOWN_PATH:
            return verifier.http.get(url).content
        return served.get(url)

    return fetch


def test_the_chain_resolves_with_the_country_and_the_mark(
    leaf: RunningVerifier, anchor: Anchor, clock: FixedClock
) -> None:
    token = carrying_mark(leaf, clock)
    (own_key,) = parse_statement(token).jwks
    trust_anchor = TrustAnchor(anchor.base, (anchor.jwk,))
    resolved = resolve_chain(
        leaf.url, trust_anchor, _fetcher(leaf, anchor.served(leaf.url, dict(own_key))), clock.now()
    )
    assert resolved.subject == leaf.url
    assert resolved.metadata[VERIFIER_ENTITY_TYPE]["lintas_country"] == "TH"
    assert resolved.metadata[VERIFIER_ENTITY_TYPE]["client_uri"] == leaf.url
    assert REGISTERED_RELYING_PARTY in resolved.trust_marks

    # Twin: the intermediate binds another key than the verifier's federation key.
    other = normalise_jwk(KeySigner(ec.generate_private_key(ec.SECP256R1())).public_jwk)
    with pytest.raises(TrustError) as refused:
        resolve_chain(leaf.url, trust_anchor, _fetcher(leaf, anchor.served(leaf.url, other)), clock.now())
    assert refused.value.reason is Reason.FEDERATION_CHAIN_INVALID


def test_a_withdrawn_mark_leaves_the_configuration_at_once(
    leaf: RunningVerifier, anchor: Anchor, clock: FixedClock
) -> None:
    carried = carrying_mark(leaf, clock)
    claims = parse_statement(carried).claims
    (entry,) = claims["trust_marks"]
    assert entry["trust_mark_type"] == REGISTERED_RELYING_PARTY
    assert valid_trust_marks(claims, anchor.configuration(), [anchor.jwk], clock.now()) == {REGISTERED_RELYING_PARTY}
    keeper = leaf.server.app.state.trust_mark_keeper
    anchor.status = 404  # the member state withdrew the registration
    try:
        keeper.refresh()
        withdrawn = configuration(leaf)
        assert withdrawn != carried  # re-signed within its half-life because the marks changed
        assert "trust_marks" not in parse_statement(withdrawn).claims
        (own_key,) = parse_statement(withdrawn).jwks
        served = anchor.served(leaf.url, dict(own_key))
        resolved = resolve_chain(leaf.url, TrustAnchor(anchor.base, (anchor.jwk,)), _fetcher(leaf, served), clock.now())
        assert REGISTERED_RELYING_PARTY not in resolved.trust_marks
    finally:
        anchor.status = 200
        keeper.refresh()
    assert "trust_marks" in parse_statement(configuration(leaf)).claims


def test_no_superiors_no_configuration(verifier: RunningVerifier) -> None:
    answer = verifier.http.get(f"{verifier.url}{WELL_KNOWN_PATH}")
    assert answer.status_code == 404
    assert not (verifier.settings.data_dir / "keys" / "federation-entity.pem").exists()


def test_federation_key_command_prints_the_served_key(
    leaf: RunningVerifier, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (served,) = parse_statement(configuration(leaf)).jwks
    args = ["verifier", "federation-key", "--data", str(leaf.settings.data_dir), "--public-url", leaf.url]
    assert main([*args, "--development"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == {"entity_id": leaf.url, "keys": [dict(served)]}
    # Twin: another installation's data directory holds another key.
    assert main(["verifier", "federation-key", "--data", str(tmp_path), "--public-url", leaf.url, "--development"]) == 0
    assert json.loads(capsys.readouterr().out)["keys"][0]["kid"] != served["kid"]


def test_leaf_settings_are_checked(tmp_path: Path) -> None:
    base: dict[str, Any] = {"public_url": "http://localhost:8400", "data_dir": tmp_path, "development": True}
    hint = "http://127.0.0.1:8000/federation/TH"
    endpoint = "http://127.0.0.1:8000/federation/trust-mark"
    settings = VerifierSettings(
        **base, federation_authority_hints=[f"{hint}/"], federation_trust_mark_endpoint=endpoint
    )
    assert settings.federation_authority_hints == [hint]
    with pytest.raises(ValidationError, match="loopback"):
        VerifierSettings(**base, federation_authority_hints=["https://registry.example/federation/TH"])
    with pytest.raises(ValidationError, match="needs federation_authority_hints"):
        VerifierSettings(**base, federation_trust_mark_endpoint=endpoint)
    with pytest.raises(ValidationError, match="federation_trust_mark_endpoint"):
        VerifierSettings(
            **base, federation_authority_hints=[hint], federation_trust_mark_endpoint="https://registry.example/tm"
        )
    with pytest.raises(ValidationError, match="federation_trust_mark_endpoint"):
        VerifierSettings(**base, federation_authority_hints=[hint], federation_trust_mark_endpoint=f"{endpoint}?x=1")


def test_an_expired_mark_is_not_carried(leaf: RunningVerifier, clock: FixedClock) -> None:
    assert "trust_marks" in parse_statement(carrying_mark(leaf, clock)).claims
    clock.advance(600)  # the mark's exp; the keeper has not fetched a new one
    try:
        assert "trust_marks" not in parse_statement(configuration(leaf)).claims
    finally:
        clock.advance(-600)
    assert "trust_marks" in parse_statement(configuration(leaf)).claims


def test_start_up_refuses_the_access_key_as_federation_key(tmp_path: Path, world: World, clock: FixedClock) -> None:
    base: dict[str, Any] = {"public_url": "http://localhost:8400", "data_dir": tmp_path, "development": True}
    hints = ["http://127.0.0.1:8000/federation/TH"]
    store = open_store(None, tmp_path, "leaf-keys")
    try:
        with httpx.Client() as http:
            create_app(VerifierSettings(**base), store=store, clock=clock, trust=world.trust_cache(clock), http=http)
            keys = tmp_path / "keys"
            federation_key = keys / "federation-entity.pem"
            federation_key.write_bytes((keys / "access.pem").read_bytes())  # one key under two names
            federation_key.chmod(0o600)
            with pytest.raises(ValueError, match="key of its own"):
                create_app(
                    VerifierSettings(**base, federation_authority_hints=hints),
                    store=store,
                    clock=clock,
                    trust=world.trust_cache(clock),
                    http=http,
                )
            federation_key.unlink()  # twin: a key of its own (made on first use) starts
            app = create_app(
                VerifierSettings(**base, federation_authority_hints=hints),
                store=store,
                clock=clock,
                trust=world.trust_cache(clock),
                http=http,
            )
            assert app.state.leaf_entity is not None
    finally:
        store.close()


def test_configuration_is_behind_the_public_rate_limit(tmp_path: Path, world: World, clock: FixedClock) -> None:
    port = free_port()
    settings = VerifierSettings(
        public_url=f"http://localhost:{port}",
        data_dir=tmp_path,
        development=True,
        federation_authority_hints=["http://127.0.0.1:8000/federation/TH"],
        wallet_rate_limit_per_minute=2,
    )
    store = open_store(None, tmp_path, "leaf-rate")
    try:
        with httpx.Client() as http:
            app = create_app(settings, store=store, clock=clock, trust=world.trust_cache(clock), http=http)
            with UvicornServer(app, port=port) as server:
                answers = [http.get(f"{server.base_url}{WELL_KNOWN_PATH}").status_code for _ in range(3)]
    finally:
        store.close()
    assert answers == [200, 200, 429]


def test_check_config_reports_the_leaf_key_and_the_mark(leaf: RunningVerifier, anchor: Anchor, tmp_path: Path) -> None:
    (served,) = parse_statement(configuration(leaf)).jwks

    def findings(settings: VerifierSettings) -> dict[str, Finding]:
        return {f.check: f for f in run_checks(settings, leaf.http, lambda: anchor.now)}

    found = findings(leaf.settings)
    assert found["federation-leaf"].level == "ok"
    assert served["kid"] in found["federation-leaf"].message
    assert found["trust-mark"].level == "ok"
    anchor.status = 404  # twin: not (or no longer) registered
    try:
        assert findings(leaf.settings)["trust-mark"].level == "warn"
    finally:
        anchor.status = 200
    fresh = leaf.settings.model_copy(update={"data_dir": tmp_path})  # twin: no key made yet
    assert findings(fresh)["federation-leaf"].level == "warn"
    assert not (tmp_path / "keys" / "federation-entity.pem").exists()  # checking makes no key


def test_with_pkcs11_the_federation_key_lives_on_the_token(
    softhsm_token: SoftHsmToken,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    library, label, pin = softhsm_token.store_args()
    for name, value in {"KEY_BACKEND": "pkcs11", "PKCS11_LIBRARY": library, "PKCS11_TOKEN_LABEL": label}.items():
        monkeypatch.setenv(f"LINTAS_VERIFIER_{name}", value)
    monkeypatch.setenv("LINTAS_VERIFIER_PKCS11_USER_PIN", pin)
    args = ["verifier", "federation-key", "--data", str(tmp_path), "--public-url", "http://localhost:8400"]
    assert main([*args, "--development"]) == 0
    printed = json.loads(capsys.readouterr().out)["keys"][0]
    token_key = Pkcs11KeyStore(library, label, pin).signer("federation-entity")
    assert printed["kid"] == jwk_thumbprint(token_key.public_jwk)
    assert not (tmp_path / "keys" / "federation-entity.pem").exists()  # twin: nothing in the data directory


def test_outside_development_the_federation_key_is_never_made_at_start(
    tmp_path: Path, world: World, clock: FixedClock
) -> None:
    """Replicas that each made their own key would sign configurations their member state's statement
    does not bind: in production the key must be the one the operator made (``federation-key``) and
    installed on every replica. Twin: once made, the same settings start and serve that very key."""
    dev: dict[str, Any] = {"public_url": "http://localhost:8400", "data_dir": tmp_path, "development": True}
    store = open_store(None, tmp_path, "leaf-prod")
    try:
        with httpx.Client() as http:
            keys = create_app(
                VerifierSettings(**dev), store=store, clock=clock, trust=world.trust_cache(clock), http=http
            )
            production = VerifierSettings(
                public_url="https://verifier.example.gov",
                data_dir=tmp_path,
                federation_authority_hints=["https://registry.example/federation/MY"],
            )
            with pytest.raises(ValueError, match="no federation entity key"):
                leaf_entity(production, keys.state.keys, None)
            assert not (tmp_path / "keys" / "federation-entity.pem").exists()  # nothing was made
            args = ["verifier", "federation-key", "--data", str(tmp_path), "--public-url", production.base_url]
            assert main(args) == 0
            configuration = leaf_entity(production, keys.state.keys, None)
            assert configuration is not None
            made = FileKeyStore(tmp_path / "keys").signer("federation-entity")
            token = configuration.configuration(clock.now())
            key = public_key_from_jwk(normalise_jwk(made.public_jwk))
            _, claims = verify_compact(token, key, algorithms=["ES256"], typ="entity-statement+jwt")
            assert claims["sub"] == production.base_url
    finally:
        store.close()
