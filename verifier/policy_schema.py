"""The configuration file's shape (policies and relying parties), its JSON Schema, and line-precise errors.

The shape is pydantic models (already a runtime dependency, strict: no ``"true"`` for ``true``,
unknown members refused so that a misspelt ``require_holder_binding`` cannot silently leave a
default in force). ``verifier/policy.schema.json`` is generated from them
(``python -m verifier.policy_schema > verifier/policy.schema.json``; a test keeps the two equal)
and served at ``/.well-known/lintas/policy.schema.json`` for editors and CI.

:func:`validate_config_text` runs before :func:`verifier.policy.load_config` reads the file:
each problem is reported as ``FILE:LINE:COLUMN: path: message``. The standard ``json`` module
reports positions of syntax errors only, so :func:`value_positions` finds where each member's
value starts (a small scanner over text ``json`` already accepted; strings are decoded by
``json``'s own ``scanstring``).
"""

from __future__ import annotations

import json
import re
import sys
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["config_schema", "validate_config_text", "value_positions"]

Country = Literal["BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN", "TL"]
_STRICT = ConfigDict(extra="forbid", strict=True)
_ID = r"^[A-Za-z0-9_-]{1,64}$"


class ShorthandCredential(BaseModel):
    """One credential asked for in the shorthand form: types and claim paths (a DCQL query is built)."""

    model_config = _STRICT
    id: str = Field(pattern=_ID)
    vct_values: list[str] = Field(min_length=1, max_length=16)
    claims: list[list[str | int] | str] = Field(min_length=1, max_length=64)


class RecognitionModel(BaseModel):
    """Judge foreign credentials by the member states' signed recognition decisions for ``purpose``."""

    model_config = _STRICT
    purpose: Literal[
        "kyc",
        "age_verification",
        "public_services",
        "cross_border_travel",
        "employment",
        "education",
        "healthcare",
        "business_onboarding",
    ]


class PolicyModel(BaseModel):
    """A verification policy; give exactly one of ``credentials`` (shorthand) and ``dcql_query`` (full DCQL)."""

    model_config = _STRICT
    purpose: str = Field(default="", max_length=300, description="Shown to the wallet user")
    credentials: list[ShorthandCredential] | None = Field(default=None, min_length=1, max_length=16)
    dcql_query: dict[str, Any] | None = Field(default=None, description="OpenID4VP 1.0 Section 6 DCQL query")
    accepted_countries: list[Country] | None = Field(default=None, min_length=1)
    max_credential_age: int | None = Field(default=None, gt=0, le=20 * 365 * 86400, description="seconds")
    require_holder_binding: bool = True
    min_assurance_level: Literal["low", "substantial", "high"] | None = None
    require_true: list[str] = Field(default_factory=list, max_length=16, description="claims that must be true")
    status_max_age: int | None = Field(default=None, ge=0, le=86400, description="seconds")
    recognition: RecognitionModel | None = Field(
        default=None, description="judge foreign credentials by the relying party's country's recognition decisions"
    )


class RelyingPartyModel(BaseModel):
    """A relying party served by this verifier (its OAuth client id is the member name)."""

    model_config = _STRICT
    name: str | None = Field(default=None, min_length=1, max_length=128)
    legal_name: str | None = Field(default=None, min_length=1, max_length=128)
    country: Country
    policies: list[str] = Field(default_factory=list, max_length=64)
    purpose: str = Field(default="", max_length=300)
    privacy_policy_url: str | None = Field(default=None, pattern=r"^https://", max_length=512)
    retention_days: int = Field(default=0, ge=0, le=3650)
    redirect_uri: str | None = Field(default=None, pattern=r"^https?://", max_length=512)
    webhook_url: str | None = Field(default=None, pattern=r"^https?://", max_length=512)
    allow_custom_queries: bool = False
    rate_limit_per_minute: int | None = Field(default=None, gt=0, le=1_000_000)
    audiences: list[str] = Field(default_factory=list, max_length=16)
    origins: list[str] = Field(
        default_factory=list,
        max_length=16,
        description="web origins (scheme://host[:port]) of its pages that call the Digital Credentials API",
    )


