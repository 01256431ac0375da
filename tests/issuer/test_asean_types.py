"""ASEAN credential types at the issuer: type metadata served where each vct points, labels in
12 languages, mononyms and partial birth dates issued end to end, register entries validated."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from idcore.dcql.evaluate import evaluate_credential
from idcore.oid4vci.metadata import CredentialType, MdocType
from idcore.trust.vct import VCT_BUSINESS_REGISTRATION, VCT_MANDATE, VCT_PID
from issuer.catalog import CREDENTIAL_TYPES
from issuer.settings import DEFAULT_SUBJECTS
from issuer.subjects import credential_claims, load_subjects
from issuer.types_mdoc import MDL_CONFIG, MDL_DOCTYPE, MDL_NAMESPACE, PID_MDOC_CONFIG, PID_MDOC_DOCTYPE
from issuer.types_pid import LOCALES
from tests.issuer.conftest import Harness
from tests.issuer.helpers import national_root, verify_credential
from tests.issuer.type_metadata_rules import problems
from verifier.policy import load_config

ALL_LOCALES = ("en", "ms", "id", "th", "vi", "fil", "km", "lo", "my", "tet", "ta", "zh")


def _at(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


# --- type metadata: served, cacheable, valid, labelled ---------------------------------------


def test_locales_are_english_and_every_member_states_language() -> None:
    assert LOCALES == ALL_LOCALES


@pytest.mark.parametrize("vct", [VCT_PID, VCT_BUSINESS_REGISTRATION, VCT_MANDATE])
def test_type_metadata_is_served_where_the_vct_points(harness: Harness, vct: str) -> None:
    answer = harness.client.get(urlsplit(vct).path)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "max-age=" in answer.headers["cache-control"]
    assert problems(answer.json(), vct, ALL_LOCALES) == []


def test_unknown_type_path_is_not_found(harness: Harness) -> None:
    assert harness.client.get("/vct/pid/v2").status_code == 404
    assert harness.client.get("/vct/").status_code == 404


def test_served_bytes_are_the_ones_the_credentials_integrity_names(harness: Harness) -> None:
    created = harness.offer("sg-tan-wei-ling")
    wallet = harness.wallet()
    issued = wallet.obtain(wallet.resolve_offer(created["offer_link_by_value"]), created["tx_code"])
    verified = verify_credential(issued.credentials[0], [national_root(harness.settings.data_dir)], harness.clock)
    served = harness.client.get(urlsplit(VCT_PID).path).content
    digest = "sha256-" + base64.b64encode(hashlib.sha256(served).digest()).decode()
    assert verified.claims["vct#integrity"] == digest
    other = harness.client.get(urlsplit(VCT_MANDATE).path).content
    assert verified.claims["vct#integrity"] != "sha256-" + base64.b64encode(hashlib.sha256(other).digest()).decode()


def _pid_metadata(harness: Harness) -> dict[str, Any]:
    return dict(harness.client.get(urlsplit(VCT_PID).path).json())


def test_the_rule_checker_catches_each_kind_of_defect(harness: Harness) -> None:
    """The negative twin of the validity test: each mutation must be reported."""
    missing_label = _pid_metadata(harness)
    missing_label["claims"][0]["display"] = [d for d in missing_label["claims"][0]["display"] if d["locale"] != "tet"]
    bad_sd = _pid_metadata(harness)
    bad_sd["claims"][1]["sd"] = "sometimes"
    empty_path = _pid_metadata(harness)
    empty_path["claims"][2]["path"] = []
    twice = _pid_metadata(harness)
    twice["claims"].append(twice["claims"][0])
    for broken in (missing_label, bad_sd, empty_path, twice):
        assert problems(broken, VCT_PID, ALL_LOCALES) != []
    assert problems(_pid_metadata(harness), VCT_MANDATE, ALL_LOCALES) != []  # vct must match


#: Every type we ship: the SD-JWT VC types and the mdoc doctypes with their namespaces' elements.
_ALL_TYPES: tuple[CredentialType | MdocType, ...] = (*CREDENTIAL_TYPES, MDL_CONFIG.mtype, PID_MDOC_CONFIG.mtype)


def _label_gaps(ctype: CredentialType | MdocType) -> list[str]:
    """Type names and claim labels that are missing, extra or blank in some locale."""
    labelled = [("type name", ctype.names)] + [(str(c.path), c.labels) for c in ctype.claims]
    return [
        what
        for what, by_locale in labelled
        if set(by_locale) != set(ALL_LOCALES) or not all(label.strip() for label in by_locale.values())
    ]


@pytest.mark.parametrize("ctype", _ALL_TYPES, ids=lambda t: getattr(t, "vct", None) or t.doctype)
def test_every_claim_and_type_name_has_a_non_empty_label_in_all_12_languages(ctype: Any) -> None:
    assert ctype.claims
    assert _label_gaps(ctype) == []


def test_mdoc_namespaces_label_every_element_in_all_12_languages() -> None:
    """Both namespaces are covered element by element, Table 5 elements without a PID claim included."""
    elements = {c.path for c in MDL_CONFIG.mtype.claims} | {c.path for c in PID_MDOC_CONFIG.mtype.claims}
    assert {(MDL_NAMESPACE, "driving_privileges"), (MDL_NAMESPACE, "un_distinguishing_sign")} <= elements
    assert {(PID_MDOC_DOCTYPE, "age_birth_year"), (PID_MDOC_DOCTYPE, "full_name")} <= elements
    labels = {c.path: c.labels for c in MDL_CONFIG.mtype.claims}
    assert labels[(MDL_NAMESPACE, "birth_date")]["th"] == "วันเกิด"  # borrowed from the PID's birthdate
    assert labels[(MDL_NAMESPACE, "issue_date")]["vi"] == "Ngày cấp"


def test_the_label_check_catches_a_missing_blank_or_extra_locale() -> None:
    """Negative twin: a type with one label removed, blanked or in an unknown locale is reported."""
    claim = MDL_CONFIG.mtype.claims[0]
    for broken in (
        {k: v for k, v in claim.labels.items() if k != "tet"},
        {**claim.labels, "km": " "},
        {**claim.labels, "fr": "Nom"},
    ):
        mtype = replace(MDL_CONFIG.mtype, claims=(replace(claim, labels=broken), *MDL_CONFIG.mtype.claims[1:]))
        assert _label_gaps(mtype) == [str(claim.path)]
    untranslated = replace(PID_MDOC_CONFIG.mtype, names={"en": "PID"})
    assert _label_gaps(untranslated) == ["type name"]


def test_mdoc_metadata_served_with_labels_in_all_12_languages(make_harness: Any) -> None:
    """What a wallet sees: every mdoc claim of the TH PID issuer's metadata shows in 12 locales."""
    harness = make_harness(country="TH")
    configurations = harness.wallet().issuer_metadata(harness.pid)["credential_configurations_supported"]
    mdoc = [c for c in configurations.values() if c["format"] == "mso_mdoc"]
    assert {c["doctype"] for c in mdoc} == {MDL_DOCTYPE, PID_MDOC_DOCTYPE}
    for config in mdoc:
        assert sorted(d["locale"] for d in config["credential_metadata"]["display"]) == sorted(ALL_LOCALES)
        for claim in config["credential_metadata"]["claims"]:
            assert sorted(d["locale"] for d in claim["display"]) == sorted(ALL_LOCALES), claim["path"]
            assert all(d["name"].strip() for d in claim["display"]), claim["path"]


