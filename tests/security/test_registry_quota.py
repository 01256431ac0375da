"""Issue #12 class 2: one member state must not be able to break the federation.

Attack: a national operator, within its own scope, grows the signed list past the verifiers'
2 MiB fetch cap (many issuers, long names, many certificates, endless status changes); every
verifier then fails closed and ``audit-verify`` breaks. Now field limits (model) and per-country
quotas (governance) bound the list; these tests build the worst case the limits allow, fill
every country to its quota through the real API, and try to pass entries off as another
country's. Each refusal has its twin at the limit that is accepted.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from idcore.errors import TrustError
from idcore.jose import KeySigner
from idcore.keys import generate_private_key
from idcore.ports import FixedClock
from idcore.trust import (
    SERVICE_LEGAL_PERSON_ISSUANCE,
    SERVICE_PID_ISSUANCE,
    VCT_PID,
    TrustListCache,
    TrustListPin,
    sign_trust_list,
    verify_trust_list,
)
from idcore.trust.limits import (
    MAX_ANCHOR_DER_BYTES,
    MAX_ANCHORS_PER_COUNTRY,
    MAX_HISTORY,
    MAX_ID_CHARS,
    MAX_ISSUERS_PER_COUNTRY,
    MAX_NAME_BYTES,
    MAX_NAME_LANGUAGES,
    MAX_VCTS_PER_ISSUER,
)
from idcore.trust.model import TrustList
from idcore.trust.signed import MAX_TRUST_LIST_BYTES
from idcore.trust.vct import ASEAN_COUNTRIES
from idcore.x509 import certificate_from_pem, create_root_ca
from lintas.kv import KeyValueStore
from tests.registry.helpers import SG_PID, Registry, make_settings, start_registry
from trust_registry.audit import verify_audit_log
from trust_registry.ledger import MAX_PUBLISHED_LIST_BYTES
from trust_registry.seed import load_seed
from trust_registry.settings import DEFAULT_SEED

SEED = load_seed(DEFAULT_SEED)
COUNTRY_NAMES = {c["code"]: c["names"] for c in SEED["countries"]}
#: Language tags as long as the model allows (3 + 3 x 9 characters).
LONG_TAGS = ["en", "tet-abcdefgh-abcdefgh-abcdefgh", "fil-abcdefgh-abcdefgh-abcdefgh", "zh-abcdefgh-abcdefgh-abcdefgh"]


def pad_url(prefix: str, n: int) -> str:
    """An https URL of exactly MAX_ID_CHARS characters starting with ``prefix``, made unique by ``n``."""
    head = f"{prefix}/{n:03d}-"
    return head + "x" * (MAX_ID_CHARS - len(head))


def max_names(n: int) -> dict[str, str]:
    """MAX_NAME_LANGUAGES names of exactly MAX_NAME_BYTES UTF-8 bytes (mostly 4-byte characters)."""
    wide = "\U0001f3db" * (MAX_NAME_BYTES // 4 - 1)  # 252 bytes
    return {tag: f"{wide}{i}{n:03d}" for i, tag in enumerate(LONG_TAGS[:MAX_NAME_LANGUAGES])}


def max_history() -> list[dict[str, Any]]:
    """MAX_HISTORY changes with the longest reasons and the largest times the model accepts."""
    t = 2**53 - 100
    changes: list[dict[str, Any]] = []
    for i in range(MAX_HISTORY - 2):
        changes.append(
            {"status": "granted", "since": t + i}
            if i % 2 == 0
            else {"status": "suspended", "since": t + i, "reason": "unspecified"}
        )
    changes.append({"status": "withdrawn", "since": t + 50, "reason": "cessation_of_operation"})
    changes.append({"status": "withdrawn", "since": t + 51, "reason": "key_compromise"})
    return changes


def worst_case_list() -> dict[str, Any]:
    countries = []
    for code in sorted(ASEAN_COUNTRIES):
        issuers = [
            {
                "id": pad_url(f"https://issuers.example/{code.lower()}", n),
                "names": max_names(n),
                "service_types": [SERVICE_PID_ISSUANCE, SERVICE_LEGAL_PERSON_ISSUANCE],
                "vcts": [pad_url(f"https://vct.example/{code.lower()}/{n}", k) for k in range(MAX_VCTS_PER_ISSUER)],
                "assurance_level": "substantial",
                "status_history": max_history(),
            }
            for n in range(MAX_ISSUERS_PER_COUNTRY)
        ]
        anchors = [base64.b64encode(bytes([k]) * MAX_ANCHOR_DER_BYTES).decode() for k in range(MAX_ANCHORS_PER_COUNTRY)]
        countries.append({"code": code, "names": COUNTRY_NAMES[code], "anchors": anchors, "issuers": issuers})
    operator = {"names": SEED["scheme_operator"]["names"], "uri": "https://registry.lintas.asean.example"}
    return {
        "format": "lintas-trust-list/1",
        "iss": operator["uri"],
        "iat": 2**53 - 10,
        "sequence_number": 2**53 - 1,
        "next_update": 2**53 - 1,
        "scheme_operator": operator,
        "audit_prev_hash": "f" * 64,
        "countries": countries,
    }


def signer_and_chain() -> tuple[KeySigner, Any]:
    key = generate_private_key("ES256")
    now = datetime.now(UTC)
    cert = create_root_ca(
        key,
        common_name="Quota test registry",
        country="SG",
        organization="Lintas",
        not_before=now,
        not_after=now + timedelta(days=1),
    )
    return KeySigner(key), cert


def test_worst_case_list_for_eleven_countries_is_far_under_the_cap() -> None:
    doc = worst_case_list()
    trust_list = TrustList.from_json(doc)  # every field at its limit is still a valid list
    assert sum(len(c.issuers) for c in trust_list.countries) == 11 * MAX_ISSUERS_PER_COUNTRY
    signer, cert = signer_and_chain()
    token = sign_trust_list(trust_list, signer, [cert])
    # Documented in trust_registry/README.md: ~1.0 MB at most, under half the verifiers' 2 MiB cap.
    assert len(token) <= MAX_PUBLISHED_LIST_BYTES < MAX_TRUST_LIST_BYTES
    verified = verify_trust_list(token, TrustListPin(certificate_sha256=None, public_key=cert.public_key()))
    assert verified.trust_list == trust_list


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("names", "en"), "x" * (MAX_NAME_BYTES + 1)),
        (("names", "en"), "\U0001f3db" * (MAX_NAME_BYTES // 4) + "x"),
        (("names", "en"), "Immigration\u202eMalaysia"),  # bidi override: shows one thing, says another
        (("names", "en"), "ICA\x00"),
        (("names", "en"), 'ICA "quoted"'),
        (("names", "en"), " ICA"),
        (("names", "xx-abcdefghi"), "ICA"),
        (("id",), "https://issuers.example/sg/" + "x" * MAX_ID_CHARS),
        (("vcts",), [f"https://vct.example/{k}" for k in range(MAX_VCTS_PER_ISSUER + 1)]),
        (("service_types",), [SERVICE_PID_ISSUANCE, SERVICE_PID_ISSUANCE]),
        (("status_history",), [{"status": "granted", "since": k} for k in range(MAX_HISTORY + 1)]),
        (("status_history",), [{"status": "granted", "since": 2**53}]),
    ],
)
def test_field_over_its_limit_makes_the_list_invalid(path: tuple[str, ...], value: Any) -> None:
    doc = worst_case_list()
    issuer = doc["countries"][0]["issuers"][0]
    TrustList.from_json(doc)  # the twin at the limit is valid
    target = issuer
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(TrustError):
        TrustList.from_json(doc)


def test_five_languages_are_refused_four_are_accepted() -> None:
    doc = worst_case_list()
    TrustList.from_json(doc)
    doc["countries"][0]["issuers"][0]["names"]["ms"] = "Nama"
    with pytest.raises(TrustError):
        TrustList.from_json(doc)


# --- through the registry ------------------------------------------------------------------------


@pytest.fixture
def live(kv_store: KeyValueStore, tmp_path: Path) -> Iterator[Registry]:
    reg = start_registry(make_settings(tmp_path / "data"), kv_store, FixedClock(int(time.time())))
    try:
        yield reg
    finally:
        reg.http.close()
        reg.server.stop()


def issuer_body(code: str, n: int, **changes: Any) -> dict[str, Any]:
    """A new issuer of ``code`` with every field at its limit."""
    names = {tag: "\u0e01" * (MAX_NAME_BYTES // 3) for tag in LONG_TAGS[:MAX_NAME_LANGUAGES]}  # Thai: 3 bytes each
    body = {
        "id": pad_url(f"https://issuers.example/{code.lower()}", n),
        "names": names,
        "service_types": [SERVICE_PID_ISSUANCE, SERVICE_LEGAL_PERSON_ISSUANCE],
        "vcts": [VCT_PID, *(pad_url(f"https://vct.example/{n}", k) for k in range(MAX_VCTS_PER_ISSUER - 1))],
        "assurance_level": "substantial",
    }
    return {**body, **changes}


def new_anchor(code: str, n: int) -> str:
    now = datetime.now(UTC)
    cert = create_root_ca(
        generate_private_key("ES384"),
        common_name=f"{code} root {n} " + "r" * 40,
        country=code,
        organization="National identity root " + "o" * 40,
        not_before=now - timedelta(hours=1),
        not_after=now + timedelta(days=30),
    )
    return cert.public_bytes(Encoding.PEM).decode()


@pytest.mark.slow
@pytest.mark.parametrize("kv_store", ["sqlite"], indirect=True)
def test_every_country_filled_to_quota_keeps_the_list_far_under_the_cap(live: Registry) -> None:
    for code in sorted(ASEAN_COUNTRIES):
        operator = f"operator-{code.lower()}"
        listed = len(live.trust_list().country(code).issuers)  # type: ignore[union-attr]
        for n in range(listed, MAX_ISSUERS_PER_COUNTRY):
            response = live.post(f"/v1/governance/countries/{code}/issuers", operator, issuer_body(code, n))
            assert response.status_code == 201, response.text
        for n in range(1, MAX_ANCHORS_PER_COUNTRY):
            body = {"certificate": new_anchor(code, n)}
            response = live.post(f"/v1/governance/countries/{code}/anchors", operator, body)
            assert response.status_code == 201, response.text
        before = live.state()
        over = live.post(f"/v1/governance/countries/{code}/issuers", operator, issuer_body(code, 99))
        assert over.status_code == 409, over.text
        assert over.json()["title"] == "Quota exceeded"
        anchor = live.post(f"/v1/governance/countries/{code}/anchors", operator, {"certificate": new_anchor(code, 9)})
        assert anchor.status_code == 409, anchor.text
        assert live.state() == before  # refusals write nothing
    token = live.http.get("/v1/trust-list").content
    assert len(token) < MAX_PUBLISHED_LIST_BYTES  # measured: see trust_registry/README.md
    # Every verifier still accepts the list, and the audit log still verifies end to end.
    cache = TrustListCache(fetch=lambda: token, pin=live.pin, clock=live.clock)
    assert cache.decide(SG_PID, VCT_PID, live.clock.now()).authorised
    cert = certificate_from_pem((live.settings.data_dir / "registry" / "signing-cert.pem").read_bytes())
    report = verify_audit_log(live.store, cert)
    assert report.ok, report.problems[:3]


def test_status_history_quota_cannot_be_outgrown(live: Registry) -> None:
    for i in range(MAX_HISTORY - 1):  # distinct seconds: each change stays in the history
        live.clock.advance(1)
        action = "suspend" if i % 2 == 0 else "reinstate"
        assert live.post(f"/v1/governance/issuers/{action}", "operator-sg", {"issuer_id": SG_PID}).status_code == 200
    assert len(live.trust_list().issuer(SG_PID).history) == MAX_HISTORY  # type: ignore[union-attr]
    # Twin: in the same second, the suspension was never in force; it is compacted away and the
    # reinstatement is accepted.
    same_second = live.post("/v1/governance/issuers/reinstate", "operator-sg", {"issuer_id": SG_PID})
    assert same_second.status_code == 200, same_second.text
    assert len(live.trust_list().issuer(SG_PID).history) == MAX_HISTORY - 1  # type: ignore[union-attr]
    live.clock.advance(1)
    assert live.post("/v1/governance/issuers/suspend", "operator-sg", {"issuer_id": SG_PID}).status_code == 200
    live.clock.advance(1)
    before = live.state()
    refused = live.post("/v1/governance/issuers/reinstate", "operator-sg", {"issuer_id": SG_PID})
    assert refused.status_code == 409, refused.text
    assert refused.json()["title"] == "Quota exceeded"
    assert live.state() == before


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (issuer_body("SG", 1, id="https://issuers.example/my/pid"), "another member state's code"),
        (issuer_body("SG", 1, id="https://pid.my.example/sg"), "another member state's code"),
        (issuer_body("SG", 1, id="https://pid.gov.my/sg"), "another member state's code"),  # ccTLD
        (issuer_body("SG", 1, id="https://issuers.example/sg/my"), "another member state's code"),
        (issuer_body("SG", 1, id="https://issuers.example/pid"), "namespace"),
        (issuer_body("SG", 1, id="https://issuers.example/sgmy"), "namespace"),
        (issuer_body("SG", 1, id="https://Issuers.example/sg"), "lower-case"),
        (issuer_body("SG", 1, id="https://issuers.example/sg/%6dy"), "lower-case"),
        (issuer_body("SG", 1, id="https://issuers.example/sg/"), "lower-case"),
        (issuer_body("SG", 1, names={"en": "Malaysia National Registration", "ms": "JPN"}), "Malaysia"),
        (issuer_body("SG", 1, names={"en": "Registry", "ms": "Jabatan Pendaftaran Negara MALAYSIA"}), "Malaysia"),
        (issuer_body("SG", 1, names={"en": "Ｍａｌａｙｓｉａ registry", "ms": "x"}), "Malaysia"),  # full-width
        (issuer_body("SG", 1, names={"en": "Viet\u200bNam registry", "ms": "x"}), "Viet Nam"),
        (issuer_body("SG", 1, names={"en": "National Registration (MY)", "ms": "x"}), "code"),
        (issuer_body("SG", 1, names={"en": "PID issuer", "ms": "Pendaftaran ＭＹ"}), "code"),  # full-width
    ],
)
def test_operator_cannot_create_entries_that_look_like_another_country(
    live: Registry, body: dict[str, Any], why: str
) -> None:
    before = live.state()
    for client in ("operator-sg", "scheme-operator"):  # the binding holds for the scheme operator too
        response = live.post("/v1/governance/countries/SG/issuers", client, body)
        assert response.status_code == 400, response.text
        assert why.split()[0].lower() in response.json()["detail"].lower() or why in response.json()["detail"]
    assert live.state() == before


@pytest.mark.parametrize(
    "changes",
    [
        {"id": "https://issuers.example/sg/pid2"},
        {"id": "https://pid2.sg.example"},
        {"id": "https://issuers.example/sg-2"},
        {"names": {"en": "Immigration & Checkpoints Authority", "zh": "新加坡移民与关卡局", "ms": "Singapura"}},
        {"names": {"en": "National ID Registry (SG)", "ms": "My Registry"}},  # "ID" and lower-case "My" are words
    ],
)
def test_twin_entries_in_the_operators_own_namespace_are_accepted(live: Registry, changes: dict[str, Any]) -> None:
    response = live.post("/v1/governance/countries/SG/issuers", "operator-sg", issuer_body("SG", 1, **changes))
    assert response.status_code == 201, response.text


def test_renaming_an_issuer_to_another_country_is_refused(live: Registry) -> None:
    before = live.state()
    body = {"issuer_id": SG_PID, "names": {"en": "Thailand Department of Provincial Administration", "ms": "x"}}
    response = live.http.patch("/v1/governance/issuers", json=body, headers=live.auth("operator-sg"))
    assert response.status_code == 400, response.text
    assert live.state() == before


@pytest.mark.parametrize(
    "note",
    ['quotes " and \\ backslashes', "\U0001f480" * 125, "<script>alert(1)</script>", "x" * 500, "ລາວ ไทย ខ្មែរ"],
)
def test_audit_log_stays_verifiable_whatever_is_written(live: Registry, note: str) -> None:
    response = live.post("/v1/governance/issuers/suspend", "operator-sg", {"issuer_id": SG_PID, "note": note})
    assert response.status_code == 200, response.text
    record = live.http.get("/v1/audit-log").json()["records"][-1]
    assert record["payload"]["payload"]["note"] == note
    cert = certificate_from_pem((live.settings.data_dir / "registry" / "signing-cert.pem").read_bytes())
    assert verify_audit_log(live.store, cert).ok


@pytest.mark.parametrize(
    "raw_note",
    ['"x\\u0000y"', '"a\\u202eb"', '"\\ud800"', json.dumps("x" * 501), '"line\\nbreak"'],
)
def test_hostile_notes_are_refused_before_anything_is_written(live: Registry, raw_note: str) -> None:
    before = live.state()
    body = f'{{"issuer_id": "{SG_PID}", "note": {raw_note}}}'
    headers = {**live.auth("operator-sg"), "Content-Type": "application/json"}
    response = live.http.post("/v1/governance/issuers/suspend", content=body.encode(), headers=headers)
    assert response.status_code == 400, response.text
    assert live.state() == before


def test_publication_backstop_refuses_an_oversized_list(tmp_path: Path) -> None:
    """Should a quota ever be wrong, the registry still never publishes a list verifiers would refuse."""
    from lintas.kv import open_store
    from trust_registry.ledger import Change, Ledger, ListTooLarge

    doc = worst_case_list()
    for country in doc["countries"]:
        country["anchors"] = []  # published lists are indexed, and the stand-in anchors are no certificates
    at_quota = TrustList.from_json(doc)
    for country in doc["countries"]:  # three times the quota, bypassing governance
        extra = [dict(i, id=i["id"][:-3] + f"{k}{n:02d}") for k in (1, 2) for n, i in enumerate(country["issuers"])]
        country["issuers"] = country["issuers"] + extra
    oversized = TrustList.from_json(doc)
    signer, cert = signer_and_chain()
    store = open_store(None, tmp_path, "registry")
    try:
        ledger = Ledger(store, signer, [cert], FixedClock(1_000), list_validity=3600)
        with pytest.raises(ListTooLarge):
            ledger.append("test", lambda _: Change(oversized, "test", {}))
        assert store.get("seq") is None  # nothing written
        published = ledger.append("test", lambda _: Change(at_quota, "test", {}))  # the twin at quota
        assert published.sequence_number == 1
        assert len(published.token) <= MAX_PUBLISHED_LIST_BYTES
    finally:
        store.close()
