"""Status of issued credentials: the Token Status List and the admin API.

* ``GET <tenant>/status-lists/{id}``: the Status List Token (draft-ietf-oauth-status-list
  "Status List Token in JWT Format", media type ``application/statuslist+jwt``), signed by the
  tenant's document signer with its ``x5c`` (HAIP Section 6.1).
* ``GET /v1/credentials?subject_id=``, ``GET /v1/credentials/{id}`` and
  ``POST /v1/credentials/{id}/revoke|suspend|reinstate`` (scope ``issuer:admin``): the change is
  committed to the store before the answer is sent.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from idcore.errors import StatusListError
from issuer.service import STATUS_ACTIONS, IssuerService, StatusChangeError
from issuer.tenant import Tenant
from lintas.oauth import ClientCredentialsServer
from lintas.problem import problem

__all__ = ["status_router"]

ADMIN_SCOPE = "issuer:admin"
STATUS_LIST_MEDIA_TYPE = "application/statuslist+jwt"


def _add_list_route(router: APIRouter, tenant: Tenant, service: IssuerService) -> None:
    @router.get(f"{tenant.spec.path}/status-lists/{{list_id}}", summary="Status List Token", tags=["status"])
    async def status_list(list_id: str) -> Response:
        token = service.status_list_token(tenant, list_id)
        if token is None:
            return problem(404, "Not Found", "unknown status list")
        cache = f"max-age={min(service.settings.status_list_ttl, 60)}"
        return Response(token, media_type=STATUS_LIST_MEDIA_TYPE, headers={"Cache-Control": cache})


def status_router(service: IssuerService, oauth: ClientCredentialsServer) -> APIRouter:
    """Status list routes of every tenant and the admin API."""
    router = APIRouter()
    admin = [Depends(oauth.require(ADMIN_SCOPE))]
    for tenant in service.tenants:
        _add_list_route(router, tenant, service)

    @router.get("/v1/credentials", dependencies=admin, summary="Credentials of a subject", tags=["admin"])
    async def list_credentials(subject_id: str) -> JSONResponse:
        return JSONResponse({"credentials": service.records.credentials_of(subject_id)})

    @router.get("/v1/credentials/{credential_id}", dependencies=admin, summary="One credential", tags=["admin"])
    async def get_credential(credential_id: str) -> Response:
        record = service.records.credential(credential_id)
        return JSONResponse(record) if record else problem(404, "Not Found", "unknown credential id")

    @router.post(
        "/v1/credentials/{credential_id}/{action}",
        dependencies=admin,
        summary="Revoke, suspend or reinstate",
        tags=["admin"],
    )
    async def change_status(credential_id: str, action: str) -> Response:
        if action not in STATUS_ACTIONS:
            return problem(404, "Not Found", "action must be revoke, suspend or reinstate")
        try:
            record = service.change_status(credential_id, action)
        except StatusChangeError as exc:
            return problem(exc.status, "Status change refused", exc.detail)
        except StatusListError:
            return problem(503, "Service Unavailable", "status list busy; retry", headers={"Retry-After": "1"})
        return JSONResponse(record)

    return router
