"""Authorization Server endpoints of each tenant: token, PAR, authorization and the demo login.

* Token Endpoint (OpenID4VCI 1.0 Section 6, RFC 6749 Section 3.2), with DPoP (RFC 9449 Section 5):
  authlib dispatches the ``authorization_code`` (PKCE S256) and pre-authorized code grants.
* Pushed Authorization Requests (RFC 9126 Sections 2.1-2.2, required by HAIP): hand-written, as
  authlib has no PAR endpoint; the pushed parameters are validated by authlib's authorization
  code grant before a single-use ``request_uri`` is returned.
* Authorization Endpoint (RFC 6749 Section 4.1.1 with RFC 9126 Section 4): shows the demo login,
  then authlib issues the code and redirects; the response carries ``iss`` (RFC 9207). The demo
  login is a development convenience (``LINTAS_ISSUER_DEMO_LOGIN``, :mod:`lintas.devmode`): without
  it the endpoint answers ``temporarily_unavailable`` and logs nobody in.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2.base import OAuth2Error  # type: ignore[import-untyped]
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from issuer.authz import AuthzGrant
from issuer.login_page import error_page, login_page, login_page_csp
from issuer.routes._http import NO_STORE, DpopFailure, RequestError, check_dpop, json_error, read_form
from issuer.service import IssuerService
from issuer.tenant import Tenant
from lintas.oauth import FormRequest

__all__ = ["oauth_router"]

_REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
_PAR_TTL = 60
_RESPONSE_TYPE = re.compile(r"[A-Za-z0-9_]+(?: [A-Za-z0-9_]+)*")  # RFC 6749 Appendix A.3
_URI_CHARS = re.compile(r"[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+")  # RFC 3986 Section 2: the characters of a URI


def _dpop_error(failure: DpopFailure) -> JSONResponse:
    headers = {"DPoP-Nonce": failure.nonce} if failure.nonce else {}
    return json_error(400, failure.error, failure.description, headers)


def _authlib_response(result: tuple[int, Any, dict[str, str]], iss: str | None = None) -> Response:
    status, body, headers = result
    if status == 302:
        location = headers["Location"]
        if iss is not None:  # RFC 9207: the authorization response names its issuer (mix-up defence)
            location += ("&" if "?" in location else "?") + urlencode({"iss": iss})
        return RedirectResponse(location, status_code=302, headers=NO_STORE)
    return JSONResponse(
        body,
        status_code=status,
        headers={**NO_STORE, **{k: v for k, v in headers.items() if k.lower() != "content-type"}},
    )


def _check_syntax(params: dict[str, str]) -> None:
    """``response_type`` and ``redirect_uri`` as RFC 6749 Appendix A spells them.

    authlib copies both into its error descriptions, and its error constructor raises ValueError on
    characters RFC 6749 Section 5.2 forbids there: checked first, they get an answer instead of a 500.
    """
    response_type, redirect_uri = params.get("response_type"), params.get("redirect_uri")
    if response_type is not None and not _RESPONSE_TYPE.fullmatch(response_type):
        raise RequestError("invalid_request", "response_type is malformed")
    if redirect_uri is not None and not _URI_CHARS.fullmatch(redirect_uri):
        raise RequestError("invalid_request", "redirect_uri is not a URI")


def _validate_authorization(tenant: Tenant, service: IssuerService, params: dict[str, str]) -> None:
    """authlib validation plus what OpenID4VCI/HAIP add: PKCE S256 required, known scope, live issuer_state."""
    _check_syntax(params)
    tenant.authz.get_consent_grant(FormRequest("GET", tenant.url("/authorize"), {}, params))
    if "authorization_details" in params:  # HAIP: wallets identify the credential by scope here
        raise RequestError("invalid_request", "use the credential's scope; authorization_details is not supported here")
    if not params.get("code_challenge") or params.get("code_challenge_method") != "S256":
        raise RequestError("invalid_request", "PKCE with code_challenge_method=S256 is required")
    requested = params.get("scope", "").split()
    if len(requested) != 1 or requested[0] not in tenant.scopes:
        raise RequestError("invalid_scope", f"request exactly one of the scopes {' '.join(tenant.scopes)}")
    state = params.get("issuer_state")
    if state is not None and service.records.peek_secret(f"issuer-state:{tenant.spec.slug}", state) is None:
        raise RequestError("invalid_request", "unknown or expired issuer_state")


def _add_token_route(router: APIRouter, tenant: Tenant, service: IssuerService) -> None:
    @router.post(f"{tenant.spec.path}/token", summary=f"Token endpoint ({tenant.spec.slug})", tags=["oauth"])
    async def token(request: Request) -> Response:
        try:
            form = await read_form(request)
            proof = check_dpop(service, request, tenant.url("/token"))
        except RequestError as exc:
            return json_error(exc.status, exc.error, exc.description)
        except DpopFailure as failure:
            return _dpop_error(failure)
        if proof is None and service.settings.dpop_required:
            return json_error(400, "invalid_dpop_proof", "a DPoP proof is required")
        oauth_request = FormRequest("POST", tenant.url("/token"), dict(request.headers), form)
        oauth_request.dpop_jkt = proof.jkt if proof else None
        return _authlib_response(tenant.authz.create_token_response(oauth_request))


def _add_par_route(router: APIRouter, tenant: Tenant, service: IssuerService) -> None:
    @router.post(f"{tenant.spec.path}/par", status_code=201, summary="Pushed Authorization Request", tags=["oauth"])
    async def par(request: Request) -> Response:
        try:
            params = await read_form(request)
            if "request_uri" in params:
                raise RequestError("invalid_request", "request_uri must not be pushed")
            _validate_authorization(tenant, service, params)
        except RequestError as exc:
            return json_error(exc.status, exc.error, exc.description)
        except OAuth2Error as err:
            return json_error(400, err.error, err.description or err.error)
        handle = service.token()
        service.records.put_secret(f"par:{tenant.spec.slug}", handle, params, ttl=_PAR_TTL)
        body = {"request_uri": _REQUEST_URI_PREFIX + handle, "expires_in": _PAR_TTL}
        return JSONResponse(body, status_code=201, headers=NO_STORE)


def _authorization_params(tenant: Tenant, service: IssuerService, query: dict[str, str]) -> dict[str, str]:
    request_uri = query.get("request_uri")
    if request_uri is None:
        if tenant.require_par:
            raise RequestError("invalid_request", "this server requires pushed authorization requests")
        return query
    handle = request_uri.removeprefix(_REQUEST_URI_PREFIX)
    pushed = service.records.take_secret(f"par:{tenant.spec.slug}", handle) if request_uri != handle else None
    if pushed is None or pushed.get("client_id") != query.get("client_id"):
        raise RequestError("invalid_request", "request_uri unknown, expired, used or for another client")
    return {k: str(v) for k, v in pushed.items()}


_NO_LOGIN = ("temporarily_unavailable", "no national login is configured for this issuer")


def _add_authorize_routes(router: APIRouter, tenant: Tenant, service: IssuerService) -> None:
    login_action = tenant.url("/authorize/login")
    demo_login = bool(service.settings.demo_login)

    @router.get(f"{tenant.spec.path}/authorize", response_class=HTMLResponse, tags=["oauth"])
    async def authorize(request: Request) -> Response:
        if not demo_login:
            return HTMLResponse(error_page(*_NO_LOGIN), status_code=503, headers=NO_STORE)
        try:
            params = _authorization_params(tenant, service, dict(request.query_params))
            _validate_authorization(tenant, service, params)
        except RequestError as exc:
            return HTMLResponse(error_page(exc.error, exc.description), status_code=400)
        except OAuth2Error as err:
            if err.redirect_uri:
                return _authlib_response(err(), tenant.identifier)
            return HTMLResponse(error_page(err.error, err.description or ""), status_code=400)
        txn = service.token()
        service.records.put_secret(f"authz-txn:{tenant.spec.slug}", txn, params, ttl=600)
        bound = None
        if "issuer_state" in params:
            offer = service.records.peek_secret(f"issuer-state:{tenant.spec.slug}", params["issuer_state"])
            bound = offer.get("subject_id") if offer else None
        subjects = service.subjects.of_kind(tenant.spec.kind)
        csp = login_page_csp(params.get("redirect_uri"))
        return HTMLResponse(
            login_page(tenant, subjects, txn, login_action, bound), headers={**NO_STORE, "Content-Security-Policy": csp}
        )

    @router.post(f"{tenant.spec.path}/authorize/login", tags=["oauth"], include_in_schema=False)
    async def login(request: Request) -> Response:
        if not demo_login:
            return HTMLResponse(error_page(*_NO_LOGIN), status_code=503, headers=NO_STORE)
        try:
            form = await read_form(request)
        except RequestError as exc:
            return HTMLResponse(error_page(exc.error, exc.description), status_code=400)
        params = service.records.take_secret(f"authz-txn:{tenant.spec.slug}", form.get("txn", ""))
        if params is None:
            return HTMLResponse(error_page("invalid_request", "login session unknown or expired"), status_code=400)
        oauth_request = FormRequest("GET", tenant.url("/authorize"), {}, {k: str(v) for k, v in params.items()})
        grant_user = _chosen_subject(tenant, service, form, params)
        grant = tenant.authz.get_authorization_grant(oauth_request)
        response = tenant.authz.create_authorization_response(oauth_request, grant_user, grant)
        return _authlib_response(response, tenant.identifier)


def _chosen_subject(
    tenant: Tenant, service: IssuerService, form: dict[str, str], params: dict[str, Any]
) -> AuthzGrant | None:
    """The approved grant, or ``None`` (access_denied) for a refusal or a subject the offer was not for."""
    if form.get("decision") != "approve":
        return None
    subject = service.subjects.get(form.get("subject_id", ""), tenant.spec.kind)
    if subject is None:
        return None
    configuration_id = tenant.scopes.get(str(params.get("scope", "")), tenant.configuration_id)
    state = params.get("issuer_state")
    if state is not None:
        offer = service.records.take_secret(f"issuer-state:{tenant.spec.slug}", str(state))
        if offer is None or offer.get("subject_id") != subject.id:
            return None
        if configuration_id not in offer.get("configuration_ids", ()):
            return None  # the scope asks for another credential than the offer was made for
    return AuthzGrant(subject.id, (configuration_id,))


def oauth_router(service: IssuerService) -> APIRouter:
    """Token, PAR and authorization routes of every tenant."""
    router = APIRouter()
    for tenant in service.tenants:
        _add_token_route(router, tenant, service)
        _add_par_route(router, tenant, service)
        _add_authorize_routes(router, tenant, service)
    return router
