"""mso_mdoc in the verifier (issue #15 item 4): the same checks and reason codes as SD-JWT VC.

A Thai mDL (ISO/IEC 18013-5) is issued by the test world's mdoc issuer (its Document Signer
certificate under the TH root names the listed issuer), presented with a deviceSignature over
this transaction's OpenID4VP SessionTranscript (Appendix B.2.6.1) and verified by the real
pipeline against the real status list server. Each pipeline check has a presentation that fails
exactly there; the valid presentation is every case's twin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import cbor2
import httpx
import pytest

from idcore.b64 import b64u_encode
from idcore.jose import KeySigner
from idcore.mdoc import device_response, openid4vp_session_transcript, present_mdoc
from idcore.mdoc.cbor import decode, encode
from idcore.ports import FixedClock
from idcore.sdjwt import HolderCredential
from tests.unit.mdoc_helpers import MDL_NS, mdl_claims
from tests.verifier.test_pipeline import HOLDER, pid
from tests.verifier.world import (
    MDL_DOCTYPE,
    PID_CLAIMS,
    T0,
    DocumentSigner,
    World,
    document_signer,
    issue_mdl,
    new_key,
)
from verifier.pipeline import Check, Expectation, Pipeline, Rejection
from verifier.policy import Policy, policy_from_json
from verifier.status import HttpStatusFetcher, StatusChecker

AUD = "x509_san_dns:rent.example.my"
NONCE = "n-mDL-0S6_WzA2"
RESPONSE_URI = "https://rent.example.my/wallet/response"
DEVICE_KEY = new_key()
DEVICE = KeySigner(DEVICE_KEY)
DISCLOSED = {MDL_NS: ["age_over_18", "driving_privileges", "issuing_country"]}
DCQL = {
    "credentials": [
        {
            "id": "mdl",
            "format": "mso_mdoc",
            "meta": {"doctype_value": MDL_DOCTYPE},
            "claims": [
                {"path": [MDL_NS, "age_over_18"], "intent_to_retain": False},
                {"path": [MDL_NS, "driving_privileges"], "intent_to_retain": False},
                {"path": [MDL_NS, "issuing_country"]},
            ],
        }
    ]
}


def transcript(nonce: str = NONCE) -> bytes:
    return openid4vp_session_transcript(client_id=AUD, nonce=nonce, response_uri=RESPONSE_URI, jwk_thumbprint=None)


def car_rental(**changes: Any) -> Policy:
    raw = {"name": "car-rental", "dcql_query": DCQL, "require_true": ["age_over_18"]} | changes
    return policy_from_json(raw)


@pytest.fixture(scope="module")
def pipeline(world: World, clock: FixedClock) -> Iterator[Pipeline]:
    with httpx.Client(timeout=2.0) as client:
        fetch = HttpStatusFetcher(timeout=2.0, max_bytes=100_000, client=client)
        yield Pipeline(
            trust=world.trust_cache(clock).snapshot,
            status=StatusChecker(fetch, clock, max_cache=0),
            clock=clock,
            allow_insecure_loopback=True,
        )


@pytest.fixture(scope="module")
def ds(world: World) -> DocumentSigner:
    return document_signer(world, "TH", world.issuers["th-mdl"].issuer_id)


def presentation(
    issuer_signed: Mapping[str, Any],
    *,
    nonce: str = NONCE,
    device: KeySigner = DEVICE,
    disclose: Mapping[str, list[str]] = DISCLOSED,
    doctype: str = MDL_DOCTYPE,
) -> str:
    document = present_mdoc(
        issuer_signed, doctype=doctype, device_signer=device, session_transcript=transcript(nonce), disclose=disclose
    )
    return b64u_encode(device_response([document]))


def mdl(world: World, ds: DocumentSigner, **kwargs: Any) -> dict[str, Any]:
    return issue_mdl(world, ds, mdl_claims(), DEVICE_KEY.public_key(), **kwargs)


def run(pipeline: Pipeline, vp: str, policy: Policy | None = None, *, session: bytes | None = None) -> list[Any]:
    policy = policy or car_rental()
    expect = Expectation(policy.query, policy, NONCE, AUD, session if session is not None else transcript())
    return pipeline.verify({"mdl": [vp]}, expect)


def test_a_thai_mdl_passes_every_check(pipeline: Pipeline, world: World, ds: DocumentSigner) -> None:
    (cred,) = run(pipeline, presentation(mdl(world, ds)))
    assert (cred.format, cred.vct, cred.country, cred.holder_bound) == ("mso_mdoc", MDL_DOCTYPE, "TH", True)
    assert cred.claims == {
        MDL_NS: {
            "age_over_18": True,
            "driving_privileges": [{"vehicle_category_code": "B", "issue_date": "2015-01-05"}],
            "issuing_country": "TH",
        }
    }
    result = cred.to_json()
    assert result["doctype"] == MDL_DOCTYPE
    assert result["issuer"] == world.issuers["th-mdl"].issuer_id
    assert "vct" not in result


def _tamper_element(world: World, ds: DocumentSigner) -> str:
    """An issuer-signed element changed after signing (age_over_18 false -> true)."""
    issued = issue_mdl(world, ds, _minor(), DEVICE_KEY.public_key())
    items = []
    for tagged in issued["nameSpaces"][MDL_NS]:
        item = decode(tagged.value, "item", max_bytes=1 << 20)
        if item["elementIdentifier"] == "age_over_18":
            item["elementValue"] = True
        items.append(cbor2.CBORTag(24, encode(item)))
    return presentation({**issued, "nameSpaces": {MDL_NS: items}})


def _minor() -> dict[str, dict[str, Any]]:
    claims = mdl_claims()
    claims[MDL_NS]["age_over_18"] = False
    return claims


def _forged(world: World, ds: DocumentSigner) -> str:
    """Signed by another key while naming the listed Document Signer's certificate."""
    return presentation(mdl(world, DocumentSigner(KeySigner(new_key()), ds.cert)))


