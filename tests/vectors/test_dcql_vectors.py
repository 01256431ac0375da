"""DCQL spec vectors (tests/vectors/dcql/, see README.md): OpenID4VP 1.0 Sections 6.4 and 7.

Every positive answer has tampered twins (a disclosed claim dropped, the type changed, Holder
Binding removed, a value changed) that must flip it; every negative case has a repaired twin
that must flip it the other way. A wallet-to-verifier round trip checks that what the Wallet
selects is exactly what :func:`check_presentation` accepts.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from idcore.dcql import (
    FORMAT_MSO_MDOC,
    MatchResult,
    PresentedCredential,
    WalletCredential,
    check_presentation,
    match_query,
    parse_query,
    select_claims,
)
from idcore.errors import DcqlError, Reason

VECTOR_DIR = Path(__file__).parent / "dcql"
MATCH_FILES = sorted(VECTOR_DIR.glob("dcql_*.json"))
POINTER = json.loads((VECTOR_DIR / "claims_path_pointer_spec_example.json").read_text(encoding="utf-8"))


def load_case(path: Path) -> dict[str, Any]:
    """Load one DCQL matching vector."""
    case: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return case


def run(case: dict[str, Any], credentials: list[dict[str, Any]] | None = None) -> MatchResult:
    """Parse the vector's query and match it against (possibly tampered) credentials."""
    held = [WalletCredential.from_dict(c) for c in (credentials or case["credentials"])]
    return match_query(parse_query(case["query"]), held)


def positive_cases() -> list[Path]:
    return [p for p in MATCH_FILES if load_case(p)["expected_match"]["can_be_satisfied"]]


def test_vector_set_is_complete() -> None:
    # Guards against an empty glob making every parametrized test vanish.
    assert len(MATCH_FILES) == 10
    assert len(POINTER["cases"]) == 13
    assert len(positive_cases()) == 5


# --- expected_match, exactly ------------------------------------------------------------


@pytest.mark.parametrize("path", MATCH_FILES, ids=lambda p: p.stem)
def test_expected_match(path: Path) -> None:
    case = load_case(path)
    expected = case["expected_match"]
    result = run(case)
    assert result.can_be_satisfied is expected["can_be_satisfied"]
    assert set(result.credential_queries) == set(expected["credential_queries"])
    for query_id, want in expected["credential_queries"].items():
        got = result.credential_queries[query_id]
        assert list(got.matching_credential_indices) == want["matching_credential_indices"]
        for match in got.matches:
            if "selected_claim_set" in want:
                assert list(match.claim_set or ()) == want["selected_claim_set"]
            else:
                assert match.claim_set is None
            if "selected_claim_paths" in want:
                assert [list(p) for p in match.claim_paths] == want["selected_claim_paths"]
    if "credential_sets" in expected:
        assert result.credential_sets is not None
        got_sets = [
            {"required": s.required, "satisfied_options": [list(o) for o in s.satisfied_options]}
            for s in result.credential_sets
        ]
        assert got_sets == expected["credential_sets"]
    else:
        assert result.credential_sets is None


# --- tampered twins of the positive answers ----------------------------------------------


def essential_queries(case: dict[str, Any]) -> set[str]:
    """Query ids without which the whole query can no longer be satisfied."""
    expected = case["expected_match"]
    if "credential_sets" not in expected:
        return set(expected["credential_queries"])
    essential: set[str] = set()
    for s in expected["credential_sets"]:
        if s["required"] and len(s["satisfied_options"]) == 1:
            essential.update(s["satisfied_options"][0])
    return essential


def claim_container(credential: dict[str, Any]) -> dict[str, Any]:
    key = "namespaces" if credential["format"] == FORMAT_MSO_MDOC else "claims"
    container: dict[str, Any] = credential[key]
    return container


def drop_claim(credential: dict[str, Any], path: list[Any]) -> None:
    node = claim_container(credential)
    for component in path[:-1]:
        node = node[component]
    del node[path[-1]]


