"""Schemathesis over every operation of the four services' OpenAPI documents, in-process (ASGI).

For each operation: schema-conforming (positive) and schema-violating (negative) requests, without
and with the service's own bearer token. Checks: schemathesis ``not_a_server_error`` and response
schema conformance, plus :mod:`tests.fuzz.shape` (no stack trace, 4xx spec-shaped). Bounded and
derandomized (``max_examples=25`` per operation, mode and credential) so the suite stays fast and
repeatable.

The OpenAPI documents describe path, query and JSON bodies declared with models; form and hand-parsed
JSON bodies are not described there, so ``test_hostile.py`` and the forged-credential tests reach them.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.fuzz.shape import problems_in
from tests.fuzz.targets import Target

EXAMPLES = 25
# Long-polls are capped by the service; a generated wait would only make the run slow, not wiser.
_FIXED_QUERY = {"wait": 0}


def _run_operation(target: Target, operation: Any, mode: GenerationMode, auth: bool, found: list[str]) -> int:
    """Fuzz one operation; append what went wrong to ``found``; return how many requests were sent."""
    sent = 0
    headers = target.auth if auth else None

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case: Any) -> None:
        nonlocal sent
        if "wait" in case.query or any(p.get("name") == "wait" for p in operation.definition.raw.get("parameters", [])):
            case.query = {**(case.query or {}), **_FIXED_QUERY}
        response = case.call(headers=headers)
        sent += 1
        content_type = (response.headers.get("content-type") or [""])[0]
        problems = problems_in(case.method, response.status_code, content_type, response.content)
        try:
            checks = (
                [not_a_server_error, response_schema_conformance]
                if response.status_code < 300
                else [not_a_server_error]
            )
            case.validate_response(response, checks=checks)
        except FailureGroup as failures:
            problems += [f"schemathesis: {type(f).__name__}: {str(f)[:300]}" for f in failures.exceptions]
        if problems:
            found.append(f"{operation.label} ({mode.value}, auth={auth}): {problems[0]}")

    try:
        fuzz()
    except Unsatisfiable:
        pass  # only headers to negate, and none that can be sent
    return sent


def _negatable(operation: Any) -> bool:
    """Whether anything can be sent that violates the schema (a body, or a typed or constrained parameter).

    A plain string in a path or header admits every sendable value; hypothesis would only search and give up.
    """
    raw = operation.definition.raw
    if raw.get("requestBody"):
        return True
    for parameter in raw.get("parameters", []):
        schema = parameter.get("schema", {})
        if (
            parameter.get("in") == "query"
            or set(schema) - {"type", "title", "description"}
            or schema.get("type") not in (None, "string")
        ):
            return True
    return False


@pytest.mark.parametrize("service", ["registry", "issuer", "verifier", "wallet"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
def test_no_operation_answers_a_server_error(
    request: pytest.FixtureRequest, service: str, mode: GenerationMode
) -> None:
    target: Target = request.getfixturevalue(service)
    # The document comes from the app object: production mode does not serve /openapi.json (lintas.devmode).
    schema = schemathesis.openapi.from_dict(target.app.openapi())
    schema.app = target.app
    found: list[str] = []
    sent = 0
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the OpenAPI document lists no operation"
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and not _negatable(operation):
            continue
        for auth in [False, True] if target.token else [False]:
            sent += _run_operation(target, operation, mode, auth, found)
    assert sent >= len(operations), "schemathesis generated (almost) nothing"
    assert not found, "\n".join(found[:20])
