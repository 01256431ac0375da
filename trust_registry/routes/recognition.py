"""The recognition list over HTTP: mutual-recognition decisions (issue #16 item 4), assurance
declarations (item 5) and issuers' federation keys (item 2), all published in it.

* ``POST /v1/governance/countries/{cc}/recognitions`` — ``cc``'s national operator decides that
  ``cc`` recognises ``recognised_country``'s ``vct`` at ``min_assurance`` for ``purposes`` from
  ``valid_from`` (default now) until ``valid_until``; 201 with the decision and its id;
* ``POST /v1/governance/countries/{cc}/recognitions/withdraw`` — ``{decision_id, note}``;
* ``GET /v1/recognitions`` — the signed recognition list issued with the current trust list
  (``application/jwt``, ETag, 304, ``Cache-Control`` as the trust list);
* ``GET /v1/recognitions/{sequence}`` — the one issued with trust list ``sequence`` (immutable);
* ``POST /v1/governance/issuers/assurance`` — ``{issuer_id, framework, national_level}``;
* ``POST /v1/governance/issuers/federation-keys`` — ``{issuer_id, keys}`` (public P-256 JWKs);
* ``POST /v1/governance/countries/{cc}/verifier-entities`` — ``{entity_id, keys, note}``: ``cc``
  vouches for a verifier as a federation leaf entity (or replaces its keys); ``.../withdraw`` —
  ``{entity_id, note}`` (:mod:`trust_registry.verifier_entities`);
* ``GET /v1/assurance-frameworks`` — the frameworks and their mapping, with sources.

The two issuer routes and the verifier-entity routes follow the rest of governance:
``registry:write`` or the (issuer's) country's ``registry:write:<CC>``; a verifier entity is
withdrawn only under the path of the country that registered it (404 otherwise).

Who: a recognition decision is a sovereign act of the recognising state, so only a token with
that country's own scope ``registry:write:<CC>`` may propose or withdraw one; the scheme
operator's ``registry:write`` is refused (403 ``insufficient_scope``), and a decision can be
withdrawn only under its own country's path (404 otherwise). Bodies are strict and small (a
closed purpose vocabulary, at most 8 purposes, a 500-character note); every route is behind
the registry's per-address rate limit; changes are logged with the client id and decision id
(no personal data exists here); decisions stay in the signed list until pushed out by newer
ones and in the audit log for good.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from idcore.errors import TrustError
from idcore.trust.assurance import COMMON_SCALE_SOURCE, FRAMEWORKS, NationalFramework
from idcore.trust.federation_keys import MAX_FEDERATION_KEYS, FederationKeys
from idcore.trust.limits import MAX_ID_CHARS, MAX_NOTE_CHARS, text_problem
from idcore.trust.model import TrustList
from idcore.trust.recognition import PURPOSES, RecognitionList
from idcore.trust.vct import ASEAN_COUNTRIES
from lintas.oauth import ClientCredentialsServer, TokenClaims
from lintas.problem import OAuthHTTPException, problem
from lintas.ratelimit import SlidingWindowLimiter
from trust_registry import recognitions, verifier_entities
from trust_registry.changes import ChangeError
from trust_registry.ledger import Change, list_etag
from trust_registry.operators import can_write, country_scope, may_govern
from trust_registry.service import FabricBuild, RegistryService

__all__ = ["recognition_router"]

JWT_MEDIA_TYPE = "application/jwt"
_COUNTRY = Path(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code of the recognising member state")
_MAX_TIME = 2**53 - 1
Built = tuple[Change, dict[str, Any]]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _plain_note(note: str) -> str:
    problem_text = text_problem(note, max_bytes=4 * MAX_NOTE_CHARS, quotes=True) if note else None
    if problem_text is not None:
        raise ValueError(f"note {problem_text}")
    return note


class RecognitionIn(_Body):
    """A recognition decision of the country in the path."""

    recognised_country: str = Field(pattern=r"^[A-Z]{2}$")
    vct: str = Field(max_length=MAX_ID_CHARS)
    min_assurance: str = Field(max_length=16, description="low, substantial or high (common scale)")
    purposes: list[str] = Field(min_length=1, max_length=len(PURPOSES), description=f"of {sorted(PURPOSES)}")
    valid_from: int | None = Field(default=None, ge=0, le=_MAX_TIME, description="epoch seconds; default now")
    valid_until: int = Field(ge=0, le=_MAX_TIME, description="epoch seconds, at most ten years after valid_from")
    note: str = Field(default="", max_length=MAX_NOTE_CHARS)

    _note = field_validator("note")(_plain_note)


class DeclarationIn(_Body):
    """An issuer's national level of assurance in a framework of its country (``idcore.trust.assurance``)."""

    issuer_id: str = Field(max_length=2048)
    framework: str = Field(max_length=64)
    national_level: str = Field(max_length=32)


