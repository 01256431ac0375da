"""ISO mdoc issuance (OpenID4VCI 1.0 Appendix A.2) over the real token and credential endpoints.

A scripted wallet obtains mDLs from the TH issuer (pre-authorized code, batch of two); each is
presented with the holder's key (:func:`idcore.mdoc.present_mdoc`) and verified by
:func:`idcore.mdoc.verify_device_response` against the national root as IACA: doctype, namespace
and values match, the device key is the proven key, each credential of a batch has its own
signed time and its own random salts. Twins: an element changed (``digest_mismatch``), another
root (``untrusted_issuer``), another device key (``device_auth_invalid``), revocation through the
issuer's Token Status List (the MSO's reference points at a set bit), a token for another
configuration, a subject without a licence, an mDL offer redeemed with another scope.
pymdoccbor (an independent implementation) verifies the issued mdoc and refuses its tampered
twin. The metadata test checks the ``mso_mdoc`` configurations (claim paths with display names,
COSE integer algorithms) and their refusals.
"""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import cbor2
import pytest
from cryptography import x509

from idcore.b64 import b64u_decode
from idcore.errors import MdocError, Reason
from idcore.jose import KeySigner
from idcore.jwk import public_key_from_jwk
from idcore.keys import generate_private_key
from idcore.mdoc import MdocVerifyOptions, VerifiedMdoc, device_response, present_mdoc, verify_device_response
from idcore.mdoc.cbor import decode, full_date
from idcore.mdoc.issuer_signed import parse_issuer_items
from idcore.oid4vci.metadata import ClaimDefinition, MdocType, mdoc_credential_configuration
from idcore.status_list import parse_status_reference
from idcore.x509 import create_root_ca
from issuer.settings import DEFAULT_SUBJECTS
from issuer.subjects import load_subjects
from tests.issuer.conftest import Harness
from tests.issuer.helpers import national_root, verify_status
from tests.issuer.test_authorization_code import _login, _par, _redeem
from tests.issuer.wallet_client import Issued
from tests.softhsm import SoftHsmToken, softhsm_token  # noqa: F401  (pytest fixture)
from tests.unit.mdoc_helpers import transcript

MDL = "org.iso.18013.5.1.mDL"
MDL_NS = "org.iso.18013.5.1"
PID_MDOC = "asean_pid_mdoc"
PID_NS = "org.asean.lintas.pid.1"
PID_DOCTYPE = PID_NS
SOMCHAI = "th-somchai-jaidee"


@pytest.fixture
def th(make_harness: Any) -> Harness:
    """The TH issuer (PID tenant offers the PID SD-JWT, the PID mdoc and the mDL)."""
    return make_harness(country="TH")  # type: ignore[no-any-return]


def _obtain(harness: Harness, subject: str, configuration: str, count: int = 1) -> Issued:
    created = harness.offer(subject, configuration)
    wallet = harness.wallet()
    return wallet.obtain(wallet.resolve_offer(created["offer_link_by_value"]), created["tx_code"], count)


def _issuer_signed(credential: str) -> dict[str, Any]:
    decoded: dict[str, Any] = decode(b64u_decode(credential), "IssuerSigned", max_bytes=1 << 20)
    return decoded


def _present(issuer_signed: dict[str, Any], doctype: str, holder: KeySigner) -> bytes:
    document = present_mdoc(issuer_signed, doctype=doctype, device_signer=holder, session_transcript=transcript())
    return device_response([document])


def _verify(harness: Harness, response: bytes, anchors: list[x509.Certificate] | None = None) -> VerifiedMdoc:
    roots = anchors if anchors is not None else [national_root(harness.settings.data_dir, harness.settings.country)]
    options = MdocVerifyOptions(trust_anchors=roots, clock=harness.clock, session_transcript=transcript())
    [document] = verify_device_response(response, options).documents
    return document


def _tampered(issuer_signed: dict[str, Any], namespace: str, element: str, value: Any) -> dict[str, Any]:
    copy = cbor2.loads(cbor2.dumps(issuer_signed))
    items = copy["nameSpaces"][namespace]
    for position, tagged in enumerate(items):
        item = cbor2.loads(tagged.value)
        if item["elementIdentifier"] == element:
            item["elementValue"] = value
            items[position] = cbor2.CBORTag(24, cbor2.dumps(item))
    return copy  # type: ignore[no-any-return]


