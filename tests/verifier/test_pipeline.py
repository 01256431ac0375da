"""Each pipeline check has a presentation that fails exactly there, and a valid twin that passes.

The pipeline runs in-process against the real status list server of the test world; ``session``
and ``decryption`` (the transaction's checks) are covered over HTTP in ``test_wallet_endpoint.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from idcore.dcql import parse_query
from idcore.jose import KeySigner
from idcore.ports import FixedClock
from idcore.sdjwt import HolderCredential
from idcore.trust.vct import VCT_BUSINESS_REGISTRATION
from tests.verifier.world import PID_CLAIMS, T0, World, new_key
from verifier.pipeline import Check, Expectation, Pipeline, Rejection
from verifier.policy import Policy, load_config
from verifier.settings import DEFAULT_CONFIG
from verifier.status import HttpStatusFetcher, StatusChecker

AUD = "x509_hash:abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
NONCE = "n-0S6_WzA2Mj"
HOLDER = KeySigner(new_key())
POLICIES = load_config(DEFAULT_CONFIG).policies


@pytest.fixture(scope="module")
def pipeline(world: World, clock: FixedClock) -> Iterator[Pipeline]:
    with httpx.Client(timeout=2.0) as client:
        fetch = HttpStatusFetcher(timeout=2.0, max_bytes=100_000, client=client)
        cache = world.trust_cache(clock)
        yield Pipeline(
            trust=cache.snapshot,
            status=StatusChecker(fetch, clock, max_cache=0),
            clock=clock,
            allow_insecure_loopback=True,
        )


def present(credential: str, *, aud: str = AUD, nonce: str = NONCE, iat: int = T0, signer: KeySigner = HOLDER) -> str:
    holder = HolderCredential.parse(credential)
    paths = [[name] for name in PID_CLAIMS if name != "document_number"]
    return holder.present(holder.select(paths), signer=signer, aud=aud, nonce=nonce, iat=iat)


def pid(world: World, slug: str = "sg-pid", **kwargs: Any) -> str:
    return world.issue(slug, dict(PID_CLAIMS), dict(HOLDER.public_jwk), **kwargs)


def run(pipeline: Pipeline, presentation: str, policy: Policy | None = None) -> list[Any]:
    policy = policy or POLICIES["pid-onboarding"]
    return pipeline.verify({"pid": [presentation]}, Expectation(policy.query, policy, NONCE, AUD))


def with_policy(**changes: Any) -> Policy:
    base = POLICIES["pid-onboarding"]
    fields = {name: getattr(base, name) for name in base.__slots__} | changes  # type: ignore[attr-defined]
    return Policy(**fields)


def test_valid_presentation_passes_every_check(pipeline: Pipeline, world: World) -> None:
    (cred,) = run(pipeline, present(pid(world)))
    assert (cred.country, cred.vct, cred.holder_bound) == ("SG", "https://lintas.asean.example/vct/pid/v1", True)
    assert cred.claims["family_name"] == "Tan"


def _expired(world: World) -> str:
    return present(pid(world, iat=T0 - 5 * 86400, exp=T0 - 86400))


def _revoked(world: World) -> str:
    return present(pid(world, "my-pid", idx=World.REVOKED_IDX))


def _suspended(world: World) -> str:
    return present(pid(world, "my-pid", idx=World.SUSPENDED_IDX))


def _tamper_signature(world: World) -> str:
    jwt, rest = present(pid(world)).split("~", 1)
    header, payload, signature = jwt.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    return f"{header}.{payload}.{flipped}~{rest}"


def _without_kb(world: World) -> str:
    holder = HolderCredential.parse(pid(world))
    return holder.present(holder.disclosures)


CASES: dict[str, tuple[Callable[[World], str], Check, str]] = {
    "garbage": (lambda w: "not-an-sd-jwt", Check.PARSING, "malformed"),
    "tampered_issuer_signature": (_tamper_signature, Check.ISSUER_SIGNATURE, "bad_signature"),
    "forged_signature": (lambda w: _forge(w), Check.ISSUER_SIGNATURE, "bad_signature"),
    "unlisted_issuer": (
        lambda w: present(w.issue("sg-pid", dict(PID_CLAIMS), dict(HOLDER.public_jwk), issuer=w.rogue)),
        Check.ISSUER_SIGNATURE,
        "untrusted_issuer",
    ),
    "wrong_vct_for_issuer": (
        lambda w: present(pid(w, vct=VCT_BUSINESS_REGISTRATION)),
        Check.REGISTRY,
        "not_authorised",
    ),
    "issued_while_suspended": (
        lambda w: present(pid(w, "th-pid-suspended", iat=T0 - 3 * 86400)),
        Check.REGISTRY,
        "issuer_suspended",
    ),
    "revoked": (_revoked, Check.STATUS, "revoked"),
    "suspended_credential": (_suspended, Check.STATUS, "suspended"),
    "expired": (_expired, Check.VALIDITY, "expired"),
    "nonce_mismatch": (lambda w: present(pid(w), nonce="other"), Check.HOLDER_BINDING, "nonce_mismatch"),
    "aud_not_full_client_id": (
        lambda w: present(pid(w), aud=AUD.split(":", 1)[1]),
        Check.HOLDER_BINDING,
        "aud_mismatch",
    ),
    "stale_kb_jwt": (lambda w: present(pid(w), iat=T0 - 3600), Check.HOLDER_BINDING, "iat_out_of_window"),
    "kb_by_another_key": (
        lambda w: present(pid(w), signer=KeySigner(new_key())),
        Check.HOLDER_BINDING,
        "bad_signature",
    ),
    "kb_missing": (_without_kb, Check.HOLDER_BINDING, "kb_missing"),
}


def _forge(world: World) -> str:
    # Signed by a fresh key while naming the listed issuer's certificate chain.
    original = world.issuers["sg-pid"]
    imposter = type(original)(**{**original.__dict__, "signer": KeySigner(new_key())})
    return present(world.issue("sg-pid", dict(PID_CLAIMS), dict(HOLDER.public_jwk), issuer=imposter))


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_check_rejects_exactly_there(pipeline: Pipeline, world: World, case: str) -> None:
    build, check, reason = CASES[case]
    with pytest.raises(Rejection) as info:
        run(pipeline, build(world))
    assert (info.value.check, info.value.reason.value) == (check, reason)


def test_dcql_unsatisfied_when_a_requested_claim_is_withheld(pipeline: Pipeline, world: World) -> None:
    holder = HolderCredential.parse(pid(world))
    chosen = holder.select([["given_name"], ["family_name"], ["age_over_18"], ["nationality"]])  # no birthdate
    with pytest.raises(Rejection) as info:
        run(pipeline, holder.present(chosen, signer=HOLDER, aud=AUD, nonce=NONCE, iat=T0))
    assert (info.value.check, info.value.reason.value) == (Check.DCQL, "dcql_unsatisfied")


def test_dcql_unsatisfied_for_an_unrequested_query_id(pipeline: Pipeline, world: World) -> None:
    policy = POLICIES["pid-onboarding"]
    with pytest.raises(Rejection) as info:
        pipeline.verify({"other": [present(pid(world))]}, Expectation(policy.query, policy, NONCE, AUD))
    assert info.value.check is Check.DCQL


@pytest.mark.parametrize(
    ("changes", "slug", "reason"),
    [
        ({"accepted_countries": frozenset({"MY", "TH"})}, "sg-pid", "country_not_accepted"),
        ({"max_credential_age": 3600}, "sg-pid", "credential_too_old"),
        ({}, "ph-low", "assurance_too_low"),
    ],
)
def test_rp_policy_rejections(
    pipeline: Pipeline, world: World, changes: dict[str, Any], slug: str, reason: str
) -> None:
    policy = with_policy(**changes)
    with pytest.raises(Rejection) as info:
        run(pipeline, present(pid(world, slug)), policy)
    assert (info.value.check, info.value.reason.value) == (Check.POLICY, reason)
    # The twin: the same kind of presentation under the unmodified policy from an accepted issuer passes.
    assert run(pipeline, present(pid(world, "my-pid")))


def test_age_policy_requires_true_claim(pipeline: Pipeline, world: World) -> None:
    minor = world.issue("sg-pid", {**PID_CLAIMS, "age_over_18": False}, dict(HOLDER.public_jwk))
    with pytest.raises(Rejection) as info:
        run(pipeline, present(minor))
    assert (info.value.check, info.value.reason.value) == (Check.POLICY, "policy_not_met")


def test_dcql_value_constraint_is_enforced_by_the_verifier(pipeline: Pipeline, world: World) -> None:
    raw = {
        "credentials": [
            {
                "id": "pid",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": ["https://lintas.asean.example/vct/pid/v1"]},
                "claims": [{"path": ["nationality"], "values": ["TH"]}],
            }
        ]
    }
    policy = with_policy(dcql=raw, query=parse_query(raw), require_true=())
    with pytest.raises(Rejection) as info:
        run(pipeline, present(pid(world)), policy)
    assert info.value.check is Check.DCQL


def test_stale_trust_list_fails_closed(world: World, clock: FixedClock) -> None:
    cache = world.trust_cache(clock)
    cache.snapshot()
    fetch = HttpStatusFetcher(timeout=1.0, max_bytes=10_000)
    stale = Pipeline(trust=cache.snapshot, status=StatusChecker(fetch, clock), clock=clock)
    clock.advance(60 * 86400)
    try:
        with pytest.raises(Rejection) as info:
            run(stale, present(pid(world)))
    finally:
        clock.advance(-60 * 86400)
        fetch.close()
    assert (info.value.check, info.value.reason.value) == (Check.REGISTRY, "trust_list_stale")


def _metadata_pipeline(world: World, clock: FixedClock, documents: dict[str, Any]) -> Pipeline:
    status = StatusChecker(lambda url, _timeout: world.status_token(url.rsplit("/", 1)[1]).encode(), clock)
    return Pipeline(
        trust=world.trust_cache(clock).snapshot,
        status=status,
        clock=clock,
        allow_insecure_loopback=True,
        metadata_fetch=documents.__getitem__,
    )


def test_issuer_key_from_jwt_vc_issuer_metadata(world: World, clock: FixedClock, pipeline: Pipeline) -> None:
    issuer = world.issuers["my-pid"]
    url = "https://my-pid.issuers.lintas.test/.well-known/jwt-vc-issuer"
    credential = pid(world, "my-pid", header={"kid": "k1"})
    right = {url: {"issuer": issuer.issuer_id, "jwks": {"keys": [dict(issuer.signer.public_jwk, kid="k1")]}}}
    (cred,) = run(_metadata_pipeline(world, clock, right), present(credential))
    assert cred.country == "MY"
    # Twins: metadata naming another key; and a verifier without metadata resolution (x5c only).
    other = KeySigner(new_key())
    wrong = {url: {"issuer": issuer.issuer_id, "jwks": {"keys": [dict(other.public_jwk, kid="k1")]}}}
    with pytest.raises(Rejection) as info:
        run(_metadata_pipeline(world, clock, wrong), present(credential))
    assert (info.value.check, info.value.reason.value) == (Check.ISSUER_SIGNATURE, "bad_signature")
    with pytest.raises(Rejection) as info:
        run(pipeline, present(credential))
    assert (info.value.check, info.value.reason.value) == (Check.ISSUER_SIGNATURE, "untrusted_issuer")


def _query_policy(raw: dict[str, Any]) -> Policy:
    return with_policy(dcql=raw, query=parse_query(raw), require_true=(), min_assurance=None)


def test_credential_sets_and_claim_sets(pipeline: Pipeline, world: World) -> None:
    raw = {
        "credentials": [
            {
                "id": "pid",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": ["https://lintas.asean.example/vct/pid/v1"]},
                "claims": [
                    {"id": "a", "path": ["given_name"]},
                    {"id": "b", "path": ["family_name"]},
                    {"id": "c", "path": ["document_number"]},
                ],
                "claim_sets": [["a", "b"], ["c"]],
            },
            {
                "id": "business",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": [VCT_BUSINESS_REGISTRATION]},
                "claims": [{"path": ["legal_name"]}],
            },
        ],
        "credential_sets": [{"options": [["pid"], ["business"]]}],
    }
    policy = _query_policy(raw)
    expect = Expectation(policy.query, policy, NONCE, AUD)
    holder = HolderCredential.parse(pid(world))

    def only(paths: list[list[str]]) -> str:
        return holder.present(holder.select(paths), signer=HOLDER, aud=AUD, nonce=NONCE, iat=T0)

    # The second claim set alone satisfies the pid query, which alone satisfies the credential set.
    (cred,) = pipeline.verify({"pid": [only([["document_number"]])]}, expect)
    assert cred.claims["document_number"] == PID_CLAIMS["document_number"]
    assert pipeline.verify({"pid": [only([["given_name"], ["family_name"]])]}, expect)
    # Twins: half of a claim set, and a credential for a query outside any option, are refused.
    for vp_token in (
        {"pid": [only([["given_name"]])]},
        {"pid": [only([["given_name"], ["family_name"]])], "other": [only([["given_name"]])]},
    ):
        with pytest.raises(Rejection) as info:
            pipeline.verify(vp_token, expect)
        assert info.value.check is Check.DCQL
