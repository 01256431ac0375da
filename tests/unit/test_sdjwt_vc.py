"""SD-JWT VC profile: typ, never-disclosable claims, vct, and JWT VC Issuer Metadata key resolution."""

from __future__ import annotations

from typing import Any

import pytest

from idcore.errors import IdcoreError
from idcore.jose import sign_compact
from idcore.sdjwt import SD, HolderCredential, issue_sd_jwt
from idcore.sdjwt_vc import MetadataKeyResolver, issue_sd_jwt_vc, jwt_vc_issuer_metadata_url, verify_sd_jwt_vc
from tests.unit.sdjwt_helpers import AUD, NONCE, NOW, Keys, options, random

KEYS = Keys.generate()
ISS = "https://id.gov.sg/issuer"
PID = "https://lintas.asean.example/vct/pid/v1"


def issue(**kw: Any) -> str:
    args: dict[str, Any] = {
        "vct": PID,
        "random": random(),
        "iss": ISS,
        "iat": NOW - 10,
        "exp": NOW + 1000,
        "holder_jwk": KEYS.holder.public_jwk,
        "sd_paths": [["given_name"], ["age_over_18"]],
    }
    args.update(kw)
    claims = args.pop("claims", {"given_name": "Wei Ling", "age_over_18": True, "issuing_country": "SG"})
    return issue_sd_jwt_vc(claims, KEYS.issuer, **args).serialize()


def present(sd_jwt: str) -> str:
    holder = HolderCredential.parse(sd_jwt)
    return holder.present(holder.disclosures, signer=KEYS.holder, aud=AUD, nonce=NONCE, iat=NOW)


def verify(presentation: str, **kw: Any) -> Any:
    return verify_sd_jwt_vc(presentation, KEYS.issuer.private_key.public_key(), options(typ=None), **kw)


def reason(presentation: str, **kw: Any) -> str:
    with pytest.raises(IdcoreError) as info:
        verify(presentation, **kw)
    return info.value.reason.value


def test_issued_credential_verifies() -> None:
    credential = verify(present(issue()), accepted_vcts={PID})
    assert credential.vct == PID
    assert credential.iss == ISS
    assert credential.claims["given_name"] == "Wei Ling"
    assert credential.holder_bound
    header = HolderCredential.parse(issue()).issuer_jwt.split(".")[0]
    assert "dc+sd-jwt" in __import__("base64").urlsafe_b64decode(header + "==").decode()


def test_vct_not_accepted() -> None:
    assert reason(present(issue()), accepted_vcts={"https://other.example/vct"}) == "vct_mismatch"


def test_legacy_typ_only_behind_the_flag() -> None:
    legacy = issue(header={"typ": "vc+sd-jwt"})  # issue_sd_jwt_vc overrides typ: forge one instead
    assert "vc+sd-jwt" not in legacy
    body = {"vct": PID, "iss": ISS, "cnf": {"jwk": dict(KEYS.holder.public_jwk)}}
    old = issue_sd_jwt(body, KEYS.issuer, random=random(), header={"typ": "vc+sd-jwt"}).serialize()
    assert reason(present(old)) == "typ_mismatch"
    assert verify(present(old), accept_legacy_typ=True).vct == PID


@pytest.mark.parametrize("name", ["iss", "exp", "nbf", "cnf", "vct", "status", "vct#integrity", "aka_vcts"])
def test_never_disclosable_claims_refused_at_verification(name: str) -> None:
    values = {
        "iss": ISS,
        "exp": NOW + 100,
        "nbf": NOW - 100,
        "cnf": {"jwk": dict(KEYS.holder.public_jwk)},
        "vct": PID,
        "status": {"status_list": {"idx": 1, "uri": "https://s.example/1"}},
        "vct#integrity": "sha256-x",
        "aka_vcts": ["https://a.example"],
    }
    body = {k: v for k, v in values.items() if k != name} | {name: SD(values[name])}
    if name != "cnf":
        body["cnf"] = {"jwk": dict(KEYS.holder.public_jwk)}
    forged = issue_sd_jwt(body, KEYS.issuer, random=random(), header={"typ": "dc+sd-jwt"}).serialize()
    assert reason(present(forged)) == "never_disclosable"


