"""The optional ``relying_party_cas`` of a country (idcore.trust.rp_ca): backwards compatible,
strictly parsed, trusted on ``[from, until)`` only."""

from __future__ import annotations

import base64
import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from idcore.errors import Reason, TrustError, X509Error
from idcore.trust.etsi import RP_CA_SERVICE, from_lote, to_lote
from idcore.trust.model import TrustList
from idcore.trust.rp_ca import MAX_RP_CA_DER_BYTES, MAX_RP_CAS_PER_COUNTRY, RelyingPartyCA, check_rp_ca_certificate
from idcore.trust.signed import sign_trust_list
from idcore.x509 import create_issuer_certificate, create_root_ca
from trust_registry.ledger import MAX_PUBLISHED_LIST_BYTES

from ..security.test_registry_quota import signer_and_chain, worst_case_list
from .lote_schema import lote_validator

NOW = 1_800_000_000
CERT = base64.b64encode(b"\x30\x03\x02\x01\x01").decode()  # the shape only: the model does not parse X.509


def _list(**country_extra: Any) -> dict[str, Any]:
    country = {"code": "MY", "names": {"en": "Malaysia", "ms": "Malaysia"}, "anchors": [], "issuers": []}
    return {
        "format": "lintas-trust-list/1",
        "iss": "https://registry.example",
        "iat": NOW,
        "sequence_number": 7,
        "next_update": NOW + 3600,
        "scheme_operator": {"names": {"en": "Op", "ms": "Op"}, "uri": "https://registry.example"},
        "countries": [{**country, **country_extra}],
    }


def test_a_list_without_the_member_still_parses_and_serialises_the_same() -> None:
    doc = _list()
    parsed = TrustList.from_json(doc)
    assert parsed.countries[0].relying_party_cas == ()
    assert "relying_party_cas" not in parsed.to_json()["countries"][0]  # older lists stay byte-identical


def test_round_trip_and_time_window() -> None:
    entries = [
        {"certificate": CERT, "from": NOW - 100, "status": "granted"},
        {"certificate": CERT[:-4] + "AgEC", "from": NOW - 100, "until": NOW - 10, "status": "withdrawn"},
    ]
    parsed = TrustList.from_json(_list(relying_party_cas=entries))
    granted, withdrawn = parsed.countries[0].relying_party_cas
    assert parsed.to_json()["countries"][0]["relying_party_cas"] == entries
    assert granted.trusted_at(NOW)
    assert not granted.trusted_at(NOW - 101)
    assert withdrawn.trusted_at(NOW - 11)
    assert not withdrawn.trusted_at(NOW - 10)
    assert not withdrawn.trusted_at(NOW)


