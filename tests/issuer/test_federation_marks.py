"""The PID tenant carries the registry's "recognised PID issuer" trust mark (issue #16 item 2).

The real registry app and the real TH issuer app run under uvicorn on 127.0.0.1 and share one data
directory (as in the demo: the registry seeds the TH issuer's keys, the issuer loads them). The
issuer's keeper fetches from the registry's trust mark endpoint in the app's lifespan; the marks
are checked here as a relying party checks them (:func:`idcore.trust.federation_marks.valid_trust_marks`,
against the anchor's own configuration and keys). Twins: the business tenant carries none (and the
registry would give it none), an issuer without the endpoint carries none, a mark moved to another
subject does not validate, a suspended issuer's mark is dropped at the next refresh and comes back
when it is reinstated; the settings refuse an endpoint without superiors, over http outside
development, off loopback in development, with a query.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from idcore.keystore.file import FileKeyStore
from idcore.ports import SystemClock
from idcore.trust.federation import WELL_KNOWN_PATH, parse_statement
from idcore.trust.federation_keys import normalise_jwk
from idcore.trust.federation_marks import RECOGNISED_PID_ISSUER, valid_trust_marks
from issuer.app import create_app as issuer_app
from issuer.settings import IssuerSettings
from lintas.testing import UvicornServer, free_port
from lintas.trust_marks import TrustMarkKeeper
from tests.federation_stack import LOOPBACK, registry_and_issuer, th_issuer_settings


@dataclass
class Marked:
    """Registry and TH issuer on sockets; the issuer's PID tenant keeps its mark."""

    data: Path
    registry: str
    issuer: str
    app: Any
    http: httpx.Client

    @property
    def pid(self) -> str:
        return f"{self.issuer}/th"

    @property
    def business(self) -> str:
        return f"{self.issuer}/th/business"

    def claims(self, identifier: str) -> dict[str, Any]:
        answer = self.http.get(identifier + WELL_KNOWN_PATH)
        assert answer.status_code == 200, answer.text
        return dict(parse_statement(answer.content).claims)

    def anchor(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The anchor's configuration claims and its keys as its operator publishes them out of band."""
        signer = FileKeyStore(self.data / "registry" / "keys").signer("list-signing")
        return self.claims(self.registry), [normalise_jwk(signer.public_jwk)]

    def valid_marks(self, claims: dict[str, Any]) -> frozenset[str]:
        configuration, keys = self.anchor()
        return valid_trust_marks(claims, configuration, keys, int(time.time()))

    def governance(self, action: str) -> None:
        """Suspend or reinstate the PID issuer as the TH operator."""
        clients = json.loads((self.data / "governance-clients.json").read_text())
        token = self.http.post(
            f"{self.registry}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("operator-th", clients["operator-th"]["secret"]),
        ).json()["access_token"]
        answer = self.http.post(
            f"{self.registry}/v1/governance/issuers/{action}",
            json={"issuer_id": self.pid},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200, answer.text


@pytest.fixture(scope="module")
def marked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Marked]:
    def extra(registry: str) -> dict[str, Any]:
        return {"federation_trust_mark_endpoint": f"{registry}/federation/trust-mark"}

    with registry_and_issuer(tmp_path_factory.mktemp("marks"), extra) as stack, httpx.Client(timeout=10) as http:
        yield Marked(stack.data, stack.registry, stack.issuer, stack.issuer_app, http)


def carrying(marked: Marked) -> dict[str, Any]:
    """The PID configuration once the keeper's first background fetch has brought the mark (bounded wait)."""
    keeper: TrustMarkKeeper = marked.app.state.trust_mark_keepers[marked.pid]
    for _ in range(100):
        if keeper.current(int(time.time())):
            break
        time.sleep(0.05)
    claims = marked.claims(marked.pid)
    assert "trust_marks" in claims, "the keeper did not fetch the mark at start-up"
    return claims


def test_the_pid_tenant_carries_a_mark_a_relying_party_validates(marked: Marked) -> None:
    claims = carrying(marked)
    (entry,) = claims["trust_marks"]
    assert entry["trust_mark_type"] == RECOGNISED_PID_ISSUER
    assert marked.valid_marks(claims) == {RECOGNISED_PID_ISSUER}
    # Twin: the same mark carried by the business tenant's configuration is worth nothing (sub differs).
    business = marked.claims(marked.business)
    assert marked.valid_marks({**business, "trust_marks": claims["trust_marks"]}) == frozenset()


def test_the_business_tenant_carries_none_and_would_get_none(marked: Marked) -> None:
    carrying(marked)  # the PID tenant has its mark by now, so the absence below is not a matter of timing
    assert set(marked.app.state.trust_mark_keepers) == {marked.pid}
    assert "trust_marks" not in marked.claims(marked.business)
    # The registry agrees: it grants the business issuer no recognised-PID-issuer mark (404).
    asked = {"trust_mark_type": RECOGNISED_PID_ISSUER, "sub": marked.business}
    assert marked.http.get(f"{marked.registry}/federation/trust-mark", params=asked).status_code == 404
    asked["sub"] = marked.pid
    assert marked.http.get(f"{marked.registry}/federation/trust-mark", params=asked).status_code == 200


def test_a_suspended_issuer_loses_its_mark_at_the_next_refresh(marked: Marked) -> None:
    carried = carrying(marked)
    keeper: TrustMarkKeeper = marked.app.state.trust_mark_keepers[marked.pid]
    time.sleep(1)  # the suspension must be later than the grant (one-second resolution)
    marked.governance("suspend")
    try:
        keeper.refresh()  # what the background task does at its next turn
        dropped = marked.claims(marked.pid)
        assert "trust_marks" not in dropped
        assert dropped["iat"] >= carried["iat"]  # re-signed at once because the carried marks changed
        assert marked.valid_marks(dropped) == frozenset()
    finally:
        time.sleep(1)
        marked.governance("reinstate")
    keeper.refresh()
    assert marked.valid_marks(marked.claims(marked.pid)) == {RECOGNISED_PID_ISSUER}


def test_without_the_endpoint_no_tenant_carries_a_mark(marked: Marked, tmp_path: Path) -> None:
    settings = th_issuer_settings(marked.data, marked.issuer, marked.registry)
    app = issuer_app(settings, clock=SystemClock())
    assert app.state.trust_mark_keepers == {}
    port = free_port()
    with UvicornServer(app, port=port), httpx.Client(timeout=10) as http:
        answer = http.get(f"http://{LOOPBACK}:{port}/th{WELL_KNOWN_PATH}")
        assert answer.status_code == 200, answer.text
        assert "trust_marks" not in parse_statement(answer.content).claims


def test_the_endpoint_setting_is_checked(tmp_path: Path) -> None:
    hints: dict[str, Any] = {"federation_authority_hints": ["http://127.0.0.1:8000/federation/SG"]}
    dev: dict[str, Any] = {"country": "SG", "public_url": "http://127.0.0.1:8101", "data_dir": tmp_path}
    dev["development"] = True
    good = "http://127.0.0.1:8000/federation/trust-mark"
    assert IssuerSettings(**dev, **hints, federation_trust_mark_endpoint=good).federation_trust_mark_endpoint == good
    with pytest.raises(ValidationError, match="needs federation_authority_hints"):
        IssuerSettings(**dev, federation_trust_mark_endpoint=good)
    with pytest.raises(ValidationError, match="loopback URL in development"):
        IssuerSettings(**dev, **hints, federation_trust_mark_endpoint="https://registry.example/federation/trust-mark")
    with pytest.raises(ValidationError, match="without query"):
        IssuerSettings(**dev, **hints, federation_trust_mark_endpoint=good + "?sub=x")
    prod: dict[str, Any] = {"country": "SG", "public_url": "https://issuers.example", "data_dir": tmp_path}
    prod.update(development=False, federation_authority_hints=["https://registry.example/federation/SG"])
    https = "https://registry.example/federation/trust-mark"
    assert IssuerSettings(**prod, federation_trust_mark_endpoint=https).federation_trust_mark_endpoint == https
    for refused in ("http://registry.example/federation/trust-mark", "https://10.0.0.1/federation/trust-mark"):
        with pytest.raises(ValidationError, match="https URL to a public host"):
            IssuerSettings(**prod, federation_trust_mark_endpoint=refused)
