"""Configuration of one national issuer process (pydantic-settings, environment prefix ``LINTAS_ISSUER_``).

One process serves one member state: its person-ID (PID) Credential Issuer and, where the
trust registry's seed lists one for the country, its business-registration Credential Issuer.
``REDIS_URL`` is honoured as well as ``LINTAS_ISSUER_REDIS_URL``. Outside ``development`` the
public URL must be https; with it, ``http://127.0.0.1``/``localhost`` is accepted (local demo).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from idcore.errors import TrustError
from idcore.trust.model import check_identifier
from idcore.trust.vct import ASEAN_COUNTRIES

__all__ = ["DEFAULT_REGISTRY_SEED", "DEFAULT_SUBJECTS", "IssuerSettings"]

DEFAULT_REGISTRY_SEED = Path(__file__).resolve().parent.parent / "trust_registry" / "seed" / "asean.json"
DEFAULT_SUBJECTS = Path(__file__).resolve().parent / "seed" / "subjects.json"


class IssuerSettings(BaseSettings):
    """Everything one issuer process needs; passed to :func:`issuer.app.create_app`."""

    model_config = SettingsConfigDict(env_prefix="LINTAS_ISSUER_", extra="ignore", populate_by_name=True)

    country: str = "SG"
    #: Where this process is reachable (scheme, host, port, optional path prefix).
    public_url: str = "https://issuers.lintas.asean.example"
    data_dir: Path = Path("data")
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("redis_url", "LINTAS_ISSUER_REDIS_URL", "REDIS_URL")
    )
    development: bool = False
    #: Identifier overrides (slug -> URL); otherwise the registry's ``issuer.json`` or ``{public_url}/{cc}[/business]``.
    identifiers: dict[str, str] = Field(default_factory=dict)
    registry_seed: Path = DEFAULT_REGISTRY_SEED
    subjects_file: Path = DEFAULT_SUBJECTS
    #: Signing keys: PEM files in the data directory (default) or a PKCS#11 token (SoftHSM2).
    key_backend: Literal["file", "pkcs11"] = "file"
    pkcs11_library: str = "/usr/lib/softhsm/libsofthsm2.so"
    pkcs11_token_label: str = "lintas"  # noqa: S105 - a token label, not a secret
    pkcs11_user_pin: str = ""
    #: Generate a national root and document-signer certificate when none is found (standalone/dev).
    generate_pki: bool = True
    certificate_days: int = Field(default=365, ge=1)
    dpop_required: bool = False
    require_par: bool = True
    batch_size: int = Field(default=10, ge=1, le=100)
    credential_validity_days: int = Field(default=365, ge=1)
    pre_authorized_code_ttl: int = Field(default=600, ge=1)
    tx_code_length: int = Field(default=6, ge=4, le=10)
    tx_code_attempts: int = Field(default=3, ge=1, le=10)
    access_token_ttl: int = Field(default=600, ge=30)
    c_nonce_ttl: int = Field(default=300, ge=30)
    proof_max_age: int = Field(default=300, ge=30)
    status_list_size: int = Field(default=65536, ge=8)
    status_list_ttl: int = Field(default=300, ge=1)
    #: Browser-wallet origins allowed by CORS (none by default: a deployment decision, like TLS).
    cors_allow_origins: list[str] = Field(default_factory=list)
    #: Public wallet clients for the authorization code grant: client_id -> allowed redirect URIs.
    wallet_clients: dict[str, list[str]] = Field(default_factory=lambda: {"lintas-wallet": []})

    @model_validator(mode="after")
    def _check(self) -> Self:
        self.country = self.country.upper()
        if self.country not in ASEAN_COUNTRIES:
            raise ValueError(f"country must be one of {sorted(ASEAN_COUNTRIES)}")
        for url in [self.public_url, *self.identifiers.values()]:
            try:
                check_identifier(url.rstrip("/"), allow_loopback_http=self.development)
            except TrustError as exc:
                raise ValueError(exc.detail) from None
        self.public_url = self.public_url.rstrip("/")
        if self.key_backend == "pkcs11" and not self.pkcs11_user_pin:
            raise ValueError("pkcs11_user_pin is required with key_backend=pkcs11")
        return self
