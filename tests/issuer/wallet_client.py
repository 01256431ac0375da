"""A scripted wallet for the issuer tests: drives both OpenID4VCI grants like a real wallet would.

It resolves offers (by value or by reference), checks that ``credential_issuer`` in the metadata
equals the identifier it was fetched for (OpenID4VCI 1.0 Section 12.2.2), runs the pre-authorized
code grant with a ``tx_code`` or the authorization code grant with PAR and PKCE S256 through the
demo login page, gets ``c_nonce`` values, signs ``openid4vci-proof+jwt`` key proofs and, when asked,
DPoP proofs (RFC 9449) answering ``use_dpop_nonce`` challenges. It holds its own ES256 keys.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from idcore.b64 import b64u_encode
from idcore.jose import KeySigner, sign_compact
from idcore.keys import generate_private_key
from idcore.oid4vci import (
    PRE_AUTHORIZED_GRANT,
    CredentialOffer,
    access_token_hash,
    parse_credential_offer,
    split_offer_link,
)


def well_known(identifier: str, name: str) -> str:
    """Insert ``/.well-known/<name>`` between host and path (OpenID4VCI 12.2.2, RFC 8414 3.1)."""
    parts = urlsplit(identifier)
    return f"{parts.scheme}://{parts.netloc}/.well-known/{name}{parts.path.rstrip('/')}"


def make_proof(signer: KeySigner, *, aud: str, nonce: str | None, iat: int | None = None, **extra: Any) -> str:
    """An ``openid4vci-proof+jwt`` key proof with the holder key in the ``jwk`` header."""
    header = {"typ": extra.pop("typ", "openid4vci-proof+jwt"), "jwk": dict(signer.public_jwk)}
    header.update(extra.pop("header", {}))
    payload: dict[str, Any] = {"aud": aud, "iat": int(time.time()) if iat is None else iat, **extra}
    if nonce is not None:
        payload["nonce"] = nonce
    return sign_compact(header, payload, signer)


def new_key() -> KeySigner:
    """A fresh ES256 holder key."""
    return KeySigner(generate_private_key("ES256"))  # type: ignore[arg-type]


@dataclass
class Issued:
    """What one credential request returned."""

    credentials: list[str]
    notification_id: str
    keys: list[KeySigner]


@dataclass
class ScriptedWallet:
    """A wallet bound to one HTTP client; ``dpop=True`` sender-constrains its tokens."""

    http: httpx.Client
    dpop: bool = False
    client_id: str = "lintas-wallet"
    redirect_uri: str = "http://127.0.0.1:9/callback"
    dpop_key: KeySigner = field(default_factory=new_key)
    dpop_nonce: str | None = None

    # --- discovery -----------------------------------------------------------------------
    def resolve_offer(self, link: str) -> CredentialOffer:
        """Parse an ``openid-credential-offer://`` link, fetching the offer if by reference."""
        by_value, by_reference = split_offer_link(link)
        if by_reference is not None:
            answer = self.http.get(by_reference)
            answer.raise_for_status()
            assert answer.headers["content-type"].startswith("application/json")
            by_value = answer.json()
        return parse_credential_offer(by_value)

    def issuer_metadata(self, identifier: str) -> dict[str, Any]:
        """Credential Issuer Metadata, refused unless ``credential_issuer`` equals ``identifier``."""
        metadata: dict[str, Any] = self.http.get(well_known(identifier, "openid-credential-issuer")).json()
        if metadata.get("credential_issuer") != identifier:
            raise ValueError("credential_issuer differs from the identifier the metadata was fetched for")
        return metadata

    def as_metadata(self, identifier: str) -> dict[str, Any]:
        """Authorization Server metadata, refused unless ``issuer`` equals ``identifier``."""
        metadata: dict[str, Any] = self.http.get(well_known(identifier, "oauth-authorization-server")).json()
        if metadata.get("issuer") != identifier:
            raise ValueError("AS metadata issuer differs")
        return metadata

    # --- DPoP ------------------------------------------------------------------------------
    def dpop_proof(self, method: str, url: str, access_token: str | None = None) -> str:
        """A DPoP proof for ``method url`` (with ``ath`` when presenting a token)."""
        payload: dict[str, Any] = {
            "jti": b64u_encode(hashlib.sha256(str(time.time_ns()).encode()).digest()[:12]),
            "htm": method,
            "htu": url,
            "iat": int(time.time()),
        }
        if access_token is not None:
            payload["ath"] = access_token_hash(access_token)
        if self.dpop_nonce is not None:
            payload["nonce"] = self.dpop_nonce
        return sign_compact({"typ": "dpop+jwt", "jwk": dict(self.dpop_key.public_jwk)}, payload, self.dpop_key)

    def _post(self, url: str, *, access_token: str | None = None, **kwargs: Any) -> httpx.Response:
        """POST, adding DPoP (and retrying once on ``use_dpop_nonce``)."""
        for _ in range(2):
            headers = dict(kwargs.pop("headers", {}))
            if self.dpop:
                headers["DPoP"] = self.dpop_proof("POST", url, access_token)
            if access_token is not None:
                headers["Authorization"] = f"{'DPoP' if self.dpop else 'Bearer'} {access_token}"
            answer = self.http.post(url, headers=headers, **kwargs)
            if "DPoP-Nonce" in answer.headers:
                self.dpop_nonce = answer.headers["DPoP-Nonce"]
            retry = answer.status_code in (400, 401) and "use_dpop_nonce" in answer.text
            if not retry:
                return answer
            kwargs["headers"] = {k: v for k, v in headers.items() if k not in ("DPoP", "Authorization")}
        return answer

    # --- grants ----------------------------------------------------------------------------
    def token_pre_authorized(self, offer: CredentialOffer, tx_code: str | None) -> httpx.Response:
        """Token Request with the pre-authorized code (OpenID4VCI 1.0 Section 6.1)."""
        meta = self.as_metadata(offer.credential_issuer)
        form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": offer.pre_authorized_code or ""}
        if tx_code is not None:
            form["tx_code"] = tx_code
        return self._post(meta["token_endpoint"], data=form)

    def token_authorization_code(
        self, identifier: str, scope: str, subject_id: str, issuer_state: str | None = None
    ) -> httpx.Response:
        """PAR, demo login as ``subject_id``, code exchange with PKCE S256."""
        meta = self.as_metadata(identifier)
        verifier = b64u_encode(hashlib.sha256(str(time.time_ns()).encode()).digest())
        challenge = b64u_encode(hashlib.sha256(verifier.encode()).digest())
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": scope,
            "state": "st-1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        if issuer_state is not None:
            params["issuer_state"] = issuer_state
        pushed = self.http.post(meta["pushed_authorization_request_endpoint"], data=params)
        assert pushed.status_code == 201, pushed.text
        query = urlencode({"client_id": self.client_id, "request_uri": pushed.json()["request_uri"]})
        page = self.http.get(f"{meta['authorization_endpoint']}?{query}")
        assert page.status_code == 200, page.text
        txn = unescape(re.search(r'name="txn" value="([^"]+)"', page.text).group(1))  # type: ignore[union-attr]
        action = unescape(re.search(r'<form method="post" action="([^"]+)"', page.text).group(1))  # type: ignore[union-attr]
        login = self.http.post(action, data={"txn": txn, "subject_id": subject_id, "decision": "approve"})
        assert login.status_code == 302, login.text
        location = parse_qs(urlsplit(login.headers["location"]).query)
        assert location["state"] == ["st-1"]
        if location.get("iss") != [identifier]:  # RFC 9207 mix-up defence
            raise ValueError("authorization response from another issuer")
        form = {
            "grant_type": "authorization_code",
            "code": location["code"][0],
            "redirect_uri": self.redirect_uri,
            "client_id": self.client_id,
            "code_verifier": verifier,
        }
        return self._post(meta["token_endpoint"], data=form)

    # --- credentials -----------------------------------------------------------------------
    def nonce(self, metadata: dict[str, Any]) -> str:
        """A fresh ``c_nonce`` (Section 7)."""
        answer = self._post(metadata["nonce_endpoint"])
        assert answer.headers.get("cache-control") == "no-store"
        return str(answer.json()["c_nonce"])

    def request_credentials(
        self, metadata: dict[str, Any], access_token: str, configuration_id: str, count: int = 1
    ) -> httpx.Response:
        """Credential Request with ``count`` key proofs (batch issuance when > 1)."""
        nonce = self.nonce(metadata)
        self.keys = [new_key() for _ in range(count)]
        proofs = [make_proof(k, aud=metadata["credential_issuer"], nonce=nonce) for k in self.keys]
        body = {"credential_configuration_id": configuration_id, "proofs": {"jwt": proofs}}
        return self._post(metadata["credential_endpoint"], access_token=access_token, json=body)

    def obtain(self, offer: CredentialOffer, tx_code: str | None, count: int = 1) -> Issued:
        """The whole pre-authorized flow for the offer's first configuration."""
        token = self.token_pre_authorized(offer, tx_code)
        assert token.status_code == 200, token.text
        metadata = self.issuer_metadata(offer.credential_issuer)
        answer = self.request_credentials(
            metadata, token.json()["access_token"], offer.credential_configuration_ids[0], count
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        return Issued([c["credential"] for c in body["credentials"]], body["notification_id"], self.keys)