class FederationKeysIn(_Body):
    """An issuer's federation entity keys: public EC P-256 JWKs (``idcore.trust.federation_keys``)."""

    issuer_id: str = Field(max_length=2048)
    keys: list[dict[str, str]] = Field(min_length=1, max_length=MAX_FEDERATION_KEYS)


class VerifierEntityIn(_Body):
    """A verifier entity the country vouches for: its entity identifier and federation entity keys."""

    entity_id: str = Field(max_length=MAX_ID_CHARS, description="the verifier's https entity identifier")
    keys: list[dict[str, str]] = Field(min_length=1, max_length=MAX_FEDERATION_KEYS)
    note: str = Field(default="", max_length=MAX_NOTE_CHARS)

    _note = field_validator("note")(_plain_note)


class VerifierWithdrawIn(_Body):
    """Which verifier entity the country stops vouching for (from now)."""

    entity_id: str = Field(max_length=MAX_ID_CHARS)
    note: str = Field(default="", max_length=MAX_NOTE_CHARS)

    _note = field_validator("note")(_plain_note)


class WithdrawIn(_Body):
    """Which decision to withdraw (from now)."""

    decision_id: str = Field(max_length=64)
    note: str = Field(default="", max_length=MAX_NOTE_CHARS)

    _note = field_validator("note")(_plain_note)


def _forbidden(cc: str, detail: str) -> OAuthHTTPException:
    challenge = f'Bearer error="insufficient_scope", scope="{country_scope(cc)}"'
    return OAuthHTTPException(403, "insufficient_scope", detail, {"WWW-Authenticate": challenge})


def _own_country(claims: TokenClaims, cc: str) -> None:
    if country_scope(cc) not in claims.scopes:
        raise _forbidden(cc, f"Only {cc}'s national operator may decide what {cc} recognises.")


