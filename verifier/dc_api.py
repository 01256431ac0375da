"""OpenID4VP over the W3C Digital Credentials API: the relying party's two calls (issue #15 item 6).

OpenID4VP 1.0 Appendix A. The relying party's page, not a wallet, talks to the verifier: it gets
a signed request, hands it to ``navigator.credentials.get({digital: {requests: [...]}})``, and
relays what the browser returns together with its own origin. So both routes are relying-party
API calls (OAuth client credentials, owner only), and the pipeline is the Response URI's:

* ``POST /v1/presentations`` with ``response_mode`` ``dc_api`` or ``dc_api.jwt`` (accepted by
  :func:`check_dc_create` for a relying party with registered ``origins``, signed client ids
  only) creates a transaction without request ids: nothing reaches it through ``/wallet``.
* ``GET /v1/presentations/{id}/dc-request`` returns ``{protocol, data: {request}}``
  (:func:`idcore.oid4vp.dc_api.build_dc_api_request`): a Request Object signed with the
  transaction's access key, ``expected_origins`` = the relying party's registered origins
  (A.2, A.3.2), the ephemeral encryption key for ``dc_api.jwt``, ``verifier_info``.
* ``POST /v1/presentations/{id}/dc-response`` with ``{origin, data}``: ``origin`` must be one of
  the transaction's expected origins; ``data`` is read by
  :func:`idcore.oid4vp.dc_api.parse_dc_api_response` (``dc_api.jwt`` never accepts plaintext,
  A.4); presentations are verified with audience ``origin:<origin>`` (KB-JWT ``aud``, A.4) and,
  for mdoc, the DC API SessionTranscript over the origin, nonce and encryption key thumbprint
  (Appendix B.2.6.2). Session, reason codes, single use and the result handover are the
  Response URI's (:meth:`verifier.responses.ResponseHandler.conclude`).

The answer is ``200 {transaction_id, status: "verified"}`` (the claims are handed over once by
``GET /v1/presentations/{id}``, as for ``direct_post``); a wallet error is ``200`` with
``status: "pending"`` and the ``wallet_error`` code; anything else is ``400`` problem+json with
``outcome`` (``rejected``, or ``pending`` when the response proved nothing and the transaction
stays open), ``check`` and ``reason``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from idcore.b64 import b64u_decode, json_loads
from idcore.dcql import FORMAT_MSO_MDOC
from idcore.errors import IdcoreError, Reason
from idcore.jwk import jwk_thumbprint
from idcore.keys import private_key_from_jwk
from idcore.mdoc import dc_api_session_transcript
from idcore.mdoc.cose import COSE_ALGS
from idcore.oid4vp import AuthorizationError, AuthorizationResponse, JweError, build_client_metadata
from idcore.oid4vp.client_id import PREFIX_REDIRECT_URI, ClientId
from idcore.oid4vp.dc_api import (
    DC_API_RESPONSE_MODES,
    build_dc_api_request,
    check_origin,
    origin_audience,
    parse_dc_api_response,
)
from idcore.oid4vp.errors import INVALID_REQUEST
from idcore.oid4vp.response import MAX_FORM_BYTES
from lintas.oauth import TokenClaims
from lintas.problem import problem
from verifier.parties import RegisteredPartyService, verifier_info
from verifier.pipeline import Check, CheckedCredential, Expectation, Rejection
from verifier.policy import ConfigError, RelyingParty, VerifierConfig, policy_from_json
from verifier.responses import ResponseHandler, is_final
from verifier.transaction_store import TERMINAL

__all__ = ["FLOW_DC_API", "check_dc_create", "dc_api_router"]

#: The ``flow`` recorded for a DC API response (beside ``cross`` and ``same``).
FLOW_DC_API = "dc_api"
_NO_STORE = {"Cache-Control": "no-store"}


def check_dc_create(rp: RelyingParty, response_mode: str, prefix: str, *, development: bool = False) -> None:
    """Refuse a DC API transaction this relying party cannot use (:class:`ConfigError`, 400).

    It needs registered origins, all ``https`` outside development mode (the request would name
    them as ``expected_origins``), and a signed client_id (only ``openid4vp-v1-signed`` is offered).
    """
    if response_mode not in DC_API_RESPONSE_MODES:
        return
    if not rp.origins:
        raise ConfigError("this relying party has no registered origins for the Digital Credentials API")
    try:
        for origin in rp.origins:
            check_origin(origin, allow_loopback_http=development)
    except AuthorizationError:
        raise ConfigError("this relying party's origins must be https outside development mode") from None
    if prefix == PREFIX_REDIRECT_URI:
        raise ConfigError("Digital Credentials API requests are signed: use x509_san_dns or x509_hash")


def _client_metadata(tx: dict[str, Any], name: str | None) -> dict[str, Any]:
    """Section 11 metadata: the ``dc_api.jwt`` encryption key; for an mdoc query, the COSE algorithms."""
    enc_jwk = {**tx["enc_jwk"], "kid": tx["enc_kid"]} if tx["response_mode"] == "dc_api.jwt" else None
    metadata = build_client_metadata(enc_jwk, client_name=name)
    if any(q.get("format") == FORMAT_MSO_MDOC for q in tx["policy"]["dcql_query"].get("credentials", [])):
        # Appendix B.2.1: the COSE algorithms the mdoc verifier accepts for IssuerAuth and DeviceSignature.
        algs = sorted(COSE_ALGS)
        metadata["vp_formats_supported"][FORMAT_MSO_MDOC] = {
            "issuerauth_alg_values": algs,
            "deviceauth_alg_values": algs,
        }
    return metadata


def dc_request(service: RegisteredPartyService, tx: dict[str, Any]) -> dict[str, Any]:
    """The ``{protocol, data}`` object for the page (A.1, A.3.2.1), signed with the transaction's access key."""
    pair = service.keys.pair_for(str(tx["client_id"]), service.settings.dns_name)
    if pair is None:  # its key was rotated out: no other key may answer for that client_id
        raise AuthorizationError(INVALID_REQUEST, Reason.BAD_KEY, "this request's access key is gone")
    signer, chain = pair
    now, lifetime = service.clock.now(), service.settings.request_object_lifetime
    registration = service.directory.get(str(tx["rp"]))
    name = registration.legal_name if registration is not None else tx.get("rp_name")
    extra: dict[str, Any] = {"purpose": tx["policy"]["purpose"]} if tx["policy"].get("purpose") else {}
    if registration is not None:
        extra["verifier_info"] = verifier_info(
            registration,
            list(service.claims_of.get(registration.client_id, [])),
            client_id=str(tx["client_id"]),
            issuer=service.settings.base_url,
            iat=now,
            exp=now + lifetime,
            signer=signer,
            chain=chain,
        )
    return build_dc_api_request(
        client_id=ClientId.parse(str(tx["client_id"])),
        response_mode=tx["response_mode"],
        nonce=tx["nonce"],
        dcql_query=tx["policy"]["dcql_query"],
        client_metadata=_client_metadata(tx, name),
        expected_origins=tx["expected_origins"],
        iat=now,
        lifetime=lifetime,
        signer=signer,
        chain=chain,
        extra=extra,
        allow_loopback_http=bool(service.settings.development),
    )