def set_claim(credential: dict[str, Any], path: list[Any], value: Any) -> None:
    node = claim_container(credential)
    for component in path[:-1]:
        node = node[component]
    node[path[-1]] = value


def tamperings(case: dict[str, Any]) -> list[tuple[str, str, int, list[dict[str, Any]]]]:
    """(label, query id, credential index, tampered credentials) for every positive match."""
    out = []
    result = run(case)
    query = parse_query(case["query"])
    for query_id, qmatch in result.credential_queries.items():
        claims_by_path = {c.path: c for c in query.credential(query_id).claims or ()}
        for match in qmatch.matches:
            i = match.credential_index
            for path in match.claim_paths:
                creds = copy.deepcopy(case["credentials"])
                drop_claim(creds[i], list(path))
                out.append((f"drop {list(path)}", query_id, i, creds))
                values = claims_by_path[path].values
                if values:
                    creds = copy.deepcopy(case["credentials"])
                    set_claim(creds[i], list(path), str(values[0]) + "-tampered")
                    out.append((f"value {list(path)}", query_id, i, creds))
            creds = copy.deepcopy(case["credentials"])
            creds[i]["cryptographic_holder_binding"] = False
            out.append(("no holder binding", query_id, i, creds))
            creds = copy.deepcopy(case["credentials"])
            type_key = "doctype" if creds[i]["format"] == FORMAT_MSO_MDOC else "vct"
            creds[i][type_key] += ".tampered"
            creds[i].get("claims", {}).pop("vct", None)
            out.append(("type", query_id, i, creds))
    return out


TAMPERED = [
    pytest.param(path, *t, id=f"{path.stem}:{t[1]}:{t[0]}")
    for path in positive_cases()
    for t in tamperings(load_case(path))
]


def test_every_positive_case_has_twins() -> None:
    assert {p.values[0] for p in TAMPERED} == set(positive_cases())
    assert len(TAMPERED) >= 4 * len(positive_cases())


@pytest.mark.parametrize(("path", "label", "query_id", "index", "creds"), TAMPERED)
def test_tampered_twin_flips(path: Path, label: str, query_id: str, index: int, creds: list[dict[str, Any]]) -> None:
    case = load_case(path)
    result = run(case, creds)
    assert index not in result.credential_queries[query_id].matching_credential_indices, label
    if query_id in essential_queries(case):
        assert result.can_be_satisfied is False, label


def test_value_type_twin_flips() -> None:
    # Section 6.3: "type and value" must match; the string "90210" as integer 90210 must not.
    case = load_case(VECTOR_DIR / "dcql_value_matching_match.json")
    creds = copy.deepcopy(case["credentials"])
    creds[0]["claims"]["postal_code"] = 90210
    assert run(case, creds).can_be_satisfied is False


# --- repaired twins of the negative answers ----------------------------------------------


def test_missing_claim_repaired() -> None:
    case = load_case(VECTOR_DIR / "dcql_simple_missing_claim.json")
    creds = copy.deepcopy(case["credentials"])
    creds[0]["claims"]["address"]["street_address"] = "42 Market Street"
    assert run(case, creds).can_be_satisfied is True


def test_value_no_match_repaired() -> None:
    case = load_case(VECTOR_DIR / "dcql_value_matching_no_match.json")
    creds = copy.deepcopy(case["credentials"])
    creds[1]["claims"]["postal_code"] = "90210"
    result = run(case, creds)
    assert result.credential_queries["my_credential"].matching_credential_indices == (1,)


def test_claim_sets_unsatisfiable_repaired() -> None:
    case = load_case(VECTOR_DIR / "dcql_claim_sets_unsatisfiable.json")
    creds = copy.deepcopy(case["credentials"])
    creds[0]["claims"]["date_of_birth"] = "1940-01-01"
    result = run(case, creds)
    assert result.can_be_satisfied is True
    assert result.credential_queries["pid"].matches[0].claim_set == ("a", "b", "e")


