"""Configuration of one national issuer process (pydantic-settings, environment prefix ``LINTAS_ISSUER_``).

One process serves one member state: its person-ID (PID) Credential Issuer and, where the
trust registry's seed lists one for the country, its business-registration Credential Issuer.
``REDIS_URL`` is honoured as well as ``LINTAS_ISSUER_REDIS_URL``. The mode is the shared
``LINTAS_MODE`` (:mod:`lintas.devmode`): in production (the default) the public URL must be
https and every demo convenience (demo national login, generated PKI, public API docs, plain-http
CORS origins) is refused; in development every URL must be on loopback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from idcore.errors import TrustError
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
from lintas.federation_fetch import check_trust_mark_endpoint
from lintas.settings_lists import StrList

__all__ = ["DEFAULT_SUBJECTS", "IssuerSettings", "ProvisionedClient"]

DEFAULT_REGISTRY_SEED = Path(__file__).resolve().parent.parent / "trust_registry" / "seed" / "asean.json"
DEFAULT_SUBJECTS = Path(__file__).resolve().parent / "seed" / "subjects.json"


#: The scopes of the operator API: create offers, change a credential's status.
OPERATOR_SCOPES = ("issuer:offer", "issuer:admin")
#: Client ids the issuer generates itself (:mod:`issuer.operators`); a provisioned client may not take one.
_GENERATED_CLIENTS = frozenset({"operator", "admin"})
_CLIENT_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


class ProvisionedClient(BaseModel):
    """An operator API client handed to this process by whoever deploys it: only its secret's SHA-256."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Hex SHA-256 of the client secret (:func:`lintas.oauth.hash_secret`); the secret never reaches the issuer.
    secret_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    #: At least one of :data:`OPERATOR_SCOPES`.
    scopes: list[Literal["issuer:offer", "issuer:admin"]] = Field(min_length=1, max_length=2)


