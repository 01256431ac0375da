"""Verifiers as OpenID Federation leaf entities of a member state (issue #16 item 2).

Malaysia's operator registers a bank's verifier (its entity identifier and federation key) through
governance; the MY intermediate then issues a subordinate statement binding that key, the anchor
issues it the "registered relying party" trust mark, and a party that knows only the anchor
resolves the verifier's chain (verifier -> MY -> ASEAN) with its ``openid_credential_verifier``
metadata fixed to MY and the mark valid. Twins: another country's operator, another country's
intermediate, a configuration signed by an unregistered key, withdrawal (statement and mark gone,
final), refused inputs that write nothing, the per-country quota, and a registered verifier that
claims to be a PID issuer and is not trusted as one.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from idcore.errors import Reason, TrustError
from idcore.jose import KeySigner
from idcore.jwk import public_jwk
from idcore.trust import VCT_PID
from idcore.trust.federation import (
    VERIFIER_ENTITY_TYPE,
    WELL_KNOWN_PATH,
    FederationTrust,
    parse_statement,
    resolve_chain,
    sign_entity_statement,
)
from idcore.trust.federation_marks import REGISTERED_RELYING_PARTY
from idcore.trust.framework import FORMAT_SD_JWT_VC, IssuerEvidence
from idcore.trust.recognition import verify_recognition_list
from idcore.trust.verifier_entities import MAX_VERIFIER_ENTITIES_PER_COUNTRY
from idcore.x509 import create_issuer_certificate, create_root_ca
from trust_registry.federation import TRUST_MARK_PATH, keyed_jwk

from .helpers import Registry
from .test_federation import setup

BANK = "https://verifier.bank.my.example"
PATH = "/v1/governance/countries/{cc}/verifier-entities"


def new_signer() -> KeySigner:
    return KeySigner(ec.generate_private_key(ec.SECP256R1()))


def bank_configuration(registry: Registry, signer: KeySigner, now: int, **extra: Any) -> str:
    """The bank verifier's entity configuration, signed with ``signer`` (its federation key)."""
    jwk = keyed_jwk(dict(signer.public_jwk))
    claims: dict[str, Any] = {
        "iss": BANK,
        "sub": BANK,
        "iat": now,
        "exp": now + 3600,
        "jwks": {"keys": [jwk]},
        "authority_hints": [registry.settings.public_url.rstrip("/") + "/federation/MY"],
        "metadata": {VERIFIER_ENTITY_TYPE: {"client_name": "Bank", "lintas_country": "SG"}},  # MY's policy fixes it
        **extra,
    }
    return sign_entity_statement(claims, signer, jwk["kid"])


def register(registry: Registry, signer: KeySigner, cc: str = "MY", client: str = "operator-my") -> Any:
    body = {"entity_id": BANK, "keys": [keyed_jwk(dict(signer.public_jwk))], "note": "retail bank onboarding"}
    return registry.post(PATH.format(cc=cc), client, body)


def published_registrations(registry: Registry) -> list[dict[str, Any]]:
    token = registry.http.get("/v1/recognitions").content
    return [v.to_json() for v in verify_recognition_list(token, registry.pin).verifier_entities]


def mark(registry: Registry, subject: str = BANK) -> Any:
    return registry.http.get(TRUST_MARK_PATH, params={"trust_mark_type": REGISTERED_RELYING_PARTY, "sub": subject})


