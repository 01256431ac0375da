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

* **Trust mark** (section "Trust Marks"): when ``LINTAS_ISSUER_FEDERATION_TRUST_MARK_ENDPOINT`` is set,
  each tenant that issues the person-ID type (:data:`idcore.trust.VCT_PID`) carries the registry's
  "recognised PID issuer" mark (:data:`idcore.trust.federation_marks.RECOGNISED_PID_ISSUER`) in its
  ``trust_marks`` while the registry grants it: a :class:`lintas.trust_marks.TrustMarkKeeper` per such
  tenant, subject its Credential Issuer Identifier, runs in the app's lifespan
  (:func:`lintas.trust_marks.with_keepers`). Tenants of other types carry none. The issuer is not configured with
  the trust anchor's keys, so the keeper checks everything of a mark but its signature (type,
  ``alg``, ``sub``, ``trust_mark_type``, ``iat``/``exp``); relying parties verify the signature
  themselves (:func:`idcore.trust.federation_marks.valid_trust_marks`), so a forged mark served by
  a spoofed endpoint gains the issuer nothing.

The route ``GET <tenant path>/.well-known/openid-federation`` (:func:`federation_router`) is
public and read-only (the federation's published record), takes no input, is mounted behind the
wallet-facing per-address rate limit, and stores or logs nothing per request. The configuration
is signed once and reused for half its lifetime (it changes only with the keys, the settings and
the carried mark: a mark obtained, renewed or dropped re-signs it at once), so a flood of requests
costs no signatures. Without configured superiors no configuration is
served (404): an entity with no ``authority_hints`` would claim to be a trust anchor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import httpx
from fastapi import APIRouter

from idcore.ports import Clock, Signer
from idcore.trust import VCT_PID
from idcore.trust.federation import ISSUER_ENTITY_TYPE, META_VCTS, WELL_KNOWN_PATH
from idcore.trust.federation_keys import normalise_jwk
from idcore.trust.federation_marks import RECOGNISED_PID_ISSUER
from issuer.keys import load_federation_signer
from issuer.settings import IssuerSettings
from issuer.tenant import Tenant
from lintas.entity_configuration import CachedConfiguration, add_configuration_route
from lintas.trust_marks import TrustMarkKeeper

__all__ = ["federation_router", "trust_mark_keepers"]

#: The trust marks a tenant carries at ``now`` (Section 3.1 ``trust_marks``): its keeper's ``current``.
Marks = Callable[[int], list[dict[str, str]]]


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

    def __init__(
        self, tenant: Tenant, signer: Signer, authority_hints: list[str], lifetime: int, marks: Marks | None = None
    ) -> None:
        """``signer`` is the tenant's federation entity key (an ES256 :class:`~idcore.ports.Signer`).

        ``marks(now)`` gives the trust marks the tenant carries at ``now`` (its keeper's; none when not given).
        """
        self.tenant = tenant
        self.authority_hints = list(authority_hints)
        self._cached = CachedConfiguration(signer, lifetime, self._own_claims, marks)

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


def trust_mark_keepers(
    settings: IssuerSettings, tenants: Sequence[Tenant], http: httpx.Client | None, clock: Clock
) -> dict[str, TrustMarkKeeper]:
    """Tenant identifier -> keeper of its "recognised PID issuer" mark, for each tenant issuing the PID type.

    None without ``federation_trust_mark_endpoint`` (the settings refuse it without superiors) or ``http``.
    """
    endpoint = settings.federation_trust_mark_endpoint
    if endpoint is None or http is None:
        return {}
    return {
        t.identifier: TrustMarkKeeper(
            endpoint, RECOGNISED_PID_ISSUER, t.identifier, client=http, clock=clock, development=settings.development
        )
        for t in tenants
        if t.ctype.vct == VCT_PID
    }


def leaf_entities(
    settings: IssuerSettings, tenants: Sequence[Tenant], keepers: Mapping[str, TrustMarkKeeper] | None = None
) -> list[LeafEntity]:
    """Every tenant as a leaf entity, carrying its keeper's mark if it has one; none without superiors."""
    if not settings.federation_authority_hints:
        return []
    hints = [h.rstrip("/") for h in settings.federation_authority_hints]
    keepers = keepers or {}
    return [
        LeafEntity(
            t,
            load_federation_signer(settings, t.spec),
            hints,
            settings.federation_entity_ttl,
            keepers[t.identifier].current if t.identifier in keepers else None,
        )
        for t in tenants
    ]


def federation_router(
    settings: IssuerSettings,
    tenants: Sequence[Tenant],
    clock: Clock,
    keepers: Mapping[str, TrustMarkKeeper] | None = None,
) -> APIRouter:
    """One entity configuration route per tenant (none without ``federation_authority_hints``)."""
    router = APIRouter()
    for leaf in leaf_entities(settings, tenants, keepers):
        add_configuration_route(router, f"{leaf.tenant.spec.path}{WELL_KNOWN_PATH}", partial(_signed_now, leaf, clock))
    return router


def _signed_now(leaf: LeafEntity, clock: Clock) -> str:
    return leaf.configuration(clock.now())