def _origin(tx: dict[str, Any], raw: object, development: bool) -> str:
    """The page's origin: a serialized origin and one of the transaction's ``expected_origins``."""
    try:
        origin = check_origin(raw, allow_loopback_http=development)
    except AuthorizationError as exc:
        raise Rejection(Check.PARSING, exc.reason, exc.detail) from None
    if origin not in tx["expected_origins"]:
        # The presentation's audience is origin:<origin> (A.4): another origin is another audience.
        raise Rejection(Check.SESSION, Reason.AUD_MISMATCH, "origin is not one of the expected origins")
    return origin


def _open(tx: dict[str, Any], data: object, jwk: dict[str, Any] | None) -> AuthorizationResponse:
    """Read ``data`` (A.4); ``dc_api.jwt`` decrypts with the transaction's key and refuses plaintext."""
    encrypted = tx["response_mode"] == "dc_api.jwt"
    if encrypted and isinstance(data, Mapping) and "vp_token" in data:
        raise Rejection(Check.DECRYPTION, Reason.DECRYPTION_FAILED, "response was not encrypted")
    if encrypted and isinstance(data, Mapping) and "response" in data and jwk is None:
        raise Rejection(Check.DECRYPTION, Reason.DECRYPTION_FAILED, "the transaction's key is gone")
    key = private_key_from_jwk(jwk) if encrypted and jwk is not None else None
    try:
        return parse_dc_api_response(
            data,
            response_mode=tx["response_mode"],
            decryption_key=key,  # type: ignore[arg-type]
            kid=tx.get("enc_kid"),
        )
    except JweError as exc:
        raise Rejection(Check.DECRYPTION, Reason.DECRYPTION_FAILED, exc.detail) from None
    except AuthorizationError as exc:
        raise Rejection(Check.PARSING, exc.reason, exc.detail) from None


def _verify(
    handler: ResponseHandler, tx: dict[str, Any], response: AuthorizationResponse, origin: str
) -> list[CheckedCredential]:
    if response.error is not None:
        raise Rejection(Check.PARSING, Reason.WALLET_ERROR, response.error)
    assert response.vp_token is not None  # noqa: S101 - parse_response_params guarantees it
    policy = policy_from_json(tx["policy"])
    transcript = None
    if any(query.format == FORMAT_MSO_MDOC for query in policy.query.credentials):
        enc_jwk = tx.get("enc_jwk") if tx["response_mode"] == "dc_api.jwt" else None
        thumbprint = b64u_decode(jwk_thumbprint(enc_jwk)) if enc_jwk else None
        transcript = dc_api_session_transcript(origin=origin, nonce=tx["nonce"], jwk_thumbprint=thumbprint)
    expect = Expectation(policy.query, policy, tx["nonce"], origin_audience(origin), transcript)
    start = time.perf_counter()
    try:
        return handler.pipeline.verify(response.vp_token, expect)
    finally:
        handler.pipeline_timer(time.perf_counter() - start)  # the same histogram as the Response URI's


