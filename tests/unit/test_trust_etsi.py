"""The trust list in the ETSI TS 119 602 LoTE JSON binding (idcore.trust.etsi): valid against the
schema, an exact round trip, the same trust decisions either way, and tampered twins refused."""

from __future__ import annotations

import base64
import copy
import itertools
from typing import Any

import jsonschema
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from idcore.errors import Reason, TrustError
from idcore.trust import SERVICE_LEGAL_PERSON_ISSUANCE, VCT_BUSINESS_REGISTRATION, VCT_PID, TrustList
from idcore.trust.decision import TrustSnapshot, is_authorised
from idcore.trust.etsi import ANCHOR_SERVICE, MAX_LOTE_BYTES, from_lote, sign_lote, to_lote, verify_lote

from ..security.test_registry_quota import worst_case_list
from .lote_schema import lote_validator
from .test_trust_cache import new_registry, self_signed
from .trust_data import ISSUER, list_json

HISTORY = [
    {"status": "granted", "since": 100},
    {"status": "suspended", "since": 300, "reason": "unspecified"},
    {"status": "granted", "since": 400},
    {"status": "withdrawn", "since": 900, "reason": "cessation_of_operation"},
    {"status": "withdrawn", "since": 950, "reason": "key_compromise"},
]
SECOND = "https://pid.sg.example/business"


def rich_list() -> TrustList:
    doc = list_json(HISTORY)
    anchor = base64.b64encode(self_signed(ec.generate_private_key(ec.SECP256R1())).public_bytes(Encoding.DER))
    country = doc["countries"][0]
    country["anchors"] = [anchor.decode("ascii")]
    country["issuers"].append(
        {
            "id": SECOND,
            "names": {"en": "ACRA", "ms": "ACRA", "zh": "会计与企业管理局", "ta": "கணக்கியல்"},
            "service_types": [SERVICE_LEGAL_PERSON_ISSUANCE, "https://lintas.asean.example/svc/pid-issuance"],
            "vcts": [VCT_BUSINESS_REGISTRATION, VCT_PID],
            "assurance_level": "substantial",
            "status_history": [{"status": "granted", "since": 200}],
        }
    )
    doc["countries"].append(
        {"code": "TL", "names": {"en": "Timor-Leste", "pt": "Timor-Leste"}, "anchors": [], "issuers": []}
    )
    return TrustList.from_json(doc)


def test_lote_validates_against_etsis_schema_and_the_schema_can_fail() -> None:
    validator = lote_validator()
    lote = to_lote(rich_list())
    validator.validate(lote)
    broken = copy.deepcopy(lote)
    del broken["LoTE"]["TrustedEntitiesList"][0]["TrustedEntityInformation"]["TEAddress"]
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(broken)


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("ListAndSchemeInformation", "SchemeTerritory"), "ASEAN"),  # a territory is two letters
        (("ListAndSchemeInformation", "SchemeOperatorName"), []),  # minItems 1
        (("ListAndSchemeInformation", "LoTESequenceNumber"), "1"),
        (("ListAndSchemeInformation", "Unknown"), "x"),  # closed object
    ],
)
def test_etsis_schema_refuses_each_tampered_member(where: tuple[str, ...], value: object) -> None:
    broken = to_lote(rich_list())
    target = broken["LoTE"]
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        lote_validator().validate(broken)


def test_round_trip_is_exact() -> None:
    original = rich_list()
    assert from_lote(to_lote(original)) == original
    lote = to_lote(original)
    anchors = entity(lote, "SG")["TrustedEntityServices"][0]["ServiceInformation"]["ServiceDigitalIdentity"]
    assert anchors["X509Certificates"] == [{"val": a} for a in original.countries[0].anchors]
    service = entity(lote, ISSUER)["TrustedEntityServices"][0]
    assert service["ServiceInformation"]["ServiceStatus"].endswith("/withdrawn")
    assert service["ServiceInformation"]["StatusStartingTime"] == "1970-01-01T00:15:50Z"
    assert len(service["ServiceHistory"]) == 4  # newest first, as ETSI orders history


def test_a_verifier_on_either_list_decides_the_same() -> None:
    original = rich_list()
    ours, theirs = TrustSnapshot(original), TrustSnapshot(from_lote(to_lote(original)))
    times = [50, 100, 250, 300, 350, 400, 899, 900, 949, 950, 2000]
    vcts = [VCT_PID, VCT_BUSINESS_REGISTRATION, "https://unknown.example/vct"]
    for issuer, vct, iat, now in itertools.product([ISSUER, SECOND, "https://x.example"], vcts, times, times):
        a, b = is_authorised(ours, issuer, vct, iat, now), is_authorised(theirs, issuer, vct, iat, now)
        assert (a.authorised, a.reason, a.status) == (b.authorised, b.reason, b.status)


