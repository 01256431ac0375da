"""Issuers as OpenID Federation leaf entities (issue #16 item 2, :mod:`issuer.federation`).

Each tenant serves its entity configuration at ``<identifier>/.well-known/openid-federation``,
self-signed with its own federation key (not the document signer), naming its superior and the
keys that sign its credentials. A superior that binds that key makes a valid chain; the twins:
a superior binding another key, a configuration served for another subject, an expired one.
"""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import ValidationError

from idcore.errors import Reason, TrustError
from idcore.jose import KeySigner, verify_compact
from idcore.jwk import jwk_thumbprint, public_key_from_jwk
from idcore.trust.federation import (
    WELL_KNOWN_PATH,
    TrustAnchor,
    parse_statement,
    resolve_chain,
    sign_entity_statement,
    validate_chain,
)
from idcore.trust.federation_keys import normalise_jwk
from issuer.settings import IssuerSettings

from .conftest import PUBLIC_URL, Harness

SUPERIOR = "http://127.0.0.1:8000/federation/SG"


@pytest.fixture
def leaf(make_harness: Any) -> Harness:
    """An SG issuer whose tenants name the SG intermediate as their superior."""
    return make_harness(federation_authority_hints=[SUPERIOR])  # type: ignore[no-any-return]


def configuration(harness: Harness, identifier: str) -> str:
    answer = harness.client.get(f"{identifier.removeprefix(PUBLIC_URL)}{WELL_KNOWN_PATH}")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/entity-statement+jwt"
    assert "max-age" in answer.headers["cache-control"]
    return answer.text


class Superior:
    """A test superior that is its own trust anchor: its key is generated here, never stored."""

    def __init__(self, now: int) -> None:
        self.signer = KeySigner(ec.generate_private_key(ec.SECP256R1()))
        self.jwk = normalise_jwk(self.signer.public_jwk)
        self.now = now
        self.anchor = TrustAnchor(SUPERIOR, (self.jwk,))

    def own_configuration(self) -> str:
        claims = {
            "iss": SUPERIOR,
            "sub": SUPERIOR,
            "iat": self.now,
            "exp": self.now + 600,
            "jwks": {"keys": [self.jwk]},
        }
        claims["metadata"] = {"federation_entity": {"federation_fetch_endpoint": SUPERIOR + "/fetch"}}
        return sign_entity_statement(claims, self.signer, self.jwk["kid"])

    def statement_about(self, subject: str, keys: list[dict[str, Any]]) -> str:
        claims = {"iss": SUPERIOR, "sub": subject, "iat": self.now, "exp": self.now + 600, "jwks": {"keys": keys}}
        return sign_entity_statement(claims, self.signer, self.jwk["kid"])


def test_each_tenant_serves_a_self_signed_configuration(leaf: Harness) -> None:
    token = configuration(leaf, leaf.pid)
    statement = parse_statement(token)
    assert statement.iss == statement.sub == leaf.pid
    assert statement.authority_hints == (SUPERIOR,)
    (own_key,) = statement.jwks
    header, _ = verify_compact(token, public_key_from_jwk(own_key), algorithms=["ES256"], typ="entity-statement+jwt")
    assert header["kid"] == own_key["kid"] == jwk_thumbprint(own_key)
    issuer = statement.metadata["openid_credential_issuer"]
    assert issuer["credential_issuer"] == leaf.pid
    assert "credential_endpoint" in issuer
    tenant = next(t for t in leaf.service.tenants if t.identifier == leaf.pid)
    signing_kid = jwk_thumbprint(normalise_jwk(tenant.keys.signer.public_jwk))
    assert signing_kid in [k["kid"] for k in issuer["jwks"]["keys"]]
    # The federation key is a key of its own: a leaked document signer cannot speak for the entity.
    assert own_key["kid"] != signing_kid
    assert issuer["lintas_vcts"][0] == tenant.ctype.vct
    business = parse_statement(configuration(leaf, leaf.business))
    assert business.sub == leaf.business
    assert business.jwks[0]["kid"] != own_key["kid"]


def test_configuration_is_cached_for_half_its_lifetime(leaf: Harness) -> None:
    first = configuration(leaf, leaf.pid)
    leaf.clock.advance(60)
    assert configuration(leaf, leaf.pid) == first
    leaf.clock.advance(leaf.settings.federation_entity_ttl // 2)
    renewed = configuration(leaf, leaf.pid)
    assert renewed != first
    assert parse_statement(renewed).iat == leaf.clock.now()


def test_a_superior_binding_the_key_makes_a_chain_and_its_twins_fail(leaf: Harness) -> None:
    now = leaf.clock.now()
    token = configuration(leaf, leaf.pid)
    superior = Superior(now)
    keys = [dict(k) for k in parse_statement(token).jwks]
    chain = [token, superior.statement_about(leaf.pid, keys), superior.own_configuration()]
    resolved = validate_chain(chain, superior.anchor, now)
    assert resolved.subject == leaf.pid
    assert resolved.metadata["openid_credential_issuer"]["credential_issuer"] == leaf.pid

    # Wrong key: the superior binds another key than the one the configuration is signed with.
    other = normalise_jwk(KeySigner(ec.generate_private_key(ec.SECP256R1())).public_jwk)
    wrong_key = [token, superior.statement_about(leaf.pid, [other]), chain[2]]
    with pytest.raises(TrustError) as refused:
        validate_chain(wrong_key, superior.anchor, now)
    assert refused.value.reason is Reason.FEDERATION_CHAIN_INVALID

    # Wrong sub: the PID identifier answering with the business tenant's configuration.
    served = {f"{leaf.pid}{WELL_KNOWN_PATH}": configuration(leaf, leaf.business).encode()}
    with pytest.raises(TrustError) as mixed:
        resolve_chain(leaf.pid, superior.anchor, served.get, now)
    assert mixed.value.reason is Reason.FEDERATION_CHAIN_INVALID
    assert "served the configuration of" in mixed.value.detail

    # Expired: the same chain judged after the configuration's exp.
    with pytest.raises(TrustError) as expired:
        validate_chain(chain, superior.anchor, now + leaf.settings.federation_entity_ttl)
    assert "expired" in expired.value.detail


def test_no_superior_configured_no_configuration(harness: Harness) -> None:
    answer = harness.client.get(f"/sg{WELL_KNOWN_PATH}")
    assert answer.status_code == 404


def test_superiors_must_be_identifiers_on_loopback_in_development(tmp_path: Any) -> None:
    base: dict[str, Any] = {"country": "SG", "public_url": PUBLIC_URL, "data_dir": tmp_path, "development": True}
    assert IssuerSettings(**base, federation_authority_hints=[SUPERIOR]).federation_authority_hints == [SUPERIOR]
    with pytest.raises(ValidationError, match="loopback"):
        IssuerSettings(**base, federation_authority_hints=["https://registry.example/federation/SG"])
    with pytest.raises(ValidationError):
        IssuerSettings(**base, federation_authority_hints=["ftp://127.0.0.1/federation/SG"])
