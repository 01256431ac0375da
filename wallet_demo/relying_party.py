"""The relying-party demo: three services calling the verifier's relying-party API.

OpenID4VP 1.0 is spoken by the verifier; these demo back ends only use its API (issue #5):
``POST /v1/presentations`` with OAuth 2.0 client credentials (RFC 6749 Section 4.4) and
``GET /v1/presentations/{id}`` (long-poll ``wait``; ``response_code`` for same-device results,
OpenID4VP 1.0 Section 13.3). Client secrets are handed over by configuration
(``LINTAS_WALLET_RP_CLIENTS``, client id -> secret; ``lintas demo`` passes the verifier's), never
read from another service's files, and never leave this process. A relying party without a secret
answers 503 "not configured".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

__all__ = ["SCENARIOS", "RelyingPartyError", "VerifierClient"]

#: The response mode of the pages' Digital Credentials API transactions (OpenID4VP 1.0 Appendix A.4).
_DC_API_MODE = "dc_api.jwt"


@dataclass(frozen=True, slots=True)
class Scenario:
    """One demo relying party and what it asks for."""

    slug: str
    client_id: str
    policy: str
    response_mode: str
    title: str
    country: str
    intro: str

    def to_json(self) -> dict[str, str]:
        """The page's view."""
        return {
            "slug": self.slug,
            "title": self.title,
            "country": self.country,
            "intro": self.intro,
            "policy": self.policy,
            "response_mode": self.response_mode,
        }


SCENARIOS: dict[str, Scenario] = {
    s.slug: s
    for s in (
        Scenario(
            "my-bank",
            "my-bank",
            "pid-onboarding",
            "direct_post",
            "Bank Rakyat Contoh: open an account",
            "MY",
            "A Malaysian bank onboards a customer from another ASEAN member state with their "
            "national person-ID credential: name, date of birth, nationality and proof of age.",
        ),
        Scenario(
            "th-procurement",
            "th-procurement",
            "business-registration",
            "direct_post.jwt",
            "Thai Government e-Procurement: register a foreign supplier",
            "TH",
            "A Thai procurement portal registers a supplier from another member state with its "
            "business registration credential.",
        ),
        Scenario(
            "th-supplier-mandate",
            "th-procurement",
            "supplier-mandate",
            "direct_post.jwt",
            "Thai Government e-Procurement: sign in for a supplier",
            "TH",
            "The director of a company from another member state signs in with their person ID and "
            "their mandate to act for the company; the portal checks that both name the same person.",
        ),
        Scenario(
            "my-car-rental",
            "my-car-rental",
            "car-rental",
            "direct_post.jwt",
            "Kereta Sewa Contoh: rent a car",
            "MY",
            "A Malaysian car rental checks a visitor's mobile driving licence (ISO mDL) from another "
            "member state: that they are 18 or older and which vehicles they may drive, nothing else.",
        ),
        Scenario(
            "age-check",
            "age-check",
            "age-check",
            "direct_post.jwt",
            "Cross-border age check",
            "SG",
            "A service checks that the visitor is 18 or older, and learns nothing else.",
        ),
    )
}


class RelyingPartyError(Exception):
    """The verifier could not be reached or refused the call (shown as a clear message)."""

    def __init__(self, message: str, status: int = 502) -> None:
        super().__init__(message)
        self.status = status


