"""OpenID Federation 1.0 metadata policies: merging down a trust chain and applying to metadata.

Section 6.1 ("Metadata Policy"), the standard operators of Section 6.1.3.1 in their order of
application — ``value``, ``add``, ``default``, ``one_of``, ``subset_of``, ``superset_of``,
``essential`` — with the merge rules each operator defines (Section 6.1.4.1) and the combination
rules it declares:

* ``value`` / ``default``: merged only when equal; ``value`` sets (``null`` removes) the
  parameter, ``default`` sets it when absent;
* ``add``: union; adds to an array parameter;
* ``one_of``: intersection (empty: policy error); the parameter, when present, must be one of them;
* ``subset_of``: intersection; the parameter (an array) is reduced to its intersection;
* ``superset_of``: union; the parameter, when present, must contain them all;
* ``essential``: logical OR; the parameter must be present after the other operators.

Closed by default: an operator this module does not know is a policy error (a federation that
adds operators must be understood before it is trusted), as are combinations the operators
forbid and a merge that loosens a superior's policy. Errors are :class:`TrustError`
``federation_policy_error``; the chain they occur in is invalid (Section 6.1.4.2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from idcore.errors import Reason, TrustError

__all__ = ["OPERATORS", "apply_policy", "merge_policies"]

#: The standard operators, in their order of application (Section 6.1.3.1).
OPERATORS = ("value", "add", "default", "one_of", "subset_of", "superset_of", "essential")
_ARRAY_OPERATORS = frozenset({"add", "one_of", "subset_of", "superset_of"})
_Policy = dict[str, dict[str, dict[str, Any]]]


def _error(detail: str) -> TrustError:
    return TrustError(Reason.FEDERATION_POLICY_ERROR, detail)


def _union(first: list[Any], second: list[Any]) -> list[Any]:
    return [*first, *(v for v in second if v not in first)]


def _intersection(first: list[Any], second: list[Any]) -> list[Any]:
    return [v for v in first if v in second]


def _check_operators(name: str, ops: Mapping[str, Any]) -> None:
    """Known operators with values of the right type, in allowed combinations."""
    for op, value in ops.items():
        if op not in OPERATORS:
            raise _error(f"{name}: unknown policy operator {op!r}")
        if op in _ARRAY_OPERATORS and not isinstance(value, list):
            raise _error(f"{name}: {op} needs an array")
        if op == "essential" and not isinstance(value, bool):
            raise _error(f"{name}: essential needs a boolean")
    if "one_of" in ops and _ARRAY_OPERATORS.intersection(ops) - {"one_of"}:
        raise _error(f"{name}: one_of cannot be combined with add, subset_of or superset_of")
    if "value" in ops:
        _check_value(name, ops)
    if "subset_of" in ops and not all(v in ops["subset_of"] for v in ops.get("superset_of", [])):
        raise _error(f"{name}: superset_of is not within subset_of")
    if "subset_of" in ops and not all(v in ops["subset_of"] for v in ops.get("add", [])):
        raise _error(f"{name}: add is not within subset_of")
    if "default" in ops and ops["default"] is None:
        raise _error(f"{name}: default cannot be null")


def _check_value(name: str, ops: Mapping[str, Any]) -> None:
    value = ops["value"]
    if value is None:
        if ops.get("essential") is True:
            raise _error(f"{name}: a null value cannot be essential")
        return
    values = value if isinstance(value, list) else [value]
    if "one_of" in ops and value not in ops["one_of"]:
        raise _error(f"{name}: value is not one of one_of")
    if "subset_of" in ops and not all(v in ops["subset_of"] for v in values):
        raise _error(f"{name}: value is not a subset of subset_of")
    if not all(v in values for v in ops.get("superset_of", [])):
        raise _error(f"{name}: value is not a superset of superset_of")
    if not all(v in values for v in ops.get("add", [])):
        raise _error(f"{name}: value does not contain add")
    if "default" in ops and ops["default"] != value:
        raise _error(f"{name}: default differs from value")


def _merge_operator(name: str, op: str, superior: Any, subordinate: Any) -> Any:
    if op in ("value", "default"):
        if superior != subordinate:
            raise _error(f"{name}: conflicting {op} in the chain")
        return superior
    if op in ("add", "superset_of"):
        return _union(superior, subordinate)
    if op == "one_of":
        merged = _intersection(superior, subordinate)
        if not merged:
            raise _error(f"{name}: one_of values of the chain do not intersect")
        return merged
    if op == "subset_of":
        return _intersection(superior, subordinate)
    return bool(superior) or bool(subordinate)  # essential


def _as_policy(raw: Any) -> _Policy:
    if not isinstance(raw, dict):
        raise _error("metadata_policy must be an object")
    for entity_type, params in raw.items():
        if not isinstance(params, dict) or not all(isinstance(ops, dict) for ops in params.values()):
            raise _error(f"metadata_policy for {entity_type!r} must map parameters to operator objects")
        for param, ops in params.items():
            _check_operators(f"{entity_type}.{param}", ops)
    return raw


def merge_policies(policies: Iterable[Any]) -> _Policy:
    """Merge the ``metadata_policy`` of each subordinate statement, the trust anchor's first."""
    merged: _Policy = {}
    for raw in policies:
        for entity_type, params in _as_policy(raw).items():
            into = merged.setdefault(entity_type, {})
            for param, ops in params.items():
                current = dict(into.get(param, {}))
                for op, value in ops.items():
                    current[op] = _merge_operator(param, op, current[op], value) if op in current else value
                _check_operators(f"{entity_type}.{param}", current)
                into[param] = current
    return merged


def _apply_one(name: str, ops: Mapping[str, Any], metadata: dict[str, Any]) -> None:
    present = name in metadata
    if "value" in ops:
        if ops["value"] is None:
            metadata.pop(name, None)
        else:
            metadata[name] = ops["value"]
        present = name in metadata
    if "add" in ops:
        current = metadata.get(name, [])
        if not isinstance(current, list):
            raise _error(f"{name}: add applies to arrays only")
        metadata[name] = _union(current, ops["add"])
        present = True
    if "default" in ops and not present:
        metadata[name] = ops["default"]
        present = True
    if "one_of" in ops and present and metadata[name] not in ops["one_of"]:
        raise _error(f"{name}: {metadata[name]!r} is not one of the allowed values")
    if "subset_of" in ops and present:
        if not isinstance(metadata[name], list):
            raise _error(f"{name}: subset_of applies to arrays only")
        metadata[name] = _intersection(metadata[name], ops["subset_of"])
    if "superset_of" in ops and present:
        if not isinstance(metadata[name], list) or not all(v in metadata[name] for v in ops["superset_of"]):
            raise _error(f"{name}: does not contain every required value")
    if ops.get("essential") is True and name not in metadata:
        raise _error(f"{name}: an essential parameter is missing")


def apply_policy(policy: Mapping[str, Mapping[str, Mapping[str, Any]]], metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The resolved metadata: ``policy`` (merged) applied to each entity type's ``metadata``.

    Entity types present in the policy but not in the metadata get no metadata (the policy
    applies to metadata that exists; Section 6.1.4.2). Returns new dictionaries.
    """
    resolved: dict[str, Any] = {}
    for entity_type, params in metadata.items():
        if not isinstance(params, dict):
            raise _error(f"metadata for {entity_type!r} must be an object")
        out = dict(params)
        for name, ops in policy.get(entity_type, {}).items():
            _apply_one(name, ops, out)
        resolved[entity_type] = out
    return resolved
