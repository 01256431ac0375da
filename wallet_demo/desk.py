"""The demo issuance desk: asks a national issuer for a Credential Offer for a persona.

It stands in for the citizen's visit to a government portal: with the issuer's ``operator``
client (OAuth 2.0 client credentials, scope ``issuer:offer``; secret from
``<data>/issuer-<cc>-clients.json``) it calls ``POST /v1/offers`` (issue #4) and returns the offer
link (by reference, OpenID4VCI 1.0 Section 4.1.3) and the ``tx_code`` PIN, which a real issuer
would send by SMS (Section 13.6). The wallet then runs the whole grant itself in the browser.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from wallet_demo.catalog import Persona
from wallet_demo.relying_party import RelyingPartyError

__all__ = ["IssuanceDesk"]


class IssuanceDesk:
    """Creates demo offers at the configured national issuers."""

    def __init__(self, issuers: dict[str, str], data_dir: Path, timeout: float) -> None:
        self.issuers = issuers
        self.data_dir = data_dir
        self.http = httpx.Client(timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()

    def _secret(self, country: str) -> str:
        path = self.data_dir / f"issuer-{country.lower()}-clients.json"
        try:
            return str(json.loads(path.read_text(encoding="utf-8"))["operator"]["secret"])
        except (OSError, ValueError, KeyError, TypeError):
            raise RelyingPartyError(f"no operator client for the {country} issuer in the data directory") from None

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
            data={"grant_type": "client_credentials"},
            auth=("operator", self._secret(persona.country)),
        )["access_token"]
        body = {
            "subject_id": persona.id,
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
