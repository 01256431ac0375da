"""The SD-JWT VC Type Metadata rules (draft-ietf-oauth-sd-jwt-vc Section 8) as a checker for tests.

A JSON Schema for the structure (8.2 "Type Metadata Format", 8.5 "Display Metadata", 8.6
"Claim Metadata", 8.6.1 "Claim Path", 8.6.2 "Claim Display Metadata", 8.6.4 "Claim Selective
Disclosure Metadata") plus the rules a schema cannot state: ``svg_id`` unique, one display entry
per locale, a claim path addressed once, and (our own rule) a label in every locale we ship.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jsonschema

__all__ = ["TYPE_METADATA_SCHEMA", "problems"]

_LOCALE = {"type": "string", "pattern": "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"}  # RFC 5646 shape

TYPE_METADATA_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["vct"],
    "properties": {
        "vct": {"type": "string", "pattern": "^https://"},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "extends": {"type": "string"},
        "display": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["locale", "name"],
                "properties": {
                    "locale": _LOCALE,
                    "name": {"type": "string", "minLength": 1},
                    "description": {"type": "string"},
                    "rendering": {
                        "type": "object",
                        "properties": {
                            "simple": {
                                "type": "object",
                                "properties": {
                                    "background_color": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
                                    "text_color": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
                                },
                            }
                        },
                    },
                },
            },
        },
        "claims": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["path"],
                "properties": {
                    "path": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"anyOf": [{"type": "string"}, {"type": "null"}, {"type": "integer", "minimum": 0}]},
                    },
                    "display": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["locale", "label"],
                            "properties": {"locale": _LOCALE, "label": {"type": "string", "minLength": 1}},
                        },
                    },
                    "mandatory": {"type": "boolean"},
                    "sd": {"enum": ["always", "allowed", "never"]},
                    "svg_id": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
                },
            },
        },
    },
}


def problems(doc: Any, vct: str, locales: Sequence[str]) -> list[str]:
    """Every rule ``doc`` breaks (empty when it is valid Type Metadata for ``vct`` in ``locales``)."""
    found = [error.message for error in jsonschema.Draft202012Validator(TYPE_METADATA_SCHEMA).iter_errors(doc)]
    if found:
        return found
    if doc["vct"] != vct:
        found.append("vct differs from the credential's vct (Section 8.3)")
    display_locales = [d["locale"] for d in doc.get("display", [])]
    if sorted(display_locales) != sorted(set(locales)) or len(display_locales) != len(set(display_locales)):
        found.append("type display must name the type once in every locale")
    svg_ids = [c["svg_id"] for c in doc.get("claims", []) if "svg_id" in c]
    if len(svg_ids) != len(set(svg_ids)):
        found.append("svg_id must be unique (Section 8.6)")
    paths = [tuple(c["path"]) for c in doc.get("claims", [])]
    if len(paths) != len(set(paths)):
        found.append("a claim path is described twice")
    for claim in doc.get("claims", []):
        labelled = [d["locale"] for d in claim.get("display", [])]
        if sorted(labelled) != sorted(set(locales)) or len(labelled) != len(set(labelled)):
            found.append(f"claim {claim['path']} lacks a label in some locale, or has one twice")
    return found