def entity(lote: dict[str, Any], uri: str) -> dict[str, Any]:
    """The trusted entity with this information URI (an issuer) or, for a country code, its anchors."""
    for found in lote["LoTE"]["TrustedEntitiesList"]:
        information = found["TrustedEntityInformation"]
        if information["TEInformationURI"][0]["uriValue"] == uri or (
            information["TEAddress"]["TEPostalAddress"][0]["Country"] == uri
            and found["TrustedEntityServices"][0]["ServiceInformation"]["ServiceTypeIdentifier"] == ANCHOR_SERVICE
        ):
            result: dict[str, Any] = found
            return result
    raise KeyError(uri)


def _entity(lote: dict[str, Any]) -> dict[str, Any]:
    return entity(lote, SECOND)


TAMPERINGS = {
    "a second service": lambda d: _entity(d)["TrustedEntityServices"].append(_entity(d)["TrustedEntityServices"][0]),
    "unknown status": lambda d: _entity(d)["TrustedEntityServices"][0]["ServiceInformation"].update(
        ServiceStatus="http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted"
    ),
    "service type not the first": lambda d: _entity(d)["TrustedEntityServices"][0]["ServiceInformation"].update(
        ServiceTypeIdentifier="https://lintas.asean.example/svc/pid-issuance"
    ),
    "anchors withdrawn": lambda d: entity(d, "SG")["TrustedEntityServices"][0]["ServiceInformation"].update(
        ServiceStatus="https://lintas.asean.example/TrustedEntityStatus/withdrawn"
    ),
    "anchors listed twice": lambda d: d["LoTE"]["TrustedEntitiesList"].append(entity(d, "SG")),
    "another list type": lambda d: d["LoTE"]["ListAndSchemeInformation"].update(LoTEType="urn:other"),
    "local time": lambda d: d["LoTE"]["ListAndSchemeInformation"].update(NextUpdate="2030-01-01T00:00:00+07:00"),
    "too many types": lambda d: _entity(d)["TrustedEntityInformation"]["TEInformationExtensions"][0][
        "LintasTrustList"
    ].update(vcts=[f"https://t{n}.example/vct" for n in range(5)]),
    "unlisted country": lambda d: _entity(d)["TrustedEntityInformation"]["TEAddress"]["TEPostalAddress"][0].update(
        Country="MY"
    ),
    "history goes back": lambda d: entity(d, ISSUER)["TrustedEntityServices"][0]["ServiceHistory"][0].update(
        StatusStartingTime="1970-01-01T00:00:01Z"
    ),
    "no scheme extension": lambda d: d["LoTE"]["ListAndSchemeInformation"].pop("SchemeExtensions"),
}


@pytest.mark.parametrize("tampering", sorted(TAMPERINGS))
def test_tampered_lotes_are_refused(tampering: str) -> None:
    original = rich_list()
    lote = to_lote(original)
    assert from_lote(copy.deepcopy(lote)) == original  # the untampered twin
    TAMPERINGS[tampering](lote)
    with pytest.raises(TrustError) as err:
        from_lote(lote)
    assert err.value.reason is Reason.TRUST_LIST_INVALID


def test_signed_lote_verifies_against_the_list_pin_only() -> None:
    registry, attacker = new_registry(), new_registry()
    original = rich_list()
    assert verify_lote(sign_lote(original, registry.signer, [registry.cert]), registry.pin) == original
    with pytest.raises(TrustError) as err:
        verify_lote(sign_lote(original, attacker.signer, [attacker.cert]), registry.pin)
    assert err.value.reason is Reason.TRUST_LIST_INVALID
    with pytest.raises(TrustError):
        verify_lote(registry.publish(7), registry.pin)  # a lintas-trust-list+jwt is not a LoTE


def test_worst_case_lote_stays_under_its_cap() -> None:
    """Every quota and field limit at its maximum (the registry's own worst case), times as real dates."""
    doc = worst_case_list()
    doc.update(iat=1_800_000_000, next_update=1_800_086_400, sequence_number=2**53 - 1)
    for country in doc["countries"]:
        for issuer in country["issuers"]:
            for k, change in enumerate(issuer["status_history"]):
                change["since"] = 1_800_000_000 + k
    trust_list = TrustList.from_json(doc)
    registry = new_registry()
    token = sign_lote(trust_list, registry.signer, [registry.cert])
    assert len(token) < MAX_LOTE_BYTES
    assert verify_lote(token, registry.pin) == trust_list


def test_a_time_rfc_3339_cannot_write_is_refused() -> None:
    doc = list_json()
    doc["next_update"] = 2**53 - 1
    with pytest.raises(TrustError) as err:
        to_lote(TrustList.from_json(doc))
    assert err.value.reason is Reason.TRUST_LIST_INVALID
