"""OpenID Federation 1.0 Section 6.1 metadata policy operators: each applied, merged and refused."""

from __future__ import annotations

from typing import Any

import pytest

from idcore.errors import Reason, TrustError
from idcore.trust.federation_policy import apply_policy, merge_policies

T = "openid_credential_issuer"


def resolve(*policies: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    merged = merge_policies([{T: p} for p in policies])
    out: dict[str, Any] = apply_policy(merged, {T: metadata})[T]
    return out


def refused(*policies: dict[str, Any], **metadata: Any) -> None:
    with pytest.raises(TrustError) as err:
        resolve(*policies, **metadata)
    assert err.value.reason is Reason.FEDERATION_POLICY_ERROR


@pytest.mark.parametrize(
    ("policy", "metadata", "expected"),
    [
        ({"a": {"value": "x"}}, {"a": "y"}, {"a": "x"}),
        ({"a": {"value": None}}, {"a": "y", "b": 1}, {"b": 1}),
        ({"a": {"add": ["z"]}}, {"a": ["x"]}, {"a": ["x", "z"]}),
        ({"a": {"add": ["z"]}}, {}, {"a": ["z"]}),
        ({"a": {"default": "d"}}, {}, {"a": "d"}),
        ({"a": {"default": "d"}}, {"a": "x"}, {"a": "x"}),
        ({"a": {"one_of": ["x", "y"]}}, {"a": "x"}, {"a": "x"}),
        ({"a": {"one_of": ["x", "y"]}}, {}, {}),
        ({"a": {"subset_of": ["x", "y"]}}, {"a": ["x", "z"]}, {"a": ["x"]}),
        ({"a": {"superset_of": ["x"]}}, {"a": ["x", "z"]}, {"a": ["x", "z"]}),
        ({"a": {"essential": True, "default": "d"}}, {}, {"a": "d"}),
        ({"a": {"essential": False}}, {}, {}),
    ],
)
def test_each_operator_applies(policy: dict[str, Any], metadata: dict[str, Any], expected: dict[str, Any]) -> None:
    assert resolve(policy, **metadata) == expected


@pytest.mark.parametrize(
    ("policy", "metadata"),
    [
        ({"a": {"one_of": ["x", "y"]}}, {"a": "z"}),
        ({"a": {"superset_of": ["x", "y"]}}, {"a": ["x"]}),
        ({"a": {"essential": True}}, {}),
        ({"a": {"subset_of": ["x"]}}, {"a": "x"}),  # not an array
        ({"a": {"add": ["x"]}}, {"a": "x"}),
    ],
)
def test_non_compliant_metadata_is_refused(policy: dict[str, Any], metadata: dict[str, Any]) -> None:
    refused(policy, **metadata)


def test_merges_restrict_and_never_loosen() -> None:
    assert resolve({"a": {"subset_of": ["x", "y"]}}, {"a": {"subset_of": ["y", "z"]}}, a=["x", "y", "z"]) == {
        "a": ["y"]
    }
    assert resolve({"a": {"one_of": ["x", "y"]}}, {"a": {"one_of": ["y"]}}, a="y") == {"a": "y"}
    assert resolve({"a": {"superset_of": ["x"]}}, {"a": {"superset_of": ["y"]}}, a=["x", "y"]) == {"a": ["x", "y"]}
    assert resolve({"a": {"add": ["x"]}}, {"a": {"add": ["y"]}}) == {"a": ["x", "y"]}
    assert resolve({"a": {"essential": True}}, {"a": {"essential": False}}, a=1) == {"a": 1}
    refused({"a": {"essential": True}}, {"a": {"essential": False}})  # still essential after the merge
    refused({"a": {"one_of": ["x"]}}, {"a": {"one_of": ["y"]}}, a="x")  # empty intersection
    refused({"a": {"value": "x"}}, {"a": {"value": "y"}})
    refused({"a": {"default": "x"}}, {"a": {"default": "y"}})
    refused({"a": {"subset_of": ["x"]}}, {"a": {"value": ["y"]}})  # value outside the superior's subset_of


@pytest.mark.parametrize(
    "policy",
    [
        {"a": {"value": "x", "one_of": ["y"]}},
        {"a": {"one_of": ["x"], "subset_of": ["x"]}},
        {"a": {"subset_of": ["x"], "superset_of": ["y"]}},
        {"a": {"add": ["y"], "subset_of": ["x"]}},
        {"a": {"value": None, "essential": True}},
        {"a": {"default": None}},
        {"a": {"subset_of": "x"}},
        {"a": {"essential": "yes"}},
        {"a": {"unknown_operator": 1}},
        {"a": "not an object"},
    ],
)
def test_impossible_policies_are_refused(policy: dict[str, Any]) -> None:
    refused(policy, a="x")
