"""Creating presentation transactions and serving their Request Objects.

OpenID4VP 1.0 Section 5 (Authorization Request, JAR with ``typ: oauth-authz-req+jwt``), 5.9.3
(``x509_san_dns`` / ``x509_hash``; ``redirect_uri`` for unsigned requests in development), 5.10
(``request_uri_method=post`` with ``wallet_nonce``), 8.3 (a fresh ECDH-ES P-256 key per transaction
in ``client_metadata.jwks`` for ``direct_post.jwt``, HAIP Section 5) and 13.3 (transaction id,
request id used as ``state``).

Each transaction has two request ids: one for the cross-device link (QR code) and one for the
same-device link, whose response gets a ``redirect_uri`` with a ``response_code``. A Digital
Credentials API transaction (``dc_api``, ``dc_api.jwt``: :mod:`verifier.dc_api`) has none: its
request and response pass through the relying party's page and its own API.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import segno
from cryptography.hazmat.primitives.asymmetric import ec

from idcore.b64 import b64u_encode
from idcore.keys import private_jwk
from idcore.oid4vp import (
    ClientId,
    build_client_metadata,
    build_request_claims,
    request_link,
    sign_request_object,
    unsigned_request_link,
)
from idcore.oid4vp.client_id import PREFIX_REDIRECT_URI, PREFIX_X509_SAN_DNS
from idcore.oid4vp.dc_api import DC_API_RESPONSE_MODES
from idcore.ports import Clock, RandomSource
from verifier.keys import VerifierKeys
from verifier.policy import Policy, RelyingParty
from verifier.settings import VerifierSettings
from verifier.transaction_store import FLOW_CROSS, FLOW_SAME, TransactionStore

__all__ = ["TransactionService", "qr_png", "qr_svg"]

_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def qr_svg(link: str) -> str:
    """The link as an SVG QR code."""
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="svg", scale=4, xmldecl=False)
    return out.getvalue().decode("utf-8")


def qr_png(link: str) -> bytes:
    """The link as a PNG QR code."""
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=5)
    return out.getvalue()


@dataclass
class TransactionService:
    """Builds transactions and Request Objects; all state goes through :class:`TransactionStore`."""

    settings: VerifierSettings
    store: TransactionStore
    keys: VerifierKeys
    clock: Clock
    random: RandomSource

    def _token(self, n: int = 16) -> str:
        return b64u_encode(self.random.token_bytes(n))

    def client_id(self, prefix: str) -> ClientId:
        """The verifier's Client Identifier under ``prefix``."""
        if prefix == PREFIX_REDIRECT_URI:
            return ClientId(PREFIX_REDIRECT_URI, self.response_uri)
        return ClientId.for_certificate(prefix, self.keys.access_cert, self.settings.dns_name)

    @property
    def response_uri(self) -> str:
        """Where wallets post responses (Section 8.2)."""
        return f"{self.settings.base_url}/wallet/response"

    def _ephemeral_key(self) -> ec.EllipticCurvePrivateKey:
        scalar = int.from_bytes(self.random.token_bytes(40), "big") % (_P256_ORDER - 1) + 1
        return ec.derive_private_key(scalar, ec.SECP256R1())

    def create(self, rp: RelyingParty, policy: Policy, *, response_mode: str, prefix: str) -> dict[str, Any]:
        """Create and store a transaction; return the relying party's view of it."""
        now = self.clock.now()
        client_id = self.client_id(prefix)
        for _ in range(3):  # a nonce collision is astronomically unlikely; never reuse one anyway
            tid, nonce = self._token(), self._token()
            # A DC API transaction has no Request URI (its request goes through the relying party's page).
            dc_api = response_mode in DC_API_RESPONSE_MODES
            requests = {} if dc_api else {FLOW_CROSS: self._token(), FLOW_SAME: self._token()}
            tx: dict[str, Any] = {
                "id": tid,
                "rp": rp.client_id,
                "rp_name": rp.name,
                "policy": policy.to_json(),
                "nonce": nonce,
                "created": now,
                "expires": now + self.settings.transaction_ttl,
                "response_mode": response_mode,
                "client_id": client_id.value,
                "requests": requests,
            }
            if dc_api:
                tx["expected_origins"] = list(rp.origins)
            kid, enc_key = None, None
            if response_mode in ("direct_post.jwt", "dc_api.jwt"):
                kid, enc_key = self._token(8), private_jwk(self._ephemeral_key())
                # The public half is all the Request Object needs; the private half lives apart (TransactionStore).
                tx["enc_kid"], tx["enc_jwk"] = kid, {k: v for k, v in enc_key.items() if k != "d"}
            # A DC API response names its transaction in the URL: its kid is not indexed for the Response URI.
            if self.store.create(tx, requests, None if dc_api else kid, enc_key):
                return self.view(tx)
        raise RuntimeError("could not allocate a fresh nonce")

    def links(self, tx: dict[str, Any], flow: str) -> str:
        """The wallet invocation link of ``flow``."""
        rid = tx["requests"][flow]
        client_id = ClientId.parse(tx["client_id"])
        if not client_id.signed:
            return unsigned_request_link(self.settings.wallet_scheme, self.request_claims(tx, rid, None))
        uri = f"{self.settings.base_url}/wallet/request/{rid}"
        return request_link(self.settings.wallet_scheme, client_id, uri)

    def view(self, tx: dict[str, Any]) -> dict[str, Any]:
        """What ``POST /v1/presentations`` returns."""
        base = f"{self.settings.base_url}/v1/presentations/{tx['id']}"
        if tx["response_mode"] in DC_API_RESPONSE_MODES:
            return {
                "transaction_id": tx["id"],
                "status": "pending",
                "expires_at": tx["expires"],
                "client_id": tx["client_id"],
                "response_mode": tx["response_mode"],
                "expected_origins": tx["expected_origins"],
                "dc_request_url": f"{base}/dc-request",
                "dc_response_url": f"{base}/dc-response",
                "status_url": base,
                "events_url": f"{base}/events",
            }
        cross, same = self.links(tx, FLOW_CROSS), self.links(tx, FLOW_SAME)
        return {
            "transaction_id": tx["id"],
            "status": "pending",
            "expires_at": tx["expires"],
            "client_id": tx["client_id"],
            "response_mode": tx["response_mode"],
            "request_link": cross,
            "same_device_link": same,
            # Rendered when fetched, never on the create path (a PNG QR code costs ~14 ms of CPU, issue #18).
            "qr_code": {"svg_url": f"{base}/qr.svg", "png_url": f"{base}/qr.png"},
            "status_url": base,
            "events_url": f"{base}/events",
        }

    def request_claims(self, tx: dict[str, Any], rid: str, wallet_nonce: str | None) -> dict[str, Any]:
        """The Request Object claims for request id ``rid`` (its ``state``)."""
        enc_jwk = None
        if tx["response_mode"] == "direct_post.jwt":
            enc_jwk = {**tx["enc_jwk"], "kid": tx["enc_kid"]}
        extra = {"purpose": tx["policy"]["purpose"]} if tx["policy"].get("purpose") else None
        return build_request_claims(
            client_id=ClientId.parse(tx["client_id"]),
            response_uri=self.response_uri,
            response_mode=tx["response_mode"],
            nonce=tx["nonce"],
            state=rid,
            dcql_query=tx["policy"]["dcql_query"],
            client_metadata=build_client_metadata(enc_jwk, client_name=tx.get("rp_name")),
            iat=self.clock.now(),
            lifetime=self.settings.request_object_lifetime,
            wallet_nonce=wallet_nonce,
            extra=extra,
        )

    def request_object(self, tx: dict[str, Any], rid: str, wallet_nonce: str | None) -> str:
        """Sign the Request Object for ``rid`` (a fresh one per fetch, carrying ``wallet_nonce``)."""
        claims = self.request_claims(tx, rid, wallet_nonce)
        return sign_request_object(claims, self.keys.request_signer, self.keys.chain)

    @staticmethod
    def uses_dns_prefix(tx: dict[str, Any]) -> bool:
        """Whether the transaction's client_id is ``x509_san_dns``."""
        return str(tx["client_id"]).startswith(PREFIX_X509_SAN_DNS + ":")
