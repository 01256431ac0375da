"""Configuration of the wallet demo (pydantic-settings, environment prefix ``LINTAS_WALLET_``).

The wallet demo reads no other service's files. The demo issuance desk: the launcher provisions an
``issuer:offer`` client at each issuer and hands the desk its secret through
:attr:`WalletSettings.desk_secrets` (``LINTAS_WALLET_DESK_SECRETS``, a JSON object country ->
secret). The demo relying parties: the launcher hands over their verifier client secrets through
:attr:`WalletSettings.rp_clients` (``LINTAS_WALLET_RP_CLIENTS``, a JSON object client id -> secret);
a relying party without one says "not configured". None of them reaches a browser.

Which relying parties the wallet trusts (issue #14 item 3, :mod:`wallet_demo.rp_trust`): those
whose access certificate chains to a relying-party CA the registry's signed list names, verified
with the pinned registry certificates ``LINTAS_WALLET_REGISTRY_PIN_SHA256`` (a comma list or JSON
array of SHA-256 hex). Without pins, development mode falls back to one pinned PEM file
(``LINTAS_WALLET_RP_CA_FILE``, default ``<data>/verifier/rp-ca.pem``); production trusts none.

The mode is the shared ``LINTAS_MODE`` (:mod:`lintas.devmode`). In production (the default) every
URL is https and the demo issuance desk and public API docs are refused; in development every URL
is on loopback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lintas.devmode import (
    MODE_ENV,
    Convenience,
    DevelopmentFlag,
    mode_field,
    refuse_in_production,
    refuse_stale_variables,
    require_loopback_url,
    resolve,
)
from lintas.settings_lists import StrList

__all__ = ["WalletSettings"]

_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SUBJECTS = _ROOT / "issuer" / "seed" / "subjects.json"
DEFAULT_COUNTRIES = _ROOT / "trust_registry" / "seed" / "asean.json"
_PIN = re.compile(r"^[0-9a-f]{64}$")


class WalletSettings(BaseSettings):
    """Everything the wallet demo needs; passed to :func:`wallet_demo.app.create_app`."""

    model_config = SettingsConfigDict(env_prefix="LINTAS_WALLET_", extra="ignore", populate_by_name=True)

    #: ``LINTAS_MODE``: development turns the demo conveniences on (loopback only); production refuses them.
    development: DevelopmentFlag = mode_field()
    #: The demo issuance desk (offers for any persona, with its own issuer clients). Default: development only.
    demo_desk: bool | None = None
    #: Public ``/docs``, ``/redoc`` and ``/openapi.json``. Default: development only.
    api_docs: bool | None = None
    #: Where the wallet is served (its origin is what the other services allow).
    public_url: str = "http://127.0.0.1:8500"
    #: The demo data directory shared with the other services (only for the development relying-party CA fallback).
    data_dir: Path = Path("data")
    #: The verifier the relying-party demo pages call (as the relying parties of ``rp_clients``).
    verifier_url: str | None = None
    #: The trust registry the wallet checks issuers against (and, with the pins, relying-party CAs).
    registry_url: str | None = None
    #: Country code -> base URL of that country's issuer process.
    issuers: dict[str, str] = Field(default_factory=dict)
    #: The issuance desk's client id at every issuer (an ``issuer:offer`` client the launcher provisioned there).
    desk_client_id: str = Field(default="demo-desk", pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    #: Country code -> the desk client's secret at that country's issuer (never logged, never sent to a browser).
    desk_secrets: dict[str, SecretStr] = Field(default_factory=dict, max_length=11)
    #: The demo relying parties' client id -> verifier client secret (handed over by the launcher; never logged).
    rp_clients: dict[str, SecretStr] = Field(default_factory=dict, max_length=32)
    #: SHA-256 (hex) of the registry's list-signing certificates (current and next): the registry pins.
    registry_pin_sha256: StrList = Field(default_factory=list, max_length=4)
    #: How often the registry's list (and so the relying-party CAs) is refetched, in seconds.
    trust_refresh_seconds: int = Field(default=300, ge=1, le=3600)
    #: Development fallback without registry pins: the one relying-party CA file; default ``<data>/verifier/rp-ca.pem``.
    rp_ca_file: Path | None = None
    #: The demo personas (the issuers' seed of test persons and businesses).
    subjects_file: Path = DEFAULT_SUBJECTS
    #: Country names and flags (the registry seed).
    countries_file: Path = DEFAULT_COUNTRIES
    #: Timeout of the demo pages' calls to the verifier and issuers (seconds).
    http_timeout: float = Field(default=10.0, gt=0, le=60)
    #: Lifetime of the cookie binding a relying-party transaction to the browser that started it (seconds).
    rp_binding_ttl: int = Field(default=3600, ge=60, le=86400)

    @model_validator(mode="before")
    @classmethod
    def _no_stale_switch(cls, data: Any) -> Any:
        refuse_stale_variables("LINTAS_WALLET_")  # before the fields: the old switch is refused, never half-read
        return data

    @model_validator(mode="after")
    def _check(self) -> Self:
        urls: list[tuple[str, str | None]] = [
            ("LINTAS_WALLET_PUBLIC_URL", self.public_url),
            ("LINTAS_WALLET_VERIFIER_URL", self.verifier_url),
            ("LINTAS_WALLET_REGISTRY_URL", self.registry_url),
            *(("LINTAS_WALLET_ISSUERS", url) for url in self.issuers.values()),
        ]
        for setting, url in urls:
            if url is not None:
                _check_url(url, setting, self.development)
        self.issuers = {cc.upper(): url.rstrip("/") for cc, url in self.issuers.items()}
        self.desk_secrets = {cc.upper(): secret for cc, secret in self.desk_secrets.items()}
        self.registry_pin_sha256 = [pin.lower() for pin in self.registry_pin_sha256]
        if not all(_PIN.match(pin) for pin in self.registry_pin_sha256):
            raise ValueError("LINTAS_WALLET_REGISTRY_PIN_SHA256: each pin is a SHA-256 in hex (64 characters)")
        if self.registry_pin_sha256 and self.registry_url is None:
            raise ValueError("LINTAS_WALLET_REGISTRY_PIN_SHA256 needs LINTAS_WALLET_REGISTRY_URL")
        self.public_url = self.public_url.rstrip("/")
        self.demo_desk = resolve(self.demo_desk, self.development)
        self.api_docs = resolve(self.api_docs, self.development)
        refuse_in_production(self.development, self.conveniences())
        return self

    def conveniences(self) -> list[Convenience]:
        """The demo conveniences of the wallet demo and whether each is on."""
        return [
            Convenience("demo issuance desk", "LINTAS_WALLET_DEMO_DESK", bool(self.demo_desk)),
            Convenience("public /docs and /openapi.json", "LINTAS_WALLET_API_DOCS", bool(self.api_docs)),
        ]

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry ``Secure`` when the wallet is served over https."""
        return self.public_url.startswith("https://")

    @property
    def ca_file(self) -> Path | None:
        """The development fallback's relying-party CA file; ``None`` with registry pins or in production."""
        if self.registry_pin_sha256 or not self.development:
            return None
        return self.rp_ca_file or self.data_dir / "verifier" / "rp-ca.pem"


def _check_url(url: str, setting: str, development: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{setting}: {url!r} is not an absolute http(s) URL")
    if development:
        require_loopback_url(url, setting)
    elif parts.scheme != "https":
        raise ValueError(
            f"production mode refuses plain-http URLs ({setting}={url!r}); use https "
            f"or {MODE_ENV}=development on loopback"
        )
