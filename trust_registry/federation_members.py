"""Member states as OpenID Federation 1.0 intermediate entities of the ASEAN federation (issue #16 item 2).

The chain of a national issuer is *leaf → member state → ASEAN*: the registry's trust anchor
(:mod:`trust_registry.federation`) issues a subordinate statement about each member state's
intermediate, and each intermediate about its own country's granted issuers.

* **Entity id** ``<registry>/federation/<CC>`` (ISO 3166-1 alpha-2, upper case); its entity
  configuration at ``<entity id>/.well-known/openid-federation`` (Section 9) names the anchor in
  ``authority_hints`` and its ``federation_fetch_endpoint`` / ``federation_list_endpoint``
  (``<entity id>/fetch``, ``<entity id>/list``, Sections 8.1 and 8.2).
* **Keys**: each intermediate signs with a key of its own (``<data>/registry/keys/federation-<cc>.pem``,
  ES256, ``kid`` its RFC 7638 thumbprint), not the anchor's key under another ``kid``. Why: the
  anchor's statement about the intermediate then binds a key that can sign *only* that member
  state's statements, so a chain check of ``ES[j]`` against ``ES[j+1].jwks`` is a real
  delegation check (with one shared key, a statement "by TH" about a MY issuer would verify);
  one member state's key is rotated or revoked without re-keying the anchor verifiers pin;
  and a member state that later runs its own registry keeps the same chain, with its key moved.
* **Subordinate statements about issuers**: only for an issuer of *this* country that is
  granted now and whose federation keys the registry holds; ``jwks`` those keys and a
  ``metadata_policy`` fixing ``lintas_country`` and ``lintas_assurance_level`` (``value``) and
  narrowing ``lintas_vcts`` to the listed types (``subset_of``, ``essential``). They live
  :data:`STATEMENT_TTL` seconds, so a suspension or withdrawal stops the chain within that time.
* **Subordinate statements about verifiers**: only for a verifier entity this country registered
  and has not withdrawn (:mod:`idcore.trust.verifier_entities`); ``jwks`` its registered keys and
  a ``metadata_policy`` fixing ``lintas_country`` of its ``openid_credential_verifier`` metadata
  and emptying any ``openid_credential_issuer`` metadata it might claim (a verifier issues nothing).
* **Issuer federation keys**: those the country's operator registered
  (``POST /v1/governance/issuers/federation-keys``, :mod:`idcore.trust.federation_keys`); failing
  that, for a seeded demo issuer, the key the registry generated for it
  (``<data>/issuers/<slug>/certificate.pem``, :mod:`trust_registry.pki`). Neither: no statement.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from idcore.jwk import jwk_thumbprint, public_jwk
from idcore.keystore import FileKeyStore
from idcore.ports import Signer
from idcore.trust.federation import (
    ISSUER_ENTITY_TYPE,
    META_COUNTRY,
    META_LEVEL,
    META_VCTS,
    VERIFIER_ENTITY_TYPE,
    sign_entity_statement,
)
from idcore.trust.model import CountryEntry, IssuerStatus, TrustList
from idcore.trust.recognition import RecognitionList
from idcore.trust.verifier_entities import VerifierEntity
from idcore.x509 import certificate_from_pem
from trust_registry.pki import issuer_material_dir

__all__ = ["STATEMENT_TTL", "MemberStates", "keyed_jwk"]

#: Path under the registry's URL of the member states' intermediates: ``/federation/<CC>``.
MEMBER_PREFIX = "/federation/"
#: Lifetime of the registry's statements: how long a removed issuer may still resolve from a cache.
STATEMENT_TTL = 600


def keyed_jwk(jwk: Mapping[str, Any]) -> dict[str, Any]:
    """The public JWK with ``kid`` = its RFC 7638 thumbprint."""
    public = {k: v for k, v in jwk.items() if k != "kid"}
    return {**public, "kid": jwk_thumbprint(public)}


class IssuerFederationKeys:
    """The federation entity keys of listed issuers: registered ones, else (demo) the generated one."""

    def __init__(self, data_dir: Path) -> None:
        """Demo keys are read from ``data_dir`` on first use and remembered."""
        self._data_dir = data_dir
        self._demo: dict[str, dict[str, Any] | None] = {}
        self._lock = threading.Lock()

    def _demo_key(self, issuer_id: str) -> dict[str, Any] | None:
        with self._lock:
            if issuer_id not in self._demo:
                directory = issuer_material_dir(self._data_dir, issuer_id)
                key = None
                if directory is not None and (directory / "certificate.pem").exists():
                    public = certificate_from_pem((directory / "certificate.pem").read_bytes()).public_key()
                    key = keyed_jwk(public_jwk(public)) if isinstance(public, ec.EllipticCurvePublicKey) else None
                self._demo[issuer_id] = key
            return self._demo[issuer_id]

    def of(self, issuer_id: str, registered: RecognitionList) -> list[dict[str, Any]]:
        """The issuer's registered federation keys, else its demo key, else none."""
        entry = next((k for k in registered.federation_keys if k.issuer_id == issuer_id), None)
        if entry is not None:
            return [dict(k) for k in entry.keys]
        demo = self._demo_key(issuer_id)
        return [demo] if demo is not None else []