def test_mdl_batch_over_the_real_endpoints_verifies_against_the_national_root(th: Harness) -> None:
    since = str(th.clock.now() - 2 * 86400).encode()  # an issuer running for a while: the signed-time window is open
    th.service.records.store.set("issuing-since:th-pid", since)
    issued = _obtain(th, SOMCHAI, MDL, count=2)
    pairs = zip(issued.credentials, issued.keys, strict=True)
    verified = [_verify(th, _present(_issuer_signed(c), MDL, key)) for c, key in pairs]
    first = verified[0]
    assert first.doctype == MDL
    assert set(first.claims) == {MDL_NS}
    claims = first.claims[MDL_NS]
    assert (claims["family_name"], claims["given_name"], claims["issuing_country"]) == ("Jaidee", "Somchai", "TH")
    assert claims["given_name_national_character"] == "สมชาย"
    assert claims["document_number"] == "TH-DL-58001234"
    assert claims["issuing_authority"] == "Department of Land Transport"
    assert claims["age_over_18"] is True
    assert claims["age_over_21"] is True
    assert claims["un_distinguishing_sign"] == "T"
    assert [p["vehicle_category_code"] for p in claims["driving_privileges"]] == ["B", "A"]
    assert cbor2.dumps(claims["birth_date"]) == cbor2.dumps(full_date(datetime(1985, 8, 21).date()))
    assert "portrait" not in claims
    assert first.issuer_chain[-1] == national_root(th.settings.data_dir, "TH")
    for document, key in zip(verified, issued.keys, strict=True):
        assert document.device_authenticated
        assert document.device_key.public_numbers() == key.private_key.public_key().public_numbers()  # type: ignore[union-attr]
        assert document.validity.valid_from == document.validity.signed
        assert document.validity.valid_until <= document.validity.signed + timedelta(days=90)
    # A batch shares neither signed time nor salts (OpenID4VCI Section 15.4.1).
    assert verified[0].validity.signed != verified[1].validity.signed
    items = [parse_issuer_items(_issuer_signed(c)["nameSpaces"]) for c in issued.credentials]
    salts = [{i.element: i.encoded for i in listed} for listed in items]
    assert all(salts[0][name] != salts[1][name] for name in salts[0])


def test_tampered_twins_fail_exactly_where_they_should(th: Harness) -> None:
    issued = _obtain(th, SOMCHAI, MDL)
    issuer_signed, holder = _issuer_signed(issued.credentials[0]), issued.keys[0]
    _verify(th, _present(issuer_signed, MDL, holder))  # the untouched original passes
    forged = _tampered(issuer_signed, MDL_NS, "driving_privileges", [{"vehicle_category_code": "D"}])
    cases: list[tuple[bytes, list[x509.Certificate] | None, Reason]] = [
        (_present(forged, MDL, holder), None, Reason.DIGEST_MISMATCH),
        (_present(issuer_signed, MDL, KeySigner(generate_private_key("ES256"))), None, Reason.DEVICE_AUTH_INVALID),
    ]
    other_key = generate_private_key("ES256")
    now = datetime.now(UTC)
    other_root = create_root_ca(
        other_key,
        common_name="Other TH Root",
        country="TH",
        organization="Other",
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=30),
    )
    cases.append((_present(issuer_signed, MDL, holder), [other_root], Reason.UNTRUSTED_ISSUER))
    for response, anchors, reason in cases:
        with pytest.raises(MdocError) as caught:
            _verify(th, response, anchors)
        assert caught.value.reason is reason


def _status_bit(harness: Harness, document: VerifiedMdoc) -> int:
    reference = parse_status_reference({"status": document.status}, allow_insecure_loopback=True)
    assert reference.uri.startswith(harness.pid + "/status-lists/")
    answer = harness.client.get(reference.uri)
    root = national_root(harness.settings.data_dir, "TH")
    verified = verify_status(answer.text, reference.uri, [root], harness.clock)
    return verified.status_list.get(reference.idx)