class ConfigFile(BaseModel):
    """The verifier's configuration file (``LINTAS_VERIFIER_CONFIG_FILE``)."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, title="Lintas verifier configuration")
    schema_: str | None = Field(default=None, alias="$schema")
    policies: dict[str, PolicyModel]
    relying_parties: dict[str, RelyingPartyModel] = Field(default_factory=dict)


def config_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of the configuration file."""
    schema = ConfigFile.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "policy.schema.json", **schema}


_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")


def value_positions(text: str) -> dict[tuple[str | int, ...], int]:
    """Offset where each value starts, by path (``()`` is the document), in JSON ``json`` already accepted."""
    positions: dict[tuple[str | int, ...], int] = {}

    def value(i: int, path: tuple[str | int, ...]) -> int:
        i = _WS.match(text, i).end()  # type: ignore[union-attr]
        positions[path] = i
        char = text[i]
        if char == "{":
            return members(i + 1, path, "}", keyed=True)
        if char == "[":
            return members(i + 1, path, "]", keyed=False)
        if char == '"':
            return int(scanstring(text, i + 1)[1])
        return _SCALAR.match(text, i).end()  # type: ignore[union-attr]

    def members(i: int, path: tuple[str | int, ...], close: str, *, keyed: bool) -> int:
        index = 0
        while True:
            i = _WS.match(text, i).end()  # type: ignore[union-attr]
            if text[i] == close:
                return i + 1
            if text[i] == ",":
                i += 1
                continue
            if keyed:
                key, i = scanstring(text, _WS.match(text, i).end() + 1)  # type: ignore[union-attr]
                i = _WS.match(text, i).end() + 1  # type: ignore[union-attr]  # past the ':'
                i = value(i, (*path, key))
            else:
                i = value(i, (*path, index))
                index += 1

    value(0, ())
    return positions


def _where(text: str, positions: dict[tuple[str | int, ...], int], loc: tuple[str | int, ...]) -> str:
    """``LINE:COLUMN`` of the deepest part of ``loc`` that exists in the file (a missing member: its object)."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in positions:
            offset = positions[loc[:end]]
            line = text.count("\n", 0, offset) + 1
            return f"{line}:{offset - text.rfind(chr(10), 0, offset)}"
    return "1:1"


def validate_config_text(text: str, name: str) -> list[str]:
    """Every problem of the configuration ``text`` as ``NAME:LINE:COLUMN: path: message``; empty: valid."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        return [f"{name}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"]
    try:
        ConfigFile.model_validate(raw)
    except ValidationError as exc:
        positions = value_positions(text)
        problems: list[tuple[tuple[int, ...], str]] = []
        for error in exc.errors(include_url=False, include_input=False):
            # pydantic adds the union member it tried (e.g. 'list[...]' or 'str') to the location: not a path.
            loc = tuple(p for p in error["loc"] if isinstance(p, int) or p in _path_keys(raw, error["loc"]))
            where = _where(text, positions, loc)
            dotted = ".".join(str(p) for p in loc) or "(document)"
            problems.append((tuple(int(n) for n in where.split(":")), f"{name}:{where}: {dotted}: {error['msg']}"))
        return [message for _, message in sorted(problems)]
    return []


def _path_keys(raw: Any, loc: tuple[str | int, ...]) -> set[str]:
    """The member names along ``loc`` that really are in the document (or are the missing last one)."""
    keys: set[str] = set()
    node = raw
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str):
            keys.add(part)
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
    return keys


def main() -> None:  # pragma: no cover - regenerates the committed schema file
    """Print the JSON Schema."""
    sys.stdout.write(json.dumps(config_schema(), indent=2) + "\n")


if __name__ == "__main__":  # pragma: no cover
    main()