class IssuerSettings(BaseSettings):
    """Everything one issuer process needs; passed to :func:`issuer.app.create_app`."""

    model_config = SettingsConfigDict(env_prefix="LINTAS_ISSUER_", extra="ignore", populate_by_name=True)

    #: ISO 3166-1 alpha-2 code of the member state this process issues for.
    country: str = "SG"
    #: Where this process is reachable (scheme, host, port, optional path prefix).
    public_url: str = "https://issuers.lintas.asean.example"
    #: Keys, certificates, operator secrets and the embedded store (shared with the registry in the demo).
    data_dir: Path = Path("data")
    #: Redis URL; unset: the embedded store in the data directory.
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("redis_url", "LINTAS_ISSUER_REDIS_URL", "REDIS_URL")
    )
    #: ``LINTAS_MODE``: development turns the demo conveniences on (loopback only); production refuses them.
    development: DevelopmentFlag = mode_field()
    #: The demo national login (pick a seeded person; no authentication). Default: on in development only.
    demo_login: bool | None = None
    #: Public ``/docs``, ``/redoc`` and ``/openapi.json``. Default: on in development only.
    api_docs: bool | None = None
    #: Identifier overrides (slug -> URL); otherwise the registry's ``issuer.json`` or ``{public_url}/{cc}[/business]``.
    identifiers: dict[str, str] = Field(default_factory=dict)
    #: The registry seed the issuer reads its names, credential types and identifiers from.
    registry_seed: Path = DEFAULT_REGISTRY_SEED
    #: Test persons and businesses the demo national login and offers draw from.
    subjects_file: Path = DEFAULT_SUBJECTS
    #: Signing keys: PEM files in the data directory (default) or a PKCS#11 token (SoftHSM2).
    key_backend: Literal["file", "pkcs11"] = "file"
    #: PKCS#11 module used when the key backend is pkcs11.
    pkcs11_library: str = "/usr/lib/softhsm/libsofthsm2.so"
    #: Label of the PKCS#11 token holding the signing key.
    pkcs11_token_label: str = "lintas"  # noqa: S105 - a token label, not a secret
    #: User PIN of that token (never logged).
    pkcs11_user_pin: str = ""
    #: Wallet-facing requests (authorize, PAR, token, nonce, credential, notification) per client address
    #: per minute, shared by every replica through the store; 429 with Retry-After above it.
    wallet_rate_limit_per_minute: int = Field(default=600, ge=1)
    #: Generate a national root and document-signer certificate when none is found. Default: development only.
    generate_pki: bool | None = None
    #: Validity of certificates generated for a standalone issuer (days).
    certificate_days: int = Field(default=365, ge=1)
    #: Require DPoP-bound access tokens (RFC 9449) with server nonces.
    dpop_required: bool = False
    #: Require Pushed Authorization Requests for the authorization code grant.
    require_par: bool = True
    #: Most proofs (and credentials) in one credential request.
    batch_size: int = Field(default=10, ge=1, le=100)
    #: Credential lifetime (exp - iat), in days.
    credential_validity_days: int = Field(default=365, ge=1)
    #: Each credential's iat is drawn at random from this many seconds before issuance (RFC 9901 Section 10.1,
    #: OpenID4VCI 1.0 Section 15.4.1), so a batch shares no iat/exp; 0 keeps the issuance time.
    iat_window: int = Field(default=86400, ge=0, le=7 * 86400)
    #: Days an issued credential's record (status index, holder key thumbprint) is kept after its exp.
    record_retention_days: int = Field(default=30, ge=0)
    #: Lifetime of a pre-authorized code (seconds); single use.
    pre_authorized_code_ttl: int = Field(default=600, ge=1)
    #: Digits of the tx_code PIN.
    tx_code_length: int = Field(default=6, ge=4, le=10)
    #: Wrong PINs allowed before the pre-authorized code is void.
    tx_code_attempts: int = Field(default=3, ge=1, le=10)
    #: Access token lifetime (seconds).
    access_token_ttl: int = Field(default=600, ge=30)
    #: Lifetime of a nonce from the nonce endpoint (seconds); single use.
    c_nonce_ttl: int = Field(default=300, ge=30)
    #: Accepted age of a key proof's iat (seconds).
    proof_max_age: int = Field(default=300, ge=30)
    #: Entries per Token Status List (indices are drawn at random from it).
    status_list_size: int = Field(default=65536, ge=8)
    #: ttl claim of the status list token: how long verifiers may cache it (seconds).
    status_list_ttl: int = Field(default=300, ge=1)
    #: Browser-wallet origins allowed by CORS (none by default: a deployment decision, like TLS).
    cors_allow_origins: list[str] = Field(default_factory=list)
    #: Operator API clients provisioned from outside (client_id -> secret SHA-256 and scopes), beside the
    #: generated ``operator`` and ``admin``; the demo launcher hands its issuance desk one this way.
    provisioned_clients: dict[str, ProvisionedClient] = Field(default_factory=dict, max_length=32)
    #: OpenID Federation 1.0: entity ids of this issuer's immediate superiors (the member state's intermediate,
    #: e.g. ``https://registry.example/federation/TH``); unset: no entity configuration is served.
    federation_authority_hints: StrList = Field(default_factory=list, max_length=4)
    #: Lifetime (exp - iat) of the issuers' entity configurations (seconds).
    federation_entity_ttl: int = Field(default=3600, ge=60, le=86400)
    #: The registry's trust mark endpoint (``<registry>/federation/trust-mark``): each person-ID tenant fetches its
    #: "recognised PID issuer" mark there and carries it in its entity configuration; unset: no mark is carried.
    federation_trust_mark_endpoint: str | None = None
    #: Public wallet clients for the authorization code grant: client_id -> allowed redirect URIs.
    wallet_clients: dict[str, list[str]] = Field(default_factory=lambda: {"lintas-wallet": list[str]()})

    @model_validator(mode="before")
    @classmethod
    def _no_stale_switch(cls, data: Any) -> Any:
        refuse_stale_variables("LINTAS_ISSUER_")  # before the fields: the old switch is refused, never half-read
        return data

    @model_validator(mode="after")
    def _check(self) -> Self:
        self.country = self.country.upper()
        if self.country not in ASEAN_COUNTRIES:
            raise ValueError(f"country must be one of {sorted(ASEAN_COUNTRIES)}")
        for url in [self.public_url, *self.identifiers.values(), *self.federation_authority_hints]:
            try:
                check_identifier(url.rstrip("/"), allow_loopback_http=self.development)
            except TrustError as exc:
                raise ValueError(exc.detail) from None
        self.public_url = self.public_url.rstrip("/")
        for client_id in self.provisioned_clients:
            if client_id in _GENERATED_CLIENTS or not _CLIENT_ID.fullmatch(client_id):
                raise ValueError(f"provisioned client id {client_id!r} is taken or not [a-z0-9-]{{1,64}}")
        if self.key_backend == "pkcs11" and not self.pkcs11_user_pin:
            raise ValueError("pkcs11_user_pin is required with key_backend=pkcs11")
        self.demo_login = resolve(self.demo_login, self.development)
        self.api_docs = resolve(self.api_docs, self.development)
        self.generate_pki = resolve(self.generate_pki, self.development)
        check_origins(self.cors_allow_origins, "LINTAS_ISSUER_CORS_ALLOW_ORIGINS", development=self.development)
        refuse_in_production(self.development, self.conveniences())
        if self.development:
            require_loopback_url(self.public_url, "LINTAS_ISSUER_PUBLIC_URL")
            for url in self.identifiers.values():
                require_loopback_url(url, "LINTAS_ISSUER_IDENTIFIERS")
            for url in self.federation_authority_hints:
                require_loopback_url(url, "LINTAS_ISSUER_FEDERATION_AUTHORITY_HINTS")
        self._check_trust_mark_endpoint()
        return self

    def _check_trust_mark_endpoint(self) -> None:
        """A mark is carried in a configuration, so the endpoint needs superiors; https (loopback in development)."""
        check_trust_mark_endpoint(
            self.federation_trust_mark_endpoint, self.federation_authority_hints, self.development
        )

    def conveniences(self) -> list[Convenience]:
        """The demo conveniences of this issuer and whether each is on."""
        return [
            Convenience("demo national login", "LINTAS_ISSUER_DEMO_LOGIN", bool(self.demo_login)),
            Convenience("self-generated PKI", "LINTAS_ISSUER_GENERATE_PKI", bool(self.generate_pki)),
            Convenience("public /docs and /openapi.json", "LINTAS_ISSUER_API_DOCS", bool(self.api_docs)),
        ]
