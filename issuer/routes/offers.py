"""Credential Offers: the operator API and the offer resources wallets fetch.

* ``POST /v1/offers`` (OAuth 2.0 client credentials, scope ``issuer:offer``): create an offer for
  a seeded person or business and one credential configuration; answer the offer object
  (OpenID4VCI 1.0 Section 4.1.1), links by value and by reference (Sections 4.1.2, 4.1.3), the
  ``tx_code`` (delivered out of band, Section 13.6) and QR code URLs.
* ``GET <tenant>/offers/{id}``: the offer by reference, ``application/json``.
* ``GET <tenant>/offers/{id}/qr.png`` and ``qr.svg``: the by-reference link as a QR code.
* ``GET /operator``: the operator's demo page, which calls ``POST /v1/offers`` from the browser.
"""

from __future__ import annotations

import io
from typing import Literal

import segno
from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from idcore.oid4vci.messages import credential_offer_uri
from issuer.operator_page import operator_page, operator_page_csp
from issuer.routes._http import NO_STORE
from issuer.service import IssuerService, OfferError
from issuer.tenant import Tenant
from lintas.oauth import ClientCredentialsServer
from lintas.problem import problem

__all__ = ["offers_router"]

OFFER_SCOPE = "issuer:offer"


GrantName = Literal["pre-authorized_code", "authorization_code"]


def _default_grants() -> list[GrantName]:
    return ["pre-authorized_code"]


class OfferRequest(BaseModel):
    """An operator's request for a Credential Offer."""

    subject_id: str = Field(min_length=1, max_length=128)
    credential_configuration_id: str = Field(min_length=1, max_length=128)
    grants: list[GrantName] = Field(default_factory=_default_grants, min_length=1, max_length=2)
    tx_code: bool = True


def _offer_answer(created: dict[str, object]) -> dict[str, object]:
    tenant = created["tenant"]
    assert isinstance(tenant, Tenant)  # noqa: S101 - set by IssuerService.create_offer
    offer_id = str(created["offer_id"])
    reference = tenant.url(f"/offers/{offer_id}")
    offer = created["offer"]
    assert isinstance(offer, dict)  # noqa: S101
    return {
        "offer_id": offer_id,
        "credential_issuer": tenant.identifier,
        "credential_offer": offer,
        "credential_offer_uri": reference,
        "offer_link_by_reference": credential_offer_uri(offer_uri=reference),
        "offer_link_by_value": credential_offer_uri(offer=offer),
        "tx_code": created["tx_code"],
        "qr_png": f"{reference}/qr.png",
        "qr_svg": f"{reference}/qr.svg",
        "expires_in": created["expires_in"],
    }


def _add_tenant_routes(router: APIRouter, tenant: Tenant, service: IssuerService) -> None:
    base = tenant.spec.path

    @router.get(f"{base}/offers/{{offer_id}}", summary="Credential Offer by reference", tags=["offers"])
    async def offer(offer_id: str) -> Response:
        stored = service.stored_offer(tenant, offer_id)
        if stored is None:
            return problem(404, "Not Found", "unknown or expired credential offer")
        return JSONResponse(stored, headers=NO_STORE)

    @router.get(f"{base}/offers/{{offer_id}}/qr.{{fmt}}", summary="Credential Offer QR code", tags=["offers"])
    async def offer_qr(offer_id: str, fmt: str) -> Response:
        if fmt not in ("png", "svg") or service.stored_offer(tenant, offer_id) is None:
            return problem(404, "Not Found", "unknown offer or format")
        qr = segno.make(credential_offer_uri(offer_uri=tenant.url(f"/offers/{offer_id}")), error="m")
        buffer = io.BytesIO()
        qr.save(buffer, kind=fmt, scale=6, border=2)
        media = "image/png" if fmt == "png" else "image/svg+xml"
        return Response(buffer.getvalue(), media_type=media, headers=NO_STORE)


def offers_router(service: IssuerService, oauth: ClientCredentialsServer) -> APIRouter:
    """The operator offer API and each tenant's offer resources."""
    router = APIRouter()
    require_offer = oauth.require(OFFER_SCOPE)

    @router.post(
        "/v1/offers",
        status_code=201,
        summary="Create a Credential Offer (scope issuer:offer)",
        tags=["operator"],
        dependencies=[Depends(require_offer)],
    )
    async def create_offer(body: OfferRequest) -> Response:
        try:
            created = service.create_offer(
                body.credential_configuration_id,
                body.subject_id,
                pre_authorized="pre-authorized_code" in body.grants,
                authorization_code="authorization_code" in body.grants,
                tx_code=body.tx_code,
            )
        except OfferError as exc:
            return problem(exc.status, exc.title, exc.detail)
        return JSONResponse(_offer_answer(created), status_code=201, headers=NO_STORE)

    @router.get("/operator", response_class=HTMLResponse, summary="Operator demo page", tags=["operator"])
    async def operator() -> HTMLResponse:
        return HTMLResponse(operator_page(service), headers={"Content-Security-Policy": operator_page_csp(service)})

    for tenant in service.tenants:
        _add_tenant_routes(router, tenant, service)
    return router