def test_revoking_an_mdl_sets_the_bit_its_mso_points_at(th: Harness) -> None:
    issued = _obtain(th, SOMCHAI, MDL)
    document = _verify(th, _present(_issuer_signed(issued.credentials[0]), MDL, issued.keys[0]))
    assert _status_bit(th, document) == 0
    idx = parse_status_reference({"status": document.status}, allow_insecure_loopback=True).idx
    admin = {"Authorization": f"Bearer {th.operator_token('admin')}"}
    listing = th.client.get("/v1/credentials", params={"subject_id": SOMCHAI}, headers=admin).json()["credentials"]
    [record] = [c for c in listing if c["idx"] == idx]
    assert record["configuration_id"] == MDL
    revoked = th.client.post(f"/v1/credentials/{record['credential_id']}/revoke", headers=admin)
    assert revoked.status_code == 200, revoked.text
    assert _status_bit(th, document) == 1


def test_pid_mdoc_carries_the_pid_claims(make_harness: Any) -> None:
    sg = make_harness()
    issued = _obtain(sg, "sg-tan-wei-ling", PID_MDOC)
    document = _verify(sg, _present(_issuer_signed(issued.credentials[0]), "org.asean.lintas.pid.1", issued.keys[0]))
    claims = document.claims[PID_NS]
    assert (claims["full_name"], claims["national_id"]) == ("Tan Wei Ling", "S8012345J")
    assert claims["issuing_country"] == "SG"
    assert claims["age_over_18"] is True
    assert claims["address"]["postal_code"] == "079903"
    assert cbor2.dumps(claims["birth_date"]) == cbor2.dumps(full_date(datetime(1980, 3, 14).date()))
    assert "driving_privileges" not in claims
    with pytest.raises(MdocError) as caught:  # twin: the PID mdoc under the mDL doctype is refused
        _verify(sg, _present(_issuer_signed(issued.credentials[0]), MDL, issued.keys[0]))
    assert caught.value.reason is not None


def test_a_partial_birth_date_becomes_age_birth_year_not_a_made_up_date(make_harness: Any) -> None:
    mm = make_harness(country="MM")
    issued = _obtain(mm, "mm-aung-kyaw", PID_MDOC)
    claims = _verify(mm, _present(_issuer_signed(issued.credentials[0]), PID_DOCTYPE, issued.keys[0])).claims[PID_NS]
    assert claims["age_birth_year"] == 1968
    assert "birth_date" not in claims
    assert claims["age_over_21"] is True


def test_a_malformed_licence_refuses_to_start(tmp_path: Path) -> None:
    doc = json.loads(DEFAULT_SUBJECTS.read_text(encoding="utf-8"))
    person = next(p for p in doc["persons"] if p["id"] == SOMCHAI)
    person["driving_licence"]["expiry_date"] = "2020-01-01"  # before its issue date
    broken = tmp_path / "subjects.json"
    broken.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValueError, match="th-somchai-jaidee: driving_licence expiry_date must follow issue_date"):
        load_subjects(broken, "TH")
    person["driving_licence"] = {**person["driving_licence"], "expiry_date": "2029-08-20", "driving_privileges": []}
    broken.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValueError, match="driving_privileges must be a non-empty array"):
        load_subjects(broken, "TH")
    assert load_subjects(DEFAULT_SUBJECTS, "TH").get(SOMCHAI) is not None  # the twin: the seed loads


