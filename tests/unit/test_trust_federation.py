"""OpenID Federation 1.0 trust chains (idcore.trust.federation): TA -> member-state registry -> issuer.
Each accepted chain has tampered twins that fail with a reason code."""

from __future__ import annotations

from typing import Any

import pytest

from idcore.b64 import b64u_encode, json_dumps
from idcore.errors import Reason, TrustError
from idcore.jose import sign_compact
from idcore.trust.federation import (
    WELL_KNOWN_PATH,
    FederationTrust,
    TrustAnchor,
    resolve_chain,
    validate_chain,
)
from idcore.trust.framework import FORMAT_SD_JWT_VC, IssuerEvidence, TrustFramework

from .federation_helpers import LEAF, NOW, TA, TH, VCT, Entity, Federation

SS_TH = f"{TA}/fetch?sub=https%3A%2F%2Fregistry.th.example"
SS_LEAF = f"{TH}/fetch?sub=https%3A%2F%2Fissuers.example%2Fth"


def evidence(fed: Federation, **changes: Any) -> IssuerEvidence:
    fields: dict[str, Any] = {
        "format": FORMAT_SD_JWT_VC,
        "issuer_id": LEAF,
        "credential_type": VCT,
        "issued_at": NOW - 60,
        "at": NOW,
        "key_id": fed.credential_key.kid,
        "country": "TH",
    }
    fields.update(changes)
    return IssuerEvidence(**fields)


def test_chain_resolves_to_the_anchor_with_merged_policies() -> None:
    fed = Federation()
    chain = resolve_chain(LEAF, fed.anchor, fed.fetch, NOW)
    assert [s.iss for s in chain.statements] == [LEAF, TH, TA, TA]
    meta = chain.metadata["openid_credential_issuer"]
    assert meta["lintas_vcts"] == [VCT]  # the anchor's subset_of removed the type it did not authorise
    assert meta["lintas_country"] == "TH"
    assert meta["lintas_assurance_level"] == "high"
    assert chain.expires_at == NOW + 600
    assert validate_chain(fed.chain(), fed.anchor, NOW).metadata == chain.metadata


def test_federation_trust_implements_the_framework_interface() -> None:
    fed = Federation()
    trust = FederationTrust(fed.anchor, fed.fetch)
    assert isinstance(trust, TrustFramework)
    judgement = trust.judge(evidence(fed))
    assert judgement.trusted, judgement.why
    assert judgement.issuer is not None
    assert (judgement.issuer.country, judgement.issuer.assurance_level) == ("TH", "high")
    assert judgement.key is not None
    assert judgement.framework == "openid-federation"


@pytest.mark.parametrize(
    ("changes", "reason", "key_established"),
    [
        ({"credential_type": "https://other.example/vct"}, Reason.NOT_AUTHORISED, True),  # removed by subset_of
        ({"country": "VN"}, Reason.NOT_AUTHORISED, True),
        ({"key_id": "not-the-issuers-key"}, Reason.UNTRUSTED_ISSUER, False),
        ({"issuer_id": "https://issuers.example/vn"}, Reason.UNTRUSTED_ISSUER, False),
        ({"issuer_id": None}, Reason.UNTRUSTED_ISSUER, False),
        ({"issuer_id": "http://issuers.example/th"}, Reason.TRUST_LIST_INVALID, False),  # never fetched
        ({"issuer_id": "https://issuers.example/th#x"}, Reason.TRUST_LIST_INVALID, False),
        ({"at": NOW + 600}, Reason.FEDERATION_CHAIN_INVALID, False),  # the chain expired
    ],
)
def test_judgement_refusals(changes: dict[str, Any], reason: Reason, key_established: bool) -> None:
    fed = Federation()
    judgement = FederationTrust(fed.anchor, fed.fetch).judge(evidence(fed, **changes))
    assert not judgement.trusted
    assert judgement.reason is reason, judgement.why
    assert judgement.key_established is key_established


def test_removed_subordinate_statement_fails_with_a_reason() -> None:
    fed = Federation()
    del fed.served[SS_LEAF]  # TH no longer vouches for the issuer
    judgement = FederationTrust(fed.anchor, fed.fetch).judge(evidence(fed))
    assert judgement.reason is Reason.UNTRUSTED_ISSUER
    assert "no statement about" in judgement.why


def test_chain_cache_is_bounded_by_max_cache_as_well_as_exp() -> None:
    """A cached chain outlives the withdrawal of a statement until its exp; ``max_cache`` shortens that."""
    for max_cache, refused_after in ((None, 600), (60, 60), (0, 0)):
        fed = Federation()
        trust = FederationTrust(fed.anchor, fed.fetch, max_cache=max_cache)
        assert trust.judge(evidence(fed)).trusted
        del fed.served[SS_LEAF]
        if refused_after:  # the twin: still cached just before the bound
            assert trust.judge(evidence(fed, at=NOW + refused_after - 1)).trusted, max_cache
        assert trust.judge(evidence(fed, at=NOW + refused_after)).reason in (
            Reason.UNTRUSTED_ISSUER,
            Reason.FEDERATION_CHAIN_INVALID,  # at exp, the cached chain itself has expired
        ), max_cache


def test_an_unreachable_superior_fails_closed() -> None:
    fed = Federation()

    def broken(url: str) -> bytes | None:
        if url.startswith(TA):
            raise ConnectionError("down")
        return fed.fetch(url)

    assert FederationTrust(fed.anchor, broken).judge(evidence(fed)).reason is Reason.FEDERATION_CHAIN_INVALID


def unsigned(token: str) -> str:
    """The same payload under ``alg: none`` and no signature."""
    header = b64u_encode(json_dumps({"alg": "none", "typ": "entity-statement+jwt", "kid": "x"}))
    return f"{header}.{token.split('.')[1]}."


