"""Published documents: Credential Issuer Metadata, Authorization Server Metadata, type metadata.

* ``/.well-known/openid-credential-issuer<path>`` (OpenID4VCI 1.0 Section 12.2.2: the well-known
  string inserted between host and path of the identifier), ``application/json``, or signed
  (Section 12.2.3, ``application/jwt`` with ``x5c``) when the wallet prefers ``application/jwt``.
* ``/.well-known/oauth-authorization-server<path>`` (RFC 8414 Section 3.1).
* SD-JWT VC Type Metadata of every credential type of the scheme at the path of its ``vct``
  URL (draft-ietf-oauth-sd-jwt-vc Section 8.3.1), served as the exact bytes whose digest is
  ``vct#integrity``, with an explicit freshness lifetime (Section 5 "Retrieving Documents and
  Resources via HTTP": ``Cache-Control: max-age``) and ``X-Content-Type-Options: nosniff``.
* ``/healthz``: the store answers.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from idcore.oid4vci.metadata import type_metadata_bytes
from issuer.catalog import CREDENTIAL_TYPES
from issuer.service import IssuerService
from issuer.tenant import Tenant
from lintas import __version__

__all__ = ["metadata_router"]

#: Published metadata is public and changes rarely (RFC 9111 Section 5.2.2.1); wallets may reuse it for minutes.
METADATA_CACHE = {"Cache-Control": "public, max-age=300"}


def _wants_jwt(accept: str) -> bool:
    # Section 12.2.2: answer in the media type the wallet asked for when it is supported.
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    return "application/jwt" in types and types.index("application/jwt") < (
        types.index("application/json") if "application/json" in types else len(types)
    )


def _add_tenant_routes(router: APIRouter, tenant: Tenant, service: IssuerService) -> None:
    path = tenant.spec.path

    @router.get(f"/.well-known/openid-credential-issuer{path}", summary="Credential Issuer Metadata", tags=["metadata"])
    async def issuer_metadata(request: Request) -> Response:
        if _wants_jwt(request.headers.get("accept", "")):
            signed = tenant.signed_issuer_metadata(service.clock.now())
            return Response(signed, media_type="application/jwt", headers={**METADATA_CACHE, "Vary": "Accept"})
        return JSONResponse(tenant.issuer_metadata(), headers={**METADATA_CACHE, "Vary": "Accept"})

    @router.get(f"/.well-known/oauth-authorization-server{path}", summary="OAuth AS Metadata", tags=["metadata"])
    async def as_metadata() -> JSONResponse:
        return JSONResponse(tenant.as_metadata(), headers=METADATA_CACHE)


#: Type Metadata is static per release and pinned by ``vct#integrity``: a day of freshness is safe.
TYPE_METADATA_HEADERS = {
    "Cache-Control": "public, max-age=86400",
    "X-Content-Type-Options": "nosniff",
}


def _add_type_route(router: APIRouter, vct_path: str, document: bytes) -> None:
    @router.get(vct_path, summary=f"SD-JWT VC type metadata {vct_path}", tags=["metadata"])
    async def type_metadata() -> Response:
        return Response(document, media_type="application/json", headers=TYPE_METADATA_HEADERS)


def metadata_router(service: IssuerService) -> APIRouter:
    """Metadata routes of every tenant, type metadata and health."""
    router = APIRouter()
    for tenant in service.tenants:
        _add_tenant_routes(router, tenant, service)
    for ctype in CREDENTIAL_TYPES:
        # The same function that gives the tenants' vct#integrity, so the digests match.
        _add_type_route(router, urlsplit(ctype.vct).path, type_metadata_bytes(ctype))

    @router.get("/healthz", tags=["health"])
    async def healthz() -> JSONResponse:
        service.records.store.ping()
        return JSONResponse({"status": "ok", "version": __version__, "country": service.settings.country})

    return router
