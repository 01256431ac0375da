"""Resource endpoints of each tenant: Nonce (OpenID4VCI 1.0 Section 7), Credential (Section 8),
Notification (Section 11).

Access tokens are checked per RFC 6750 Section 3 (Bearer) or RFC 9449 Section 7 (DPoP: the
``DPoP`` scheme, a proof over this request with ``ath``, and the token's ``cnf.jkt`` equal to
the proof key's thumbprint). Credential request errors use the codes of Section 8.3.1.2 with
HTTP 400; authorization failures answer 401 with a ``WWW-Authenticate`` challenge.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from idcore.errors import StatusListError
from idcore.oid4vci.errors import INVALID_CREDENTIAL_REQUEST, INVALID_NOTIFICATION_REQUEST, Oid4vciError
from idcore.oid4vci.messages import parse_credential_request, parse_notification_request
from issuer.routes._http import NO_STORE, DpopFailure, RequestError, check_dpop, json_error, read_json
from issuer.service import IssuerService
from issuer.tenant import PROOF_ALGS, Tenant
from issuer.tokens import AccessClaims, InvalidAccessToken

__all__ = ["credential_router"]


class _Unauthorized(Exception):
    def __init__(self, scheme: str, error: str, description: str, nonce: str | None = None) -> None:
        super().__init__(description)
        self.scheme, self.error, self.description, self.nonce = scheme, error, description, nonce

    def response(self) -> JSONResponse:
        challenge = f'{self.scheme} error="{self.error}"'
        if self.scheme == "DPoP":
            challenge += f', algs="{" ".join(PROOF_ALGS)}"'
        headers = {"WWW-Authenticate": challenge}
        if self.nonce:
            headers["DPoP-Nonce"] = self.nonce
        return json_error(401, self.error, self.description, headers)


def _authenticate(service: IssuerService, tenant: Tenant, request: Request, path: str) -> AccessClaims:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    scheme_name = "DPoP" if scheme.lower() == "dpop" else "Bearer"
    if scheme.lower() not in ("bearer", "dpop") or not token.strip():
        raise _Unauthorized(scheme_name, "invalid_token", "missing access token")
    token = token.strip()
    try:
        claims = service.tokens.verify(token, tenant.identifier)
    except InvalidAccessToken as exc:
        raise _Unauthorized(scheme_name, "invalid_token", str(exc)) from None
    if claims.jkt is None:
        if scheme_name != "Bearer":
            raise _Unauthorized("DPoP", "invalid_token", "this access token is not DPoP-bound")
        return claims
    if scheme_name != "DPoP":
        raise _Unauthorized("DPoP", "invalid_token", "a DPoP-bound token needs the DPoP scheme")
    try:
        proof = check_dpop(service, request, tenant.url(path), access_token=token)
    except DpopFailure as failure:
        raise _Unauthorized("DPoP", failure.error, failure.description, failure.nonce) from None
    if proof is None or proof.jkt != claims.jkt:
        raise _Unauthorized("DPoP", "invalid_dpop_proof", "DPoP proof missing or for another key")
    return claims


def _add_routes(router: APIRouter, tenant: Tenant, service: IssuerService) -> None:
    base = tenant.spec.path

    @router.post(f"{base}/nonce", summary="Nonce endpoint", tags=["openid4vci"])
    async def nonce() -> JSONResponse:
        headers = dict(NO_STORE)
        if service.settings.dpop_required:
            headers["DPoP-Nonce"] = service.new_dpop_nonce()
        return JSONResponse({"c_nonce": service.new_c_nonce(tenant)}, headers=headers)

    @router.post(f"{base}/credential", summary="Credential endpoint", tags=["openid4vci"])
    async def credential(request: Request) -> Response:
        try:
            access = _authenticate(service, tenant, request, "/credential")
            body = await read_json(request, INVALID_CREDENTIAL_REQUEST)
            parsed = parse_credential_request(body, batch_size=service.settings.batch_size)
            answer = service.issue(tenant, access, parsed)
        except _Unauthorized as exc:
            return exc.response()
        except RequestError as exc:
            return json_error(exc.status, exc.error, exc.description)
        except Oid4vciError as exc:
            return json_error(400, exc.error, exc.detail or exc.error)
        except StatusListError:  # the status list is full or contended: retryable, not the wallet's fault
            return json_error(
                503, "temporarily_unavailable", "no status index available; retry later", {"Retry-After": "5"}
            )
        return JSONResponse(answer, headers=NO_STORE)

    @router.post(f"{base}/notification", status_code=204, summary="Notification endpoint", tags=["openid4vci"])
    async def notification(request: Request) -> Response:
        try:
            access = _authenticate(service, tenant, request, "/notification")
            body = await read_json(request, INVALID_NOTIFICATION_REQUEST)
            service.notify(tenant, access, parse_notification_request(body))
        except _Unauthorized as exc:
            return exc.response()
        except RequestError as exc:
            return json_error(exc.status, exc.error, exc.description)
        except Oid4vciError as exc:
            return json_error(400, exc.error, exc.detail or exc.error)
        return Response(status_code=204)


def credential_router(service: IssuerService) -> APIRouter:
    """Nonce, Credential and Notification routes of every tenant."""
    router = APIRouter()
    for tenant in service.tenants:
        _add_routes(router, tenant, service)
    return router
