"""idcore.trust.framework + asean_list: the one trust question, answered by the signed ASEAN list.

Every accepted judgement has a refused twin that differs in one fact (issuer, chain, country,
type, time, format profile). Keys and certificates are generated here.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from idcore.errors import Reason, TrustError
from idcore.jwk import public_jwk
from idcore.mdoc.pki import create_document_signer_certificate
from idcore.trust import (
    SERVICE_PID_ISSUANCE,
    VCT_PID,
    AseanTrustList,
    ChainCache,
    IssuerEvidence,
    TrustFramework,
    TrustJudgement,
    TrustList,
    TrustSnapshot,
)
from idcore.trust.framework import FORMAT_MDOC, FORMAT_SD_JWT_VC, TrustedIssuer
from idcore.x509 import create_issuer_certificate, create_root_ca, x5c_from_certificates

NOW = 1_800_000_000
START = datetime.fromtimestamp(NOW, UTC) - timedelta(days=1)
SG_ID = "https://pid.sg.example"
MY_ID = "https://pid.my.example"
MDL = "https://lintas.asean.example/vct/mdl/v1"  # listed as a type like any other (the registry names types)

Root = tuple[ec.EllipticCurvePrivateKey, x509.Certificate]


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def make_root(country: str) -> Root:
    key = _key()
    cert = create_root_ca(
        key,
        common_name=f"{country} root",
        country=country,
        organization=f"{country} gov",
        not_before=START,
        not_after=START + timedelta(days=365),
    )
    return key, cert


def make_leaf(root: Root, san: str, country: str) -> x509.Certificate:
    key, cert = root
    return create_issuer_certificate(
        key,
        cert,
        _key().public_key(),
        common_name="issuer",
        country=country,
        organization="gov",
        not_before=START,
        not_after=START + timedelta(days=30),
        san_uris=[san],
    )


def _country(code: str, root: x509.Certificate, issuer_id: str, history: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "code": code,
        "names": {"en": code, "ms": code},
        "anchors": [base64.b64encode(root.public_bytes(Encoding.DER)).decode()],
        "issuers": [
            {
                "id": issuer_id,
                "names": {"en": f"{code} PID office", "ms": f"pejabat PID {code}"},
                "service_types": [SERVICE_PID_ISSUANCE],
                "vcts": [VCT_PID, MDL],
                "assurance_level": "high",
                "status_history": history,
            }
        ],
    }


@pytest.fixture(scope="module")
def pki() -> dict[str, Any]:
    sg_root, my_root = make_root("SG"), make_root("MY")
    granted = [{"status": "granted", "since": NOW - 100}]
    my_history = [*granted, {"status": "suspended", "since": NOW - 50}]
    doc = {
        "format": "lintas-trust-list/1",
        "iss": "https://registry.example",
        "iat": NOW,
        "sequence_number": 1,
        "next_update": NOW + 100,
        "scheme_operator": {"names": {"en": "op", "ms": "op"}, "uri": "https://registry.example"},
        "countries": [_country("SG", sg_root[1], SG_ID, granted), _country("MY", my_root[1], MY_ID, my_history)],
    }
    return {"sg": sg_root, "my": my_root, "snapshot": TrustSnapshot(TrustList.from_json(doc))}


def evidence(leaf: x509.Certificate | None, issuer_id: str | None = SG_ID, **changes: Any) -> IssuerEvidence:
    x5c = tuple(x5c_from_certificates([leaf])) if leaf is not None else None
    fields: dict[str, Any] = {
        "format": FORMAT_SD_JWT_VC,
        "issuer_id": issuer_id,
        "credential_type": VCT_PID,
        "issued_at": NOW - 10,
        "at": NOW,
        "x5c": x5c,
    }
    return IssuerEvidence(**(fields | changes))


def test_the_asean_list_is_a_trust_framework(pki: dict[str, Any]) -> None:
    assert isinstance(AseanTrustList(pki["snapshot"]), TrustFramework)


def test_issuer_chain_to_its_own_country_is_trusted(pki: dict[str, Any]) -> None:
    leaf = make_leaf(pki["sg"], SG_ID, "SG")
    judgement = AseanTrustList(pki["snapshot"]).judge(evidence(leaf))
    assert judgement.trusted
    assert judgement.reason is None
    assert judgement.issuer == TrustedIssuer(SG_ID, "SG", "high", {"en": "SG PID office", "ms": "pejabat PID SG"})
    assert judgement.key is not None
    assert public_jwk(judgement.key) == public_jwk(leaf.public_key())
    assert judgement.issuer.name("ms") == "pejabat PID SG"
    assert "authorised" in judgement.why
    assert judgement.framework == "asean-trust-list"


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("another_countrys_root", Reason.UNTRUSTED_ISSUER),
        ("leaf_names_someone_else", Reason.ISSUER_MISMATCH),
        ("unlisted_issuer", Reason.UNTRUSTED_ISSUER),
        ("no_issuer_named", Reason.UNTRUSTED_ISSUER),
        ("expired_leaf", Reason.CERT_EXPIRED),
        ("no_chain_no_metadata", Reason.UNTRUSTED_ISSUER),
        ("unknown_format", Reason.UNTRUSTED_ISSUER),
        ("ds_profile_for_an_sd_jwt_certificate", Reason.CERT_USAGE),
        ("garbage_x5c", Reason.MALFORMED),
    ],
)
def test_refusals_before_a_key_is_established(pki: dict[str, Any], case: str, reason: Reason) -> None:
    sg_leaf = make_leaf(pki["sg"], SG_ID, "SG")
    cases = {
        # A certificate for the SG issuer id, but issued by the MY root: never vouched for by MY.
        "another_countrys_root": evidence(make_leaf(pki["my"], SG_ID, "MY")),
        "leaf_names_someone_else": evidence(make_leaf(pki["sg"], "https://someone-else.sg.example", "SG")),
        "unlisted_issuer": evidence(make_leaf(pki["sg"], "https://unlisted.example", "SG"), "https://unlisted.example"),
        "no_issuer_named": evidence(sg_leaf, None),
        "expired_leaf": evidence(sg_leaf, at=NOW + 40 * 86400),
        "no_chain_no_metadata": evidence(None),
        "unknown_format": evidence(sg_leaf, format="jwt_vc_json"),
        # The same listed issuer's JOSE certificate lacks the mdoc Document Signer EKU.
        "ds_profile_for_an_sd_jwt_certificate": evidence(sg_leaf, format=FORMAT_MDOC, credential_type=MDL),
        "garbage_x5c": IssuerEvidence(FORMAT_SD_JWT_VC, SG_ID, VCT_PID, NOW - 10, NOW, x5c=("not base64!",)),
    }
    judgement = AseanTrustList(pki["snapshot"]).judge(cases[case])
    assert (judgement.trusted, judgement.reason, judgement.key) == (False, reason, None)
    assert judgement.error().reason is reason


def test_empty_snapshot_trusts_nobody(pki: dict[str, Any]) -> None:
    leaf = make_leaf(pki["sg"], SG_ID, "SG")
    assert AseanTrustList(pki["snapshot"]).judge(evidence(leaf)).trusted
    judgement = AseanTrustList(TrustSnapshot.empty()).judge(evidence(leaf))
    assert (judgement.trusted, judgement.reason) == (False, Reason.UNTRUSTED_ISSUER)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"credential_type": "https://lintas.asean.example/vct/other/v1"}, Reason.NOT_AUTHORISED),
        ({"country": "MY"}, Reason.ISSUER_MISMATCH),
        ({"issued_at": NOW - 1000}, Reason.NOT_AUTHORISED),  # before the grant
    ],
)
def test_authorisation_refusals_keep_the_key(pki: dict[str, Any], changes: dict[str, Any], reason: Reason) -> None:
    """The key is the listed issuer's, so the caller can still check the signature before refusing."""
    leaf = make_leaf(pki["sg"], SG_ID, "SG")
    trusted = AseanTrustList(pki["snapshot"]).judge(evidence(leaf, country="SG"))
    assert trusted.trusted
    judgement = AseanTrustList(pki["snapshot"]).judge(evidence(leaf, **changes))
    assert (judgement.trusted, judgement.reason) == (False, reason)
    assert judgement.key_established
    assert judgement.issuer is not None
    assert judgement.issuer.country == "SG"