class VerifierClient:
    """Calls the verifier as the demo relying parties, caching their access tokens."""

    def __init__(self, base_url: str, secrets: Mapping[str, SecretStr], timeout: float) -> None:
        """Call ``base_url`` as the relying parties whose client secrets ``secrets`` holds."""
        self.base_url = base_url.rstrip("/")
        self._secrets = dict(secrets)
        self.http = httpx.Client(timeout=timeout, follow_redirects=False)
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()

    def configured(self, client_id: str) -> bool:
        """Whether this relying party has a client secret."""
        return bool(self._secrets.get(client_id, SecretStr("")).get_secret_value())

    def _secret(self, client_id: str) -> str:
        if not self.configured(client_id):
            raise RelyingPartyError(
                f"the relying party {client_id} is not configured (no client secret in LINTAS_WALLET_RP_CLIENTS)", 503
            )
        return self._secrets[client_id].get_secret_value()

    def _token(self, client_id: str) -> str:
        with self._lock:
            cached = self._tokens.get(client_id)
            if cached and cached[1] > time.monotonic():
                return cached[0]
        answer = self._call(
            "POST", "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, self._secret(client_id))
        )
        token = str(answer["access_token"])
        lifetime = float(answer.get("expires_in", 60))
        with self._lock:
            self._tokens[client_id] = (token, time.monotonic() + max(lifetime - 30, 5))
        return token

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.http.request(method, f"{self.base_url}{path}", **kwargs)
        except httpx.HTTPError as exc:
            raise RelyingPartyError(f"the verifier is unreachable ({type(exc).__name__})") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400 or not isinstance(body, dict):
            detail = body.get("detail") or body.get("error_description") if isinstance(body, dict) else None
            # An unknown transaction stays a 404; anything else is the verifier's failure (502).
            status = 404 if response.status_code == 404 else 502
            raise RelyingPartyError(f"the verifier answered {response.status_code}: {detail or 'no details'}", status)
        return body

    def create(self, scenario: Scenario) -> dict[str, Any]:
        """Start a presentation transaction for ``scenario``."""
        body = {"policy": scenario.policy, "response_mode": scenario.response_mode}
        headers = {"Authorization": f"Bearer {self._token(scenario.client_id)}"}
        return self._call("POST", "/v1/presentations", json=body, headers=headers)

    def status(self, scenario: Scenario, tid: str, *, wait: int, response_code: str | None) -> dict[str, Any]:
        """The transaction's status (waiting up to ``wait`` seconds for a change)."""
        params: dict[str, Any] = {"wait": wait}
        if response_code:
            params["response_code"] = response_code
        headers = {"Authorization": f"Bearer {self._token(scenario.client_id)}"}
        return self._call("GET", f"/v1/presentations/{tid}", params=params, headers=headers, timeout=wait + 10)

    def qr_svg(self, scenario: Scenario, tid: str) -> bytes:
        """The QR code (SVG) of the transaction's cross-device request link, fetched as the relying party."""
        headers = {"Authorization": f"Bearer {self._token(scenario.client_id)}"}
        try:
            response = self.http.get(f"{self.base_url}/v1/presentations/{tid}/qr.svg", headers=headers)
        except httpx.HTTPError as exc:
            raise RelyingPartyError(f"the verifier is unreachable ({type(exc).__name__})") from None
        if response.status_code != 200 or not response.headers.get("content-type", "").startswith("image/svg+xml"):
            status = 404 if response.status_code == 404 else 502
            raise RelyingPartyError(f"the verifier answered {response.status_code} for the QR code", status)
        return response.content

    # OpenID4VP 1.0 Appendix A through the verifier (verifier/dc_api.py): the page, not a wallet,
    # carries the request to navigator.credentials.get and brings the answer back with its origin.

    def create_dc(self, scenario: Scenario) -> dict[str, Any]:
        """Start a Digital Credentials API transaction (``dc_api.jwt``: the answer is always encrypted)."""
        body = {"policy": scenario.policy, "response_mode": _DC_API_MODE}
        headers = {"Authorization": f"Bearer {self._token(scenario.client_id)}"}
        return self._call("POST", "/v1/presentations", json=body, headers=headers)

    def dc_request(self, scenario: Scenario, tid: str) -> dict[str, Any]:
        """The signed ``{protocol, data: {request}}`` the page hands to the DC API (A.3.2.1)."""
        headers = {"Authorization": f"Bearer {self._token(scenario.client_id)}"}
        return self._call("GET", f"/v1/presentations/{tid}/dc-request", headers=headers)

    def dc_response(self, scenario: Scenario, tid: str, origin: str, data: Any) -> tuple[int, dict[str, Any]]:
        """Relay what the DC API returned; the verifier's status and answer (a 400 is its refusal, not ours)."""
        headers = {"Authorization": f"Bearer {self._token(scenario.client_id)}"}
        url = f"{self.base_url}/v1/presentations/{tid}/dc-response"
        try:
            response = self.http.post(url, json={"origin": origin, "data": data}, headers=headers)
        except httpx.HTTPError as exc:
            raise RelyingPartyError(f"the verifier is unreachable ({type(exc).__name__})") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code not in (200, 400) or not isinstance(body, dict):
            status = 404 if response.status_code == 404 else 502
            raise RelyingPartyError(f"the verifier answered {response.status_code}", status)
        return response.status_code, body