def _doctype_mismatch(world: World, ds: DocumentSigner) -> str:
    return presentation(mdl(world, ds), doctype="org.iso.18013.5.1.other")


CASES: dict[str, tuple[Callable[[World, DocumentSigner], str], Check, str]] = {
    "garbage": (lambda w, d: "not base64url!", Check.PARSING, "bad_base64"),
    "sd_jwt_sent_for_an_mdoc_query": (lambda w, d: "eyJ.eyJ.sig~", Check.PARSING, "bad_base64"),
    "document_doctype_differs_from_mso": (_doctype_mismatch, Check.PARSING, "doctype_mismatch"),
    "tampered_element": (_tamper_element, Check.ISSUER_SIGNATURE, "digest_mismatch"),
    "forged_issuer_auth": (_forged, Check.ISSUER_SIGNATURE, "bad_signature"),
    "unlisted_document_signer": (
        lambda w, d: presentation(mdl(w, document_signer(w, "TH", "https://rogue-mdl.issuers.lintas.test"))),
        Check.ISSUER_SIGNATURE,
        "untrusted_issuer",
    ),
    "another_countrys_iaca": (
        lambda w, d: presentation(mdl(w, document_signer(w, "MY", w.issuers["th-mdl"].issuer_id))),
        Check.ISSUER_SIGNATURE,
        "untrusted_issuer",
    ),
    "issuer_not_listed_for_the_doctype": (
        lambda w, d: presentation(mdl(w, document_signer(w, "SG", w.issuers["sg-pid"].issuer_id))),
        Check.REGISTRY,
        "not_authorised",
    ),
    "document_signer_names_another_country": (
        lambda w, d: presentation(mdl(w, document_signer(w, "TH", w.issuers["th-mdl"].issuer_id, ds_country="MY"))),
        Check.REGISTRY,
        "issuer_mismatch",
    ),
    "revoked": (lambda w, d: presentation(mdl(w, d, idx=World.REVOKED_IDX)), Check.STATUS, "revoked"),
    "suspended": (lambda w, d: presentation(mdl(w, d, idx=World.SUSPENDED_IDX)), Check.STATUS, "suspended"),
    "expired": (
        lambda w, d: presentation(mdl(w, d, signed=T0 - 5 * 86400, valid_until=T0 - 86400)),
        Check.VALIDITY,
        "expired",
    ),
    "signed_for_another_transaction": (
        lambda w, d: presentation(mdl(w, d), nonce="another-nonce"),
        Check.HOLDER_BINDING,
        "device_auth_invalid",
    ),
    "signed_by_another_device": (
        lambda w, d: presentation(mdl(w, d), device=KeySigner(new_key())),
        Check.HOLDER_BINDING,
        "device_auth_invalid",
    ),
    "requested_element_withheld": (
        lambda w, d: presentation(mdl(w, d), disclose={MDL_NS: ["age_over_18", "issuing_country"]}),
        Check.DCQL,
        "dcql_unsatisfied",
    ),
    "minor": (
        lambda w, d: presentation(issue_mdl(w, d, _minor(), DEVICE_KEY.public_key())),
        Check.POLICY,
        "policy_not_met",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_check_rejects_an_mdoc_exactly_there(
    pipeline: Pipeline, world: World, ds: DocumentSigner, case: str
) -> None:
    build, check, reason = CASES[case]
    with pytest.raises(Rejection) as info:
        run(pipeline, build(world, ds))
    assert (info.value.check, info.value.reason.value) == (check, reason)


def test_policy_over_countries_and_age_applies_to_mdoc(pipeline: Pipeline, world: World, ds: DocumentSigner) -> None:
    vp = presentation(mdl(world, ds))
    with pytest.raises(Rejection) as info:
        run(pipeline, vp, car_rental(accepted_countries=["MY", "SG"]))
    assert (info.value.check, info.value.reason.value) == (Check.POLICY, "country_not_accepted")
    with pytest.raises(Rejection) as info:
        run(pipeline, vp, car_rental(max_credential_age=3600))
    assert (info.value.check, info.value.reason.value) == (Check.POLICY, "credential_too_old")
    assert run(pipeline, vp, car_rental(accepted_countries=["TH"]))  # the twin


def test_holder_binding_needs_the_transactions_session_transcript(
    pipeline: Pipeline, world: World, ds: DocumentSigner
) -> None:
    vp = presentation(mdl(world, ds))
    other = openid4vp_session_transcript(
        client_id=AUD, nonce=NONCE, response_uri=RESPONSE_URI + "x", jwk_thumbprint=None
    )
    with pytest.raises(Rejection) as info:
        run(pipeline, vp, session=other)
    assert (info.value.check, info.value.reason.value) == (Check.HOLDER_BINDING, "device_auth_invalid")
    policy = car_rental()
    with pytest.raises(Rejection) as info:  # no transcript at all: refused, never silently unbound
        pipeline.verify({"mdl": [vp]}, Expectation(policy.query, policy, NONCE, AUD))
    assert (info.value.check, info.value.reason.value) == (Check.PARSING, "device_auth_invalid")
    assert run(pipeline, vp, session=transcript())  # the twin


def test_sd_jwt_and_mdoc_in_one_presentation(pipeline: Pipeline, world: World, ds: DocumentSigner) -> None:
    """Policy over both formats at once: each verified by its own verifier, judged by one policy."""

    raw = {"credentials": [*DCQL["credentials"], _pid_query()]}
    policy = policy_from_json({"name": "both", "dcql_query": raw, "require_true": ["age_over_18"]})

    holder = HolderCredential.parse(pid(world))
    sd_jwt = holder.present(holder.select([["given_name"]]), signer=HOLDER, aud=AUD, nonce=NONCE, iat=T0)
    expect = Expectation(policy.query, policy, NONCE, AUD, transcript())
    checked = pipeline.verify({"mdl": [presentation(mdl(world, ds))], "pid": [sd_jwt]}, expect)
    assert {(c.format, c.country) for c in checked} == {("mso_mdoc", "TH"), ("dc+sd-jwt", "SG")}
    assert PID_CLAIMS["given_name"] == next(c for c in checked if c.format == "dc+sd-jwt").claims["given_name"]
    with pytest.raises(Rejection) as info:  # twin: one of the two fails, the whole presentation fails
        pipeline.verify({"mdl": [presentation(mdl(world, ds), nonce="x")], "pid": [sd_jwt]}, expect)
    assert info.value.check is Check.HOLDER_BINDING


def _pid_query() -> dict[str, Any]:
    return {
        "id": "pid",
        "format": "dc+sd-jwt",
        "meta": {"vct_values": ["https://lintas.asean.example/vct/pid/v1"]},
        "claims": [{"path": ["given_name"]}],
    }
