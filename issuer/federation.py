"""Each Credential Issuer as an OpenID Federation 1.0 leaf entity (issue #16 item 2).

* **Entity configuration** (OpenID Federation 1.0 Section 3.1; served at the identifier plus
  ``/.well-known/openid-federation``, Section 9, media type ``application/entity-statement+jwt``):
  ``iss`` = ``sub`` = the tenant's Credential Issuer Identifier, ``jwks`` = the tenant's
  *federation entity key* only, ``authority_hints`` = the configured immediate superiors (the
  member state's intermediate in the ASEAN federation), and ``metadata`` with:

  - ``openid_credential_issuer`` (OpenID4VCI 1.0 Section 12.2.4 names this entity type): the
    Credential Issuer Metadata, plus ``jwks`` holding the public keys that sign its credentials
    (the document signer's, and the mdoc Document Signer's if it has one; a verifier ties the
    ``x5c`` leaf of a credential to one of them, :func:`idcore.trust.federation.FederationTrust`),
    plus ``lintas_vcts``, the types this tenant issues (the superiors' policy narrows them to what
    the registry authorises);
  - ``federation_entity``: its display name (Section 5.2.2).

* **Keys**: the federation entity key is a key of its own (FileKeyStore id / PKCS#11 label
  ``federation-entity``, ES256), never the document signer: the superior's subordinate statement
  binds *this* key, which the member state's operator registers with the registry
  (``POST /v1/governance/issuers/federation-keys``), so registry and issuer agree on it without
  reading each other's files.

The route ``GET <tenant path>/.well-known/openid-federation`` (:func:`federation_router`) is
public and read-only (the federation's published record), takes no input, is mounted behind the
wallet-facing per-address rate limit, and stores or logs nothing per request. The configuration
is signed once and reused for half its lifetime (it changes only with the keys or the settings),
so a flood of requests costs no signatures. Without configured superiors no configuration is
served (404): an entity with no ``authority_hints`` would claim to be a trust anchor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from idcore.ports import Clock, Signer
from idcore.trust.federation import ISSUER_ENTITY_TYPE, META_VCTS, WELL_KNOWN_PATH
from idcore.trust.federation_keys import normalise_jwk
from issuer.keys import load_federation_signer
from issuer.settings import IssuerSettings
from issuer.tenant import Tenant
from lintas.entity_configuration import CachedConfiguration

__all__ = ["federation_router"]

ENTITY_STATEMENT_MEDIA_TYPE = "application/entity-statement+jwt"
#: Caches may keep a configuration briefly; a rotated key reaches verifiers within this window.
_CACHE = {"Cache-Control": "public, max-age=300"}


def _credential_jwks(tenant: Tenant) -> list[dict[str, str]]:
    """The public keys that sign this tenant's credentials, ``kid`` their RFC 7638 thumbprint."""
    keys = [normalise_jwk(tenant.keys.signer.public_jwk)]
    if tenant.mdoc_keys is not None:
        keys.append(normalise_jwk(tenant.mdoc_keys.signer.public_jwk))
    return keys


class LeafEntity:
    """One tenant's entity configuration, signed with its federation entity key and cached.

    Signing and reuse for half the lifetime are :class:`lintas.entity_configuration.CachedConfiguration`'s,
    shared with the verifier's entity configuration.
    """

    def __init__(self, tenant: Tenant, signer: Signer, authority_hints: list[str], lifetime: int) -> None:
        """``signer`` is the tenant's federation entity key (an ES256 :class:`~idcore.ports.Signer`)."""
        self.tenant = tenant
        self.authority_hints = list(authority_hints)
        self._cached = CachedConfiguration(signer, lifetime, self._own_claims)

    def _own_claims(self, now: int) -> dict[str, Any]:
        """The tenant's own claims (Section 3.1); ``iat``, ``exp`` and ``jwks`` are added when signing."""
        tenant = self.tenant
        metadata = {
            **tenant.issuer_metadata(),
            "jwks": {"keys": _credential_jwks(tenant)},
            META_VCTS: [tenant.ctype.vct, *(m.doctype for m in tenant.mdoc.values())],
        }
        return {
            "iss": tenant.identifier,
            "sub": tenant.identifier,
            "authority_hints": self.authority_hints,
            "metadata": {
                ISSUER_ENTITY_TYPE: metadata,
                "federation_entity": {"organization_name": tenant.spec.names.get("en", tenant.identifier)},
            },
        }

    def configuration(self, now: int) -> str:
        """The signed entity configuration, re-signed once half its lifetime has passed."""
        return self._cached.configuration(now)


def leaf_entities(settings: IssuerSettings, tenants: Sequence[Tenant]) -> list[LeafEntity]:
    """Every tenant as a leaf entity; none without configured superiors (see the module docstring)."""
    if not settings.federation_authority_hints:
        return []
    hints = [h.rstrip("/") for h in settings.federation_authority_hints]
    return [
        LeafEntity(t, load_federation_signer(settings, t.spec), hints, settings.federation_entity_ttl) for t in tenants
    ]


def _add_route(router: APIRouter, leaf: LeafEntity, clock: Clock) -> None:
    media: dict[int | str, dict[str, Any]] = {200: {"content": {ENTITY_STATEMENT_MEDIA_TYPE: {}}}}

    @router.get(
        f"{leaf.tenant.spec.path}{WELL_KNOWN_PATH}",
        response_class=Response,
        responses=media,
        summary="OpenID Federation entity configuration",
        tags=["metadata"],
    )
    def configuration() -> Response:
        return Response(leaf.configuration(clock.now()), media_type=ENTITY_STATEMENT_MEDIA_TYPE, headers=_CACHE)


def federation_router(settings: IssuerSettings, tenants: Sequence[Tenant], clock: Clock) -> APIRouter:
    """One entity configuration route per tenant (none without ``federation_authority_hints``)."""
    router = APIRouter()
    for leaf in leaf_entities(settings, tenants):
        _add_route(router, leaf, clock)
    return router
