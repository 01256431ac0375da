"""Unit tests for idcore.dcql: query validation (OpenID4VP 1.0 Section 6), wallet matching (6.4),
the verifier check (8.6) and claims path pointers (7). Spec vectors live in tests/vectors/.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import idcore.dcql
from idcore.dcql import (
    DcqlQuery,
    PresentedCredential,
    WalletCredential,
    check_presentation,
    match_query,
    parse_query,
    parse_query_json,
    select_claims,
    select_mdoc_claim,
)
from idcore.errors import DcqlError, Reason

PID_VCT = "https://lintas.example/pid"
MDL = "org.iso.18013.5.1.mDL"
NS = "org.iso.18013.5.1"


def base_query() -> dict[str, Any]:
    """A valid query touching every member this module understands."""
    return {
        "credentials": [
            {
                "id": "pid",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": [PID_VCT]},
                "claims": [
                    {"id": "gn", "path": ["given_name"]},
                    {"id": "age", "path": ["age_equal_or_over", "18"], "values": [True]},
                    {"id": "bd", "path": ["birthdate"]},
                ],
                "claim_sets": [["gn", "age"], ["gn", "bd"]],
                "trusted_authorities": [{"type": "aki", "values": ["s9tIpPmhxdiuNkHMEWNpYim8S8Y"]}],
            },
            {
                "id": "mdl",
                "format": "mso_mdoc",
                "meta": {"doctype_value": MDL},
                "claims": [{"path": [NS, "family_name"], "intent_to_retain": False}],
            },
            {
                "id": "loyalty",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": ["https://shop.example/loyalty"]},
                "multiple": True,
                "require_cryptographic_holder_binding": False,
            },
        ],
        "credential_sets": [{"options": [["pid"], ["mdl"]]}, {"required": False, "options": [["loyalty"]]}],
    }


def mutate(fn: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    query = base_query()
    fn(query)
    return query


def cred(q: dict[str, Any], i: int = 0) -> dict[str, Any]:
    credential: dict[str, Any] = q["credentials"][i]
    return credential


# --- parsing -----------------------------------------------------------------------------


def test_base_query_parses_with_spec_defaults() -> None:
    query = parse_query(base_query())
    pid, mdl, loyalty = query.credentials
    assert query.credential_ids == ("pid", "mdl", "loyalty")
    assert pid.multiple is False
    assert pid.require_cryptographic_holder_binding is True
    assert pid.vct_values == (PID_VCT,)
    assert mdl.doctype_value == MDL
    assert pid.claim_sets == (("gn", "age"), ("gn", "bd"))
    assert pid.claims is not None
    assert pid.claims[1].path == ("age_equal_or_over", "18")
    assert pid.trusted_authorities is not None
    assert pid.trusted_authorities[0].type == "aki"
    assert mdl.claims is not None
    assert mdl.claims[0].intent_to_retain is False
    assert loyalty.multiple is True
    assert loyalty.require_cryptographic_holder_binding is False
    assert query.credential_sets is not None
    assert [s.required for s in query.credential_sets] == [True, False]


INVALID: dict[str, Callable[[dict[str, Any]], object]] = {
    "credentials missing": lambda q: q.pop("credentials"),
    "credentials empty": lambda q: q.update(credentials=[]),
    "credentials not array": lambda q: q.update(credentials={"id": "x"}),
    "credential not object": lambda q: q["credentials"].append("pid"),
    "id missing": lambda q: cred(q).pop("id"),
    "id empty": lambda q: (q.pop("credential_sets"), cred(q).update(id="")),
    "id with space": lambda q: (q.pop("credential_sets"), cred(q).update(id="my pid")),
    "id non-ascii": lambda q: (q.pop("credential_sets"), cred(q).update(id="pïd")),
    "id not string": lambda q: (q.pop("credential_sets"), cred(q).update(id=7)),
    "duplicate credential id": lambda q: q["credentials"].append(copy.deepcopy(cred(q))),
    "format missing": lambda q: cred(q).pop("format"),
    "format empty": lambda q: cred(q).update(format=""),
    "vct_values empty string": lambda q: cred(q).update(meta={"vct_values": [""]}),
    "format not string": lambda q: cred(q).update(format=["dc+sd-jwt"]),
    "meta missing": lambda q: cred(q).pop("meta"),
    "meta not object": lambda q: cred(q).update(meta=[]),
    "vct_values missing": lambda q: cred(q).update(meta={}),
    "vct_values empty": lambda q: cred(q).update(meta={"vct_values": []}),
    "vct_values not strings": lambda q: cred(q).update(meta={"vct_values": [1]}),
    "vct_values string": lambda q: cred(q).update(meta={"vct_values": PID_VCT}),
    "doctype_value missing": lambda q: cred(q, 1).update(meta={}),
    "doctype_value not string": lambda q: cred(q, 1).update(meta={"doctype_value": [MDL]}),
    "multiple not bool": lambda q: cred(q).update(multiple="true"),
    "holder binding not bool": lambda q: cred(q).update(require_cryptographic_holder_binding=0),
    "claims empty": lambda q: cred(q, 1).update(claims=[]),
    "claims not array": lambda q: cred(q, 1).update(claims={"path": ["a"]}),
    "claim not object": lambda q: cred(q, 1).update(claims=[[NS, "x"]]),
    "path missing": lambda q: cred(q)["claims"][0].pop("path"),
    "path empty": lambda q: cred(q)["claims"][0].update(path=[]),
    "path string": lambda q: cred(q)["claims"][0].update(path="given_name"),
    "path negative index": lambda q: cred(q)["claims"][0].update(path=["a", -1]),
    "path boolean": lambda q: cred(q)["claims"][0].update(path=["a", True]),
    "path float": lambda q: cred(q)["claims"][0].update(path=["a", 1.0]),
    "path object": lambda q: cred(q)["claims"][0].update(path=[{"a": 1}]),
    "path too long": lambda q: cred(q)["claims"][0].update(path=["a"] * 33),
    "mdoc path one element": lambda q: cred(q, 1)["claims"][0].update(path=[NS]),
    "mdoc path three elements": lambda q: cred(q, 1)["claims"][0].update(path=[NS, "a", "b"]),
    "mdoc path with null": lambda q: cred(q, 1)["claims"][0].update(path=[NS, None]),
    "intent_to_retain not bool": lambda q: cred(q, 1)["claims"][0].update(intent_to_retain="no"),
    "claim id bad": lambda q: cred(q)["claims"].append({"id": "g n", "path": ["nationality"]}),
    "duplicate claim id": lambda q: cred(q)["claims"].append({"id": "gn", "path": ["nationality"]}),
    "duplicate claim path": lambda q: cred(q)["claims"][2].update(path=["given_name"]),
    "values empty": lambda q: cred(q)["claims"][1].update(values=[]),
    "values not array": lambda q: cred(q)["claims"][1].update(values=True),
    "values null": lambda q: cred(q)["claims"][1].update(values=[None]),
    "values float": lambda q: cred(q)["claims"][1].update(values=[18.0]),
    "values object": lambda q: cred(q)["claims"][1].update(values=[{"v": 1}]),
    "claim_sets without claims": lambda q: cred(q, 2).update(claim_sets=[["a"]]),
    "claim_sets with id-less claim": lambda q: cred(q)["claims"].append({"path": ["nationality"]}),
    "claim_sets unknown id": lambda q: cred(q)["claim_sets"].append(["gn", "zz"]),
    "claim_sets empty": lambda q: cred(q).update(claim_sets=[]),
    "claim_sets empty option": lambda q: cred(q)["claim_sets"].append([]),
    "claim_sets repeated id": lambda q: cred(q)["claim_sets"].append(["gn", "gn"]),
    "claim_sets not nested": lambda q: cred(q).update(claim_sets=["gn"]),
    "trusted_authorities empty": lambda q: cred(q).update(trusted_authorities=[]),
    "trusted_authority type missing": lambda q: cred(q)["trusted_authorities"][0].pop("type"),
    "trusted_authority values empty": lambda q: cred(q)["trusted_authorities"][0].update(values=[]),
    "aki not base64url": lambda q: cred(q)["trusted_authorities"][0].update(values=["s9tI+PmhxA=="]),
    "credential_sets empty": lambda q: q.update(credential_sets=[]),
    "credential_set not object": lambda q: q["credential_sets"].append(["pid"]),
    "options missing": lambda q: q["credential_sets"][0].pop("options"),
    "options empty": lambda q: q["credential_sets"][0].update(options=[]),
    "option empty": lambda q: q["credential_sets"][0]["options"].append([]),
    "option unknown id": lambda q: q["credential_sets"][0]["options"].append(["passport"]),
    "option repeated id": lambda q: q["credential_sets"][0]["options"].append(["pid", "pid"]),
    "required not bool": lambda q: q["credential_sets"][1].update(required="false"),
    "too many credentials": lambda q: (
        q.pop("credential_sets"),
        q.update(credentials=[{"id": f"c{i}", "format": "x", "meta": {}} for i in range(65)]),
    ),
}


@pytest.mark.parametrize("name", INVALID)
def test_invalid_query_rejected(name: str) -> None:
    with pytest.raises(DcqlError) as err:
        parse_query(mutate(INVALID[name]))
    assert err.value.reason is Reason.INVALID_QUERY


@pytest.mark.parametrize("raw", [None, [], "query", 1])
def test_query_not_object(raw: object) -> None:
    with pytest.raises(DcqlError) as err:
        parse_query(raw)
    assert err.value.reason is Reason.INVALID_QUERY


def test_unknown_members_ignored_and_unknown_format_parses() -> None:
    # Section 6: "Implementations MUST ignore any unknown properties".
    query = mutate(lambda q: (q.update(future=1), cred(q).update(future={"x": 1})))
    query["credentials"].append({"id": "vc", "format": "jwt_vc_json", "meta": {"type_values": [["VC"]]}})
    assert parse_query(query).credentials[-1].format == "jwt_vc_json"


def test_parse_query_json_round_trip_and_rejections() -> None:
    assert parse_query_json(json.dumps(base_query())) == parse_query(base_query())
    bad = ['{"credentials": [], "credentials": []}', "{", '{"credentials": NaN}', b"\xff"]
    for text in bad:
        with pytest.raises(DcqlError) as err:
            parse_query_json(text)
        assert err.value.reason is Reason.INVALID_QUERY


def test_public_api_is_exported() -> None:
    for name in idcore.dcql.__all__:
        assert hasattr(idcore.dcql, name), name


# --- claims path pointers ---------------------------------------------------------------


def test_select_claims_wildcards_and_errors() -> None:
    doc = {"a": [{"b": 1}, {"c": 2}, {"b": 3}], "n": [[1, 2], [3]]}
    assert select_claims(["a", None, "b"], doc) == [1, 3]
    assert select_claims(["n", None, 1], doc) == [2]
    assert select_claims(["n", None, None], doc) == [1, 2, 3]
    with pytest.raises(DcqlError) as err:
        select_claims(["a", None, "x"], doc)
    assert err.value.reason is Reason.MISSING_CLAIM
    with pytest.raises(DcqlError) as err:
        select_claims(["a", False], doc)
    assert err.value.reason is Reason.INVALID_QUERY
    with pytest.raises(DcqlError):
        select_claims(["a"], ["not", "an", "object"])
    # A key applied to a string or array is an error even when the "key" occurs inside it.
    for path in (["s", "Art"], ["l", "x"]):
        with pytest.raises(DcqlError) as err:
            select_claims(path, {"s": "Arthur", "l": ["x"]})
        assert err.value.reason is Reason.MISSING_CLAIM


def test_select_mdoc_claim() -> None:
    namespaces = {NS: {"family_name": "Tan", "age_over_18": True}}
    assert select_mdoc_claim([NS, "family_name"], namespaces) == "Tan"
    for path in ([NS, "given_name"], ["org.other", "family_name"]):
        with pytest.raises(DcqlError) as err:
            select_mdoc_claim(path, namespaces)
        assert err.value.reason is Reason.MISSING_CLAIM
    for path in ([NS], [NS, "family_name", "x"], [NS, 0]):
        with pytest.raises(DcqlError) as err:
            select_mdoc_claim(path, namespaces)
        assert err.value.reason is Reason.INVALID_QUERY


# --- wallet matching --------------------------------------------------------------------


def pid_credential(binding: bool = True, **claims: Any) -> WalletCredential:
    payload = {"vct": PID_VCT, "given_name": "Siti", "age_equal_or_over": {"18": True}, **claims}
    return WalletCredential(
        format="dc+sd-jwt",
        credential_type=PID_VCT,
        cryptographic_holder_binding=binding,
        claims=payload,
        authority_key_identifiers=frozenset({"s9tIpPmhxdiuNkHMEWNpYim8S8Y"}),
    )


def mdl_credential(doctype: str = MDL) -> WalletCredential:
    return WalletCredential.from_dict(
        {
            "format": "mso_mdoc",
            "doctype": doctype,
            "cryptographic_holder_binding": True,
            "namespaces": {NS: {"family_name": "Tan"}},
        }
    )


def test_match_prefers_first_claim_set_and_lists_every_match() -> None:
    query = parse_query(base_query())
    adult = pid_credential(birthdate="2000-01-01")
    minor = pid_credential(age_equal_or_over={"18": False}, birthdate="2010-01-01")
    result = match_query(query, [adult, minor, mdl_credential()])
    matches = result.credential_queries["pid"].matches
    assert [(m.credential_index, m.claim_set) for m in matches] == [(0, ("gn", "age")), (1, ("gn", "bd"))]
    assert matches[1].claim_paths == (("given_name",), ("birthdate",))
    assert result.credential_queries["mdl"].matching_credential_indices == (2,)
    assert result.can_be_satisfied is True
    assert result.credential_sets is not None
    assert result.credential_sets[0].satisfied_options == (("pid",), ("mdl",))


def test_match_holder_binding_required_by_default() -> None:
    query = parse_query(base_query())
    result = match_query(query, [pid_credential(binding=False)])
    assert result.credential_queries["pid"].matches == ()
    assert result.can_be_satisfied is False
    # require_cryptographic_holder_binding: false accepts an unbound credential; no claims asked.
    loyalty = WalletCredential("dc+sd-jwt", "https://shop.example/loyalty", False, {"points": 3})
    result = match_query(query, [loyalty])
    assert result.credential_queries["loyalty"].matches[0].claim_paths == ()
    assert result.credential_queries["loyalty"].matches[0].claim_set is None


def test_match_trusted_authorities_aki() -> None:
    query = parse_query(base_query())
    trusted = pid_credential()
    other = WalletCredential(trusted.format, trusted.credential_type, True, trusted.claims, frozenset({"AAAA"}))
    unknown_chain = WalletCredential(trusted.format, trusted.credential_type, True, trusted.claims)
    result = match_query(query, [trusted, other, unknown_chain])
    assert result.credential_queries["pid"].matching_credential_indices == (0,)
    # A type this module cannot evaluate is left to the Verifier instead of withholding.
    lenient = mutate(
        lambda q: cred(q)["trusted_authorities"].append({"type": "openid_federation", "values": ["https://ta.example"]})
    )
    result = match_query(parse_query(lenient), [trusted, other, unknown_chain])
    assert result.credential_queries["pid"].matching_credential_indices == (0, 1, 2)


def test_match_mdoc_doctype_and_unknown_format() -> None:
    query = mutate(lambda q: q.pop("credential_sets"))
    query["credentials"][2:] = [{"id": "vc", "format": "jwt_vc_json", "meta": {}}]
    result = match_query(parse_query(query), [pid_credential(), mdl_credential("org.iso.7367.1.mVRC")])
    assert result.credential_queries["mdl"].matches == ()
    assert result.credential_queries["vc"].matches == ()
    assert result.can_be_satisfied is False


def test_match_values_with_wildcard_and_exact_types() -> None:
    query = parse_query(
        {
            "credentials": [
                {
                    "id": "c",
                    "format": "dc+sd-jwt",
                    "meta": {"vct_values": [PID_VCT]},
                    "claims": [{"path": ["nationalities", None], "values": ["MY"]}, {"path": ["level"], "values": [2]}],
                }
            ]
        }
    )
    good = pid_credential(nationalities=["SG", "MY"], level=2)
    assert match_query(query, [good]).can_be_satisfied is True
    for bad in (
        pid_credential(nationalities=["SG"], level=2),
        pid_credential(nationalities=["MY"], level=2.0),
        pid_credential(nationalities=["MY"], level="2"),
        pid_credential(nationalities="MY", level=2),
    ):
        assert match_query(query, [bad]).can_be_satisfied is False


def test_all_optional_credential_sets_are_satisfiable_with_nothing() -> None:
    query = mutate(lambda q: q.update(credential_sets=[{"required": False, "options": [["pid"]]}]))
    assert match_query(parse_query(query), []).can_be_satisfied is True
    assert match_query(parse_query(mutate(lambda q: None)), []).can_be_satisfied is False


@pytest.mark.parametrize(
    "raw",
    [
        {"format": "ldp_vc", "vct": PID_VCT, "cryptographic_holder_binding": True, "claims": {}},
        {"format": "dc+sd-jwt", "vct": PID_VCT, "cryptographic_holder_binding": True, "claims": {"vct": "other"}},
        {"format": "dc+sd-jwt", "vct": PID_VCT, "cryptographic_holder_binding": "yes", "claims": {}},
        {"format": "dc+sd-jwt", "cryptographic_holder_binding": True, "claims": {}},
        {"format": "mso_mdoc", "doctype": MDL, "cryptographic_holder_binding": True, "namespaces": {NS: []}},
        {
            "format": "dc+sd-jwt",
            "vct": PID_VCT,
            "cryptographic_holder_binding": True,
            "claims": {},
            "authority_key_identifiers": "AAAA",
        },
        ["not", "an", "object"],
    ],
)
def test_wallet_credential_malformed(raw: Any) -> None:
    with pytest.raises(DcqlError) as err:
        WalletCredential.from_dict(raw)
    assert err.value.reason is Reason.MALFORMED


# --- verifier check ---------------------------------------------------------------------


def shown_pid(binding: bool = True, vct: str = PID_VCT, **claims: Any) -> PresentedCredential:
    disclosed = {"vct": vct, "given_name": "Siti", "age_equal_or_over": {"18": True}, **claims}
    return PresentedCredential("dc+sd-jwt", vct, disclosed, holder_binding_verified=binding)


def shown_mdl(doctype: str = MDL) -> PresentedCredential:
    return PresentedCredential("mso_mdoc", doctype, {NS: {"family_name": "Tan"}}, holder_binding_verified=True)


LOYALTY = PresentedCredential("dc+sd-jwt", "https://shop.example/loyalty", {}, holder_binding_verified=False)


def query() -> DcqlQuery:
    return parse_query(base_query())


@pytest.mark.parametrize(
    "presented",
    [
        {"pid": [shown_pid()]},
        {"mdl": [shown_mdl()]},
        {"pid": [shown_pid()], "loyalty": [LOYALTY, LOYALTY]},
        {"pid": [shown_pid(age_equal_or_over={"18": False}, birthdate="2010-01-01")]},  # second claim set
        {"pid": [shown_pid()], "mdl": [shown_mdl()]},
    ],
)
def test_check_presentation_accepts(presented: dict[str, list[PresentedCredential]]) -> None:
    check_presentation(query(), presented)


REJECTED: dict[str, dict[str, Any]] = {
    "unknown key": {"pid": [shown_pid()], "passport": [shown_pid()]},
    "nothing": {},
    "only optional set": {"loyalty": [LOYALTY]},
    "empty array": {"pid": []},
    "empty array for multiple": {"pid": [shown_pid()], "loyalty": []},
    "two for multiple false": {"pid": [shown_pid(), shown_pid()]},
    "missing claim": {"pid": [PresentedCredential("dc+sd-jwt", PID_VCT, {"given_name": "Siti"}, True)]},
    "wrong value": {"pid": [shown_pid(age_equal_or_over={"18": False})]},
    "value type": {"pid": [shown_pid(age_equal_or_over={"18": "true"})]},
    "holder binding absent": {"pid": [shown_pid(binding=False)]},
    "wrong vct": {"pid": [shown_pid(vct="https://evil.example/pid")]},
    "wrong format": {"pid": [PresentedCredential("mso_mdoc", PID_VCT, {}, True)]},
    "wrong doctype": {"mdl": [shown_mdl("org.iso.7367.1.mVRC")]},
    "not verified object": {"pid": [{"format": "dc+sd-jwt"}]},
    "bad credential among multiple": {"pid": [shown_pid()], "loyalty": [LOYALTY, shown_pid()]},
}


@pytest.mark.parametrize("name", REJECTED)
def test_check_presentation_rejects(name: str) -> None:
    with pytest.raises(DcqlError) as err:
        check_presentation(query(), REJECTED[name])
    assert err.value.reason is Reason.DCQL_UNSATISFIED


def test_check_presentation_needs_whole_options() -> None:
    raw = mutate(lambda q: q["credential_sets"][0]["options"].append(["pid", "loyalty"]))
    raw["credential_sets"].pop()
    partial = parse_query(raw)
    check_presentation(partial, {"pid": [shown_pid()], "loyalty": [LOYALTY]})
    with pytest.raises(DcqlError):  # loyalty is now only part of an option never completed
        check_presentation(partial, {"mdl": [shown_mdl()], "loyalty": [LOYALTY]})


def test_check_presentation_without_sets_needs_every_query() -> None:
    no_sets = parse_query(mutate(lambda q: q.pop("credential_sets")))
    check_presentation(no_sets, {"pid": [shown_pid()], "mdl": [shown_mdl()], "loyalty": [LOYALTY]})
    with pytest.raises(DcqlError) as err:
        check_presentation(no_sets, {"pid": [shown_pid()], "mdl": [shown_mdl()]})
    assert err.value.reason is Reason.DCQL_UNSATISFIED


# --- properties ---------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=20,
)


def rejection(fn: Callable[..., Any], *args: Any) -> Reason | None:
    """Run ``fn``; return the DcqlError reason, or None when it succeeded. Other errors propagate."""
    try:
        fn(*args)
    except DcqlError as err:
        return err.reason
    return None


@settings(max_examples=300, deadline=None)
@given(raw=JSON)
def test_parse_query_arbitrary_json_only_raises_dcql_error(raw: Any) -> None:
    assert rejection(parse_query, raw) in (None, Reason.INVALID_QUERY)


def _leaves(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*prefix, k))] or [prefix]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaves(v, (*prefix, i))] or [prefix]
    return [prefix]


@settings(max_examples=300, deadline=None)
@given(data=st.data(), replacement=JSON)
def test_mutated_query_parses_or_fails_cleanly(data: st.DataObject, replacement: Any) -> None:
    raw = base_query()
    where = data.draw(st.sampled_from(_leaves(raw)))
    node = raw
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = replacement
    reason = rejection(parse_query, copy.deepcopy(raw))
    assert reason in (None, Reason.INVALID_QUERY)
    if reason is None:
        match_query(parse_query(raw), [pid_credential(), mdl_credential()])


@settings(max_examples=300, deadline=None)
@given(doc=st.dictionaries(st.text(max_size=3), JSON, min_size=1, max_size=4), data=st.data())
def test_pointer_walked_from_document_selects_that_value(doc: dict[str, Any], data: st.DataObject) -> None:
    path = data.draw(st.sampled_from([p for p in _leaves(doc) if p]))
    expected: Any = doc
    for component in path:
        expected = expected[component]
    assert select_claims(list(path), doc) == [expected]


@settings(max_examples=300, deadline=None)
@given(doc=JSON, path=st.lists(st.none() | st.integers(-1, 3) | st.text(max_size=2) | st.booleans(), max_size=4))
def test_pointer_on_anything_selects_or_raises_dcql_error(doc: Any, path: list[Any]) -> None:
    reason = rejection(select_claims, path, doc)
    assert reason in (None, Reason.INVALID_QUERY, Reason.MISSING_CLAIM)
    if reason is None:
        assert select_claims(path, doc) != []
