"""Configuration of the wallet demo (pydantic-settings, environment prefix ``LINTAS_WALLET_``).

The demo data directory is the one the other services share (``lintas demo`` layout): the
verifier's relying-party secrets (``verifier/rp-clients.json``) and its demo relying-party CA
(``verifier/rp-ca.pem``, which the wallet pins), and the issuers' operator secrets
(``issuer-<cc>-clients.json``, used by the demo issuance desk). None of them reaches a browser.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_COUNTRIES", "DEFAULT_SUBJECTS", "WalletSettings"]

_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SUBJECTS = _ROOT / "issuer" / "seed" / "subjects.json"
DEFAULT_COUNTRIES = _ROOT / "trust_registry" / "seed" / "asean.json"


class WalletSettings(BaseSettings):
    """Everything the wallet demo needs; passed to :func:`wallet_demo.app.create_app`."""

    model_config = SettingsConfigDict(env_prefix="LINTAS_WALLET_", extra="ignore", populate_by_name=True)

    #: Where the wallet is served (its origin is what the other services allow).
    public_url: str = "http://127.0.0.1:8500"
    #: The demo data directory shared with the other services (issuer and verifier secrets for the demo desks).
    data_dir: Path = Path("data")
    #: The verifier the relying-party demo pages call (client credentials from its data directory).
    verifier_url: str | None = None
    #: The trust registry the wallet checks issuers against.
    registry_url: str | None = None
    #: Country code -> base URL of that country's issuer process.
    issuers: dict[str, str] = Field(default_factory=dict)
    #: Relying-party client secrets; default ``<data>/verifier/rp-clients.json``.
    verifier_clients_file: Path | None = None
    #: The relying-party CA the wallet pins; default ``<data>/verifier/rp-ca.pem``.
    rp_ca_file: Path | None = None
    #: The demo personas (the issuers' seed of test persons and businesses).
    subjects_file: Path = DEFAULT_SUBJECTS
    #: Country names and flags (the registry seed).
    countries_file: Path = DEFAULT_COUNTRIES
    #: Timeout of the demo pages' calls to the verifier and issuers (seconds).
    http_timeout: float = Field(default=10.0, gt=0, le=60)

    @model_validator(mode="after")
    def _check(self) -> Self:
        urls = [self.public_url, self.verifier_url, self.registry_url, *self.issuers.values()]
        for url in urls:
            if url is None:
                continue
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"{url!r} is not an absolute http(s) URL")
        self.issuers = {cc.upper(): url.rstrip("/") for cc, url in self.issuers.items()}
        self.public_url = self.public_url.rstrip("/")
        return self

    @property
    def clients_file(self) -> Path:
        """The verifier's relying-party secrets."""
        return self.verifier_clients_file or self.data_dir / "verifier" / "rp-clients.json"

    @property
    def ca_file(self) -> Path:
        """The demo relying-party CA the wallet pins."""
        return self.rp_ca_file or self.data_dir / "verifier" / "rp-ca.pem"