def test_issued_while_suspended_is_refused_with_its_reason(pki: dict[str, Any]) -> None:
    leaf = make_leaf(pki["my"], MY_ID, "MY")
    before = AseanTrustList(pki["snapshot"]).judge(evidence(leaf, MY_ID, issued_at=NOW - 80))
    assert before.trusted
    during = AseanTrustList(pki["snapshot"]).judge(evidence(leaf, MY_ID, issued_at=NOW - 20))
    assert (during.trusted, during.reason) == (False, Reason.ISSUER_SUSPENDED)
    assert "suspended" in during.why


def test_mdoc_document_signer_profile(pki: dict[str, Any]) -> None:
    root_key, root = pki["sg"]
    ds = create_document_signer_certificate(
        root_key,
        root,
        _key().public_key(),
        common_name="SG DS",
        country="SG",
        not_before=START,
        not_after=START + timedelta(days=30),
        san_uris=[SG_ID],
    )
    mdoc = evidence(ds, format=FORMAT_MDOC, credential_type=MDL)
    assert AseanTrustList(pki["snapshot"]).judge(mdoc).trusted
    # The same Document Signer certificate is not a JOSE issuer certificate (critical mdlDS EKU).
    jose = AseanTrustList(pki["snapshot"]).judge(evidence(ds, credential_type=MDL))
    assert (jose.trusted, jose.key) == (False, None)