def test_a_registered_verifier_resolves_to_the_anchor_with_its_mark(registry: Registry) -> None:
    trust, network, _ = setup(registry)
    now = registry.clock.now()
    signer = new_signer()
    assert mark(registry).status_code == 404  # not registered yet: no mark
    assert registry.http.get("/federation/MY/fetch", params={"sub": BANK}).status_code == 404
    registered = register(registry, signer)
    assert registered.status_code == 200, registered.text
    assert published_registrations(registry) == [
        {"entity_id": BANK, "country": "MY", "keys": [keyed_jwk(dict(signer.public_jwk))], "from": now}
    ]
    listed = registry.http.get("/federation/MY/list", params={"entity_type": VERIFIER_ENTITY_TYPE}).json()
    assert listed == [BANK]
    assert (
        BANK not in registry.http.get("/federation/MY/list", params={"entity_type": "openid_credential_issuer"}).json()
    )
    issued = mark(registry)
    assert issued.status_code == 200
    assert issued.headers["content-type"].startswith("application/trust-mark+jwt")
    carried = [{"trust_mark_type": REGISTERED_RELYING_PARTY, "trust_mark": issued.text}]
    network.configurations[BANK + WELL_KNOWN_PATH] = bank_configuration(registry, signer, now, trust_marks=carried)
    chain = resolve_chain(BANK, trust.anchor, network, now)
    assert [s.iss for s in chain.statements] == [BANK, network.member("MY"), network.public, network.public]
    assert chain.metadata[VERIFIER_ENTITY_TYPE] == {"client_name": "Bank", "lintas_country": "MY"}
    assert chain.trust_marks == frozenset({REGISTERED_RELYING_PARTY})
    # Twins: Singapore's intermediate does not vouch for Malaysia's verifier; a mark for another subject is not one.
    assert registry.http.get("/federation/SG/fetch", params={"sub": BANK}).status_code == 404
    assert mark(registry, BANK + "/other").status_code == 404
    foreign = [{"trust_mark_type": REGISTERED_RELYING_PARTY, "trust_mark": mark(registry).text.replace("a", "b", 1)}]
    network.configurations[BANK + WELL_KNOWN_PATH] = bank_configuration(registry, signer, now, trust_marks=foreign)
    assert resolve_chain(BANK, trust.anchor, network, now).trust_marks == frozenset()


def test_a_configuration_signed_by_an_unregistered_key_does_not_resolve(registry: Registry) -> None:
    trust, network, _ = setup(registry)
    now = registry.clock.now()
    assert register(registry, new_signer()).status_code == 200
    network.configurations[BANK + WELL_KNOWN_PATH] = bank_configuration(registry, new_signer(), now)
    with pytest.raises(TrustError) as refused:
        resolve_chain(BANK, trust.anchor, network, now)
    assert refused.value.reason is Reason.FEDERATION_CHAIN_INVALID


def test_withdrawal_removes_statement_and_mark_and_is_final(registry: Registry) -> None:
    trust, network, _ = setup(registry)
    signer = new_signer()
    since = registry.clock.now()
    assert register(registry, signer).status_code == 200
    network.configurations[BANK + WELL_KNOWN_PATH] = bank_configuration(registry, signer, since)
    assert resolve_chain(BANK, trust.anchor, network, since).subject == BANK
    registry.clock.advance(60)
    # Singapore may not withdraw Malaysia's registration; Malaysia may.
    assert registry.post(PATH.format(cc="MY") + "/withdraw", "operator-sg", {"entity_id": BANK}).status_code == 403
    gone = registry.post(PATH.format(cc="MY") + "/withdraw", "operator-my", {"entity_id": BANK, "note": "closed"})
    assert gone.status_code == 200, gone.text
    [entry] = published_registrations(registry)
    assert (entry["from"], entry["until"]) == (since, since + 60)  # history kept in the signed list
    assert registry.http.get("/federation/MY/fetch", params={"sub": BANK}).status_code == 404
    assert mark(registry).status_code == 404
    assert registry.http.get("/federation/MY/list").json().count(BANK) == 0
    with pytest.raises(TrustError) as refused:
        resolve_chain(BANK, trust.anchor, network, registry.clock.now())
    assert refused.value.reason is Reason.UNTRUSTED_ISSUER
    again = register(registry, signer)
    assert again.status_code == 409
    assert again.json()["title"] == "Withdrawn verifier entity"
    assert registry.post(PATH.format(cc="MY") + "/withdraw", "operator-my", {"entity_id": BANK}).status_code == 409
    records = registry.http.get("/v1/audit-log").json()["records"]
    actions = [(r["payload"]["action"], r["payload"]["actor"]) for r in records[-2:]]
    assert actions == [("register_verifier_entity", "operator-my"), ("withdraw_verifier_entity", "operator-my")]