def _refusal(tid: str, rejection: Rejection) -> Response:
    outcome = "rejected" if is_final(rejection) else "pending"
    extra = {"transaction_id": tid, "outcome": outcome, "check": rejection.check.value}
    return problem(
        400, "Bad Request", "presentation not accepted", headers=_NO_STORE, **extra, reason=rejection.reason.value
    )


def dc_response(handler: ResponseHandler, tid: str, body: Mapping[str, Any], development: bool) -> Response:
    """Verify one relayed DC API answer for the open transaction ``tid`` and record its outcome once."""
    tx, is_open, jwk = handler.store.response_state(tid)  # one round trip, as the Response URI
    reason = None
    if tx is None:
        reason = Reason.SESSION_UNKNOWN
    elif handler.clock.now() >= tx["expires"]:
        reason = Reason.SESSION_EXPIRED
    elif not is_open:
        reason = Reason.SESSION_USED  # answered already: each transaction (and its nonce) once
    if reason is not None or tx is None:
        reason = reason or Reason.SESSION_UNKNOWN
        handler.on_outcome("rejected", Check.SESSION.value, reason.value)
        return _refusal(tid, Rejection(Check.SESSION, reason))
    try:
        origin = _origin(tx, body.get("origin"), development)
        credentials = _verify(handler, tx, _open(tx, body.get("data"), jwk), origin)
    except Rejection as rejection:
        handler.conclude(tx, FLOW_DC_API, rejected=rejection)
        if rejection.reason is Reason.WALLET_ERROR:
            view = {"transaction_id": tid, "status": "pending", "check": rejection.check.value}
            return JSONResponse({**view, "reason": rejection.reason.value, "wallet_error": rejection.detail})
        return _refusal(tid, rejection)
    answer = handler.conclude(tx, FLOW_DC_API, credentials=credentials)
    if answer.status != 200:  # another response claimed the transaction first
        return _refusal(tid, Rejection(Check.SESSION, Reason.SESSION_USED))
    return JSONResponse({"transaction_id": tid, "status": "verified"}, headers=_NO_STORE)


async def _json_object(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:  # the Response URI's bound for a direct_post body
        raise ConfigError("request body too large")
    try:
        value = json_loads(body)
    except IdcoreError:
        raise ConfigError("request body is not valid JSON") from None
    if not isinstance(value, dict) or not set(value) <= {"origin", "data"}:
        raise ConfigError("request body must be a JSON object with origin and data")
    return value


def dc_api_router(
    *,
    config: VerifierConfig,
    service: RegisteredPartyService,
    handler: ResponseHandler,
    auth: Callable[..., TokenClaims],
    rate_limit: Callable[[RelyingParty], None],
) -> APIRouter:
    """The two DC API routes under ``/v1/presentations/{id}`` (relying-party authenticated, owner only)."""
    router = APIRouter(prefix="/v1/presentations", tags=["relying party (Digital Credentials API)"])
    development = bool(service.settings.development)

    def party(claims: TokenClaims = Depends(auth)) -> RelyingParty:
        rp = config.relying_parties.get(claims.client_id)
        if rp is None:
            raise ConfigError("unknown relying party")
        rate_limit(rp)
        return rp

    def own(rp: RelyingParty, tid: str) -> dict[str, Any] | None:
        tx = handler.store.transaction(tid)
        mine = tx is not None and tx.get("rp") == rp.client_id
        return tx if mine and tx is not None and tx.get("response_mode") in DC_API_RESPONSE_MODES else None

    def request_for(rp: RelyingParty, tid: str) -> Response:
        tx = own(rp, tid)
        if tx is None:
            return problem(404, "Not Found", "no such Digital Credentials API transaction")
        status = handler.store.status(tid) or {}
        if service.clock.now() >= tx["expires"] or status.get("status") in TERMINAL:
            return problem(410, "Gone", "this transaction is no longer open")
        request = dc_request(service, tx)
        handler.store.mark_fetched(tid)
        return JSONResponse(request, headers=_NO_STORE)

    def response_for(rp: RelyingParty, tid: str, body: dict[str, Any]) -> Response:
        if own(rp, tid) is None:
            return problem(404, "Not Found", "no such Digital Credentials API transaction")
        return dc_response(handler, tid, body, development)

    @router.get("/{tid}/dc-request", summary="The signed request for navigator.credentials.get (DC API)")
    async def get_request(tid: str, rp: RelyingParty = Depends(party)) -> Response:
        return await run_in_threadpool(request_for, rp, tid)

    @router.post("/{tid}/dc-response", summary="Verify what navigator.credentials.get returned (DC API)")
    async def post_response(tid: str, request: Request, rp: RelyingParty = Depends(party)) -> Response:
        body = await _json_object(request)
        return await run_in_threadpool(response_for, rp, tid, body)

    return router