def resign(fed: Federation, url: str, signer: Entity, claims: dict[str, Any]) -> None:
    fed.served[url] = signer.sign(claims)


TAMPERINGS = {
    "leaf configuration signed by another key": lambda f: resign(
        f, LEAF + WELL_KNOWN_PATH, Entity(LEAF), f.leaf_configuration()
    ),
    "TH statement signed by an impostor": lambda f: resign(f, SS_LEAF, Entity(TH), f.th_about_leaf()),
    "anchor statement signed by an impostor": lambda f: resign(f, SS_TH, Entity(TA), f.ta_about_th()),
    "anchor configuration by an impostor": lambda f: resign(
        f, TA + WELL_KNOWN_PATH, Entity(TA), {**f.ta_about_th(), "sub": TA, "jwks": {"keys": [Entity(TA).jwk]}}
    ),
    "expired TH statement": lambda f: resign(f, SS_LEAF, f.th, f.th_about_leaf(exp=NOW - 1)),
    "TH statement from the future": lambda f: resign(f, SS_LEAF, f.th, f.th_about_leaf(iat=NOW + 60)),
    "TH statement about another entity": lambda f: resign(f, SS_LEAF, f.th, f.th_about_leaf(sub=TA)),
    "TH statement naming another issuer": lambda f: resign(f, SS_LEAF, f.th, f.th_about_leaf(iss=TA)),
    "TH statement with the attacker's leaf keys": lambda f: resign(
        f, SS_LEAF, f.th, f.th_about_leaf(jwks={"keys": [Entity(LEAF).jwk]})
    ),
    "TH statement without jwks": lambda f: resign(f, SS_LEAF, f.th, {**f.th_about_leaf(), "jwks": {"keys": []}}),
    "wrong typ": lambda f: f.served.__setitem__(
        SS_LEAF, sign_compact({"typ": "JWT", "kid": f.th.kid}, f.th_about_leaf(), f.th.signer)
    ),
    "no kid": lambda f: f.served.__setitem__(
        SS_LEAF, sign_compact({"typ": "entity-statement+jwt"}, f.th_about_leaf(), f.th.signer)
    ),
    "alg none": lambda f: f.served.__setitem__(SS_LEAF, unsigned(f.served[SS_LEAF])),
}


def test_a_statement_a_few_seconds_ahead_is_clock_skew_not_tampering() -> None:
    fed = Federation()
    resign(fed, SS_LEAF, fed.th, fed.th_about_leaf(iat=NOW + 5))  # signed per request by a clock 5 s ahead
    assert FederationTrust(fed.anchor, fed.fetch).judge(evidence(fed)).trusted
    # Twin: beyond the bounded skew (the tampering case above uses NOW + 60).
    resign(fed, SS_LEAF, fed.th, fed.th_about_leaf(iat=NOW + 31))
    assert FederationTrust(fed.anchor, fed.fetch).judge(evidence(fed)).reason is Reason.FEDERATION_CHAIN_INVALID


@pytest.mark.parametrize("tampering", sorted(TAMPERINGS))
def test_tampered_chains_are_refused(tampering: str) -> None:
    fed = Federation()
    assert FederationTrust(fed.anchor, fed.fetch).judge(evidence(fed)).trusted  # the twin
    TAMPERINGS[tampering](fed)
    judgement = FederationTrust(fed.anchor, fed.fetch).judge(evidence(fed))
    assert not judgement.trusted
    assert judgement.reason is Reason.FEDERATION_CHAIN_INVALID, judgement.why


@pytest.mark.parametrize(
    "policy",
    [
        {"openid_credential_issuer": {"lintas_country": {"value": "VN"}}},  # conflicts with the anchor's value
        {"openid_credential_issuer": {"lintas_vcts": {"one_of": [VCT]}}},  # one_of with the anchor's subset_of
        {"openid_credential_issuer": {"lintas_vcts": {"regex": ".*"}}},  # an operator nobody understands
    ],
)
def test_an_intermediate_cannot_loosen_or_contradict_the_anchor(policy: dict[str, Any]) -> None:
    fed = Federation()
    resign(fed, SS_LEAF, fed.th, fed.th_about_leaf(metadata_policy=policy))
    judgement = FederationTrust(fed.anchor, fed.fetch).judge(evidence(fed))
    assert judgement.reason is Reason.FEDERATION_POLICY_ERROR, judgement.why


def test_leaf_metadata_missing_an_essential_parameter_is_refused() -> None:
    fed = Federation()
    configuration = fed.leaf_configuration()
    del configuration["metadata"]["openid_credential_issuer"]["lintas_vcts"]
    resign(fed, LEAF + WELL_KNOWN_PATH, fed.leaf, configuration)
    assert FederationTrust(fed.anchor, fed.fetch).judge(evidence(fed)).reason is Reason.FEDERATION_POLICY_ERROR


def test_chain_shape_is_checked() -> None:
    fed = Federation()
    chain = fed.chain()
    with pytest.raises(TrustError) as short:
        validate_chain(chain[:1], fed.anchor, NOW)
    assert short.value.reason is Reason.FEDERATION_CHAIN_INVALID
    with pytest.raises(TrustError):
        validate_chain([chain[0], chain[2], chain[1], chain[3]], fed.anchor, NOW)  # out of order
    with pytest.raises(TrustError):
        validate_chain(chain, TrustAnchor("https://other-anchor.example", (fed.ta.jwk,)), NOW)
    with pytest.raises(TrustError):
        validate_chain(chain, TrustAnchor(TA, (Entity(TA).jwk,)), NOW)  # the anchor's configured key differs