def test_pymdoccbor_verifies_the_issued_mdl(th: Harness) -> None:
    verifier = pytest.importorskip("pymdoccbor.mdoc.verifier")
    issued = _obtain(th, SOMCHAI, MDL)
    issuer_signed, holder = _issuer_signed(issued.credentials[0]), issued.keys[0]
    root = national_root(th.settings.data_dir, "TH")

    def theirs(signed: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        parsed = verifier.MdocCbor()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # pymdoccbor's datetime.utcnow()
            parsed.loads(_present(signed, MDL, holder))
            ok = parsed.verify(trusted_root_certs=[root])
        return bool(ok), parsed.disclosure_map

    ok, disclosed = theirs(issuer_signed)
    assert ok is True
    assert disclosed[MDL_NS]["family_name"] == "Jaidee"
    assert disclosed[MDL_NS]["driving_privileges"][0]["vehicle_category_code"] == "B"
    assert theirs(_tampered(issuer_signed, MDL_NS, "family_name", "Forged"))[0] is False


def test_mdl_needs_a_token_for_it_and_a_licence(make_harness: Any) -> None:
    th = make_harness(country="TH")
    created = th.offer(SOMCHAI)  # a PID SD-JWT offer: its token does not cover the mDL
    wallet = th.wallet()
    offer = wallet.resolve_offer(created["offer_link_by_value"])
    token = wallet.token_pre_authorized(offer, created["tx_code"]).json()["access_token"]
    answer = wallet.request_credentials(wallet.issuer_metadata(th.pid), token, MDL)
    assert answer.status_code == 400
    assert answer.json()["error"] == "credential_request_denied"
    my = make_harness(country="MY", data_dir=th.settings.data_dir.parent / "my")
    operator = {"Authorization": f"Bearer {my.operator_token()}"}
    refused = my.client.post(
        "/v1/offers", headers=operator, json={"subject_id": "my-kavitha-muthusamy", "credential_configuration_id": MDL}
    )
    assert refused.status_code == 404
    assert "register" in refused.text
    assert my.offer("my-nur-aisyah", MDL)["credential_offer"]["credential_configuration_ids"] == [MDL]
    page = my.client.get("/operator").text  # the operator offers the mDL only where the register has a licence
    assert "my-nur-aisyah|org.iso.18013.5.1.mDL" in page
    assert "my-kavitha-muthusamy|org.iso.18013.5.1.mDL" not in page
    assert "my-kavitha-muthusamy|asean_pid_mdoc" in page
    # Without an offer, by scope: the login succeeds, the Credential Endpoint has nothing to sign.
    login = my.wallet()
    token = login.token_authorization_code(my.pid, "mdl", "my-kavitha-muthusamy")
    assert token.status_code == 200, token.text
    denied = login.request_credentials(login.issuer_metadata(my.pid), token.json()["access_token"], MDL)
    assert denied.status_code == 400
    assert denied.json()["error"] == "credential_request_denied"
    granted = login.token_authorization_code(my.pid, "mdl", "my-nur-aisyah")  # the twin with a licence
    answer = login.request_credentials(login.issuer_metadata(my.pid), granted.json()["access_token"], MDL)
    assert answer.status_code == 200, answer.text


def test_an_mdl_offer_is_redeemed_only_with_the_mdl_scope(th: Harness) -> None:
    created = th.offer(SOMCHAI, MDL, grants=["authorization_code"])
    state = created["credential_offer"]["grants"]["authorization_code"]["issuer_state"]
    wrong = _par(th, th.pid, issuer_state=state, scope="asean_pid").json()["request_uri"]
    refused = _login(th, th.pid, wrong, SOMCHAI)
    assert parse_qs(urlsplit(refused.headers["location"]).query)["error"] == ["access_denied"]
    assert _par(th, th.pid, scope="mdl asean_pid").json()["error"] == "invalid_scope"
    fresh = th.offer(SOMCHAI, MDL, grants=["authorization_code"])  # the twin: the offer's own scope
    state = fresh["credential_offer"]["grants"]["authorization_code"]["issuer_state"]
    pushed = _par(th, th.pid, issuer_state=state, scope="mdl").json()["request_uri"]
    login = _login(th, th.pid, pushed, SOMCHAI)
    token = _redeem(th, th.pid, parse_qs(urlsplit(login.headers["location"]).query)["code"][0])
    assert token.status_code == 200, token.text
    wallet = th.wallet()
    answer = wallet.request_credentials(wallet.issuer_metadata(th.pid), token.json()["access_token"], MDL)
    assert answer.status_code == 200, answer.text
    document = _verify(th, _present(_issuer_signed(answer.json()["credentials"][0]["credential"]), MDL, wallet.keys[0]))
    assert document.claims[MDL_NS]["family_name"] == "Jaidee"


def test_pkcs11_mdoc_document_signer(make_harness: Any, softhsm_token: SoftHsmToken) -> None:  # noqa: F811
    library, label, pin = softhsm_token.store_args()
    th = make_harness(
        country="TH", key_backend="pkcs11", pkcs11_library=library, pkcs11_token_label=label, pkcs11_user_pin=pin
    )
    assert not (th.settings.data_dir / "issuers" / "th-pid" / "mdoc-document-signer.pem").exists()
    issued = _obtain(th, SOMCHAI, MDL)
    document = _verify(th, _present(_issuer_signed(issued.credentials[0]), MDL, issued.keys[0]))
    keys = th.service.tenants[0].mdoc_keys
    assert keys is not None
    assert document.issuer_chain[0].public_key() == public_key_from_jwk(keys.signer.public_jwk)


def _configurations(harness: Harness) -> dict[str, Any]:
    metadata = harness.wallet().issuer_metadata(harness.pid)
    configurations: dict[str, Any] = metadata["credential_configurations_supported"]
    return configurations


def test_without_a_provisioned_ds_certificate_production_offers_no_mdoc(make_harness: Any) -> None:
    first = make_harness(country="TH")
    assert MDL in _configurations(first)
    kept = make_harness(country="TH", data_dir=first.settings.data_dir, generate_pki=False)
    assert MDL in _configurations(kept)  # a provisioned certificate is used as it is
    (first.settings.data_dir / "issuers" / "th-pid" / "mdoc-ds-certificate.pem").unlink()
    bare = make_harness(country="TH", data_dir=first.settings.data_dir, generate_pki=False)
    assert {c["format"] for c in _configurations(bare).values()} == {"dc+sd-jwt"}
    operator = {"Authorization": f"Bearer {bare.operator_token()}"}
    body = {"subject_id": SOMCHAI, "credential_configuration_id": MDL}
    assert bare.client.post("/v1/offers", headers=operator, json=body).status_code == 404


def test_mdoc_configurations_in_the_metadata(make_harness: Any) -> None:
    th = make_harness(country="TH")
    metadata = th.wallet().issuer_metadata(th.pid)
    configurations = metadata["credential_configurations_supported"]
    assert next(iter(configurations)) == "asean_pid_sd_jwt"  # wallets taking the first one keep working
    for config_id, doctype in ((MDL, MDL), (PID_MDOC, "org.asean.lintas.pid.1")):
        config = configurations[config_id]
        assert config["format"] == "mso_mdoc"
        assert config["doctype"] == doctype
        assert config["cryptographic_binding_methods_supported"] == ["cose_key"]
        algs = config["credential_signing_alg_values_supported"]
        assert algs == [-7]
        assert all(type(a) is int for a in algs)
        for claim in config["credential_metadata"]["claims"]:
            assert len(claim["path"]) == 2
            assert claim["path"][0] == (MDL_NS if config_id == MDL else PID_NS)
            assert any(d.get("locale") == "en" and d.get("name") for d in claim["display"])
    assert {"mdl", "asean_pid_mdoc"} <= set(th.wallet().as_metadata(th.pid)["scopes_supported"])
    sg = make_harness(data_dir=th.settings.data_dir.parent / "sg")
    sg_configs = sg.wallet().issuer_metadata(sg.pid)["credential_configurations_supported"]
    assert PID_MDOC in sg_configs
    assert MDL not in sg_configs
    assert not any(
        c["format"] == "mso_mdoc"
        for c in sg.wallet().issuer_metadata(sg.business)["credential_configurations_supported"].values()
    )


def test_mdoc_configuration_refuses_jose_names_and_bad_paths() -> None:
    good = ClaimDefinition(("ns", "family_name"), {"en": "Family name"})
    mtype = MdocType("org.example.1", {"en": "Example"}, {}, (good,))
    assert mdoc_credential_configuration(mtype, scope="s", signing_algs=[-7], proof_algs=["ES256"])["doctype"]
    for algs in (["ES256"], [], [True]):
        with pytest.raises(ValueError, match="COSE algorithm integers"):
            mdoc_credential_configuration(mtype, scope="s", signing_algs=algs, proof_algs=["ES256"])  # type: ignore[arg-type]
    for claim in (ClaimDefinition(("family_name",), {"en": "x"}), ClaimDefinition(("ns", "x"), {})):
        with pytest.raises(ValueError, match=r"\[namespace, element\] with display labels"):
            mdoc_credential_configuration(
                MdocType("d", {"en": "d"}, {}, (claim,)), scope="s", signing_algs=[-7], proof_algs=["ES256"]
            )
