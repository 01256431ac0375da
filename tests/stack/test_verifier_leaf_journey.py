"""Issue #16 item 2, end to end: a verifier becomes a registered leaf entity of Malaysia's intermediate.

The real registry and the real verifier run under uvicorn on 127.0.0.1. The verifier names the
registry's MY intermediate as its superior, fetches its trust mark from the registry's trust mark
endpoint and pins the anchor's keys. A party that knows only the anchor resolves the verifier's
chain with the verifier's own fetcher (:class:`lintas.federation_fetch.StatementFetcher`). The journey:

1. before registration the MY intermediate has no statement about the verifier: its chain does not
   resolve (``untrusted_issuer``) and its configuration carries no mark (the registry answered 404);
2. the MY operator registers the key printed by ``lintas verifier federation-key``: the chain
   resolves with ``lintas_country`` MY from the intermediate's policy, and once the keeper has
   fetched again the configuration carries the registered-relying-party mark, valid for the anchor,
   and the anchor's resolve endpoint answers the same metadata and mark, signed;
3. the operator withdraws the registration: the mark leaves the configuration at the next fetch and
   the chain no longer resolves, nor does the anchor resolve it (404 ``not_found``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from idcore.errors import Reason, TrustError
from idcore.jose import parse_compact, verify_parsed
from idcore.jwk import public_key_from_jwk
from idcore.keystore.file import FileKeyStore
from idcore.ports import SystemClock
from idcore.trust.federation import VERIFIER_ENTITY_TYPE, TrustAnchor, parse_statement, resolve_chain
from idcore.trust.federation_keys import normalise_jwk
from idcore.trust.federation_marks import REGISTERED_RELYING_PARTY
from lintas.federation_fetch import StatementFetcher
from lintas.kv import open_store
from lintas.testing import UvicornServer, free_port
from lintas_cli.main import main
from trust_registry.app import create_app as registry_app
from trust_registry.settings import RegistrySettings
from verifier.app import create_app as verifier_app
from verifier.settings import VerifierSettings

LOOPBACK = "127.0.0.1"
ENTITIES = "/v1/governance/countries/MY/verifier-entities"


@dataclass
class Stack:
    data: Path
    registry: str
    verifier: str
    verifier_server: UvicornServer
    http: httpx.Client

    def anchor(self) -> TrustAnchor:
        signer = FileKeyStore(self.data / "registry" / "keys").signer("list-signing")
        return TrustAnchor(self.registry, (normalise_jwk(signer.public_jwk),))

    def as_operator(self, path: str, body: dict[str, Any]) -> httpx.Response:
        clients = json.loads((self.data / "governance-clients.json").read_text())
        token = self.http.post(
            f"{self.registry}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("operator-my", clients["operator-my"]["secret"]),
        ).json()["access_token"]
        return self.http.post(f"{self.registry}{path}", json=body, headers={"Authorization": f"Bearer {token}"})

    def configuration(self) -> dict[str, Any]:
        answer = self.http.get(f"{self.verifier}/.well-known/openid-federation")
        assert answer.status_code == 200, answer.text
        return dict(parse_statement(answer.content).claims)

    def refresh_mark(self) -> None:
        """What the keeper's background task does every few minutes, now."""
        self.verifier_server.app.state.trust_mark_keeper.refresh()

    def resolve_params(self) -> dict[str, str]:
        return {"sub": self.verifier, "trust_anchor": self.registry, "entity_type": VERIFIER_ENTITY_TYPE}

    def resolved_by_anchor(self) -> dict[str, Any]:
        """The anchor's resolve response for the verifier, verified with the anchor's key."""
        answer = self.http.get(f"{self.registry}/federation/resolve", params=self.resolve_params())
        assert answer.status_code == 200, answer.text
        (key,) = self.anchor().jwks
        jws = parse_compact(answer.text)
        return dict(
            verify_parsed(jws, public_key_from_jwk(key), algorithms=frozenset({"ES256"}), typ="resolve-response+jwt")
        )

    def resolve(self) -> Any:
        fetcher = StatementFetcher(self.http, timeout=5.0, development=True)
        with fetcher.resolution():
            return resolve_chain(self.verifier, self.anchor(), fetcher, SystemClock().now())


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data = tmp_path_factory.mktemp("leaf-journey")
    ports = {name: free_port() for name in ("registry", "verifier")}
    registry, verifier = (f"http://{LOOPBACK}:{ports[n]}" for n in ("registry", "verifier"))
    registry_settings = RegistrySettings(data_dir=data, public_url=registry, development=True)
    with UvicornServer(registry_app(registry_settings), port=ports["registry"]):
        anchor_key = normalise_jwk(FileKeyStore(data / "registry" / "keys").signer("list-signing").public_jwk)
        settings = VerifierSettings(
            public_url=verifier,
            data_dir=data / "verifier",
            development=True,
            trust_mode="federation",
            federation_trust_anchor=registry,
            federation_trust_anchor_jwks=json.dumps({"keys": [anchor_key]}),
            federation_authority_hints=[f"{registry}/federation/MY"],
            federation_trust_mark_endpoint=f"{registry}/federation/trust-mark",
        )
        store = open_store(None, data / "verifier", "verifier")
        try:
            with (
                UvicornServer(verifier_app(settings, store=store), port=ports["verifier"]) as server,
                httpx.Client(timeout=10) as http,
            ):
                yield Stack(data, registry, verifier, server, http)
        finally:
            store.close()


