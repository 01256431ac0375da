"""List settings every service reads alike: a JSON array or a comma list (issue #14 item 2).

pydantic-settings decodes a ``list[str]`` from the environment as JSON only, so
``LINTAS_VERIFIER_REGISTRY_PIN_SHA256=<current>,<next>`` would be refused. :data:`StrList` takes
either form and strips the items; an empty value is the empty list.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_settings import NoDecode

__all__ = ["StrList"]


def _split_list(value: Any) -> Any:
    """A JSON array or a comma list (from the environment or a file) as a list of stripped strings."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except ValueError:
                raise ValueError("not a JSON array: write a JSON array or a comma list") from None
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


#: A list setting read from a JSON array or a comma list (pydantic-settings would accept JSON only).
StrList = Annotated[list[str], NoDecode, BeforeValidator(_split_list)]
