"""Configuration of the trust registry (pydantic-settings, environment prefix ``LINTAS_REGISTRY_``).

``REDIS_URL`` is honoured as well as ``LINTAS_REGISTRY_REDIS_URL``: set, the registry keeps
its state in Redis; unset, in the embedded store under the data directory. Outside
development every identifier (the registry's own URL, issuer identifiers) must be https;
with ``development`` on, ``http://127.0.0.1`` / ``localhost`` URLs are accepted for the demo.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Self

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from idcore.errors import TrustError
from idcore.keystore import KeyStore, Pkcs11KeyStore
from idcore.trust.model import check_identifier
from idcore.trust.vct import ASEAN_COUNTRIES
from lintas.cors import check_origins
from lintas.devmode import (
    Convenience,
    DevelopmentFlag,
    mode_field,
    refuse_in_production,
    refuse_stale_variables,
    require_loopback_url,
    resolve,
)

__all__ = ["DEFAULT_SEED", "RegistrySettings"]

DEFAULT_SEED = Path(__file__).parent / "seed" / "asean.json"


class GovernanceClient(BaseModel):
    """A governance OAuth client given in configuration (only the SHA-256 of its secret)."""

    client_id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")
    secret_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    scopes: list[str] = Field(min_length=1)

    @field_validator("scopes")
    @classmethod
    def _governance_scopes_only(cls, scopes: list[str]) -> list[str]:
        for scope in scopes:
            code = scope.removeprefix("registry:write:")
            if scope != "registry:write" and (code == scope or code not in ASEAN_COUNTRIES):
                raise ValueError(f"unknown scope {scope!r}: use registry:write or registry:write:<CC>")
        return scopes


class RegistrySettings(BaseSettings):
    """Everything the registry needs to start; passed to :func:`trust_registry.app.create_app`."""

    model_config = SettingsConfigDict(env_prefix="LINTAS_REGISTRY_", extra="ignore", populate_by_name=True)

    #: Keys, certificates, the generated demo PKI and the embedded store.
    data_dir: Path = Path("data/registry")
    # The service-specific variable wins over the shared ``REDIS_URL``; ``redis_url=`` works as a keyword.
    #: Redis URL (redis://, rediss://, unix://, redis+sentinel://, redis+cluster://); unset: embedded store.
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("LINTAS_REGISTRY_REDIS_URL", "REDIS_URL"))
    #: The registry's public URL: the scheme operator identifier and the OAuth token issuer.
    public_url: str = "https://registry.lintas.asean.example"
    #: Accept loopback http identifiers (local demo only); the shared ``LINTAS_MODE`` (:mod:`lintas.devmode`).
    development: DevelopmentFlag = mode_field()
    #: Public ``/docs``, ``/redoc`` and ``/openapi.json``. Default: development only.
    api_docs: bool | None = None
    #: Replaces ``{issuer_base}`` in the seed's issuer identifiers.
    issuer_base: str = "https://issuers.lintas.asean.example"
    #: Per-country ``{issuer_base}`` (country code -> base URL), for issuers on different hosts.
    issuer_bases: dict[str, str] = Field(default_factory=dict)
    #: Full overrides of seeded issuer identifiers by seed slug (e.g. ``{"sg-pid": "https://..."}``).
    issuer_overrides: dict[str, str] = Field(default_factory=dict)
    #: The governance seed: member states, national roots and issuers created on first start.
    seed_file: Path = DEFAULT_SEED
    #: Seconds from a list's issue to its ``next_update``; the registry re-issues at half-life.
    list_validity: int = Field(default=86400, ge=120)
    #: Upper bound of ``Cache-Control: max-age`` so suspensions reach verifiers quickly.
    max_cache_age: int = Field(default=300, ge=0)
    #: Validity in days of the certificates generated on first start.
    certificate_days: int = Field(default=3 * 365, ge=1)
    #: Lifetime of governance access tokens (seconds).
    token_ttl: int = Field(default=600, ge=30)
    #: Origins of browser wallets allowed to call this service (CORS); empty: none.
    cors_allow_origins: list[str] = Field(default_factory=list)
    #: Requests per minute per client address on the governance, query, checkpoint and federation endpoints (429 above).
    rate_limit_per_minute: int = Field(default=600, ge=1)
    #: Governance clients; when unset, a demo set is generated into ``<data>/governance-clients.json``.
    governance_clients: list[GovernanceClient] | None = None
    #: Seconds the federation resolve endpoint may spend fetching a subject's entity configuration.
    resolve_timeout: float = Field(default=3.0, gt=0, le=30)
    #: Resolutions fetching over the network at once (resolve endpoint); above: 503 temporarily_unavailable.
    resolve_max_concurrent: int = Field(default=4, ge=1, le=64)
    #: Seconds a resolve response is reused for the same subject and entity types (0: not cached).
    resolve_cache_seconds: int = Field(default=60, ge=0, le=60)
    #: Most resolve responses cached at once (the oldest is dropped first).
    resolve_cache_entries: int = Field(default=1024, ge=1, le=100_000)

    #: Where the list-signing key lives: ``file`` (``<data>/registry/keys/list-signing.pem``) or
    #: ``pkcs11``, a non-extractable key labelled ``list-signing`` on an HSM token (made with
    #: ``lintas keys generate list-signing --pkcs11-library ...``); its certificate is then
    #: ``<data>/registry/signing-cert.pem`` issued by your CA (``registry-ca.pem`` beside it).
    list_key_backend: Literal["file", "pkcs11"] = "file"
    #: PKCS#11 module of the HSM holding the list-signing key (``list_key_backend=pkcs11``).
    pkcs11_library: str = "/usr/lib/softhsm/libsofthsm2.so"
    #: Label of the token holding the list-signing key.
    pkcs11_token_label: str = "lintas"  # noqa: S105 - a token label, not a secret
    #: The token's user PIN (secret: give it from a secret store, never on the command line).
    pkcs11_user_pin: SecretStr | None = None

    def list_key_store(self) -> KeyStore | None:
        """The PKCS#11 token holding the list-signing key, or ``None`` for the data directory's files."""
        if self.list_key_backend != "pkcs11":
            return None
        if self.pkcs11_user_pin is None or not self.pkcs11_user_pin.get_secret_value():
            raise ValueError("list_key_backend=pkcs11 needs LINTAS_REGISTRY_PKCS11_USER_PIN")
        return Pkcs11KeyStore(self.pkcs11_library, self.pkcs11_token_label, self.pkcs11_user_pin.get_secret_value())

    @model_validator(mode="before")
    @classmethod
    def _no_stale_switch(cls, data: Any) -> Any:
        refuse_stale_variables("LINTAS_REGISTRY_")  # before the fields: the old switch is refused, never half-read
        return data

    @model_validator(mode="after")
    def _identifiers_are_https(self) -> Self:
        urls = [self.public_url, self.issuer_base, *self.issuer_bases.values(), *self.issuer_overrides.values()]
        for url in urls:
            try:
                check_identifier(url.rstrip("/"), allow_loopback_http=self.development)
            except TrustError as exc:
                raise ValueError(exc.detail) from None
        unknown = set(self.issuer_bases) - ASEAN_COUNTRIES
        if unknown:
            raise ValueError(f"issuer_bases names unknown countries {sorted(unknown)}")
        self.api_docs = resolve(self.api_docs, self.development)
        check_origins(self.cors_allow_origins, "LINTAS_REGISTRY_CORS_ALLOW_ORIGINS", development=self.development)
        refuse_in_production(self.development, self.conveniences())
        if self.development:
            require_loopback_url(self.public_url, "LINTAS_REGISTRY_PUBLIC_URL")
        return self

    def conveniences(self) -> list[Convenience]:
        """The demo conveniences of the registry and whether each is on."""
        return [Convenience("public /docs and /openapi.json", "LINTAS_REGISTRY_API_DOCS", bool(self.api_docs))]

    def issuer_id(self, slug: str, template: str, country: str) -> str:
        """The identifier of a seeded issuer: an override, or the template with its base filled in."""
        if slug in self.issuer_overrides:
            return self.issuer_overrides[slug]
        base = self.issuer_bases.get(country, self.issuer_base).rstrip("/")
        return template.replace("{issuer_base}", base)
