"""The registry as the OpenID Federation 1.0 trust anchor of ASEAN (issue #16 item 2).

* Entity configuration (Section 3.1, served at ``/.well-known/openid-federation``, Section 9):
  ``iss`` = ``sub`` = the registry's public URL, ``jwks`` = the registry's federation key (the
  list-signing key, so verifiers pin one key; ``kid`` its RFC 7638 thumbprint) and
  ``federation_entity`` metadata with its fetch and list endpoints (Section 5.1.1).
* Subordinate statements (Section 3.1, fetch endpoint Section 8.1) about each listed issuer that
  is *granted now* and whose federation key the registry holds: ``jwks`` that key and a
  ``metadata_policy`` for ``openid_credential_issuer`` fixing ``lintas_country`` and
  ``lintas_assurance_level`` (``value``) and narrowing the issuer's ``lintas_vcts`` to the types
  the list authorises (``subset_of``, ``essential``). Statements live :data:`STATEMENT_TTL`
  seconds, so a suspension or withdrawal stops a federation chain within that time; a suspended,
  withdrawn or unknown issuer gets no statement (404 ``not_found``).
* The federation keys of an issuer: those its country's operator registered
  (``POST /v1/governance/issuers/federation-keys``, published in the recognition list,
  :mod:`idcore.trust.federation_keys`); failing that, for a seeded demo issuer, the key the
  registry generated for it (``<data>/issuers/<slug>/certificate.pem``, :mod:`trust_registry.pki`).
  An issuer with neither gets no statement.

The hierarchy is two levels (anchor -> issuer); member-state registries as intermediates are
supported by :mod:`idcore.trust.federation` but not served here yet.

Trust marks (section "Trust Mark Endpoint"): the anchor issues ``recognised-pid-issuer`` marks
(:data:`~idcore.trust.federation_marks.RECOGNISED_PID_ISSUER`) to issuers listed and granted for
the PID type now, valid :data:`STATEMENT_TTL` seconds, and names itself their issuer in
``trust_mark_issuers``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from idcore.jwk import jwk_thumbprint, public_jwk
from idcore.ports import Signer
from idcore.trust.federation import (
    ISSUER_ENTITY_TYPE,
    META_COUNTRY,
    META_LEVEL,
    META_VCTS,
    WELL_KNOWN_PATH,
    sign_entity_statement,
)
from idcore.trust.federation_marks import RECOGNISED_PID_ISSUER, sign_trust_mark
from idcore.trust.model import IssuerStatus, TrustList
from idcore.trust.recognition import RecognitionList
from idcore.trust.vct import VCT_PID
from idcore.x509 import certificate_from_pem
from trust_registry.pki import issuer_material_dir

__all__ = ["FETCH_PATH", "LIST_PATH", "STATEMENT_TTL", "TRUST_MARK_PATH", "TrustAnchorStatements", "keyed_jwk"]

FETCH_PATH = "/federation/fetch"
LIST_PATH = "/federation/list"
TRUST_MARK_PATH = "/federation/trust-mark"
#: Lifetime of the anchor's statements: how long a removed issuer may still resolve from a cache.
STATEMENT_TTL = 600


def keyed_jwk(jwk: dict[str, Any]) -> dict[str, Any]:
    """The public JWK with ``kid`` = its RFC 7638 thumbprint."""
    public = {k: v for k, v in jwk.items() if k != "kid"}
    return {**public, "kid": jwk_thumbprint(public)}


class TrustAnchorStatements:
    """Signs the anchor's configuration and its subordinate statements; one per app."""

    def __init__(self, entity_id: str, signer: Signer, data_dir: Path) -> None:
        """Remember the collaborators; issuer keys are read on first use and remembered."""
        self.entity_id = entity_id.rstrip("/")
        self._signer = signer
        self._jwk = keyed_jwk(dict(signer.public_jwk))
        self._data_dir = data_dir
        self._issuer_keys: dict[str, dict[str, Any] | None] = {}
        self._lock = threading.Lock()

    @property
    def jwks(self) -> dict[str, Any]:
        """The anchor's JWK Set (what verifiers configure out of band)."""
        return {"keys": [self._jwk]}

    def configuration(self, trust_list: TrustList, now: int) -> str:
        """The anchor's entity configuration (its organisation name is the scheme operator's)."""
        metadata = {
            "federation_entity": {
                "federation_fetch_endpoint": self.entity_id + FETCH_PATH,
                "federation_list_endpoint": self.entity_id + LIST_PATH,
                "federation_trust_mark_endpoint": self.entity_id + TRUST_MARK_PATH,
                "organization_name": trust_list.scheme_operator.names.get("en", self.entity_id),
            }
        }
        claims = {
            "iss": self.entity_id,
            "sub": self.entity_id,
            "iat": now,
            "exp": now + STATEMENT_TTL,
            "jwks": self.jwks,
            "metadata": metadata,
            # The anchor issues the scheme's trust marks itself.
            "trust_mark_issuers": {RECOGNISED_PID_ISSUER: [self.entity_id]},
        }
        return sign_entity_statement(claims, self._signer, self._jwk["kid"])

    def _issuer_key(self, issuer_id: str) -> dict[str, Any] | None:
        with self._lock:
            if issuer_id not in self._issuer_keys:
                directory = issuer_material_dir(self._data_dir, issuer_id)
                key = None
                if directory is not None and (directory / "certificate.pem").exists():
                    public = certificate_from_pem((directory / "certificate.pem").read_bytes()).public_key()
                    key = keyed_jwk(public_jwk(public)) if isinstance(public, ec.EllipticCurvePublicKey) else None
                self._issuer_keys[issuer_id] = key
            return self._issuer_keys[issuer_id]

    def _keys(self, issuer_id: str, registered: RecognitionList) -> list[Mapping[str, Any]]:
        """The issuer's registered federation keys, else (demo) the key the registry generated for it."""
        entry = next((k for k in registered.federation_keys if k.issuer_id == issuer_id), None)
        if entry is not None:
            return [dict(k) for k in entry.keys]
        demo = self._issuer_key(issuer_id)
        return [demo] if demo is not None else []

    def subordinates(self, trust_list: TrustList, registered: RecognitionList, now: int) -> list[str]:
        """The entities the anchor issues statements about now (the list endpoint, Section 8.2)."""
        return [
            i.issuer_id
            for c in trust_list.countries
            for i in c.issuers
            if i.status_at(now) is IssuerStatus.GRANTED and self._keys(i.issuer_id, registered)
        ]

    def statement(self, trust_list: TrustList, registered: RecognitionList, subject: str, now: int) -> str | None:
        """The subordinate statement about ``subject``, or ``None`` if the anchor vouches for it not."""
        issuer = trust_list.issuer(subject)
        if issuer is None or issuer.status_at(now) is not IssuerStatus.GRANTED:
            return None
        keys = self._keys(subject, registered)
        if not keys:
            return None
        policy = {
            ISSUER_ENTITY_TYPE: {
                META_COUNTRY: {"value": issuer.country},
                META_LEVEL: {"value": issuer.assurance_level},
                META_VCTS: {"subset_of": list(issuer.vcts), "essential": True},
            }
        }
        claims = {
            "iss": self.entity_id,
            "sub": subject,
            "iat": now,
            "exp": now + STATEMENT_TTL,
            "jwks": {"keys": keys},
            "metadata_policy": policy,
            "source_endpoint": self.entity_id + FETCH_PATH,
        }
        return sign_entity_statement(claims, self._signer, self._jwk["kid"])

    def trust_mark(self, trust_list: TrustList, mark_type: str, subject: str, now: int) -> str | None:
        """A "recognised PID issuer" mark for ``subject`` if it is listed and granted for the PID type now."""
        issuer = trust_list.issuer(subject)
        eligible = issuer is not None and issuer.status_at(now) is IssuerStatus.GRANTED and VCT_PID in issuer.vcts
        if mark_type != RECOGNISED_PID_ISSUER or not eligible:
            return None
        return sign_trust_mark(
            self.entity_id, subject, mark_type, now, now + STATEMENT_TTL, self._signer, self._jwk["kid"]
        )

    @staticmethod
    def well_known(entity_id: str) -> str:
        """Where an entity's configuration is served."""
        return entity_id.rstrip("/") + WELL_KNOWN_PATH