def _signed(seq: int, token: str, if_none_match: str | None, cache_control: str) -> Response:
    etag = list_etag(seq, token)
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if if_none_match is not None and etag in [t.strip().removeprefix("W/") for t in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(token, media_type=JWT_MEDIA_TYPE, headers=headers)


def _framework_view(framework: NationalFramework) -> dict[str, Any]:
    levels = [
        {"national": m.national, "common": m.common, "assumption": m.assumption, "basis": m.basis}
        for m in framework.levels
    ]
    head = {"id": framework.framework_id, "country": framework.country, "title": framework.title}
    return {**head, "source": framework.source, "levels": levels}


def _public_routes(router: APIRouter, service: RegistryService) -> None:
    @router.get("/v1/assurance-frameworks")
    def frameworks() -> dict[str, Any]:
        """The national assurance frameworks the scheme maps onto low / substantial / high, with sources."""
        return {"common_scale": COMMON_SCALE_SOURCE, "frameworks": [_framework_view(f) for f in FRAMEWORKS.values()]}

    @router.get("/v1/recognitions", response_class=Response, responses={200: {"content": {JWT_MEDIA_TYPE: {}}}})
    def current(if_none_match: Annotated[str | None, Header()] = None) -> Response:
        """The signed recognition list issued with the current trust list (``lintas-recognition-list+jwt``)."""
        seq, token = service.current_recognitions()
        published = service.current()
        remaining = published.trust_list.next_update - service.clock.now()
        max_age = max(0, min(remaining, service.settings.max_cache_age))
        return _signed(seq, token, if_none_match, f"public, max-age={max_age}")

    @router.get(
        "/v1/recognitions/{sequence}", response_class=Response, responses={200: {"content": {JWT_MEDIA_TYPE: {}}}}
    )
    def past(
        sequence: Annotated[int, Path(ge=1, le=10**11)],
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        """The recognition list issued with trust list ``sequence``; never changes."""
        token = service.ledger.recognitions_token(sequence)
        if token is None:
            return problem(404, "Unknown list", f"no recognition list was issued with list {sequence}")
        return _signed(sequence, token, if_none_match, "public, max-age=31536000, immutable")


def recognition_router(
    service: RegistryService, oauth: ClientCredentialsServer, limiter: SlidingWindowLimiter
) -> APIRouter:
    """The recognition routes: public reads and national-operator changes, all behind ``limiter``."""
    router = APIRouter(tags=["recognition"], dependencies=[Depends(limiter.dependency())])
    Claims = Annotated[TokenClaims, Depends(oauth.require(may_govern))]
    _public_routes(router, service)

    @router.post("/v1/governance/countries/{cc}/recognitions", status_code=201, response_model=None)
    def propose(claims: Claims, body: RecognitionIn, cc: Annotated[str, _COUNTRY]) -> JSONResponse:
        """Publish a decision: ``cc`` recognises another state's credential type for purposes, at a level."""
        if cc not in ASEAN_COUNTRIES:
            return problem(404, "Unknown country", f"{cc!r} is not an ASEAN member state code")
        _own_country(claims, cc)
        fields = body.model_dump(exclude={"note"})

        def build(trust_list: TrustList, current: RecognitionList, now: int, seq: int) -> Built:
            new, decision = recognitions.propose(current.decisions, trust_list, cc, fields, now, seq)
            payload = {"decision": decision.to_json(), "note": body.note}
            return Change(trust_list, "recognise", payload, recognitions=new), {"decision": decision.to_json()}

        return _run(service, claims, "recognise", build, 201)

    @router.post("/v1/governance/countries/{cc}/recognitions/withdraw", response_model=None)
    def withdraw(claims: Claims, body: WithdrawIn, cc: Annotated[str, _COUNTRY]) -> JSONResponse:
        """Withdraw one of ``cc``'s decisions from now (it stays listed, marked ``withdrawn_at``)."""
        if cc not in ASEAN_COUNTRIES:
            return problem(404, "Unknown country", f"{cc!r} is not an ASEAN member state code")
        _own_country(claims, cc)

        def build(trust_list: TrustList, current: RecognitionList, now: int, seq: int) -> Built:
            new, decision = recognitions.withdraw(current.decisions, cc, body.decision_id, now)
            payload = {"decision": decision.to_json(), "note": body.note}
            change = Change(trust_list, "withdraw_recognition", payload, recognitions=new)
            return change, {"decision": decision.to_json()}

        return _run(service, claims, "withdraw_recognition", build, 200)

    @router.post("/v1/governance/issuers/assurance", response_model=None)
    def declare(claims: Claims, body: DeclarationIn) -> JSONResponse:
        """Declare an issuer's national level; its common ``assurance_level`` follows the scheme's mapping."""
        issuer = service.current().trust_list.issuer(body.issuer_id)
        if issuer is None:
            return problem(404, "Unknown issuer", f"{body.issuer_id!r} is not in the list")
        if not can_write(claims.scopes, issuer.country):
            raise _forbidden(issuer.country, f"The token may not change {issuer.country}.")
        dev = service.settings.development

        def build(trust_list: TrustList, current: RecognitionList, now: int, seq: int) -> Built:
            new_list, declared, declaration = recognitions.declare_assurance(
                trust_list, current.assurance, body.issuer_id, body.framework, body.national_level, development=dev
            )
            payload = {"declaration": declaration.to_json()}
            return Change(new_list, "declare_assurance", payload, assurance=declared), payload

        return _run(service, claims, "declare_assurance", build, 200)

    @router.post("/v1/governance/issuers/federation-keys", response_model=None)
    def federation_keys(claims: Claims, body: FederationKeysIn) -> JSONResponse:
        """Register an issuer's federation entity keys (replacing earlier ones): the anchor's statements carry them."""
        issuer = service.current().trust_list.issuer(body.issuer_id)
        if issuer is None:
            return problem(404, "Unknown issuer", f"{body.issuer_id!r} is not in the list")
        if not can_write(claims.scopes, issuer.country):
            raise _forbidden(issuer.country, f"The token may not change {issuer.country}.")
        try:
            entry = FederationKeys.from_json({"issuer": body.issuer_id, "keys": body.keys})
        except TrustError as exc:
            return problem(400, "Invalid federation keys", exc.detail)

        def build(trust_list: TrustList, current: RecognitionList, now: int, seq: int) -> Built:
            kept = tuple(k for k in current.federation_keys if k.issuer_id != body.issuer_id)
            payload = {"federation_keys": entry.to_json()}
            return Change(trust_list, "register_federation_keys", payload, federation_keys=(*kept, entry)), payload

        return _run(service, claims, "register_federation_keys", build, 200)

    _verifier_routes(router, service, oauth)
    return router


def _verifier_routes(router: APIRouter, service: RegistryService, oauth: ClientCredentialsServer) -> None:
    """Register and withdraw a country's verifier entities (:mod:`trust_registry.verifier_entities`)."""
    Claims = Annotated[TokenClaims, Depends(oauth.require(may_govern))]

    def _check(claims: TokenClaims, cc: str) -> JSONResponse | None:
        if cc not in ASEAN_COUNTRIES or service.current().trust_list.country(cc) is None:
            return problem(404, "Unknown country", f"{cc!r} is not a member state on the list")
        if not can_write(claims.scopes, cc):
            raise _forbidden(cc, f"The token may not change {cc}.")
        return None

    @router.post("/v1/governance/countries/{cc}/verifier-entities", response_model=None)
    def register(claims: Claims, body: VerifierEntityIn, cc: Annotated[str, _COUNTRY]) -> JSONResponse:
        """``cc`` vouches for a verifier entity (its intermediate binds the keys); re-registering rolls keys."""
        refused = _check(claims, cc)
        if refused is not None:
            return refused
        settings = service.settings
        build = verifier_entities.registration(
            cc, body.entity_id, body.keys, body.note, registry_url=settings.public_url, development=settings.development
        )
        return _run(service, claims, "register_verifier_entity", build, 200)

    @router.post("/v1/governance/countries/{cc}/verifier-entities/withdraw", response_model=None)
    def withdraw(claims: Claims, body: VerifierWithdrawIn, cc: Annotated[str, _COUNTRY]) -> JSONResponse:
        """``cc`` stops vouching for a verifier entity from now (final; the registration stays listed)."""
        refused = _check(claims, cc)
        if refused is not None:
            return refused

        def build(trust_list: TrustList, current: RecognitionList, now: int, seq: int) -> Built:
            new, entry = verifier_entities.withdraw_verifier_entity(current.verifier_entities, cc, body.entity_id, now)
            payload = {"verifier_entity": entry.to_json(), "note": body.note}
            change = Change(trust_list, "withdraw_verifier_entity", payload, verifier_entities=new)
            return change, {"verifier_entity": entry.to_json()}

        return _run(service, claims, "withdraw_verifier_entity", build, 200)


def _run(service: RegistryService, claims: TokenClaims, action: str, build: FabricBuild, status: int) -> JSONResponse:
    try:
        result = service.change_fabric(claims.client_id, action, build)
    except ChangeError as exc:
        return problem(exc.status, exc.title, exc.detail)
    return JSONResponse(result.body, status_code=status)
