"""Governance API (issue #3, point 4): issuers, anchors and relying-party access CAs (issue #14
item 3, :mod:`trust_registry.rp_cas`), behind OAuth 2 bearer tokens.

Tokens come from the registry's own token endpoint (client credentials, RFC 6749 Section
4.4). Scope ``registry:write`` may change any country; ``registry:write:<CC>`` only ``CC``.
A token without a governance scope, or for another country, gets 403 ``insufficient_scope``
(RFC 6750 Section 3.1). Refused changes answer problem+json and write nothing.
"""

from typing import Annotated, Any, Literal

from cryptography import x509
from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from idcore.trust.limits import MAX_NOTE_CHARS, text_problem
from idcore.trust.model import TrustList
from idcore.trust.vct import ASEAN_COUNTRIES
from lintas.oauth import ClientCredentialsServer, TokenClaims
from lintas.problem import OAuthHTTPException, problem
from lintas.ratelimit import SlidingWindowLimiter
from trust_registry import changes, rp_cas
from trust_registry.operators import can_write, country_scope, may_govern
from trust_registry.service import Build, RegistryService

__all__ = ["governance_router"]

_COUNTRY = Path(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2 code of a member state")
_SHA256 = Field(pattern=r"^[0-9a-fA-F]{64}$")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class IssuerIn(_Body):
    """A new issuer (status starts as ``granted`` from now)."""

    id: str = Field(max_length=2048, description="https URL identifying the issuer (its `iss`)")
    names: dict[str, str] = Field(description="names by language tag; `en` and a local language")
    service_types: list[str]
    vcts: list[str]
    assurance_level: str


class IssuerUpdate(_Body):
    """Fields to replace on an existing issuer."""

    issuer_id: str = Field(max_length=2048)
    names: dict[str, str] | None = None
    service_types: list[str] | None = None
    vcts: list[str] | None = None
    assurance_level: str | None = None


def _plain_note(note: str) -> str:
    """The note goes into the signed audit log: no control, bidi or unpaired surrogate characters."""
    problem = text_problem(note, max_bytes=4 * MAX_NOTE_CHARS, quotes=True) if note else None
    if problem is not None:
        raise ValueError(f"note {problem}")
    return note


#: A governance change's free-text note, as the audit log accepts it.
Note = Annotated[str, Field(max_length=MAX_NOTE_CHARS), AfterValidator(_plain_note)]


class StatusIn(_Body):
    """Which issuer to suspend, withdraw or reinstate, and why.

    ``reason`` (ETSI-style, see :class:`~idcore.trust.model.StatusReason`): ``key_compromise``
    (suspend or withdraw: every credential of the issuer is refused whatever its ``iat``),
    ``cessation_of_operation`` (withdraw: orderly retirement, judged at issuance),
    ``privilege_withdrawn`` (withdraw, default), ``unspecified`` (suspend, default).
    """

    issuer_id: str = Field(max_length=2048)
    reason: Literal["unspecified", "key_compromise", "cessation_of_operation", "privilege_withdrawn"] | None = None
    note: Note = ""


class AnchorIn(_Body):
    """A national root certificate, PEM or base64 DER."""

    certificate: str = Field(max_length=65536)


class AnchorRotateIn(_Body):
    """Replace the anchor with SHA-256 ``old_sha256`` by ``certificate``."""

    old_sha256: str = _SHA256
    certificate: str = Field(max_length=65536)


class RelyingPartyCAIn(_Body):
    """One relying-party access CA certificate: PEM (a single certificate) or base64 DER."""

    certificate: str = Field(max_length=8192)


class WithdrawIn(_Body):
    """Why a relying-party CA is withdrawn (written to the audit log)."""

    note: Note = ""


def _forbid(country: str) -> OAuthHTTPException:
    scope = country_scope(country)
    challenge = f'Bearer error="insufficient_scope", scope="{scope}"'
    return OAuthHTTPException(
        403, "insufficient_scope", f"The token may not change {country}.", {"WWW-Authenticate": challenge}
    )


def _unknown_country(cc: str) -> JSONResponse:
    return problem(404, "Unknown country", f"{cc!r} is not an ASEAN member state code (ISO 3166-1 alpha-2)")


def _run(service: RegistryService, claims: TokenClaims, action: str, build: Build) -> JSONResponse:
    try:
        result = service.change(claims.client_id, action, build)
    except changes.ChangeError as exc:
        return problem(exc.status, exc.title, exc.detail)
    status = 201 if action in ("create_issuer", "add_anchor", "add_rp_ca") else 200
    return JSONResponse(result.body, status_code=status)


def _issuer_country(service: RegistryService, issuer_id: str) -> str:
    entry = service.current().trust_list.issuer(issuer_id)
    if entry is None:
        raise changes.ChangeError(404, "Unknown issuer", f"{issuer_id!r} is not in the list")
    return entry.country


def governance_router(
    service: RegistryService, oauth: ClientCredentialsServer, limiter: SlidingWindowLimiter
) -> APIRouter:
    """Build the governance routes, protected by ``oauth``'s bearer check and ``limiter`` (per address)."""
    limit = Depends(limiter.dependency())
    router = APIRouter(prefix="/v1/governance", tags=["governance"], dependencies=[limit])
    Claims = Annotated[TokenClaims, Depends(oauth.require(may_govern))]

    @router.post("/countries/{cc}/issuers", status_code=201, response_model=None)
    def create_issuer(claims: Claims, body: IssuerIn, cc: Annotated[str, _COUNTRY]) -> JSONResponse:
        """Add an issuer to country ``cc``."""
        if cc not in ASEAN_COUNTRIES:
            return _unknown_country(cc)
        if not can_write(claims.scopes, cc):
            raise _forbid(cc)
        dev = service.settings.development

        def build(current: TrustList, now: int) -> tuple[TrustList, dict[str, Any], dict[str, Any]]:
            new, entry = changes.create_issuer(current, cc, body.model_dump(), now, development=dev)
            return new, {"country": cc, "issuer": entry.to_json()}, {"issuer": entry.to_json()}

        return _run(service, claims, "create_issuer", build)

    @router.patch("/issuers", response_model=None)
    def update_issuer(claims: Claims, body: IssuerUpdate) -> JSONResponse:
        """Change an issuer's names, service types, vcts or assurance level."""
        return _issuer_action(service, claims, body.issuer_id, "update_issuer", body.model_dump())

    @router.post("/issuers/suspend", response_model=None)
    def suspend_issuer(claims: Claims, body: StatusIn) -> JSONResponse:
        """Suspend from now: credentials issued while suspended are rejected (all of them for a key compromise)."""
        return _issuer_action(service, claims, body.issuer_id, "suspend", _status_body(body))

    @router.post("/issuers/reinstate", response_model=None)
    def reinstate_issuer(claims: Claims, body: StatusIn) -> JSONResponse:
        """End a suspension from now."""
        return _issuer_action(service, claims, body.issuer_id, "reinstate", _status_body(body))

    @router.post("/issuers/withdraw", response_model=None)
    def withdraw_issuer(claims: Claims, body: StatusIn) -> JSONResponse:
        """Withdraw for good; an orderly retirement (``cessation_of_operation``) keeps earlier credentials valid."""
        return _issuer_action(service, claims, body.issuer_id, "withdraw", _status_body(body))

    @router.post("/countries/{cc}/anchors", status_code=201, response_model=None)
    def add_anchor(claims: Claims, body: AnchorIn, cc: Annotated[str, _COUNTRY]) -> JSONResponse:
        """Add a national root certificate (a valid, self-signed CA certificate)."""
        return _anchor_action(service, claims, cc, "add_anchor", None, body.certificate)

    @router.post("/countries/{cc}/anchors/rotate", response_model=None)
    def rotate_anchor(claims: Claims, body: AnchorRotateIn, cc: Annotated[str, _COUNTRY]) -> JSONResponse:
        """Replace one root by another in a single change."""
        return _anchor_action(service, claims, cc, "rotate_anchor", body.old_sha256, body.certificate)

    @router.delete("/countries/{cc}/anchors/{sha256}", response_model=None)
    def remove_anchor(
        claims: Claims,
        cc: Annotated[str, _COUNTRY],
        sha256: Annotated[str, Path(pattern=r"^[0-9a-fA-F]{64}$")],
    ) -> JSONResponse:
        """Remove a national root by the SHA-256 of its DER."""
        return _anchor_action(service, claims, cc, "remove_anchor", sha256, None)

    @router.post("/countries/{cc}/relying-party-cas", status_code=201, response_model=None)
    def add_rp_ca(claims: Claims, body: RelyingPartyCAIn, cc: Annotated[str, _COUNTRY]) -> JSONResponse:
        """List a relying-party access CA of country ``cc``, trusted from now (a valid CA certificate)."""
        return _rp_ca_action(service, claims, cc, "add_rp_ca", body.certificate, "")

    @router.post("/countries/{cc}/relying-party-cas/{sha256}/withdraw", response_model=None)
    def withdraw_rp_ca(
        claims: Claims,
        body: WithdrawIn,
        cc: Annotated[str, _COUNTRY],
        sha256: Annotated[str, Path(pattern=r"^[0-9a-fA-F]{64}$")],
    ) -> JSONResponse:
        """Stop trusting a relying-party access CA of ``cc`` from now; it stays listed as withdrawn."""
        return _rp_ca_action(service, claims, cc, "withdraw_rp_ca", sha256, body.note)

    return router


def _status_body(body: StatusIn) -> dict[str, Any]:
    return {"note": body.note, "reason": body.reason}


def _issuer_action(
    service: RegistryService, claims: TokenClaims, issuer_id: str, action: str, body: dict[str, Any]
) -> JSONResponse:
    """Shared path of update/suspend/withdraw/reinstate: scope check on the issuer's country."""
    try:
        country = _issuer_country(service, issuer_id)
    except changes.ChangeError as exc:
        return problem(exc.status, exc.title, exc.detail)
    if not can_write(claims.scopes, country):
        raise _forbid(country)
    dev = service.settings.development

    def build(current: TrustList, now: int) -> tuple[TrustList, dict[str, Any], dict[str, Any]]:
        if action == "update_issuer":
            new, entry = changes.update_issuer(current, issuer_id, body, development=dev)
            return new, {"issuer": entry.to_json()}, {"issuer": entry.to_json()}
        new, entry = changes.set_status(current, issuer_id, action, now, body.get("reason"))
        change = entry.history[-1].to_json()
        return new, {"issuer_id": issuer_id, **change, "note": body.get("note", "")}, {"issuer": entry.to_json()}

    return _run(service, claims, action, build)


def _anchor_action(
    service: RegistryService, claims: TokenClaims, cc: str, action: str, sha256: str | None, pem: str | None
) -> JSONResponse:
    """Shared path of add/rotate/remove anchor."""
    if cc not in ASEAN_COUNTRIES:
        return _unknown_country(cc)
    if not can_write(claims.scopes, cc):
        raise _forbid(cc)
    try:
        cert = changes.parse_certificate(pem) if pem is not None else None
    except changes.ChangeError as exc:
        return problem(exc.status, exc.title, exc.detail)

    def build(current: TrustList, now: int) -> tuple[TrustList, dict[str, Any], dict[str, Any]]:
        if action == "remove_anchor":
            assert sha256 is not None  # noqa: S101 - the route always passes it
            return changes.remove_anchor(current, cc, sha256), {"country": cc, "sha256": sha256.lower()}, {}
        assert cert is not None  # noqa: S101 - the route always passes it
        if action == "rotate_anchor":
            assert sha256 is not None  # noqa: S101
            new, digest = changes.rotate_anchor(current, cc, sha256, cert, now)
            return new, {"country": cc, "old_sha256": sha256.lower(), "sha256": digest}, {"sha256": digest}
        new, digest = changes.add_anchor(current, cc, cert, now)
        return new, {"country": cc, "sha256": digest}, {"sha256": digest}

    return _run(service, claims, action, build)


def _rp_ca_action(
    service: RegistryService, claims: TokenClaims, cc: str, action: str, value: str, note: str
) -> JSONResponse:
    """Add (``value`` = the certificate) or withdraw (``value`` = its SHA-256) for country ``cc`` only."""
    if cc not in ASEAN_COUNTRIES:
        return _unknown_country(cc)
    if not can_write(claims.scopes, cc):
        raise _forbid(cc)
    try:
        cert = _single_certificate(value) if action == "add_rp_ca" else None
    except changes.ChangeError as exc:
        return problem(exc.status, exc.title, exc.detail)

    return _run(service, claims, action, rp_cas.rp_ca_change(cc, cert, value, note))


def _single_certificate(value: str) -> x509.Certificate:
    """One certificate (PEM or base64 DER); a PEM bundle is refused so nothing is silently dropped."""
    if value.count("-----BEGIN") > 1:
        raise changes.ChangeError(400, "Invalid certificate", "give exactly one certificate")
    return changes.parse_certificate(value)