def test_given_and_family_names_are_never_mandatory() -> None:
    pid = next(t for t in CREDENTIAL_TYPES if t.vct == VCT_PID)
    mandatory = {c.path for c in pid.claims if c.mandatory}
    assert ("full_name",) in mandatory
    assert ("given_name",) not in mandatory
    assert ("family_name",) not in mandatory


# --- journeys at issuance ---------------------------------------------------------------------


def test_myanmar_mononym_with_a_year_only_birth_is_issued_and_verified(make_harness: Any) -> None:
    harness = make_harness(country="MM")
    created = harness.offer("mm-aung-kyaw")
    wallet = harness.wallet()
    issued = wallet.obtain(wallet.resolve_offer(created["offer_link_by_value"]), created["tx_code"])
    root = national_root(harness.settings.data_dir, "MM")
    claims = verify_credential(issued.credentials[0], [root], harness.clock, holder=issued.keys[0]).claims
    assert claims["full_name"] == "အောင်ကျော်"
    assert claims["full_name_latin"] == "Aung Kyaw"
    assert claims["name_order"] == "mononym"
    assert "given_name" not in claims
    assert "family_name" not in claims
    assert claims["birthdate"] == "1968"
    assert claims["age_over_18"] is True
    assert "age_in_years" not in claims  # 57 or 58: not certain from a year alone
    assert claims["national_id_masked"] == "**************3456"
    assert claims["national_id_type"] == "MM-NRC"


def test_patronymic_particle_is_preserved_at_issuance(make_harness: Any) -> None:
    harness = make_harness(country="MY")
    created = harness.offer("my-kavitha-muthusamy")
    wallet = harness.wallet()
    issued = wallet.obtain(wallet.resolve_offer(created["offer_link_by_value"]), created["tx_code"])
    root = national_root(harness.settings.data_dir, "MY")
    claims = verify_credential(issued.credentials[0], [root], harness.clock).claims
    assert claims["full_name"] == "Kavitha a/p Muthusamy"
    assert claims["patronymic"] == "a/p Muthusamy"
    assert "family_name" not in claims


