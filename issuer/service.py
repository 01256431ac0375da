"""Orchestration of one issuer process over idcore and the store: nonces, offers, issuance, status.

* Nonce Endpoint (OpenID4VCI 1.0 Section 7): unpredictable ``c_nonce`` values, single use.
* Credential Endpoint (Section 8): key proofs (Appendix F.4), batch issuance (one credential per
  distinct proven key), SD-JWT VC issuance (``dc+sd-jwt``, ``x5c`` chain without the anchor,
  ``vct#integrity``, ``status.status_list``), a ``notification_id`` per response.
* Notification Endpoint (Section 11): a ``notification_id`` is accepted only with the access
  token that obtained its credentials (same ``jti`` and subject), so a holder cannot report
  events on another holder's issuance; an unknown or foreign id gets the same
  ``invalid_notification_id``.
* Correlation (Section 15.4.1, RFC 9901 Section 10.1): each credential's ``iat`` is drawn at
  random, independently per credential, from the ``iat_window`` before issuance (never before the
  issuer's first start or its certificate's ``notBefore``, so trust registries that judge a
  credential at its ``iat`` still find the issuer listed), and ``exp`` follows from it: the
  credentials of one batch share neither.
* Retention: an issued credential's records expire ``record_retention_days`` after its ``exp``.
* Credential Offers (Section 4.1) for the operator API: pre-authorized code with numeric
  ``tx_code`` and/or ``issuer_state`` for the authorization code flow.
* Token Status List: random index per credential, ``statuslist+jwt`` signed with the tenant's
  document signer and ``x5c``; revoke / suspend / reinstate.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509

from idcore.b64 import b64u_encode
from idcore.errors import Reason
from idcore.oid4vci.errors import (
    CREDENTIAL_REQUEST_DENIED,
    INVALID_CREDENTIAL_REQUEST,
    INVALID_NONCE,
    INVALID_NOTIFICATION_ID,
    INVALID_PROOF,
    UNKNOWN_CREDENTIAL_CONFIGURATION,
    UNKNOWN_CREDENTIAL_IDENTIFIER,
    Oid4vciError,
)
from idcore.oid4vci.messages import CredentialRequest, NotificationRequest, build_credential_offer
from idcore.oid4vci.proof import KeyProof, verify_jwt_proof
from idcore.ports import Clock, RandomSource
from idcore.sdjwt_vc import issue_sd_jwt_vc
from idcore.status_list import STATUS_INVALID, STATUS_SUSPENDED, STATUS_VALID, sign_status_list_token
from issuer.mdoc_issuance import mdoc_elements, sign_mdoc, valid_until
from issuer.settings import IssuerSettings
from issuer.storage import IssuerRecords, StatusLists
from issuer.storage.records import secret_key, tx_code_verifier
from issuer.subjects import SubjectRegistry, credential_claims
from issuer.tenant import PROOF_ALGS, Tenant
from issuer.tokens import AccessClaims, AccessTokens
from issuer.types_mdoc import MdocConfiguration

__all__ = ["STATUS_ACTIONS", "IssuerService", "OfferError", "StatusChangeError"]

#: Admin action -> (allowed current statuses, new status name, status list value)
STATUS_ACTIONS: dict[str, tuple[frozenset[str], str, int]] = {
    "revoke": (frozenset({"valid", "suspended"}), "revoked", STATUS_INVALID),
    "suspend": (frozenset({"valid"}), "suspended", STATUS_SUSPENDED),
    "reinstate": (frozenset({"suspended"}), "valid", STATUS_VALID),
}
_DAY = 86400


@dataclass
class OfferError(Exception):
    """An operator's offer request that cannot be served (answered as problem+json)."""

    status: int
    title: str
    detail: str


@dataclass
class StatusChangeError(Exception):
    """A status change that is not allowed (unknown credential, revoked is final)."""

    status: int
    detail: str


