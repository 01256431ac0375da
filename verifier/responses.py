"""The Response URI: accepting a wallet's ``direct_post`` / ``direct_post.jwt`` answer exactly once.

OpenID4VP 1.0 Section 8.2 (200 + JSON, optional ``redirect_uri`` carrying a fresh ``response_code``),
8.3.1 (the ``response`` JWE, decrypted with the transaction's ephemeral key, found by ``kid``),
8.5 (wallet error responses), 13.3 (response code reference design) and 14.1 (nonces used once).

The pipeline's first checks live here: ``session`` (known, unexpired, not yet answered) and
``decryption``. The wallet is told only ``invalid_request``; the relying party sees the check and
reason code.

A transaction is *claimed* (its ``open`` marker and nonce consumed atomically, so that of N
concurrent posts exactly one counts) only once a response has authenticated: anyone who saw the
request can post to the Response URI, and a post that does not decrypt, names no valid state,
carries a wallet error or a credential no trusted issuer signed, proves nothing about the holder.
Such a rejection is recorded as the transaction's ``last_rejection`` for the relying party, and
the transaction stays open for the real wallet until it expires. A rejection after a trusted
issuer's signature verified (registry, status, validity, holder binding, DCQL, policy) is final.
The transaction's decryption key is deleted when it is claimed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from idcore.b64 import b64u_decode, b64u_encode
from idcore.dcql import FORMAT_MSO_MDOC
from idcore.errors import IdcoreError, Reason
from idcore.jwk import jwk_thumbprint
from idcore.keys import private_key_from_jwk
from idcore.mdoc import openid4vp_session_transcript
from idcore.oid4vp import (
    AuthorizationError,
    AuthorizationResponse,
    JweError,
    decrypt_response,
    parse_response_params,
    protected_header,
)
from idcore.ports import Clock, RandomSource
from verifier.pipeline import Check, CheckedCredential, Expectation, Pipeline, Rejection
from verifier.policy import RelyingParty, policy_from_json
from verifier.transaction_store import FLOW_SAME, TransactionStore

__all__ = ["ResponseHandler", "WalletAnswer", "is_final"]

log = logging.getLogger("lintas.verifier")


@dataclass(frozen=True, slots=True)
class WalletAnswer:
    """What the Response URI sends back: HTTP status and JSON body."""

    status: int
    body: dict[str, Any]


_INVALID = WalletAnswer(400, {"error": "invalid_request", "error_description": "invalid response"})


def _jwe_kid(jwe: str) -> str | None:
    try:
        header = protected_header(jwe)  # reads the first part only, capped before decoding
    except IdcoreError:
        return None
    kid = header.get("kid")
    return kid if isinstance(kid, str) and len(kid) < 128 else None


_UNAUTHENTICATED = frozenset({Check.SESSION, Check.DECRYPTION, Check.PARSING, Check.ISSUER_SIGNATURE})


def _final(rejection: Rejection) -> bool:
    """Whether a rejection ends the transaction (see the module docstring)."""
    return rejection.check not in _UNAUTHENTICATED and rejection.reason is not Reason.WALLET_ERROR


is_final = _final


@dataclass
class ResponseHandler:
    """Runs session → decryption → pipeline and records the outcome."""

    store: TransactionStore
    pipeline: Pipeline
    clock: Clock
    random: RandomSource
    relying_parties: Mapping[str, RelyingParty]
    on_outcome: Callable[[str, str, str], None]
    on_complete: Callable[[RelyingParty | None, str, dict[str, Any]], None]
    base_url: str
    pipeline_timer: Callable[[float], None] = lambda _: None

    def _locate(self, form: Mapping[str, str]) -> str | None:
        if "response" in form:
            kid = _jwe_kid(form["response"])
            return self.store.by_kid(kid) if kid else None
        state = form.get("state")
        request = self.store.request(state) if state else None
        return str(request["tx"]) if request else None

    def handle(self, form: Mapping[str, str]) -> WalletAnswer:
        """Process one posted response; exceptions other than StoreUnavailable never escape."""
        tid = self._locate(form)
        tx, is_open, key = self.store.response_state(tid) if tid else (None, False, None)  # one round trip
        if tx is None:
            self.on_outcome("rejected", Check.SESSION.value, Reason.SESSION_UNKNOWN.value)
            log.info("response for an unknown transaction", extra={"check": "session", "reason": "session_unknown"})
            return _INVALID
        if self.clock.now() >= tx["expires"]:
            self.on_outcome("rejected", Check.SESSION.value, Reason.SESSION_EXPIRED.value)
            return _INVALID
        if not is_open:
            return self._replayed(tx)
        flow = "cross"
        try:
            response = self._open(tx, form, key)
            flow = self._flow(tx, response)
            credentials = self._verify(tx, response)
        except Rejection as rejection:
            if not _final(rejection):
                return self._not_authenticated(tx, flow, rejection)
            return self._finish(tx, flow, rejected=rejection)
        return self._finish(tx, flow, credentials=credentials)

    def conclude(
        self,
        tx: dict[str, Any],
        flow: str,
        *,
        credentials: list[CheckedCredential] | None = None,
        rejected: Rejection | None = None,
    ) -> WalletAnswer:
        """Record one response's outcome exactly as the Response URI does (the DC API's too, :mod:`verifier.dc_api`).

        A rejection that proves nothing about the holder is noted and the transaction stays open;
        any other outcome claims the transaction once (:meth:`TransactionStore.settle`).
        """
        if rejected is not None and not _final(rejected):
            return self._not_authenticated(tx, flow, rejected)
        return self._finish(tx, flow, credentials=credentials, rejected=rejected)

    def _replayed(self, tx: dict[str, Any]) -> WalletAnswer:
        self.on_outcome("rejected", Check.SESSION.value, Reason.SESSION_USED.value)
        log.info("response replayed", extra={"transaction_id": tx["id"], "check": "session"})
        return _INVALID

    def _not_authenticated(self, tx: dict[str, Any], flow: str, rejection: Rejection) -> WalletAnswer:
        """Record a rejection that proves nothing about the holder; the transaction stays open."""
        record = {"check": rejection.check.value, "reason": rejection.reason.value, "at": self.clock.now()}
        if rejection.reason is Reason.WALLET_ERROR:
            record["wallet_error"] = rejection.detail
        self.store.note_rejection(tx["id"], record)
        self.on_outcome("rejected", rejection.check.value, rejection.reason.value)
        log.info(
            "unauthenticated response refused; transaction stays open",
            extra={"transaction_id": tx["id"], "check": record["check"], "reason": record["reason"]},
        )
        if rejection.reason is Reason.WALLET_ERROR:
            # Section 8.2: the Response URI MAY send the user back with a redirect_uri for error responses too.
            return WalletAnswer(200, self._redirect(tx) if flow == FLOW_SAME else {})
        return _INVALID

    def _redirect(self, tx: dict[str, Any]) -> dict[str, Any]:
        """The same-device ``redirect_uri`` with a fresh, stored ``response_code`` (Section 8.2, 13.3)."""
        code = b64u_encode(self.random.token_bytes(16))
        self.store.save_response_code(tx["id"], code)
        return self._redirect_to(tx, code)

    def _redirect_to(self, tx: dict[str, Any], code: str) -> dict[str, Any]:
        rp = self.relying_parties.get(tx["rp"])
        target = rp.redirect_uri if rp and rp.redirect_uri else f"{self.base_url}/v1/presentations/done"
        return {"redirect_uri": f"{target}#transaction_id={tx['id']}&response_code={code}"}

    def _open(self, tx: dict[str, Any], form: Mapping[str, str], jwk: dict[str, Any] | None) -> AuthorizationResponse:
        encrypted = tx["response_mode"] == "direct_post.jwt"
        try:
            if "response" in form:
                if not encrypted:
                    raise Rejection(Check.DECRYPTION, Reason.MALFORMED, "encrypted response not requested")
                if jwk is None:
                    raise Rejection(Check.DECRYPTION, Reason.DECRYPTION_FAILED, "the transaction's key is gone")
                key = private_key_from_jwk(jwk)
                return decrypt_response(form["response"], key, kid=tx["enc_kid"])  # type: ignore[arg-type]
            response = parse_response_params(form)
        except JweError as exc:
            raise Rejection(Check.DECRYPTION, Reason.DECRYPTION_FAILED, exc.detail) from None
        except AuthorizationError as exc:
            raise Rejection(Check.PARSING, exc.reason, exc.detail) from None
        if encrypted and response.error is None:
            # Section 8.3.1: only error responses may come unencrypted.
            raise Rejection(Check.DECRYPTION, Reason.DECRYPTION_FAILED, "response was not encrypted")
        return response

    @staticmethod
    def _flow(tx: dict[str, Any], response: AuthorizationResponse) -> str:
        for flow, rid in tx["requests"].items():
            if response.state == rid:
                return str(flow)
        raise Rejection(Check.SESSION, Reason.STATE_MISMATCH, "state names another request")

    def _verify(self, tx: dict[str, Any], response: AuthorizationResponse) -> list[CheckedCredential]:
        if response.error is not None:
            raise Rejection(Check.PARSING, Reason.WALLET_ERROR, response.error)
        policy = policy_from_json(tx["policy"])
        mdoc = any(query.format == FORMAT_MSO_MDOC for query in policy.query.credentials)
        transcript = self._session_transcript(tx) if mdoc else None  # only mdoc presentations sign over it
        rp = self.relying_parties.get(tx["rp"])
        country = rp.country if rp is not None else None  # whose recognition decisions apply
        expect = Expectation(policy.query, policy, tx["nonce"], tx["client_id"], transcript, country)
        start = time.perf_counter()
        try:
            assert response.vp_token is not None  # noqa: S101 - parse_response_params guarantees it
            return self.pipeline.verify(response.vp_token, expect)
        finally:
            self.pipeline_timer(time.perf_counter() - start)

    def _session_transcript(self, tx: dict[str, Any]) -> bytes:
        """The SessionTranscript mdoc presentations sign (OpenID4VP 1.0 Appendix B.2.6.1, redirects).

        ``responseUri`` is the Response URI the request named (:attr:`TransactionService.response_uri`);
        ``jwkThumbprint`` is the RFC 7638 thumbprint of the transaction's encryption key when the
        response is encrypted (``direct_post.jwt``), else null.
        """
        enc_jwk = tx.get("enc_jwk") if tx["response_mode"] == "direct_post.jwt" else None
        thumbprint = b64u_decode(jwk_thumbprint(enc_jwk)) if enc_jwk else None
        return openid4vp_session_transcript(
            client_id=tx["client_id"],
            nonce=tx["nonce"],
            response_uri=f"{self.base_url}/wallet/response",
            jwk_thumbprint=thumbprint,
        )

    def _finish(
        self,
        tx: dict[str, Any],
        flow: str,
        *,
        credentials: list[CheckedCredential] | None = None,
        rejected: Rejection | None = None,
    ) -> WalletAnswer:
        now = self.clock.now()
        status = "verified" if rejected is None else "rejected"
        record: dict[str, Any] = {"status": status, "updated": now, "flow": flow}
        results = [c.to_json() for c in credentials or []] if rejected is None else None
        if rejected is not None:
            record |= {"check": rejected.check.value, "reason": rejected.reason.value}
            if rejected.reason is Reason.WALLET_ERROR:
                record["wallet_error"] = rejected.detail
        code = b64u_encode(self.random.token_bytes(16)) if flow == FLOW_SAME else None
        # Claim (open + nonce, Section 14.1) and record the outcome in one atomic step: exactly one caller wins.
        if not self.store.settle(tx["id"], tx["nonce"], record, result=results, response_code=code):
            return self._replayed(tx)
        if rejected is not None:
            # The detail names what failed (never claims or keys); the wallet never sees it.
            log.info("presentation rejected", extra={"transaction_id": tx["id"], **record, "detail": rejected.detail})
            self.on_outcome("rejected", rejected.check.value, rejected.reason.value)
        else:
            log.info("presentation verified", extra={"transaction_id": tx["id"], "count": len(results or [])})
            self.on_outcome("verified", "", "")
        body: dict[str, Any] = self._redirect_to(tx, code) if code is not None else {}
        self.on_complete(self.relying_parties.get(tx["rp"]), tx["id"], record)
        if rejected is not None and rejected.reason is not Reason.WALLET_ERROR:
            return WalletAnswer(400, {**_INVALID.body, **body})
        return WalletAnswer(200, body)