class MemberStates:
    """Signs the member states' intermediate configurations and their statements about issuers."""

    def __init__(self, anchor_id: str, data_dir: Path) -> None:
        """Intermediate keys live in ``<data_dir>/registry/keys`` (created on first use, never logged)."""
        self.anchor_id = anchor_id.rstrip("/")
        self._keys = FileKeyStore(data_dir / "registry" / "keys")
        self._issuer_keys = IssuerFederationKeys(data_dir)
        self._signers: dict[str, tuple[Signer, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def entity_id(self, code: str) -> str:
        """The intermediate's entity identifier."""
        return f"{self.anchor_id}{MEMBER_PREFIX}{code}"

    def country(self, trust_list: TrustList, code_or_id: str) -> CountryEntry | None:
        """The listed member state named by its code or its intermediate's entity id, else ``None``."""
        code = code_or_id.removeprefix(self.anchor_id + MEMBER_PREFIX) if "/" in code_or_id else code_or_id
        if len(code) != 2 or not code.isupper() or not code.isalpha():
            return None
        return trust_list.country(code)

    def signer(self, code: str) -> tuple[Signer, dict[str, Any]]:
        """The intermediate's signer and public JWK (``kid`` = thumbprint)."""
        with self._lock:
            if code not in self._signers:
                signer = self._keys.get_or_create(f"federation-{code.lower()}")
                self._signers[code] = (signer, keyed_jwk(signer.public_jwk))
            return self._signers[code]

    def jwks(self, code: str) -> dict[str, Any]:
        """The intermediate's JWK Set (what the anchor's statement about it binds)."""
        return {"keys": [self.signer(code)[1]]}

    def configuration(self, country: CountryEntry, now: int) -> str:
        """The intermediate's entity configuration (superior: the anchor)."""
        entity_id = self.entity_id(country.code)
        claims = {
            "iss": entity_id,
            "sub": entity_id,
            "iat": now,
            "exp": now + STATEMENT_TTL,
            "jwks": self.jwks(country.code),
            "authority_hints": [self.anchor_id],
            "metadata": {
                "federation_entity": {
                    "federation_fetch_endpoint": entity_id + "/fetch",
                    "federation_list_endpoint": entity_id + "/list",
                    "organization_name": country.names.get("en", country.code),
                }
            },
        }
        signer, jwk = self.signer(country.code)
        return sign_entity_statement(claims, signer, jwk["kid"])

    def subordinates(
        self, country: CountryEntry, registered: RecognitionList, now: int, entity_type: str | None = None
    ) -> list[str]:
        """The entities this intermediate issues statements about now (Section 8.2), of ``entity_type`` if given."""
        issuers = [
            i.issuer_id
            for i in country.issuers
            if i.status_at(now) is IssuerStatus.GRANTED and self._issuer_keys.of(i.issuer_id, registered)
        ]
        verifiers = [v.entity_id for v in self._verifiers(country, registered, now)]
        if entity_type is None:
            return issuers + [v for v in verifiers if v not in issuers]
        return {ISSUER_ENTITY_TYPE: issuers, VERIFIER_ENTITY_TYPE: verifiers}.get(entity_type, [])

    @staticmethod
    def _verifiers(country: CountryEntry, registered: RecognitionList, now: int) -> list[VerifierEntity]:
        return [v for v in registered.verifier_entities if v.country == country.code and v.active_at(now)]

    def statement(self, country: CountryEntry, registered: RecognitionList, subject: str, now: int) -> str | None:
        """The statement about ``subject`` (an issuer granted now or a verifier registered by ``country``)."""
        issuer = next((i for i in country.issuers if i.issuer_id == subject), None)
        if issuer is None:
            return self._verifier_statement(country, registered, subject, now)
        if issuer.status_at(now) is not IssuerStatus.GRANTED:
            return None
        keys = self._issuer_keys.of(subject, registered)
        if not keys:
            return None
        policy = {
            ISSUER_ENTITY_TYPE: {
                META_COUNTRY: {"value": country.code},
                META_LEVEL: {"value": issuer.assurance_level},
                META_VCTS: {"subset_of": list(issuer.vcts), "essential": True},
            }
        }
        return self._sign_about(country, subject, keys, policy, now)

    def _verifier_statement(
        self, country: CountryEntry, registered: RecognitionList, subject: str, now: int
    ) -> str | None:
        verifier = next((v for v in self._verifiers(country, registered, now) if v.entity_id == subject), None)
        if verifier is None:
            return None
        policy = {
            VERIFIER_ENTITY_TYPE: {META_COUNTRY: {"value": country.code}},
            # A registered verifier is no issuer: were its configuration to claim issuer metadata, the
            # types it may issue resolve to none and its level is removed, so no credential of it is
            # ever trusted through this statement (FederationTrust needs a level and a listed type).
            ISSUER_ENTITY_TYPE: {META_VCTS: {"value": []}, META_LEVEL: {"value": None}},
        }
        return self._sign_about(country, subject, [dict(k) for k in verifier.keys], policy, now)

    def _sign_about(
        self, country: CountryEntry, subject: str, keys: list[dict[str, Any]], policy: dict[str, Any], now: int
    ) -> str:
        entity_id = self.entity_id(country.code)
        claims = {
            "iss": entity_id,
            "sub": subject,
            "iat": now,
            "exp": now + STATEMENT_TTL,
            "jwks": {"keys": keys},
            "metadata_policy": policy,
            "source_endpoint": entity_id + "/fetch",
        }
        signer, jwk = self.signer(country.code)
        return sign_entity_statement(claims, signer, jwk["kid"])