def test_a_verifier_becomes_a_registered_leaf_entity_and_is_withdrawn(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    # 1. Not registered: MY has no statement about it, and the registry answered 404 for the mark.
    with pytest.raises(TrustError) as unknown:
        stack.resolve()
    assert unknown.value.reason is Reason.UNTRUSTED_ISSUER
    stack.refresh_mark()
    assert "trust_marks" not in stack.configuration()

    # 2. The operator registers what `lintas verifier federation-key` prints.
    args = ["verifier", "federation-key", "--data", str(stack.data / "verifier"), "--public-url", stack.verifier]
    assert main([*args, "--development"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["keys"] == stack.configuration()["jwks"]["keys"]
    registered = stack.as_operator(ENTITIES, {**body, "note": "retail bank onboarding"})
    assert registered.status_code in (200, 201), registered.text
    resolved = stack.resolve()
    assert resolved.metadata[VERIFIER_ENTITY_TYPE]["lintas_country"] == "MY"
    assert resolved.metadata[VERIFIER_ENTITY_TYPE]["client_uri"] == stack.verifier
    stack.refresh_mark()
    (entry,) = stack.configuration()["trust_marks"]
    assert entry["trust_mark_type"] == REGISTERED_RELYING_PARTY
    assert REGISTERED_RELYING_PARTY in stack.resolve().trust_marks
    # The anchor's resolve endpoint (Section 8.3) says the same, signed, with the mark it validated.
    by_anchor = stack.resolved_by_anchor()
    assert by_anchor["metadata"] == {VERIFIER_ENTITY_TYPE: dict(resolved.metadata[VERIFIER_ENTITY_TYPE])}
    assert [m["trust_mark_type"] for m in by_anchor["trust_marks"]] == [REGISTERED_RELYING_PARTY]

    # 3. Withdrawn: the mark leaves the configuration at the next fetch, and the chain is gone.
    withdrawn = stack.as_operator(f"{ENTITIES}/withdraw", {"entity_id": stack.verifier, "note": "contract ended"})
    assert withdrawn.status_code == 200, withdrawn.text
    stack.refresh_mark()
    assert "trust_marks" not in stack.configuration()
    with pytest.raises(TrustError) as gone:
        stack.resolve()
    assert gone.value.reason is Reason.UNTRUSTED_ISSUER
    refused = stack.http.get(f"{stack.registry}/federation/resolve", params=stack.resolve_params())
    assert refused.status_code == 404
    assert refused.json()["error"] == "not_found"
