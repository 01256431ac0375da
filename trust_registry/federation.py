"""The registry as the OpenID Federation 1.0 trust anchor of ASEAN (issue #16 item 2).

* Entity configuration (Section 3.1, served at ``/.well-known/openid-federation``, Section 9):
  ``iss`` = ``sub`` = the registry's public URL, ``jwks`` = the registry's federation key (the
  list-signing key, so verifiers pin one key; ``kid`` its RFC 7638 thumbprint) and
  ``federation_entity`` metadata with its fetch and list endpoints (Section 5.1.1).
* Subordinate statements (Section 3.1, fetch endpoint Section 8.1) about the *member states'
  intermediates* (``<registry>/federation/<CC>``, :mod:`trust_registry.federation_members`) of the
  countries on the list: ``jwks`` the intermediate's own key and a ``metadata_policy`` fixing
  ``lintas_country`` of everything below it to that country, so a member state cannot vouch for
  another's issuers. The intermediates issue the statements about their issuers; the anchor
  issues none about issuers directly (404 ``not_found``), so every issuer's chain is
  leaf → member state → ASEAN. Statements live :data:`STATEMENT_TTL` seconds.

Trust marks (section "Trust Mark Endpoint"): the anchor issues ``recognised-pid-issuer`` marks
(:data:`~idcore.trust.federation_marks.RECOGNISED_PID_ISSUER`) to issuers listed and granted for
the PID type now, and ``registered-relying-party`` marks
(:data:`~idcore.trust.federation_marks.REGISTERED_RELYING_PARTY`) to verifier entities a listed
member state has registered and not withdrawn (:mod:`idcore.trust.verifier_entities`), each valid
:data:`STATEMENT_TTL` seconds, and names itself their issuer in ``trust_mark_issuers``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from idcore.ports import Signer
from idcore.trust.federation import ISSUER_ENTITY_TYPE, META_COUNTRY, WELL_KNOWN_PATH, sign_entity_statement
from idcore.trust.federation_marks import RECOGNISED_PID_ISSUER, REGISTERED_RELYING_PARTY, sign_trust_mark
from idcore.trust.model import IssuerStatus, TrustList
from idcore.trust.recognition import RecognitionList
from idcore.trust.vct import VCT_PID
from idcore.trust.verifier_entities import active_registrations
from trust_registry.federation_members import STATEMENT_TTL, MemberStates, keyed_jwk

__all__ = ["FETCH_PATH", "LIST_PATH", "RESOLVE_PATH", "TRUST_MARK_PATH", "TrustAnchorStatements", "keyed_jwk"]

FETCH_PATH = "/federation/fetch"
LIST_PATH = "/federation/list"
TRUST_MARK_PATH = "/federation/trust-mark"
RESOLVE_PATH = "/federation/resolve"


class TrustAnchorStatements:
    """Signs the anchor's configuration and its subordinate statements; one per app."""

    def __init__(self, entity_id: str, signer: Signer, data_dir: Path) -> None:
        """Remember the collaborators; the member states' keys live beside the registry's own."""
        self.entity_id = entity_id.rstrip("/")
        self._signer = signer
        self._jwk = keyed_jwk(dict(signer.public_jwk))
        self.members = MemberStates(self.entity_id, data_dir)

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
                "federation_resolve_endpoint": self.entity_id + RESOLVE_PATH,
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
            "trust_mark_issuers": {RECOGNISED_PID_ISSUER: [self.entity_id], REGISTERED_RELYING_PARTY: [self.entity_id]},
        }
        return sign_entity_statement(claims, self._signer, self._jwk["kid"])

    def subordinates(self, trust_list: TrustList, registered: RecognitionList, now: int) -> list[str]:
        """The entities the anchor issues statements about now (the list endpoint, Section 8.2)."""
        return [self.members.entity_id(c.code) for c in trust_list.countries]

    def statement(self, trust_list: TrustList, registered: RecognitionList, subject: str, now: int) -> str | None:
        """The subordinate statement about a member state's intermediate, or ``None`` for anything else."""
        country = self.members.country(trust_list, subject) if subject.startswith(self.entity_id + "/") else None
        if country is None or subject != self.members.entity_id(country.code):
            return None
        claims = {
            "iss": self.entity_id,
            "sub": subject,
            "iat": now,
            "exp": now + STATEMENT_TTL,
            "jwks": self.members.jwks(country.code),
            "metadata_policy": {ISSUER_ENTITY_TYPE: {META_COUNTRY: {"value": country.code}}},
            "source_endpoint": self.entity_id + FETCH_PATH,
        }
        return sign_entity_statement(claims, self._signer, self._jwk["kid"])

    def trust_mark(
        self, trust_list: TrustList, registered: RecognitionList, mark_type: str, subject: str, now: int
    ) -> str | None:
        """A mark of ``mark_type`` for ``subject`` if it qualifies now, else ``None``.

        "recognised PID issuer": listed and granted for the PID type; "registered relying party": a
        verifier entity some listed member state registered and has not withdrawn.
        """
        if mark_type == RECOGNISED_PID_ISSUER:
            issuer = trust_list.issuer(subject)
            eligible = issuer is not None and issuer.status_at(now) is IssuerStatus.GRANTED and VCT_PID in issuer.vcts
        elif mark_type == REGISTERED_RELYING_PARTY:
            listed = {c.code for c in trust_list.countries}
            eligible = any(
                v.country in listed for v in active_registrations(registered.verifier_entities, subject, now)
            )
        else:
            eligible = False
        if not eligible:
            return None
        return sign_trust_mark(
            self.entity_id, subject, mark_type, now, now + STATEMENT_TTL, self._signer, self._jwk["kid"]
        )

    @staticmethod
    def well_known(entity_id: str) -> str:
        """Where an entity's configuration is served."""
        return entity_id.rstrip("/") + WELL_KNOWN_PATH
