"""Claims path pointers: OpenID4VP 1.0 Section 7 ("Claims Path Pointer").

Section 7 defines a claims path pointer as a non-empty array of strings, nulls and
non-negative integers. Section 7.1.1 ("Processing") applies it to a JSON-based credential
(here: the processed SD-JWT VC payload); Section 7.2.1 applies it to an ISO mdoc, where it is
exactly ``[namespace, data_element_identifier]``.

Every "abort processing and return an error" of the spec raises :class:`DcqlError`:

* :attr:`Reason.INVALID_QUERY` when the pointer itself is not a claims path pointer
  (empty, a negative integer, a boolean, a float, ...: step 2.4 "anything else");
* :attr:`Reason.MISSING_CLAIM` when a well-formed pointer does not apply to this credential
  (a component met the wrong JSON type, steps 2.1-2.3, or the selection became empty, step 3).

A DCQL matcher treats both as "this claim does not exist in the credential".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from idcore.errors import DcqlError, Reason

__all__ = ["MAX_PATH_LENGTH", "ClaimsPath", "select_claims", "select_mdoc_claim", "validate_path"]

PathComponent = str | int | None
ClaimsPath = tuple[PathComponent, ...]

#: Real credentials nest a handful of levels; a longer pointer is a malformed or hostile query.
MAX_PATH_LENGTH = 32


def _is_index(component: object) -> bool:
    # bool is a subclass of int in Python, but JSON true/false is not an array index.
    return isinstance(component, int) and not isinstance(component, bool) and component >= 0


def validate_path(path: object) -> ClaimsPath:
    """Check that ``path`` is a claims path pointer (Section 7) and return it as a tuple.

    Raises ``DcqlError(INVALID_QUERY)`` for anything that is not a non-empty array of
    strings, nulls and non-negative integers.
    """
    if not isinstance(path, list | tuple) or not path:
        raise DcqlError(Reason.INVALID_QUERY, "claims path pointer must be a non-empty array")
    if len(path) > MAX_PATH_LENGTH:
        raise DcqlError(Reason.INVALID_QUERY, f"claims path pointer longer than {MAX_PATH_LENGTH}")
    for component in path:
        if component is None or isinstance(component, str) or _is_index(component):
            continue
        raise DcqlError(
            Reason.INVALID_QUERY,
            "claims path pointer components must be strings, null or non-negative integers",
        )
    return tuple(path)


def _step(selection: list[Any], component: PathComponent) -> list[Any]:
    """Apply one component to the current selection (Section 7.1.1 step 2)."""
    if isinstance(component, str):
        if not all(isinstance(element, Mapping) for element in selection):
            raise DcqlError(Reason.MISSING_CLAIM, "claims path: key applied to a non-object")
        return [element[component] for element in selection if component in element]
    if not all(isinstance(element, list | tuple) for element in selection):
        raise DcqlError(Reason.MISSING_CLAIM, "claims path: array component applied to a non-array")
    if component is None:
        return [item for element in selection for item in element]
    return [element[component] for element in selection if component < len(element)]


def select_claims(path: Sequence[PathComponent], credential_claims: Any) -> list[Any]:
    """Process a claims path pointer against a JSON-based credential (Section 7.1.1).

    Returns the selected JSON elements in document order. Raises :class:`DcqlError` where the
    spec says "abort processing and return an error" (see the module docstring).
    """
    pointer = validate_path(path)
    if not isinstance(credential_claims, Mapping):
        raise DcqlError(Reason.MISSING_CLAIM, "claims path: credential root is not an object")
    selection: list[Any] = [credential_claims]
    for component in pointer:
        selection = _step(selection, component)
        if not selection:
            # Step 3 checks after the loop; an empty selection can never grow again, so stop now.
            break
    if not selection:
        raise DcqlError(Reason.MISSING_CLAIM, "claims path selects no claim")
    return selection


def select_mdoc_claim(path: Sequence[PathComponent], namespaces: Any) -> Any:
    """Process a claims path pointer against an ISO mdoc (Section 7.2.1).

    ``namespaces`` maps namespace -> data element identifier -> value (already converted to
    JSON). Returns the single selected data element value.
    """
    pointer = validate_path(path)
    if len(pointer) != 2 or not all(isinstance(component, str) for component in pointer):
        raise DcqlError(Reason.INVALID_QUERY, "mdoc claims path must be [namespace, element identifier]")
    namespace, element = str(pointer[0]), str(pointer[1])
    elements = namespaces.get(namespace) if isinstance(namespaces, Mapping) else None
    if not isinstance(elements, Mapping):
        raise DcqlError(Reason.MISSING_CLAIM, "mdoc namespace not present")
    if element not in elements:
        raise DcqlError(Reason.MISSING_CLAIM, "mdoc data element not present")
    return elements[element]
