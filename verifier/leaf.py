"""The verifier as an OpenID Federation 1.0 leaf entity (issue #16 item 2).

* **Entity configuration** (OpenID Federation 1.0 Section 3.1; served at ``/.well-known/openid-federation``,
  Section 9, media type ``application/entity-statement+jwt``): ``iss`` = ``sub`` = the verifier's
  public URL, ``jwks`` = its *federation entity key* only (:func:`verifier.keys.federation_signer`,
  never the request-signing or access-token key), ``authority_hints`` = the configured immediate
  superiors (``LINTAS_VERIFIER_FEDERATION_AUTHORITY_HINTS``: the member state's intermediate), and
  ``metadata`` with:

  - ``openid_credential_verifier``: the verifier metadata of OpenID4VP 1.0 Section 11, which is
    RFC 7591 Section 2 client metadata — ``client_name`` and ``client_uri`` (the operator),
    ``response_types`` (``vp_token``, Section 5), ``vp_formats_supported`` (Section 11.1 and
    Appendix B: SD-JWT VC with ES256 issuer and key-binding signatures, mdoc with the COSE
    algorithms the pipeline accepts), ``encrypted_response_enc_values_supported`` (Section 8.3:
    ``direct_post.jwt`` responses; the encryption keys are per transaction, so none is published),
    ``request_object_signing_alg`` (OpenID Connect Dynamic Client Registration 1.0 Section 2) and
    ``jwks``: the public keys that sign the verifier's request objects (the access key, and the
    standby key during a rotation), ``kid`` their RFC 7638 thumbprint. This is what a wallet uses
    for the ``openid_federation`` client identifier prefix (OpenID4VP 1.0 Section 5.9.3: the final
    metadata comes from the trust chain, after the superiors' policies). No secrets.
  - ``federation_entity``: ``organization_name`` (Section 5.2.2).

  When ``LINTAS_VERIFIER_FEDERATION_TRUST_MARK_ENDPOINT`` is set, the configuration carries the
  registry's "registered relying party" trust mark in ``trust_marks``
  (:class:`lintas.trust_marks.TrustMarkKeeper`, run in the app's lifespan).

The route is public and read-only (the federation's published record), takes no input, is
mounted behind the wallet-facing per-address rate limit and stores or logs nothing per request.
The configuration is signed once and reused for half its lifetime
(:class:`lintas.entity_configuration.CachedConfiguration`), and signed anew when the carried mark
changes. Without configured superiors no configuration is served (404): an entity with no
``authority_hints`` would claim to be a trust anchor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.params import Depends

from idcore.jwk import jwk_thumbprint
from idcore.keystore import KeyStore
from idcore.mdoc.cose import COSE_ALGS
from idcore.oid4vp import build_client_metadata
from idcore.oid4vp.jwe import ENC_ALGS
from idcore.ports import Clock, Signer
from idcore.trust.federation import VERIFIER_ENTITY_TYPE, WELL_KNOWN_PATH
from idcore.trust.federation_marks import REGISTERED_RELYING_PARTY
from lintas.entity_configuration import CachedConfiguration, add_configuration_route
from lintas.trust_marks import TrustMarkKeeper, with_keepers
from verifier.federation import load_anchor
from verifier.keys import VerifierKeys, federation_signer
from verifier.settings import VerifierSettings

__all__ = ["VerifierLeaf"]

_FORMAT_MSO_MDOC = "mso_mdoc"


def _request_jwks(keys: VerifierKeys) -> list[dict[str, Any]]:
    """The public keys that sign request objects: the access key, and the standby key during a rotation."""
    signers = [keys.request_signer, *([keys.standby[0]] if keys.standby else [])]
    jwks = []
    for signer in signers:
        jwk = dict(signer.public_jwk)
        jwks.append({**jwk, "kid": jwk_thumbprint(jwk), "use": "sig", "alg": signer.alg})
    return jwks


def verifier_metadata(settings: VerifierSettings, keys: VerifierKeys) -> dict[str, Any]:
    """The ``openid_credential_verifier`` metadata (OpenID4VP 1.0 Section 11; see the module docstring)."""
    metadata = build_client_metadata(None, client_name=settings.operator_name)  # the formats requests name too
    metadata["vp_formats_supported"][_FORMAT_MSO_MDOC] = {
        "issuerauth_alg_values": sorted(COSE_ALGS),
        "deviceauth_alg_values": sorted(COSE_ALGS),
    }
    return {
        **metadata,
        "client_uri": settings.base_url,
        "response_types": ["vp_token"],
        "encrypted_response_enc_values_supported": sorted(ENC_ALGS),
        "request_object_signing_alg": keys.request_signer.alg,
        "jwks": {"keys": _request_jwks(keys)},
    }


def _own_key_only(signer: Signer, keys: VerifierKeys) -> None:
    """Refuse start-up when the federation key is one of the verifier's other keys (e.g. one key under two labels)."""
    own = jwk_thumbprint(signer.public_jwk)
    others = [keys.request_signer, keys.oauth_signer, *([keys.standby[0]] if keys.standby else [])]
    if any(jwk_thumbprint(other.public_jwk) == own for other in others):
        raise ValueError("the federation entity key must be a key of its own, not the access or token key")