def _mya() -> Any:
    subject = load_subjects(DEFAULT_SUBJECTS, "MM").get("mm-mya")
    assert subject is not None
    return subject


def test_year_only_birth_gives_age_over_18_only_from_the_last_possible_birthday() -> None:
    # Mya is registered as born in 2008: she is certainly 18 only on 31 December 2026.
    assert credential_claims(_mya(), _at("2026-12-30T23:59:59"))["age_over_18"] is False
    assert credential_claims(_mya(), _at("2026-12-31T00:00:00"))["age_over_18"] is True
    assert credential_claims(_mya(), _at("2026-01-01T00:00:00"))["age_over_18"] is False  # may be 18 already
    assert "age_in_years" not in credential_claims(_mya(), _at("2026-06-01T00:00:00"))
    assert credential_claims(_mya(), _at("2026-12-31T00:00:00"))["age_in_years"] == 18


def test_a_register_entry_with_a_wrong_check_digit_stops_the_issuer(tmp_path: Path) -> None:
    doc = json.loads(DEFAULT_SUBJECTS.read_text(encoding="utf-8"))
    assert load_subjects(DEFAULT_SUBJECTS, "SG").get("sg-tan-wei-ling") is not None
    person = next(p for p in doc["persons"] if p["id"] == "sg-tan-wei-ling")
    person["claims"]["national_id"] = "S8012345D"  # check letter should be J
    broken = tmp_path / "subjects.json"
    broken.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValueError, match="sg-tan-wei-ling"):
        load_subjects(broken, "SG")


def test_every_member_state_has_valid_demo_citizens() -> None:
    doc = json.loads(DEFAULT_SUBJECTS.read_text(encoding="utf-8"))
    countries = {p["country"] for p in doc["persons"]}
    assert countries == set(json.loads('["BN","KH","ID","LA","MY","MM","PH","SG","TH","VN","TL"]'))
    for country in countries:
        assert load_subjects(DEFAULT_SUBJECTS, country).of_kind("pid")
    orders = {p["claims"]["name_order"] for p in doc["persons"]}
    assert {"mononym", "patronymic", "given_family", "family_given"} <= orders
    births = {len(p["claims"]["birthdate"]) for p in doc["persons"]}
    assert births == {4, 7, 10}  # year only, year-month, full date


# --- what relying parties ask: names are never asked in parts -----------------------------------

_REPO = Path(__file__).resolve().parents[2]
#: Every shipped verifier configuration that defines the bank's ``pid-onboarding`` policy.
_VERIFIER_CONFIGS = (
    "verifier/demo_config.json",
    "deploy/verifier-config.json",
    "deploy/k8s/base/verifier-config.json",
    "deploy/k8s/overlays/production/verifier-config.json",
)
_ALL_COUNTRIES = ("BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN", "TL")


def _onboarding_query(config: str) -> Any:
    return load_config(_REPO / config).policies["pid-onboarding"].query.credentials[0]


def _satisfied(query: Any, claims: dict[str, Any]) -> bool:
    selection = evaluate_credential(query, fmt="dc+sd-jwt", credential_type=VCT_PID, holder_binding=True, claims=claims)
    return selection is not None


@pytest.mark.parametrize("config", _VERIFIER_CONFIGS)
def test_pid_onboarding_asks_the_full_name_and_every_seeded_person_can_answer(config: str) -> None:
    """A mononym (mm-aung-kyaw, id-suharti) satisfies the bank's policy: only ``full_name`` is asked."""
    query = _onboarding_query(config)
    asked = {tuple(c.path) for c in query.claims}
    assert ("full_name",) in asked
    assert not asked & {("given_name",), ("family_name",)}
    people = [s for cc in _ALL_COUNTRIES for s in load_subjects(DEFAULT_SUBJECTS, cc).of_kind("pid")]
    assert {"mm-aung-kyaw", "id-suharti"} <= {p.id for p in people}
    for person in people:
        assert _satisfied(query, credential_claims(person, _at("2026-01-01T00:00:00"))), person.id


@pytest.mark.parametrize("config", _VERIFIER_CONFIGS)
def test_pid_onboarding_is_not_satisfied_without_the_full_name(config: str) -> None:
    """Negative twin: the one required name field missing (given/family present instead) fails."""
    query = _onboarding_query(config)
    claims = credential_claims(load_subjects(DEFAULT_SUBJECTS, "SG").of_kind("pid")[0], _at("2026-01-01T00:00:00"))
    assert _satisfied(query, claims)
    parts_only = {k: v for k, v in claims.items() if k != "full_name"} | {
        "given_name": "Wei Ling",
        "family_name": "Tan",
    }
    assert not _satisfied(query, parts_only)
