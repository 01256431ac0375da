"""Issue #16 acceptance, federation: a verifier that knows only the ASEAN trust anchor verifies a TH PID.

Registry, TH issuer and verifiers are the real apps under uvicorn on 127.0.0.1 (one data directory,
as the demo lays it out: the registry seeds the TH issuer's document-signer key, the issuer loads
it). The TH issuer is a leaf entity whose superior is the TH intermediate
(``LINTAS_ISSUER_FEDERATION_AUTHORITY_HINTS``); the verifier runs with
``LINTAS_VERIFIER_TRUST_MODE=federation``, the anchor's entity id and its JWK Set, and no registry
URL or pin at all. The journey:

1. before the TH operator registers the issuer's federation key, the TH intermediate binds another
   key (the registry's demo fallback) and the chain does not validate: refused;
2. the operator registers the key through the governance API: a PID issued over OpenID4VCI
   verifies, reported as TH at the listed assurance level;
3. twin: a verifier pinned to another anchor key refuses the same credential;
4. the TH operator suspends the issuer: the TH intermediate stops vouching for it and the same
   credential, presented again, is refused with ``untrusted_issuer`` at ``issuer_signature``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.jose import KeySigner
from idcore.keystore.file import FileKeyStore
from idcore.ports import SystemClock
from idcore.trust.federation import parse_statement
from idcore.trust.federation_keys import normalise_jwk
from idcore.trust.federation_marks import RECOGNISED_PID_ISSUER
from issuer.operators import clients_file
from lintas.kv import open_store
from lintas.testing import UvicornServer, free_port
from tests.federation_stack import RegistryAndIssuer, registry_and_issuer
from tests.issuer.wallet_client import Issued
from tests.issuer.wallet_client import ScriptedWallet as IssuanceWallet
from tests.verifier.wallet_client import ScriptedWallet as PresentationWallet
from verifier.app import create_app as verifier_app
from verifier.checkconfig import run_checks
from verifier.settings import VerifierSettings

SOMCHAI = "th-somchai-jaidee"


@dataclass
class Federation:
    """Registry and TH issuer on sockets, and what the operators hold."""

    stack: RegistryAndIssuer
    http: httpx.Client

    @property
    def data(self) -> Path:
        return self.stack.data

    @property
    def registry(self) -> str:
        return self.stack.registry

    @property
    def issuer(self) -> str:
        return self.stack.issuer

    @property
    def pid(self) -> str:
        return f"{self.issuer}/th"

    def anchor_jwks(self) -> dict[str, Any]:
        """The anchor's keys as its operator publishes them out of band (here: from its key store)."""
        signer = FileKeyStore(self.data / "registry" / "keys").signer("list-signing")
        return {"keys": [normalise_jwk(signer.public_jwk)]}

    def governance(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """A governance call as the TH operator (client credentials from the registry's data directory)."""
        clients = json.loads((self.data / "governance-clients.json").read_text())
        token = self.http.post(
            f"{self.registry}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("operator-th", clients["operator-th"]["secret"]),
        ).json()["access_token"]
        return self.http.post(f"{self.registry}{path}", json=body, headers={"Authorization": f"Bearer {token}"})

    def pid_configuration(self) -> dict[str, Any]:
        """The claims of the PID tenant's entity configuration as served now."""
        answer = self.http.get(f"{self.pid}/.well-known/openid-federation")
        assert answer.status_code == 200, answer.text
        return dict(parse_statement(answer.content).claims)

    def restart_issuer(self, **extra: Any) -> Any:
        """Stop the TH issuer and start it again on its port with ``extra`` settings; the new app."""
        return self.stack.restart_issuer(iat_window=0, **extra)

    def issue(self) -> Issued:
        """A PID for Somchai over the real offer, token and credential endpoints."""
        secret = json.loads(clients_file(self.data, "TH").read_text())["operator"]["secret"]
        token = self.http.post(
            f"{self.issuer}/oauth/token", data={"grant_type": "client_credentials"}, auth=("operator", secret)
        ).json()["access_token"]
        body = {"subject_id": SOMCHAI, "credential_configuration_id": "asean_pid_sd_jwt"}
        created = self.http.post(f"{self.issuer}/v1/offers", json=body, headers={"Authorization": f"Bearer {token}"})
        assert created.status_code == 201, created.text
        wallet = IssuanceWallet(self.http)
        return wallet.obtain(wallet.resolve_offer(created.json()["offer_link_by_value"]), created.json()["tx_code"])


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    def extra(registry: str) -> dict[str, Any]:
        return {"iat_window": 0}  # a credential's iat is its issuance time: before or after the suspension

    with registry_and_issuer(tmp_path_factory.mktemp("federation"), extra) as stack, httpx.Client(timeout=10) as http:
        yield Federation(stack, http)


@dataclass
class Verifier:
    """A verifier under uvicorn and a relying party's view of it."""

    url: str
    data: Path
    http: httpx.Client

    def token(self) -> str:
        secret = json.loads((self.data / "rp-clients.json").read_text())["my-bank"]
        answer = self.http.post(
            f"{self.url}/oauth/token", data={"grant_type": "client_credentials"}, auth=("my-bank", secret)
        )
        return str(answer.json()["access_token"])

    def present(self, issued: Issued) -> dict[str, Any]:
        """The bank asks for a PID; the holder answers with ``issued``'s first credential; the bank's result."""
        bearer = {"Authorization": f"Bearer {self.token()}"}
        created = self.http.post(f"{self.url}/v1/presentations", json={"policy": "pid-onboarding"}, headers=bearer)
        assert created.status_code == 201, created.text
        anchors = [x509.load_pem_x509_certificate((self.data / "rp-ca.pem").read_bytes())]
        wallet = PresentationWallet(self.http, anchors, SystemClock(), issued.keys[0])
        request = wallet.fetch(created.json()["request_link"])
        vp = wallet.present(request, issued.credentials[0])
        wallet.post(request, wallet.response_form(request, {"pid": [vp]}))
        tid = created.json()["transaction_id"]
        result = self.http.get(f"{self.url}/v1/presentations/{tid}", headers=bearer)
        assert result.status_code == 200, result.text
        return dict(result.json())


def _settings(
    federation: Federation,
    data: Path,
    port: int,
    jwks: dict[str, Any] | None,
    mode: str = "federation",
    **extra: Any,
) -> VerifierSettings:
    """Federation mode: the anchor's entity id and keys, nothing else about the registry (list: the pin only)."""
    values: dict[str, Any] = {"public_url": f"http://localhost:{port}", "data_dir": data, "development": True}
    if mode != "federation":
        pin = (federation.data / "registry" / "pin.txt").read_text().strip()
        values.update(registry_url=federation.registry, registry_pin_sha256=[pin], trust_max_staleness=0)
    if mode != "list":
        values.update(
            trust_mode=mode,
            federation_trust_anchor=federation.registry,
            federation_trust_anchor_jwks=json.dumps(jwks),
            federation_max_cache=0,  # resolve at every presentation: the suspension is seen at once
        )
    return VerifierSettings(**values, **extra)


@contextmanager
def running_verifier(
    federation: Federation, jwks: dict[str, Any] | None, mode: str = "federation", **extra: Any
) -> Iterator[Verifier]:
    data = federation.data / f"verifier-{uuid4().hex[:8]}"
    port = free_port()
    settings = _settings(federation, data, port, jwks, mode, **extra)
    assert mode != "federation" or settings.registry_url is None
    store = open_store(None, data, "verifier")
    try:
        with UvicornServer(verifier_app(settings, store=store), port=port), httpx.Client(timeout=20) as http:
            yield Verifier(settings.base_url, data, http)
    finally:
        store.close()


def _refusal(result: dict[str, Any]) -> tuple[str, str]:
    """(check, reason) of a refused presentation (a trust refusal leaves the transaction open for a retry)."""
    assert result["status"] != "verified", result
    assert "credentials" not in result
    last = result.get("last_rejection") or result
    return last["check"], last["reason"]


def test_a_verifier_knowing_only_the_anchor_trusts_a_th_pid_until_it_is_suspended(federation: Federation) -> None:
    issued = federation.issue()
    with running_verifier(federation, federation.anchor_jwks()) as verifier:
        # 1. Not yet registered: the TH intermediate binds the demo fallback key, not the issuer's own.
        assert _refusal(verifier.present(issued)) == ("issuer_signature", "federation_chain_invalid")

        # 2. The TH operator registers the key its issuer signs its entity configuration with.
        own = FileKeyStore(federation.data / "issuers" / "th-pid").signer("federation-entity")
        served = parse_statement(federation.http.get(f"{federation.pid}/.well-known/openid-federation").content)
        assert [dict(k) for k in served.jwks] == [normalise_jwk(own.public_jwk)]
        body = {"issuer_id": federation.pid, "keys": [normalise_jwk(own.public_jwk)]}
        registered = federation.governance("/v1/governance/issuers/federation-keys", body)
        assert registered.status_code == 200, registered.text
        result = verifier.present(issued)
        assert result["status"] == "verified", json.dumps(result)
        (credential,) = result["credentials"]
        assert (credential["issuer"], credential["issuing_country"], credential["assurance_level"]) == (
            federation.pid,
            "TH",
            "high",
        )
        assert credential["claims"]["age_over_18"] is True

        # 3. Twin: pinned to another key, the same anchor id and the same chain are worth nothing.
        other = {"keys": [normalise_jwk(KeySigner(ec.generate_private_key(ec.SECP256R1())).public_jwk)]}
        with running_verifier(federation, other) as misconfigured:
            refused = _refusal(misconfigured.present(issued))
            assert refused == ("issuer_signature", "federation_chain_invalid")

        # 4. Suspension: the TH intermediate stops vouching (404 not_found), the next presentation fails.
        for mode in ("list", "both"):  # the same credential is good through the list and through both
            with running_verifier(federation, federation.anchor_jwks(), mode) as other_mode:
                assert other_mode.present(issued)["status"] == "verified", mode
        time.sleep(1)  # the suspension must be later than the registration (one-second resolution)
        suspended = federation.governance("/v1/governance/issuers/suspend", {"issuer_id": federation.pid})
        assert suspended.status_code == 200, suspended.text
        gone = federation.http.get(f"{federation.registry}/federation/TH/fetch", params={"sub": federation.pid})
        assert (gone.status_code, gone.json()["error"]) == (404, "not_found")
        assert _refusal(verifier.present(issued)) == ("issuer_signature", "untrusted_issuer")
    # The modes differ here, by design of each (reported, not hidden): the list authorises a credential
    # at its issuance (a suspension stops new credentials, those issued before stay good), a federation
    # chain is judged now. So through the list the old credential still verifies, and one issued after
    # the suspension is refused ``issuer_suspended``, which in ``both`` overrules the federation.
    later = federation.issue()
    for mode in ("list", "both", "federation"):  # fresh verifiers: a list cache sees a new list at its next refresh
        with running_verifier(federation, federation.anchor_jwks(), mode) as other_mode:
            old = other_mode.present(issued)
            assert (old["status"] == "verified") is (mode != "federation"), (mode, old)
            reason = "untrusted_issuer" if mode == "federation" else "issuer_suspended"
            assert _refusal(other_mode.present(later))[1] == reason, mode


def test_a_verifier_requiring_the_pid_mark_trusts_the_issuer_once_it_carries_it(federation: Federation) -> None:
    """``LINTAS_VERIFIER_FEDERATION_REQUIRED_TRUST_MARKS``: ``trust_mark_missing`` until the issuer carries it."""
    own = FileKeyStore(federation.data / "issuers" / "th-pid").signer("federation-entity")
    body = {"issuer_id": federation.pid, "keys": [normalise_jwk(own.public_jwk)]}
    assert federation.governance("/v1/governance/issuers/federation-keys", body).status_code == 200
    time.sleep(1)  # after the previous test's suspension (one-second resolution)
    reinstated = federation.governance("/v1/governance/issuers/reinstate", {"issuer_id": federation.pid})
    assert reinstated.status_code in (200, 409), reinstated.text  # 409: not suspended (this test run alone)
    issued = federation.issue()
    required = {"federation_required_trust_marks": [RECOGNISED_PID_ISSUER]}
    with running_verifier(federation, federation.anchor_jwks(), **required) as verifier:
        # Twin first: the issuer runs without a trust mark endpoint, so its configuration carries no mark.
        # (Fetching the configuration signs it now, before the verification time: chains allow no iat leeway.)
        assert "trust_marks" not in federation.pid_configuration()
        assert _refusal(verifier.present(issued)) == ("registry_authorisation", "trust_mark_missing")
        endpoint = f"{federation.registry}/federation/trust-mark"
        keeper = federation.restart_issuer(federation_trust_mark_endpoint=endpoint).state.trust_mark_keepers[
            federation.pid
        ]
        for _ in range(100):  # the keeper's first fetch runs in the background at start-up
            if keeper.current(int(time.time())):
                break
            time.sleep(0.05)
        assert keeper.current(int(time.time())), "the issuer's keeper did not fetch its mark at start-up"
        (carried,) = federation.pid_configuration()["trust_marks"]
        assert carried["trust_mark_type"] == RECOGNISED_PID_ISSUER
        result = verifier.present(issued)
        assert result["status"] == "verified", json.dumps(result)
        assert result["credentials"][0]["issuer"] == federation.pid


def test_check_config_reports_the_mode_and_resolves_the_anchor(federation: Federation, tmp_path: Path) -> None:
    required = {"federation_required_trust_marks": [RECOGNISED_PID_ISSUER]}
    good = _settings(federation, tmp_path / "a", free_port(), federation.anchor_jwks(), **required)
    other = {"keys": [normalise_jwk(KeySigner(ec.generate_private_key(ec.SECP256R1())).public_jwk)]}
    wrong = _settings(federation, tmp_path / "b", free_port(), other)
    with httpx.Client(timeout=10) as http:
        findings = {f.check: f for f in run_checks(good, http, lambda: int(time.time()))}
        twin = {f.check: f for f in run_checks(wrong, http, lambda: int(time.time()))}
    assert (findings["trust"].level, findings["trust"].message) == ("ok", "trust_mode=federation")
    assert findings["federation"].level == "ok", findings["federation"]
    assert "registry" not in findings  # federation mode needs no registry URL or pin
    assert (findings["trust-marks"].level, findings["trust-marks"].message) == (
        "ok",
        f"issuers must carry the trust marks {RECOGNISED_PID_ISSUER}",
    )
    assert "trust-marks" not in twin  # none required there
    assert twin["federation"].level == "FAIL"
    assert "not pinned" in twin["federation"].message