def test_re_registering_rolls_the_keys_and_keeps_the_start(registry: Registry) -> None:
    trust, network, _ = setup(registry)
    old, new = new_signer(), new_signer()
    since = registry.clock.now()
    assert register(registry, old).status_code == 200
    registry.clock.advance(120)
    assert register(registry, new).status_code == 200
    [entry] = published_registrations(registry)
    assert (entry["from"], entry["keys"]) == (since, [keyed_jwk(dict(new.public_jwk))])
    now = registry.clock.now()
    network.configurations[BANK + WELL_KNOWN_PATH] = bank_configuration(registry, new, now)
    assert resolve_chain(BANK, trust.anchor, network, now).subject == BANK
    network.configurations[BANK + WELL_KNOWN_PATH] = bank_configuration(registry, old, now)
    with pytest.raises(TrustError):
        resolve_chain(BANK, trust.anchor, network, now)


def test_another_countrys_operator_is_refused_and_nothing_is_written(registry: Registry) -> None:
    before = registry.state()
    refused = register(registry, new_signer(), cc="MY", client="operator-sg")
    assert refused.status_code == 403
    assert refused.json()["error"] == "insufficient_scope"
    assert registry.state() == before
    assert register(registry, new_signer(), cc="SG", client="operator-sg").status_code == 200  # its own country


def _jwk(**change: Any) -> dict[str, Any]:
    return {**keyed_jwk(dict(new_signer().public_jwk)), **change}


def _refusals(registry: Registry) -> dict[str, tuple[str, dict[str, Any]]]:
    private = ec.generate_private_key(ec.SECP256R1())
    d = base64.urlsafe_b64encode(private.private_numbers().private_value.to_bytes(32, "big")).decode().rstrip("=")
    with_d = {**public_jwk(private.public_key()), "d": d}
    p384 = public_jwk(ec.generate_private_key(ec.SECP384R1()).public_key())
    own = registry.settings.public_url.rstrip("/")
    return {
        "private key": ("MY", {"entity_id": BANK, "keys": [with_d]}),
        "P-384 key": ("MY", {"entity_id": BANK, "keys": [p384]}),
        "kid not the thumbprint": ("MY", {"entity_id": BANK, "keys": [_jwk(kid="mine")]}),
        "same key twice": ("MY", {"entity_id": BANK, "keys": [_jwk()] * 2}),
        "three keys": ("MY", {"entity_id": BANK, "keys": [_jwk(), _jwk(), _jwk()]}),
        "no keys": ("MY", {"entity_id": BANK, "keys": []}),
        "plain http": ("MY", {"entity_id": "http://verifier.bank.my.example", "keys": [_jwk()]}),
        "fragment": ("MY", {"entity_id": BANK + "#x", "keys": [_jwk()]}),
        "the anchor itself": ("MY", {"entity_id": own, "keys": [_jwk()]}),
        "an intermediate": ("MY", {"entity_id": own + "/federation/MY", "keys": [_jwk()]}),
        "unknown member": ("MY", {"entity_id": BANK, "keys": [_jwk()], "extra": 1}),
        "too long": ("MY", {"entity_id": BANK + "/" + "a" * 300, "keys": [_jwk()]}),
        "not a member state": ("XX", {"entity_id": BANK, "keys": [_jwk()]}),
    }


