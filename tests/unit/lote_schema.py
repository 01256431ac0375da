"""ETSI's own JSON Schema for the ETSI TS 119 602 LoTE JSON binding, loaded from the test vectors.

The file (``tests/vectors/etsi_lote/1960201_json_schema.json``, draft-07) is ETSI's, byte for byte;
its README says where it comes from. :func:`lote_validator` checks formats too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "vectors" / "etsi_lote" / "1960201_json_schema.json"
LOTE_SCHEMA: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def lote_validator() -> jsonschema.Draft7Validator:
    """A validator for ETSI's schema (draft-07, as the file declares), with format checking."""
    jsonschema.Draft7Validator.check_schema(LOTE_SCHEMA)
    return jsonschema.Draft7Validator(LOTE_SCHEMA, format_checker=jsonschema.FormatChecker())