def test_metadata_keys_only_for_listed_issuers(pki: dict[str, Any]) -> None:
    """Without x5c the key comes from JWT VC Issuer Metadata, fetched for a listed issuer only."""
    key = _key().public_key()
    fetched: list[str] = []

    def fetch(url: str) -> dict[str, Any]:
        fetched.append(url)
        issuer = SG_ID if "pid.sg.example" in url else "https://unlisted.example"
        return {"issuer": issuer, "jwks": {"keys": [{**public_jwk(key), "kid": "k1"}]}}

    framework = AseanTrustList(pki["snapshot"], metadata_fetch=fetch)
    judgement = framework.judge(evidence(None, key_id="k1"))
    assert judgement.trusted
    assert judgement.key is not None
    assert public_jwk(judgement.key) == public_jwk(key)
    assert fetched == ["https://pid.sg.example/.well-known/jwt-vc-issuer"]
    refused = framework.judge(evidence(None, "https://unlisted.example", key_id="k1"))
    assert (refused.trusted, refused.reason) == (False, Reason.UNTRUSTED_ISSUER)
    assert len(fetched) == 1  # the unlisted issuer made the verifier fetch nothing
    wrong_kid = framework.judge(evidence(None, key_id="k2"))
    assert (wrong_kid.trusted, wrong_kid.reason) == (False, Reason.UNTRUSTED_ISSUER)


def test_chain_cache_answers_like_validation_and_is_keyed_by_list_and_issuer(pki: dict[str, Any]) -> None:
    cache = ChainCache()
    leaf = make_leaf(pki["sg"], SG_ID, "SG")
    first = AseanTrustList(pki["snapshot"], chains=cache).judge(evidence(leaf))
    again = AseanTrustList(pki["snapshot"], chains=cache).judge(evidence(leaf))
    assert first.trusted
    assert again.trusted
    assert first.key is again.key
    # A cached chain is not reused for another issuer naming it, nor after its validity window.
    other = AseanTrustList(pki["snapshot"], chains=cache).judge(evidence(leaf, MY_ID))
    assert (other.trusted, other.key) == (False, None)
    late = AseanTrustList(pki["snapshot"], chains=cache).judge(evidence(leaf, at=NOW + 40 * 86400))
    assert (late.trusted, late.reason) == (False, Reason.CERT_EXPIRED)


def test_a_judgement_cannot_be_trusted_without_its_facts() -> None:
    with pytest.raises(ValueError, match="needs a key"):
        TrustJudgement(True, None, "says so")
    with pytest.raises(ValueError, match="needs a reason"):
        TrustJudgement(False, None, "no reason")
    with pytest.raises(ValueError, match="only a refusal"):
        TrustJudgement(True, None, "ok", _key().public_key(), TrustedIssuer(SG_ID, "SG", "high")).error()


@pytest.mark.parametrize(
    ("credential_type", "accepted"),
    [
        ("org.iso.18013.5.1.mDL", True),
        ("eu.europa.ec.eudi.pid.1", True),
        ("https://lintas.asean.example/vct/pid/v1", True),
        ("org..mDL", False),
        ("mDL", False),
        ("http://lintas.asean.example/vct/pid/v1", False),
        ("org.iso.18013.5.1.mDL\n", False),
    ],
)
def test_the_list_names_vct_urls_and_iso_doctypes(credential_type: str, accepted: bool) -> None:
    root = make_root("SG")[1]
    doc = {
        "format": "lintas-trust-list/1",
        "iss": "https://registry.example",
        "iat": NOW,
        "sequence_number": 1,
        "next_update": NOW + 100,
        "scheme_operator": {"names": {"en": "op", "ms": "op"}, "uri": "https://registry.example"},
        "countries": [_country("SG", root, SG_ID, [{"status": "granted", "since": NOW - 100}])],
    }
    doc["countries"][0]["issuers"][0]["vcts"] = [credential_type]
    if accepted:
        assert TrustList.from_json(doc).countries[0].issuers[0].vcts == (credential_type,)
    else:
        with pytest.raises(TrustError) as info:
            TrustList.from_json(doc)
        assert info.value.reason is Reason.TRUST_LIST_INVALID