CASES = [
    "private key",
    "P-384 key",
    "kid not the thumbprint",
    "same key twice",
    "three keys",
    "no keys",
    "plain http",
    "fragment",
    "the anchor itself",
    "an intermediate",
    "unknown member",
    "too long",
    "not a member state",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_registrations_are_refused_and_write_nothing(shared: Registry, case: str) -> None:
    assert set(CASES) == set(_refusals(shared))
    cc, body = _refusals(shared)[case]
    before = shared.state()
    answer = shared.post(PATH.format(cc=cc), "operator-my", body)
    assert answer.status_code in (400, 404, 422), answer.text
    assert answer.status_code < 500
    assert shared.state() == before


def test_quota_per_country(registry: Registry) -> None:
    for n in range(MAX_VERIFIER_ENTITIES_PER_COUNTRY):
        body = {"entity_id": f"{BANK}/{n}", "keys": [_jwk()]}
        assert registry.post(PATH.format(cc="TH"), "operator-th", body).status_code == 200
    before = registry.state()
    over = registry.post(PATH.format(cc="TH"), "operator-th", {"entity_id": BANK, "keys": [_jwk()]})
    assert over.status_code == 409
    assert over.json()["title"] == "Quota exceeded"
    assert registry.state() == before


def test_a_registered_verifier_is_no_issuer(registry: Registry) -> None:
    """A verifier whose configuration claims PID-issuer metadata (with its own signing key) resolves,
    but the MY statement about a verifier empties issuer types and drops the level: its "PID" is
    refused. The twin is the listed TH issuer, trusted through the same anchor (test_federation)."""
    trust, network, _ = setup(registry)
    now = registry.clock.now()
    signer, credential_key = new_signer(), ec.generate_private_key(ec.SECP256R1())
    assert register(registry, signer).status_code == 200
    root_key = ec.generate_private_key(ec.SECP256R1())
    start, end = datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(days=30)
    root = create_root_ca(
        root_key, common_name="Bank root", country="MY", organization="Bank", not_before=start, not_after=end
    )
    cert = create_issuer_certificate(
        root_key,
        root,
        credential_key.public_key(),
        common_name="Bank",
        country="MY",
        organization="Bank",
        not_before=start,
        not_after=end,
    )
    issuer_meta = {
        "credential_issuer": BANK,
        "jwks": {"keys": [keyed_jwk(public_jwk(credential_key.public_key()))]},
        "lintas_vcts": [VCT_PID],
        "lintas_assurance_level": "high",
    }
    config = bank_configuration(registry, signer, now)
    claims = dict(parse_statement(config).claims)
    claims["metadata"] = {**claims["metadata"], "openid_credential_issuer": issuer_meta}
    jwk = keyed_jwk(dict(signer.public_jwk))
    network.configurations[BANK + WELL_KNOWN_PATH] = sign_entity_statement(claims, signer, jwk["kid"])
    resolved = resolve_chain(BANK, trust.anchor, network, now).metadata["openid_credential_issuer"]
    assert resolved["lintas_vcts"] == []
    assert "lintas_assurance_level" not in resolved
    x5c = (base64.b64encode(cert.public_bytes(Encoding.DER)).decode("ascii"),)
    evidence = IssuerEvidence(FORMAT_SD_JWT_VC, BANK, VCT_PID, now - 60, now, x5c=x5c, country="MY")
    judgement = FederationTrust(trust.anchor, network).judge(evidence)
    assert not judgement.trusted
    assert judgement.reason is Reason.UNTRUSTED_ISSUER


def test_list_endpoints_filter_by_entity_type_and_refuse_what_they_do_not_implement(shared: Registry) -> None:
    """Section 8.2.1: ``entity_type`` filters (repeatable); ``trust_marked``, ``trust_mark_type`` and
    ``intermediate`` are unsupported here and must be refused with ``unsupported_parameter``."""
    issuers = shared.http.get("/federation/SG/list", params={"entity_type": "openid_credential_issuer"}).json()
    assert issuers == shared.http.get("/federation/SG/list").json()  # no verifier is registered in SG here
    assert shared.http.get("/federation/SG/list", params={"entity_type": "openid_provider"}).json() == []
    both: list[tuple[str, str | int | float | bool | None]] = [
        ("entity_type", "openid_credential_issuer"),
        ("entity_type", VERIFIER_ENTITY_TYPE),
    ]
    assert shared.http.get("/federation/SG/list", params=both).json() == issuers
    anchor = shared.http.get("/federation/list").json()
    assert len(anchor) == len(shared.trust_list().countries)
    assert shared.http.get("/federation/list", params={"entity_type": "federation_entity"}).json() == anchor
    assert shared.http.get("/federation/list", params={"entity_type": VERIFIER_ENTITY_TYPE}).json() == []
    for path in ("/federation/list", "/federation/SG/list"):
        for name in ("trust_marked", "trust_mark_type", "intermediate"):
            refused = shared.http.get(path, params={name: "true"})
            assert refused.status_code == 400
            assert refused.json()["error"] == "unsupported_parameter"
    many: list[tuple[str, str | int | float | bool | None]] = [("entity_type", f"t{n}") for n in range(9)]
    assert shared.http.get("/federation/SG/list", params=many).status_code in (400, 422)