def test_never_disclosable_sub_claim_refused_at_verification() -> None:
    body = {
        "vct": PID,
        "cnf": {"jwk": dict(KEYS.holder.public_jwk)},
        "status": {"status_list": {"idx": SD(3), "uri": "https://s.example/1"}},
    }
    forged = issue_sd_jwt(body, KEYS.issuer, random=random(), header={"typ": "dc+sd-jwt"}).serialize()
    holder = HolderCredential.parse(forged)
    assert holder.paths == (("status", "status_list", "idx"),)
    assert reason(present(forged)) == "never_disclosable"


def test_never_disclosable_claims_refused_at_issuance() -> None:
    for claims, paths in (
        ({"aka_vcts": SD(["x"])}, []),
        ({"given_name": "A"}, [["iss"]]),
        ({"given_name": "A"}, [["cnf", "jwk"]]),
        ({"given_name": "A"}, [["exp"]]),
    ):
        with pytest.raises(IdcoreError) as info:
            issue_sd_jwt_vc(
                claims,
                KEYS.issuer,
                vct=PID,
                random=random(),
                iss=ISS,
                exp=NOW,
                holder_jwk=KEYS.holder.public_jwk,
                sd_paths=paths,
            )
        assert info.value.reason.value == "never_disclosable"
    with pytest.raises(IdcoreError) as info:
        issue_sd_jwt_vc({"iss": "https://other.example"}, KEYS.issuer, vct=PID, random=random(), iss=ISS)
    assert info.value.reason.value == "claim_name_collision"


def test_vct_is_required() -> None:
    body = {"iss": ISS, "cnf": {"jwk": dict(KEYS.holder.public_jwk)}}
    no_vct = issue_sd_jwt(body, KEYS.issuer, random=random(), header={"typ": "dc+sd-jwt"}).serialize()
    assert reason(present(no_vct)) == "missing_claim"


@pytest.mark.parametrize(
    ("iss", "url"),
    [
        ("https://example.com", "https://example.com/.well-known/jwt-vc-issuer"),
        ("https://example.com/tenant/1234", "https://example.com/.well-known/jwt-vc-issuer/tenant/1234"),
        ("https://example.com/tenant/", "https://example.com/.well-known/jwt-vc-issuer/tenant"),
    ],
)
def test_metadata_url_per_section_5(iss: str, url: str) -> None:
    assert jwt_vc_issuer_metadata_url(iss) == url


@pytest.mark.parametrize("iss", ["http://example.com", "https://example.com?x=1", "https://e.com#f", "example.com"])
def test_metadata_url_refuses_non_https(iss: str) -> None:
    with pytest.raises(IdcoreError):
        jwt_vc_issuer_metadata_url(iss)


def test_metadata_resolver_finds_the_key_by_kid() -> None:
    documents = {
        "https://id.gov.sg/.well-known/jwt-vc-issuer/issuer": {
            "issuer": ISS,
            "jwks": {"keys": [dict(KEYS.issuer.public_jwk, kid="k1"), dict(KEYS.holder.public_jwk, kid="k2")]},
        }
    }
    resolver = MetadataKeyResolver(lambda url: documents[url])
    sd_jwt = issue(header={"kid": "k1"})
    assert verify_sd_jwt_vc(present(sd_jwt), resolver, options(typ=None)).iss == ISS
    # tampered twins: wrong kid, issuer mismatch, unreachable metadata
    with pytest.raises(IdcoreError) as info:
        verify_sd_jwt_vc(present(issue(header={"kid": "k2"})), resolver, options(typ=None))
    assert info.value.reason.value == "bad_signature"
    documents["https://id.gov.sg/.well-known/jwt-vc-issuer/issuer"]["issuer"] = "https://evil.example"
    with pytest.raises(IdcoreError) as info:
        verify_sd_jwt_vc(present(sd_jwt), resolver, options(typ=None))
    assert info.value.reason.value == "issuer_mismatch"

    def down(url: str) -> Any:
        raise OSError("unreachable")

    with pytest.raises(IdcoreError) as info:
        verify_sd_jwt_vc(present(sd_jwt), MetadataKeyResolver(down), options(typ=None))
    assert info.value.reason.value == "untrusted_issuer"


def test_kb_aud_is_the_full_client_id() -> None:
    credential = present(issue())
    assert verify(credential).sd_jwt.kb_payload["aud"] == AUD
    _ = sign_compact  # imported for symmetry with other suites