def test_multi_credentials_repaired() -> None:
    case = load_case(VECTOR_DIR / "dcql_multi_credentials_all_required.json")
    creds = copy.deepcopy(case["credentials"])
    creds[1]["doctype"] = "org.iso.7367.1.mVRC"
    creds[1]["namespaces"]["org.iso.7367.1"] = {"vehicle_holder": "John Doe"}
    assert run(case, creds).can_be_satisfied is True


def test_required_set_repaired() -> None:
    case = load_case(VECTOR_DIR / "dcql_credential_sets_required_unsatisfiable.json")
    residence = load_case(VECTOR_DIR / "dcql_credential_sets_alternatives.json")["credentials"][1]
    result = run(case, [*case["credentials"], residence])
    assert result.can_be_satisfied is True
    assert result.credential_sets is not None
    assert result.credential_sets[0].satisfied_options == (("pid_reduced_cred_1", "pid_reduced_cred_2"),)


# --- wallet selection -> verifier check round trip --------------------------------------


def disclose(credential: dict[str, Any], paths: tuple[tuple[Any, ...], ...]) -> dict[str, Any]:
    """Only the selected claims (plus vct), as a Verifier sees a minimal disclosure."""
    source = claim_container(credential)
    shown: dict[str, Any] = {"vct": credential["vct"]} if "vct" in credential else {}
    for path in paths:
        src, dst = source, shown
        for component in path[:-1]:
            src, dst = src[component], dst.setdefault(component, {})
        dst[path[-1]] = copy.deepcopy(src[path[-1]])
    return shown


def build_presentation(case: dict[str, Any]) -> dict[str, list[PresentedCredential]]:
    result = run(case)
    if result.credential_sets is None:
        chosen = list(result.credential_queries)
    else:
        chosen = [qid for s in result.credential_sets if s.satisfied_options for qid in s.satisfied_options[0]]
    presented: dict[str, list[PresentedCredential]] = {}
    for query_id in chosen:
        match = result.credential_queries[query_id].matches[0]
        held = case["credentials"][match.credential_index]
        presented[query_id] = [
            PresentedCredential(
                format=held["format"],
                credential_type=held.get("vct") or held["doctype"],
                claims=disclose(held, match.claim_paths),
                holder_binding_verified=True,
            )
        ]
    return presented


@pytest.mark.parametrize("path", positive_cases(), ids=lambda p: p.stem)
def test_round_trip_accepted_and_stripped_twin_rejected(path: Path) -> None:
    case = load_case(path)
    query = parse_query(case["query"])
    presented = build_presentation(case)
    check_presentation(query, presented)
    for query_id, answer in presented.items():
        stripped = dict(answer[0].claims)
        stripped.pop(next(k for k in stripped if k != "vct"))
        twin = PresentedCredential(answer[0].format, answer[0].credential_type, stripped, True)
        tampered = {**presented, query_id: [twin]}
        with pytest.raises(DcqlError) as err:
            check_presentation(query, tampered)
        assert err.value.reason is Reason.DCQL_UNSATISFIED


# --- claims path pointer, Section 7.1.1 and 7.3 ------------------------------------------


@pytest.mark.parametrize("case", POINTER["cases"], ids=lambda c: json.dumps(c["path"]))
def test_claims_path_pointer(case: dict[str, Any]) -> None:
    credential = POINTER["credential"]
    if case["expected"] == "error":
        with pytest.raises(DcqlError):
            select_claims(case["path"], credential)
    else:
        assert select_claims(case["path"], credential) == case["expected"]


@pytest.mark.parametrize(
    "case", [c for c in POINTER["cases"] if c["expected"] != "error"], ids=lambda c: json.dumps(c["path"])
)
def test_claims_path_pointer_twin(case: dict[str, Any]) -> None:
    # Remove the top-level claim the pointer starts from: the selection must become an error.
    credential = copy.deepcopy(POINTER["credential"])
    del credential[case["path"][0]]
    with pytest.raises(DcqlError) as err:
        select_claims(case["path"], credential)
    assert err.value.reason is Reason.MISSING_CLAIM