class IssuerService:
    """Everything the routes call; no HTTP in here."""

    def __init__(
        self,
        settings: IssuerSettings,
        *,
        tenants: list[Tenant],
        subjects: SubjectRegistry,
        records: IssuerRecords,
        status_lists: StatusLists,
        tokens: AccessTokens,
        clock: Clock,
        random: RandomSource,
    ) -> None:
        self.settings = settings
        self.tenants = tenants
        self.subjects = subjects
        self.records = records
        self.status_lists = status_lists
        self.tokens = tokens
        self.clock = clock
        self.random = random
        # The first start of this issuer: no credential claims an iat before it (see the module docstring).
        since = str(clock.now()).encode("ascii")
        for tenant in tenants:
            records.store.set_if_absent(f"issuing-since:{tenant.spec.slug}", since)

    def token(self, nbytes: int = 32) -> str:
        """A fresh unpredictable base64url value."""
        return b64u_encode(self.random.token_bytes(nbytes))

    def tenant_for_configuration(self, configuration_id: str) -> Tenant | None:
        """The tenant offering ``configuration_id``."""
        return next((t for t in self.tenants if configuration_id in t.configuration_ids), None)

    # --- nonces ----------------------------------------------------------------------------
    def new_c_nonce(self, tenant: Tenant) -> str:
        """A fresh single-use ``c_nonce`` for ``tenant`` (Section 7.2)."""
        nonce = self.token()
        self.records.put_secret(f"cnonce:{tenant.spec.slug}", nonce, {}, ttl=self.settings.c_nonce_ttl)
        return nonce

    def new_dpop_nonce(self) -> str:
        """A server-provided DPoP nonce (RFC 9449 Section 8), valid for a few minutes."""
        nonce = self.token(16)
        self.records.put_secret("dpop-nonce", nonce, {}, ttl=300)
        return nonce

    def dpop_nonce_valid(self, nonce: str | None) -> bool:
        """Whether ``nonce`` is a live server-provided DPoP nonce."""
        return nonce is not None and self.records.peek_secret("dpop-nonce", nonce) is not None

    def first_use_of_dpop_jti(self, jkt: str, jti: str) -> bool:
        """Record a DPoP proof's ``jti``; ``False`` if it was seen before (RFC 9449 Section 11.1)."""
        ttl = self.settings.proof_max_age + 120
        return self.records.store.set_if_absent(secret_key("dpop-jti", f"{jkt}|{jti}"), b"1", ttl)

    # --- offers ----------------------------------------------------------------------------
    def create_offer(
        self, configuration_id: str, subject_id: str, *, pre_authorized: bool, authorization_code: bool, tx_code: bool
    ) -> dict[str, Any]:
        """Create a Credential Offer for a seeded subject; return offer, ids and the tx_code."""
        tenant = self.tenant_for_configuration(configuration_id)
        if tenant is None:
            raise OfferError(404, "Unknown credential configuration", f"{configuration_id!r} is not offered here")
        subject = self.subjects.get(subject_id, tenant.spec.kind)
        if subject is None:
            raise OfferError(404, "Unknown subject", f"no {tenant.spec.kind} subject {subject_id!r} in this country")
        mdoc = tenant.mdoc.get(configuration_id)
        if mdoc is not None and mdoc.elements(subject, datetime.fromtimestamp(self.clock.now(), UTC).date()) is None:
            raise OfferError(404, "Nothing to issue", f"the register holds no {mdoc.doctype} for {subject_id!r}")
        if not (pre_authorized or authorization_code):
            raise OfferError(400, "No grant", "choose a pre-authorized code grant, an authorization code grant or both")
        grant: dict[str, Any] = {"subject_id": subject_id, "configuration_ids": [configuration_id]}
        ttl = self.settings.pre_authorized_code_ttl
        code = pin = state = None
        if pre_authorized:
            code = self.token()
            record = dict(grant)
            if tx_code:
                pin = self._numeric_code(self.settings.tx_code_length)
                record["tx_code"] = tx_code_verifier(pin, self.random.token_bytes(16))
            self.records.put_secret(f"preauth:{tenant.spec.slug}", code, record, ttl=ttl)
        if authorization_code:
            state = self.token()
            self.records.put_secret(f"issuer-state:{tenant.spec.slug}", state, grant, ttl=ttl)
        description = {"input_mode": "numeric", "length": len(pin or ""), "description": "PIN sent to you by SMS"}
        offer = build_credential_offer(
            tenant.identifier,
            [configuration_id],
            pre_authorized_code=code,
            tx_code=description if pin else None,
            issuer_state=state,
        )
        offer_id = self.token(16)
        self.records.put(f"offer:{tenant.spec.slug}:{offer_id}", offer, ttl)
        return {"tenant": tenant, "offer_id": offer_id, "offer": offer, "tx_code": pin, "expires_in": ttl}

    def _numeric_code(self, length: int) -> str:
        # Rejection sampling over bytes keeps the digits uniform.
        digits: list[str] = []
        while len(digits) < length:
            byte = self.random.token_bytes(1)[0]
            if byte < 250:
                digits.append(str(byte % 10))
        return "".join(digits)

    def stored_offer(self, tenant: Tenant, offer_id: str) -> dict[str, Any] | None:
        """An offer by reference (Section 4.1.3)."""
        return self.records.get(f"offer:{tenant.spec.slug}:{offer_id}")

    # --- issuance --------------------------------------------------------------------------
    def _check_proofs(self, tenant: Tenant, access: AccessClaims, request: CredentialRequest) -> list[KeyProof]:
        if not request.proofs:
            raise Oid4vciError(INVALID_PROOF, Reason.MISSING_CLAIM, "proofs are required for this credential")
        if request.proof_type != "jwt":
            raise Oid4vciError(INVALID_PROOF, Reason.MALFORMED, "only the jwt proof type is supported")
        proofs = [
            verify_jwt_proof(
                p,
                audience=tenant.identifier,
                clock=self.clock,
                algorithms=PROOF_ALGS,
                client_id=access.client_id,
                max_age=self.settings.proof_max_age,
            )
            for p in request.proofs
        ]
        if len({p.thumbprint for p in proofs}) != len(proofs):
            raise Oid4vciError(INVALID_PROOF, Reason.DUPLICATE_MEMBER, "each proof must prove a different key")
        for nonce in {p.nonce for p in proofs}:
            if nonce is None or self.records.take_secret(f"cnonce:{tenant.spec.slug}", nonce) is None:
                raise Oid4vciError(INVALID_NONCE, Reason.NONCE_MISMATCH, "c_nonce unknown, expired or used")
        return proofs

    @staticmethod
    def _check_requested(tenant: Tenant, access: AccessClaims, request: CredentialRequest) -> None:
        """Section 8.2: ``credential_identifier`` iff the token response returned identifiers."""
        if access.credential_identifiers:
            if request.credential_identifier is None:
                raise Oid4vciError(INVALID_CREDENTIAL_REQUEST, Reason.MALFORMED, "use a credential_identifier")
            if request.credential_identifier not in access.credential_identifiers:
                raise Oid4vciError(UNKNOWN_CREDENTIAL_IDENTIFIER, Reason.MALFORMED, "unknown credential identifier")
            return
        if request.credential_identifier is not None:
            raise Oid4vciError(UNKNOWN_CREDENTIAL_IDENTIFIER, Reason.MALFORMED, "no credential identifiers issued")
        if request.credential_configuration_id not in tenant.configuration_ids:
            raise Oid4vciError(UNKNOWN_CREDENTIAL_CONFIGURATION, Reason.MALFORMED, "unknown credential configuration")

    def issue(self, tenant: Tenant, access: AccessClaims, request: CredentialRequest) -> dict[str, Any]:
        """Answer a Credential Request (Section 8.3) or raise :class:`Oid4vciError`."""
        self._check_requested(tenant, access, request)
        configuration_id = str(request.credential_identifier or request.credential_configuration_id)
        if configuration_id not in tenant.configuration_ids:
            raise Oid4vciError(UNKNOWN_CREDENTIAL_CONFIGURATION, Reason.MALFORMED, "unknown credential configuration")
        if configuration_id not in access.configuration_ids:
            raise Oid4vciError(CREDENTIAL_REQUEST_DENIED, Reason.NOT_AUTHORISED, "not authorised by the access token")
        subject = self.subjects.get(access.subject_id, tenant.spec.kind)
        if subject is None:
            raise Oid4vciError(CREDENTIAL_REQUEST_DENIED, Reason.NOT_AUTHORISED, "no such subject")
        mdoc = tenant.mdoc.get(configuration_id)
        elements = None if mdoc is None else mdoc_elements(mdoc, subject, self.clock.now())
        proofs = self._check_proofs(tenant, access, request)
        notification_id = self.token(16)
        owner = {"token_jti": access.jti, "subject_id": access.subject_id}
        ttl = self.settings.access_token_ttl + 60  # a notification needs the access token, which expires
        self.records.put(f"notification:{tenant.spec.slug}:{notification_id}", owner, ttl)
        credentials = self._sign_batch(tenant, subject, proofs, notification_id, mdoc, elements)
        return {"credentials": credentials, "notification_id": notification_id}

    def _sign_batch(
        self,
        tenant: Tenant,
        subject: Any,
        proofs: list[KeyProof],
        notification_id: str,
        mdoc: MdocConfiguration | None,
        elements: dict[str, dict[str, Any]] | None,
    ) -> list[dict[str, str]]:
        """One credential per proven key: SD-JWT VCs, or mdocs when ``mdoc`` names a configuration."""
        if mdoc is None or elements is None or tenant.mdoc_keys is None:
            issued_ats = self._issued_ats(tenant, len(proofs), tenant.keys.chain[:1])
            return [
                {"credential": self._issue_one(tenant, subject, proof, notification_id, iat)}
                for proof, iat in zip(proofs, issued_ats, strict=True)
            ]
        signed_ats = self._issued_ats(tenant, len(proofs), [tenant.mdoc_keys.certificate])
        return [
            {"credential": self._issue_one_mdoc(tenant, mdoc, elements, subject, proof, notification_id, signed)}
            for proof, signed in zip(proofs, signed_ats, strict=True)
        ]

    def _issued_ats(self, tenant: Tenant, count: int, certificates: Sequence[x509.Certificate]) -> list[int]:
        """``count`` distinct random ``iat`` values from the window (fewer seconds than credentials: repeats).

        Never before the ``notBefore`` of the signing ``certificates`` (SD-JWT signer or mdoc Document Signer).
        """
        now = self.clock.now()
        since = self.records.store.get(f"issuing-since:{tenant.spec.slug}")
        not_before = max((int(c.not_valid_before_utc.timestamp()) for c in certificates), default=now)
        floor = min(now, max(now - self.settings.iat_window, int(since or now), not_before))
        span = now - floor + 1
        chosen: list[int] = []
        while len(chosen) < count:
            value = floor + int.from_bytes(self.random.token_bytes(8), "big") % span  # 2^64 >> span: no visible bias
            if value not in chosen or len(chosen) >= span:
                chosen.append(value)
        return chosen

    def _allocate(
        self,
        tenant: Tenant,
        configuration_id: str,
        subject: Any,
        proof: KeyProof,
        notification_id: str,
        iat: int,
        exp: int,
    ) -> tuple[str, int]:
        """Claim a status index together with the credential's records (one transaction)."""
        credential_id, now = self.token(16), self.clock.now()
        record = {
            "credential_id": credential_id,
            "tenant": tenant.spec.slug,
            "subject_id": subject.id,
            "configuration_id": configuration_id,
            "status": "valid",
            "iat": iat,
            "exp": exp,
            "issued_at": now,
            "holder_jkt": proof.thumbprint,
            "notification_id": notification_id,
        }

        def records(list_id: str, idx: int) -> dict[str, bytes]:
            return self.records.credential_writes({**record, "status_list": list_id, "idx": idx})

        list_id, idx = self.status_lists.allocate(tenant.spec.slug, credential_id, self.random, records)
        self.records.expire_credential({**record, "status_list": list_id, "idx": idx}, self._retention(exp))
        return list_id, idx

    def _issue_one(self, tenant: Tenant, subject: Any, proof: KeyProof, notification_id: str, iat: int) -> str:
        """Allocate the status entry and records, then sign one SD-JWT VC."""
        exp = iat + self.settings.credential_validity_days * _DAY
        list_id, idx = self._allocate(tenant, tenant.configuration_id, subject, proof, notification_id, iat, exp)
        claims = credential_claims(subject, self.clock.now())
        claims["vct#integrity"] = tenant.vct_integrity
        issued = issue_sd_jwt_vc(
            claims,
            tenant.keys.signer,
            vct=tenant.ctype.vct,
            random=self.random,
            iss=tenant.identifier,
            iat=iat,
            exp=exp,
            holder_jwk=proof.jwk,
            sd_paths=tenant.sd_paths,
            header={"x5c": tenant.keys.x5c},
            status={"status_list": {"idx": idx, "uri": tenant.status_list_uri(list_id)}},
        )
        return issued.serialize()

    def _issue_one_mdoc(
        self,
        tenant: Tenant,
        mdoc: MdocConfiguration,
        elements: dict[str, dict[str, Any]],
        subject: Any,
        proof: KeyProof,
        notification_id: str,
        signed: int,
    ) -> str:
        """Allocate the status entry and records, then sign one IssuerSigned (Appendix A.2.4)."""
        keys = tenant.mdoc_keys
        if keys is None:  # mdoc configurations exist only with a Document Signer (Tenant.__post_init__)
            raise Oid4vciError(UNKNOWN_CREDENTIAL_CONFIGURATION, Reason.MALFORMED, "mdoc is not offered here")
        until = valid_until(mdoc, keys, signed)
        list_id, idx = self._allocate(tenant, mdoc.configuration_id, subject, proof, notification_id, signed, until)
        status = {"status_list": {"idx": idx, "uri": tenant.status_list_uri(list_id)}}
        return sign_mdoc(
            mdoc, keys, elements=elements, proof=proof, signed=signed, until=until, status=status, rng=self.random
        )

    def _retention(self, exp: int) -> int:
        """Seconds a credential's records are kept: until ``record_retention_days`` after its ``exp``."""
        return max(1, exp - self.clock.now() + self.settings.record_retention_days * _DAY)

    def notify(self, tenant: Tenant, access: AccessClaims, notification: NotificationRequest) -> None:
        """Record a wallet's notification (idempotent, Section 11) if ``access`` obtained that issuance."""
        key = f"notification:{tenant.spec.slug}:{notification.notification_id}"
        record = self.records.get(key)
        owned = (
            record is not None
            and hmac.compare_digest(str(record.get("token_jti", "")).encode(), access.jti.encode())
            and record.get("subject_id") == access.subject_id
        )
        if record is None or not owned:
            # One answer for unknown and foreign ids: no oracle for other holders' notification ids.
            raise Oid4vciError(INVALID_NOTIFICATION_ID, Reason.NOT_AUTHORISED, "unknown notification_id")
        record["event"] = notification.event
        self.records.put(key, record, self.settings.access_token_ttl + 60)

    # --- status ----------------------------------------------------------------------------
    def status_list_token(self, tenant: Tenant, list_id: str) -> str | None:
        """The current ``statuslist+jwt`` of a tenant's list, or ``None`` if unknown."""
        status_list = self.status_lists.load(tenant.spec.slug, list_id)
        if status_list is None:
            return None
        now = self.clock.now()
        return sign_status_list_token(
            status_list,
            sub=tenant.status_list_uri(list_id),
            iat=now,
            exp=now + _DAY,
            signer=tenant.keys.signer,
            iss=tenant.identifier,
            ttl=self.settings.status_list_ttl,
            x5c=tenant.keys.x5c,
        )

    def change_status(self, credential_id: str, action: str) -> dict[str, Any]:
        """Apply ``revoke``/``suspend``/``reinstate``; durable when this returns."""
        record = self.records.credential(credential_id)
        if record is None:
            raise StatusChangeError(404, "unknown credential id")
        allowed, new_status, value = STATUS_ACTIONS[action]
        if record["status"] == new_status:
            return record  # idempotent repeat
        if record["status"] not in allowed:
            raise StatusChangeError(409, f"cannot {action} a {record['status']} credential")
        record = {**record, "status": new_status, "status_changed_at": self.clock.now()}
        self.status_lists.update(
            record["tenant"], record["status_list"], int(record["idx"]), value, f"cred:{credential_id}", record
        )
        self.records.expire_credential(record, self._retention(int(record["exp"])))
        return record
