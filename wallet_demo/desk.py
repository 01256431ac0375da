"""The demo issuance desk: asks a national issuer for a Credential Offer for a persona.

It stands in for the citizen's visit to a government portal: with its own client at each issuer
(OAuth 2.0 client credentials, RFC 6749 Section 4.4, scope ``issuer:offer`` only), whose secret
the launcher provisioned there and handed to this service in its configuration
(:attr:`wallet_demo.settings.WalletSettings.desk_secrets`), it calls ``POST /v1/offers``
(issue #4) and returns the offer link (by reference, OpenID4VCI 1.0 Section 4.1.3) and the
``tx_code`` PIN, which a real issuer would send by SMS (Section 13.6). The wallet then runs the
whole grant itself in the browser. The desk talks to issuers only through their APIs: it reads
no file of theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import SecretStr

from wallet_demo.catalog import Persona
from wallet_demo.relying_party import RelyingPartyError

__all__ = ["IssuanceDesk"]


class IssuanceDesk:
    """Creates demo offers at the configured national issuers."""

    def __init__(
        self, issuers: dict[str, str], client_id: str, secrets: Mapping[str, SecretStr], timeout: float
    ) -> None:
        self.issuers = issuers
        self.client_id = client_id
        self._secrets = dict(secrets)
        self.http = httpx.Client(timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()

    def _secret(self, country: str) -> str:
        secret = self._secrets.get(country)
        if secret is None:
            raise RelyingPartyError(f"no issuance desk credential is configured for the {country} issuer")
        return secret.get_secret_value()

    def _post(self, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.http.post(url, **kwargs)
            body = response.json()
        except (httpx.HTTPError, ValueError):
            raise RelyingPartyError("the national issuer is unreachable") from None
        if response.status_code >= 400 or not isinstance(body, dict):
            detail = body.get("detail") if isinstance(body, dict) else None
            raise RelyingPartyError(f"the national issuer answered {response.status_code}: {detail or 'no details'}")
        return body

    def offer(self, persona: Persona, grant: str) -> dict[str, Any]:
        """An offer for ``persona`` with the ``pre-authorized_code`` or ``authorization_code`` grant."""
        base = self.issuers.get(persona.country)
        if base is None:
            raise RelyingPartyError(f"no issuer is running for {persona.country} in this demo")
        token = self._post(
            f"{base}/oauth/token",
            data={"grant_type": "client_credentials", "scope": "issuer:offer"},
            auth=(self.client_id, self._secret(persona.country)),
        )["access_token"]
        body = {
            "subject_id": persona.subject,
            "credential_configuration_id": persona.configuration_id,
            "grants": [grant],
            "tx_code": grant == "pre-authorized_code",
        }
        created = self._post(f"{base}/v1/offers", json=body, headers={"Authorization": f"Bearer {token}"})
        return {
            "offer_link": created["offer_link_by_reference"],
            "tx_code": created.get("tx_code"),
            "credential_issuer": created.get("credential_issuer"),
        }
