"""lintas.jsonresponse.OrjsonResponse renders what Starlette's JSONResponse renders, faster."""

from __future__ import annotations

import json

import pytest
from starlette.responses import JSONResponse

from lintas.jsonresponse import OrjsonResponse


def test_same_bytes_as_the_standard_json_response() -> None:
    content = {"error": "invalid_request", "name": "Nguyễn Thị Minh", "n": [1, 2.5, True, None], "nested": {"a": {}}}
    fast = OrjsonResponse(content, status_code=400, headers={"Cache-Control": "no-store"})
    assert fast.body == JSONResponse(content).body
    assert json.loads(fast.body) == content
    assert fast.status_code == 400
    assert fast.headers["content-type"] == "application/json"
    assert fast.headers["cache-control"] == "no-store"


def test_refuses_what_is_not_json() -> None:
    """The twin: an object JSON cannot hold is an error, never its repr."""
    with pytest.raises(TypeError):
        OrjsonResponse({"key": object()})
    with pytest.raises(TypeError):
        OrjsonResponse({1: "non-string key"})