def leaf_entity(
    settings: VerifierSettings,
    keys: VerifierKeys,
    request_store: KeyStore | None,
    marks: Callable[[int], list[dict[str, str]]] | None = None,
) -> CachedConfiguration | None:
    """The verifier's entity configuration as configured; ``None`` without ``federation_authority_hints``."""
    if not settings.federation_authority_hints:
        return None
    # Made on first start only in development; in production it is the key the operator made and had
    # registered, installed on every replica (a replica making its own would break the chain).
    signer = federation_signer(settings.data_dir, request_store, create=settings.development)
    _own_key_only(signer, keys)
    entity_id = settings.base_url
    hints = list(settings.federation_authority_hints)
    metadata = {
        VERIFIER_ENTITY_TYPE: verifier_metadata(settings, keys),
        "federation_entity": {"organization_name": settings.operator_name},
    }

    def claims(now: int) -> dict[str, Any]:
        return {"iss": entity_id, "sub": entity_id, "authority_hints": hints, "metadata": metadata}

    return CachedConfiguration(signer, settings.federation_entity_ttl, claims, marks)


def trust_mark_keeper(settings: VerifierSettings, http: httpx.Client, clock: Clock) -> TrustMarkKeeper | None:
    """The keeper of the verifier's "registered relying party" mark; ``None`` without an endpoint.

    With the trust anchor configured (``trust_mode`` federation or both), only marks the anchor
    signed are carried.
    """
    if settings.federation_trust_mark_endpoint is None:
        return None
    anchor = None
    if settings.federation_trust_anchor is not None:
        loaded = load_anchor(settings)
        anchor = (loaded.entity_id, loaded.jwks)
    return TrustMarkKeeper(
        settings.federation_trust_mark_endpoint,
        REGISTERED_RELYING_PARTY,
        settings.base_url,
        client=http,
        clock=clock,
        development=settings.development,
        anchor=anchor,
        timeout=settings.federation_timeout,
    )


class VerifierLeaf:
    """The verifier's leaf entity as configured: its configuration (if any) and its trust mark keeper (if any)."""

    def __init__(
        self,
        settings: VerifierSettings,
        keys: VerifierKeys,
        *,
        request_store: KeyStore | None,
        http: httpx.Client,
        clock: Clock,
    ) -> None:
        """Build both from the settings; ``ValueError`` (start-up refused) for unusable keys or anchor keys."""
        self.keeper = trust_mark_keeper(settings, http, clock)
        self.entity = leaf_entity(settings, keys, request_store, self.keeper.current if self.keeper else None)
        self._clock = clock

    def mount(self, app: FastAPI, dependencies: Sequence[Depends]) -> None:
        """Serve ``GET /.well-known/openid-federation`` behind ``dependencies`` (the public rate limit)."""
        entity, clock = self.entity, self._clock
        app.state.leaf_entity, app.state.trust_mark_keeper = entity, self.keeper  # for tests and tools to inspect
        if entity is None:
            return
        router = APIRouter()
        add_configuration_route(router, WELL_KNOWN_PATH, lambda: entity.configuration(clock.now()))
        app.include_router(router, dependencies=list(dependencies))

    def lifespan(
        self, inner: Callable[[Any], AbstractAsyncContextManager[None]]
    ) -> Callable[[Any], AbstractAsyncContextManager[None]]:
        """The app's ``lifespan``: ``inner``, with the trust mark keeper running in the background when there is one."""
        return with_keepers(inner, [self.keeper] if self.keeper is not None else [])
