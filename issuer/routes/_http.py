"""Request parsing and error answers shared by the issuer's routes.

* OAuth error bodies (RFC 6749 Section 5.2) and Credential Endpoint errors (OpenID4VCI 1.0
  Section 8.3.1.2) as ``application/json`` with ``Cache-Control: no-store``.
* Form bodies (``application/x-www-form-urlencoded``) parsed strictly: repeated parameters are an
  ``invalid_request`` (RFC 6749 Section 3.1), sizes are capped.
* DPoP (RFC 9449): one ``DPoP`` header, proof verified by :func:`idcore.oid4vci.verify_dpop_proof`,
  ``jti`` replay refused, server nonces demanded with ``use_dpop_nonce`` when configured (Section 8).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import JSONResponse

from idcore.errors import IdcoreError
from idcore.oid4vci.dpop import DpopProof, verify_dpop_proof
from issuer.service import IssuerService
from issuer.tenant import PROOF_ALGS

__all__ = [
    "NO_STORE",
    "DpopFailure",
    "RequestError",
    "check_dpop",
    "json_error",
    "read_form",
    "read_json",
]

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_MAX_BODY = 64 * 1024


class RequestError(Exception):
    """A request that cannot be parsed: answered with ``error`` at ``status``."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


class DpopFailure(Exception):
    """A DPoP check failed: ``error`` is ``invalid_dpop_proof`` or ``use_dpop_nonce``."""

    def __init__(self, error: str, description: str, nonce: str | None = None) -> None:
        super().__init__(description)
        self.error, self.description, self.nonce = error, description, nonce


def json_error(status: int, error: str, description: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """An OAuth-style JSON error answer (never cached)."""
    body = {"error": error, "error_description": description}
    return JSONResponse(body, status_code=status, headers={**NO_STORE, **(headers or {})})


async def _body(request: Request) -> bytes:
    body = await request.body()
    if len(body) > _MAX_BODY:
        raise RequestError("invalid_request", "request body too large", 413)
    return body


async def read_form(request: Request) -> dict[str, str]:
    """Parse an ``application/x-www-form-urlencoded`` body; repeated parameters are refused."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        raise RequestError("invalid_request", "expected application/x-www-form-urlencoded")
    try:
        pairs = parse_qsl((await _body(request)).decode("utf-8"), keep_blank_values=True, max_num_fields=64)
    except (UnicodeDecodeError, ValueError):
        raise RequestError("invalid_request", "malformed form body") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise RequestError("invalid_request", f"repeated parameter {name}")
        form[name] = value
    return form


async def read_json(request: Request, error: str) -> Any:
    """Parse an ``application/json`` body; failures become ``error``."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise RequestError(error, "expected application/json")
    try:
        return json.loads(await _body(request))
    except (ValueError, RecursionError):
        raise RequestError(error, "body is not valid JSON") from None


def check_dpop(service: IssuerService, request: Request, url: str, access_token: str | None = None) -> DpopProof | None:
    """Verify the request's DPoP proof if there is one; ``None`` if there is none."""
    values = request.headers.getlist("dpop")
    if not values:
        return None
    if len(values) != 1:
        raise DpopFailure("invalid_dpop_proof", "exactly one DPoP header is allowed")
    try:
        proof = verify_dpop_proof(
            values[0],
            method=request.method,
            url=url,
            clock=service.clock,
            algorithms=PROOF_ALGS,
            access_token=access_token,
            max_age=service.settings.proof_max_age,
        )
    except IdcoreError as exc:
        raise DpopFailure("invalid_dpop_proof", f"DPoP proof rejected ({exc.reason.value})") from None
    if service.settings.dpop_required and not service.dpop_nonce_valid(proof.nonce):
        raise DpopFailure("use_dpop_nonce", "use the DPoP nonce from the DPoP-Nonce header", service.new_dpop_nonce())
    if not service.first_use_of_dpop_jti(proof.jkt, proof.jti):
        raise DpopFailure("invalid_dpop_proof", "DPoP proof replayed")
    return proof
