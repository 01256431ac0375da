"""Configuration of the verifier (pydantic-settings, environment prefix ``LINTAS_VERIFIER_``).

``REDIS_URL`` is honoured as well as ``LINTAS_VERIFIER_REDIS_URL``: set, sessions, nonces, request
objects, results and rate-limit counters live in Redis and replicas share them; unset, in the
embedded store under the data directory (the one-machine demo). Outside ``development`` the
public URL must be https and unsigned (``redirect_uri``) requests and plain-http status lists
on loopback are refused.

List settings (``CORS_ALLOW_ORIGINS``, ``REGISTRY_PIN_SHA256``) accept a JSON array or a comma
list, so ``LINTAS_VERIFIER_REGISTRY_PIN_SHA256=<current>,<next>`` pins two registry certificates
during a key rollover.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from idcore.errors import TrustError
from idcore.trust.checkpoint import CheckpointVerifier
from idcore.trust.model import check_identifier
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

__all__ = ["DEFAULT_CONFIG", "VerifierSettings"]

DEFAULT_CONFIG = Path(__file__).parent / "demo_config.json"
_PIN = re.compile(r"[0-9a-f]{64}")
#: Longest trust mark type accepted in ``federation_required_trust_marks`` (a URL).
_MAX_MARK_TYPE = 512


class VerifierSettings(BaseSettings):
    """Everything the verifier needs to start; passed to :func:`verifier.app.create_app`."""

    model_config = SettingsConfigDict(env_prefix="LINTAS_VERIFIER_", extra="ignore", populate_by_name=True)

    #: Access certificate and keys, the demo relying-party CA, client secrets, the embedded store.
    data_dir: Path = Path("data/verifier")
    #: Redis URL (Sentinel and Cluster URLs accepted); unset: the embedded store.
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("redis_url", "LINTAS_VERIFIER_REDIS_URL", "REDIS_URL")
    )
    #: Base URL wallets and relying parties use; its host is the ``x509_san_dns`` name.
    public_url: str = "http://localhost:8400"
    #: Relying parties and policies (JSON); the demo file by default.
    config_file: Path = DEFAULT_CONFIG
    #: Demo conveniences, off by default: http on loopback, unsigned ``redirect_uri`` requests,
    #: status lists over http on loopback. ``lintas verifier`` turns it on only for a loopback URL.
    #: Read from the shared ``LINTAS_MODE`` (development|production, :mod:`lintas.devmode`).
    development: DevelopmentFlag = mode_field()
    #: Public ``/docs``, ``/redoc`` and ``/openapi.json``. Default: development only.
    api_docs: bool | None = None
    #: Issue the access certificate from a locally generated relying-party CA when none is in the data
    #: directory. Default: development only; production starts only with ``access-cert.pem`` and ``rp-ca.pem``.
    generate_certificates: bool | None = None
    #: Trust registry: ``GET {registry_url}/v1/trust-list`` pinned to this certificate SHA-256 (hex).
    registry_url: str | None = None
    #: SHA-256 (hex) of the registry's list-signing certificates: the pins. Several during a rollover
    #: (current and next); a list signed under any one of them is accepted.
    registry_pin_sha256: StrList = Field(default_factory=list)
    #: Keep the last good trust list this long past its ``next_update`` when the registry is down.
    trust_max_staleness: int = Field(default=3600, ge=0)
    #: The registry's list format: its own (``lintas``, ``/v1/trust-list``) or the ETSI TS 119 602 JSON
    #: binding (``etsi``, ``/v1/lote``); either is verified against the same pins and judged alike.
    trust_list_format: Literal["lintas", "etsi"] = "lintas"
    #: How issuers are trusted: the registry's signed list (``list``), OpenID Federation 1.0 chains to one
    #: pinned trust anchor (``federation``), or either (``both``: a suspension or withdrawal on the list wins).
    #: The list's reason codes in every mode; a chain is judged now, so a suspended issuer's earlier credentials
    #: fail through the federation (``untrusted_issuer``) while the list still accepts them.
    trust_mode: Literal["list", "federation", "both"] = "list"
    #: Entity identifier of the federation's trust anchor (the ASEAN registry's public URL).
    federation_trust_anchor: str | None = None
    #: The trust anchor's JWK Set, obtained out of band: a JSON value, or ``federation_trust_anchor_jwks_file``.
    federation_trust_anchor_jwks: str | None = None
    #: A file holding the trust anchor's JWK Set (JSON), instead of the value.
    federation_trust_anchor_jwks_file: Path | None = None
    #: Longest a resolved trust chain is reused (seconds), whatever its ``exp`` allows: a withdrawn
    #: subordinate statement stops trust within this window (0: resolve every time).
    federation_max_cache: int = Field(default=300, ge=0, le=86400)
    #: Trust mark types (OpenID Federation 1.0 section "Trust Marks") an issuer's entity configuration must
    #: carry, each valid and issued by an issuer the anchor names, e.g. the registry's recognised-PID-issuer mark;
    #: refused otherwise with ``trust_mark_missing``. Federation and both modes only (in both, the federation path).
    federation_required_trust_marks: StrList = Field(default_factory=list, max_length=8)
    #: Time budget of one trust-chain resolution (seconds): all its fetches together (at most five statements).
    federation_timeout: float = Field(default=3.0, gt=0, le=30)
    #: OpenID Federation 1.0 leaf entity: entity ids of this verifier's immediate superiors (the member state's
    #: intermediate, e.g. ``https://registry.example/federation/TH``); unset: no entity configuration is served.
    federation_authority_hints: StrList = Field(default_factory=list, max_length=4)
    #: Lifetime (exp - iat) of the verifier's entity configuration (seconds); it is re-signed after half of it.
    federation_entity_ttl: int = Field(default=3600, ge=60, le=86400)
    #: The registry's trust mark endpoint (``<registry>/federation/trust-mark``): the verifier fetches its
    #: "registered relying party" mark there and carries it in its entity configuration; unset: no mark.
    federation_trust_mark_endpoint: str | None = None
    #: The registry's audit-log checkpoint key (C2SP signed-note verifier key, ``name+keyid+base64``,
    #: from ``GET /v1/audit-log/checkpoint-key`` or the registry operator, out of band). Set: a list
    #: is used only when the registry's transparency log proves it was logged, in a checkpoint
    #: consistent with the last one this process saw (issue #16 item 3). Needs the ``lintas`` format.
    audit_checkpoint_key: str | None = None
    #: Default client identifier prefix for new requests (``x509_hash`` is HAIP's).
    client_id_prefix: str = "x509_hash"
    #: URL scheme of the links handed to wallets.
    wallet_scheme: str = "openid4vp"
    #: Seconds a transaction waits for its response; results are kept ``result_ttl`` more.
    transaction_ttl: int = Field(default=600, ge=30)
    #: How long verified claims wait for the relying party's first fetch, which deletes them (seconds);
    #: the outcome without claims (status, check, reason) is kept as long.
    result_ttl: int = Field(default=600, ge=60, le=86400)
    #: exp - iat of signed request objects (seconds).
    request_object_lifetime: int = Field(default=300, ge=30)
    #: Accepted age of a KB-JWT ``iat`` and the clock skew tolerated everywhere.
    kb_max_age: int = Field(default=300, ge=10)
    #: Clock skew tolerated on exp/nbf/iat (seconds).
    max_skew: int = Field(default=60, ge=0, le=600)
    #: One deadline for all the status-list fetches of one verification (seconds).
    status_timeout: float = Field(default=3.0, gt=0, le=30)
    #: Largest status list token accepted (bytes).
    status_max_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    #: Longest a status list is cached, whatever its ttl says (seconds): a revocation is seen within this window.
    status_max_cache: int = Field(default=60, ge=0, le=3600)
    #: Let policies (and ad-hoc queries) turn holder binding off. Off: every presentation must carry a
    #: Key Binding JWT (RFC 9901 Section 4.3); turning it on is logged as a warning at start-up.
    allow_unbound_presentations: bool = False
    #: Wallet-facing requests (Request URI, Response URI) per client address per minute, shared by replicas.
    wallet_rate_limit_per_minute: int = Field(default=1200, ge=1)
    #: Relying-party API requests per client per minute (shared across replicas through the store).
    rate_limit_per_minute: int = Field(default=600, ge=1)
    #: Also accept issuer keys from JWT VC Issuer Metadata (https only) when a credential has no ``x5c``.
    issuer_metadata: bool = False
    #: Largest JWT VC Issuer Metadata document accepted (bytes).
    metadata_max_bytes: int = Field(default=256 * 1024, ge=1024)
    #: Lifetime of relying-party access tokens (seconds).
    token_ttl: int = Field(default=600, ge=30)
    #: Origins of browser wallets allowed to call this service (CORS); empty: none.
    cors_allow_origins: StrList = Field(default_factory=list)
    #: Organisation and ISO 3166-1 alpha-2 country named in a *generated* (development) certificate;
    #: a production certificate comes from your CA and names you. ``XX`` (unknown) until set.
    operator_name: str = Field(default="Lintas demo verifier", min_length=1, max_length=64)
    #: ISO 3166-1 alpha-2 country of the operator, in a generated (development) certificate only.
    operator_country: str = Field(default="XX", pattern=r"^[A-Z]{2}$")
    #: Serve TLS directly: the PEM certificate chain; unset: plain http behind a TLS-terminating proxy.
    tls_certfile: Path | None = None
    #: The TLS certificate's private key (PEM, readable by the service only).
    tls_keyfile: Path | None = None
    #: Addresses of the reverse proxies whose ``X-Forwarded-For``/``-Proto`` are believed (uvicorn's
    #: ``forwarded_allow_ips``); empty: none, the peer address is the client (rate limits count it).
    trusted_proxies: StrList = Field(default_factory=list)
    #: Bearer token for the operations and admin endpoints (``/metrics``, ``/docs``, ``/v1/admin``).
    #: Unset: ``/metrics`` is public in development only, and the admin API is off.
    admin_token: SecretStr | None = None
    #: Where the request-signing key ("access") lives: ``file`` (``keys/access.pem`` in the data
    #: directory) or ``pkcs11`` (a non-extractable key labelled ``access`` on an HSM token, made with
    #: ``lintas keys generate access --pkcs11-library ...``).
    key_backend: Literal["file", "pkcs11"] = "file"
    #: PKCS#11 module of the HSM holding the request-signing key (``key_backend=pkcs11``).
    pkcs11_library: str = "/usr/lib/softhsm/libsofthsm2.so"
    #: Label of the token holding the request-signing key.
    pkcs11_token_label: str = "lintas"  # noqa: S105 - a token label, not a secret
    #: The token's user PIN (secret: give it from a secret store, never on the command line).
    pkcs11_user_pin: SecretStr | None = None
    #: Validity of the generated access certificate (days).
    certificate_days: int = Field(default=365, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _no_stale_switch(cls, data: Any) -> Any:
        refuse_stale_variables("LINTAS_VERIFIER_")  # before the fields: the old switch is refused, never half-read
        return data

    @model_validator(mode="after")
    def _check(self) -> Self:
        parts = urlsplit(self.public_url)
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.path not in ("", "/"):
            raise ValueError("public_url must be an absolute base URL without a path")
        if parts.scheme == "http" and not (self.development and parts.hostname in ("localhost", "127.0.0.1")):
            raise ValueError("public_url must be https outside development on loopback")
        if self.client_id_prefix not in ("x509_hash", "x509_san_dns", "redirect_uri"):
            raise ValueError("client_id_prefix must be x509_hash, x509_san_dns or redirect_uri")
        if self.client_id_prefix == "redirect_uri" and not self.development:
            raise ValueError(
                "unsigned redirect_uri requests are for development only: set LINTAS_VERIFIER_"
                "CLIENT_ID_PREFIX to x509_hash or x509_san_dns, or LINTAS_MODE=development"
            )
        if (self.registry_url is None) != (not self.registry_pin_sha256):
            raise ValueError("registry_url and registry_pin_sha256 go together")
        self.registry_pin_sha256 = [p.lower() for p in self.registry_pin_sha256]
        bad = [p for p in self.registry_pin_sha256 if not _PIN.fullmatch(p)]
        if bad:
            raise ValueError(
                f"registry_pin_sha256: {bad[0]!r} is not a SHA-256 in hex (64 characters): "
                "take it from the registry's pin.txt or `openssl x509 -outform der | sha256sum`"
            )
        for proxy in self.trusted_proxies:  # addresses or networks; '*' would let anyone spoof the client address
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"trusted_proxies: {proxy!r} is not an IP address or network") from None
        if self.key_backend == "pkcs11" and not self.pkcs11_user_pin:
            raise ValueError("key_backend=pkcs11 needs LINTAS_VERIFIER_PKCS11_USER_PIN (the token's user PIN)")
        if (self.tls_certfile is None) != (self.tls_keyfile is None):
            raise ValueError("tls_certfile and tls_keyfile go together")
        if self.admin_token is not None and len(self.admin_token.get_secret_value()) < 32:
            raise ValueError("admin_token must be at least 32 characters (e.g. `openssl rand -base64 32`)")
        self._check_federation()
        self._check_leaf_entity()
        self._check_audit_log()
        self._check_mode()
        return self

    def _check_federation(self) -> None:
        """Federation needs an anchor and its keys; the list needs the registry; no setting is silently unused."""
        anchor_set = self.federation_trust_anchor is not None
        keys_given = [self.federation_trust_anchor_jwks is not None, self.federation_trust_anchor_jwks_file is not None]
        if self.trust_mode == "list":
            if anchor_set or any(keys_given):
                raise ValueError("federation_trust_anchor is set but trust_mode is list: set trust_mode")
            if self.federation_required_trust_marks:
                raise ValueError("federation_required_trust_marks is set but trust_mode is list: set trust_mode")
            return
        self._check_required_marks()
        if not anchor_set or sum(keys_given) != 1:
            raise ValueError(
                f"trust_mode={self.trust_mode} needs federation_trust_anchor and its keys "
                "(federation_trust_anchor_jwks or federation_trust_anchor_jwks_file, one of them)"
            )
        if self.trust_mode == "both" and self.registry_url is None:
            raise ValueError("trust_mode=both needs the registry (registry_url and registry_pin_sha256) too")
        anchor = str(self.federation_trust_anchor).rstrip("/")
        parts = urlsplit(anchor)
        loopback = self.development and parts.hostname in ("localhost", "127.0.0.1")
        if not parts.hostname or parts.query or parts.fragment or (parts.scheme != "https" and not loopback):
            raise ValueError("federation_trust_anchor must be an https URL (http on loopback in development only)")
        if self.development:
            require_loopback_url(anchor, "LINTAS_VERIFIER_FEDERATION_TRUST_ANCHOR")
        self.federation_trust_anchor = anchor

    def _check_required_marks(self) -> None:
        """Mark types are absolute URIs (as every type the federation defines), each named once."""
        marks = self.federation_required_trust_marks
        for mark in marks:
            parts = urlsplit(mark)
            if parts.scheme not in ("https", "http") or not parts.netloc or len(mark) > _MAX_MARK_TYPE or " " in mark:
                raise ValueError(f"federation_required_trust_marks: {mark[:80]!r} is not a trust mark type (a URL)")
        if len(set(marks)) != len(marks):
            raise ValueError("federation_required_trust_marks names a type twice")

    def _check_leaf_entity(self) -> None:
        """Superiors are entity identifiers (loopback in development); a mark endpoint needs superiors."""
        for url in self.federation_authority_hints:
            try:
                check_identifier(url.rstrip("/"), allow_loopback_http=self.development)
            except TrustError as exc:
                raise ValueError(f"federation_authority_hints: {exc.detail}") from None
            if self.development:
                require_loopback_url(url, "LINTAS_VERIFIER_FEDERATION_AUTHORITY_HINTS")
        self.federation_authority_hints = [url.rstrip("/") for url in self.federation_authority_hints]
        check_trust_mark_endpoint(
            self.federation_trust_mark_endpoint, self.federation_authority_hints, self.development
        )

    def _check_audit_log(self) -> None:
        """The checkpoint key parses, names a registry, and the list format is the one the log hashes."""
        if self.audit_checkpoint_key is None:
            return
        if self.registry_url is None:
            raise ValueError("audit_checkpoint_key needs registry_url and registry_pin_sha256")
        if self.trust_list_format != "lintas":
            raise ValueError("audit_checkpoint_key needs trust_list_format=lintas: the log records the list's hash")
        try:
            CheckpointVerifier(self.audit_checkpoint_key)
        except (TrustError, ValueError):
            raise ValueError(
                "audit_checkpoint_key is not a signed-note verifier key: copy it from the "
                "registry's /v1/audit-log/checkpoint-key (name+keyid+base64)"
            ) from None

    def _check_mode(self) -> None:
        """The shared mode rules (lintas.devmode): loopback only in development, no conveniences in production."""
        self.api_docs = resolve(self.api_docs, self.development)
        self.generate_certificates = resolve(self.generate_certificates, self.development)
        check_origins(self.cors_allow_origins, "LINTAS_VERIFIER_CORS_ALLOW_ORIGINS", development=self.development)
        refuse_in_production(self.development, self.conveniences())
        if self.development:
            require_loopback_url(self.public_url, "LINTAS_VERIFIER_PUBLIC_URL")

    def conveniences(self) -> list[Convenience]:
        """The demo conveniences of the verifier and whether each is on."""
        return [
            Convenience(
                "unsigned redirect_uri requests",
                "LINTAS_VERIFIER_CLIENT_ID_PREFIX",
                self.client_id_prefix == "redirect_uri",
            ),
            Convenience("public /docs and /openapi.json", "LINTAS_VERIFIER_API_DOCS", bool(self.api_docs)),
            Convenience(
                "self-generated certificates", "LINTAS_VERIFIER_GENERATE_CERTIFICATES", bool(self.generate_certificates)
            ),
        ]

    def require_certificates(self) -> None:
        """Without ``generate_certificates``, the access certificate and relying-party CA must be provisioned."""
        if self.generate_certificates:
            return
        missing = [n for n in ("access-cert.pem", "rp-ca.pem") if not (self.data_dir / n).is_file()]
        if missing:
            raise ValueError(
                f"no {' or '.join(missing)} in {self.data_dir}: provision them (a self-generated "
                "PKI, LINTAS_VERIFIER_GENERATE_CERTIFICATES, is for development only)"
            )

    @property
    def https(self) -> bool:
        """Whether wallets and relying parties reach this verifier over https (then HSTS is sent)."""
        return self.public_url.startswith("https://")

    @property
    def base_url(self) -> str:
        """``public_url`` without a trailing slash."""
        return self.public_url.rstrip("/")

    @property
    def dns_name(self) -> str:
        """The host of ``public_url``: the access certificate's dNSName and ``x509_san_dns`` value."""
        return urlsplit(self.public_url).hostname or "localhost"