BAD = {
    "not_array": {"certificate": CERT},
    "granted_with_until": [{"certificate": CERT, "from": NOW, "until": NOW + 1, "status": "granted"}],
    "withdrawn_without_until": [{"certificate": CERT, "from": NOW, "status": "withdrawn"}],
    "until_before_from": [{"certificate": CERT, "from": NOW, "until": NOW - 1, "status": "withdrawn"}],
    "unknown_status": [{"certificate": CERT, "from": NOW, "status": "suspended"}],
    "unknown_member": [{"certificate": CERT, "from": NOW, "status": "granted", "x": 1}],
    "not_base64": [{"certificate": "%%%", "from": NOW, "status": "granted"}],
    "too_long": [{"certificate": "A" * 4000, "from": NOW, "status": "granted"}],
    "bool_time": [{"certificate": CERT, "from": True, "status": "granted"}],
    "negative_time": [{"certificate": CERT, "from": -1, "status": "granted"}],
    "duplicate": [{"certificate": CERT, "from": NOW, "status": "granted"}] * 2,
    "too_many": [
        {"certificate": base64.b64encode(bytes([i])).decode(), "from": NOW, "status": "granted"}
        for i in range(MAX_RP_CAS_PER_COUNTRY + 1)
    ],
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_shapes_are_refused(case: str) -> None:
    with pytest.raises(TrustError) as caught:
        TrustList.from_json(_list(relying_party_cas=copy.deepcopy(BAD[case])))
    assert caught.value.reason is Reason.TRUST_LIST_INVALID


def test_certificate_admission() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    start = datetime.fromtimestamp(NOW, UTC) - timedelta(days=1)
    end = start + timedelta(days=30)
    ca = create_root_ca(key, common_name="CA", country="MY", organization="O", not_before=start, not_after=end)
    check_rp_ca_certificate(ca, NOW)  # a valid CA passes
    end_entity = create_issuer_certificate(
        key,
        ca,
        ec.generate_private_key(ec.SECP256R1()).public_key(),
        common_name="rp",
        country="MY",
        organization="O",
        not_before=start,
        not_after=end,
    )
    refusals = [(end_entity, NOW, Reason.CERT_USAGE), (ca, NOW + 40 * 86400, Reason.CERT_EXPIRED)]
    refusals.append((ca, NOW - 2 * 86400, Reason.CERT_NOT_YET_VALID))
    for cert, at, reason in refusals:
        with pytest.raises(X509Error) as caught:
            check_rp_ca_certificate(cert, at)
        assert caught.value.reason is reason
    entry = RelyingPartyCA(base64.b64encode(ca.public_bytes(Encoding.DER)).decode(), NOW)
    assert len(entry.sha256) == 64


def _full_of_rp_cas(doc: dict[str, Any], *, times: int) -> dict[str, Any]:
    """Every country at its relying-party CA quota, every certificate at its size limit, all withdrawn."""
    for country in doc["countries"]:
        country["relying_party_cas"] = [
            {
                "certificate": base64.b64encode(bytes([k, 1]) * (MAX_RP_CA_DER_BYTES // 2)).decode(),
                "from": times,
                "until": times + 10,
                "status": "withdrawn",
            }
            for k in range(MAX_RP_CAS_PER_COUNTRY)
        ]
    return doc


def test_worst_case_with_relying_party_cas_stays_under_the_published_cap() -> None:
    doc = _full_of_rp_cas(worst_case_list(), times=2**53 - 20)
    signer, cert = signer_and_chain()
    token = sign_trust_list(TrustList.from_json(doc), signer, [cert])
    assert len(token) <= MAX_PUBLISHED_LIST_BYTES  # measured: ~0.86 MB (0.61 MB without them)


def test_lote_round_trip_and_schema() -> None:
    entries = [
        {"certificate": CERT, "from": NOW - 100, "status": "granted"},
        {"certificate": CERT[:-4] + "AgEC", "from": NOW - 100, "until": NOW - 10, "status": "withdrawn"},
    ]
    trust_list = TrustList.from_json(_list(relying_party_cas=entries))
    lote = to_lote(trust_list)
    lote_validator().validate(lote)
    services = [e["TrustedEntityServices"][0] for e in lote["LoTE"]["TrustedEntitiesList"]]
    assert [s["ServiceInformation"]["ServiceTypeIdentifier"] for s in services] == [RP_CA_SERVICE] * 2
    assert from_lote(lote) == trust_list
    assert from_lote(to_lote(TrustList.from_json(_list()))) == TrustList.from_json(_list())  # none: none


def _tampered(change: str) -> dict[str, Any]:
    entries = [{"certificate": CERT, "from": NOW - 100, "until": NOW - 10, "status": "withdrawn"}]
    lote = to_lote(TrustList.from_json(_list(relying_party_cas=entries)))
    service = lote["LoTE"]["TrustedEntitiesList"][0]["TrustedEntityServices"][0]
    if change == "no_history":  # withdrawn with no grant before it
        del service["ServiceHistory"]
    elif change == "reason":  # a reason the relying-party CA vocabulary does not have
        service["ServiceInformation"]["ServiceInformationExtensions"] = [{"StatusReason": "key_compromise"}]
    elif change == "two_certificates":
        service["ServiceInformation"]["ServiceDigitalIdentity"]["X509Certificates"].append({"val": CERT})
    elif change == "suspended":
        service["ServiceInformation"]["ServiceStatus"] = service["ServiceInformation"]["ServiceStatus"].replace(
            "withdrawn", "suspended"
        )
    return lote


@pytest.mark.parametrize("change", ["no_history", "reason", "two_certificates", "suspended"])
def test_tampered_lote_rp_ca_is_refused(change: str) -> None:
    with pytest.raises(TrustError):
        from_lote(_tampered(change))
