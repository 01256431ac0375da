"""A Credential Issuer served by this process, with everything it publishes.

Builds, per tenant: the credential configuration (OpenID4VCI 1.0 Appendix A.3.2) and, for a PID
tenant with an mdoc Document Signer, its ``mso_mdoc`` configurations (Appendix A.2.2), Credential
Issuer Metadata (Section 12.2.4) whose ``credential_issuer`` equals the identifier the
well-known URL is derived from (Section 12.2.2), Authorization Server metadata (RFC 8414), and
the SD-JWT VC Type Metadata bytes with their ``vct#integrity`` (SD-JWT VC Section 7).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from idcore.jose import sign_compact
from idcore.mdoc.cose import ALG_BY_NAME
from idcore.oid4vci.metadata import (
    CredentialType,
    authorization_server_metadata,
    credential_configuration,
    integrity,
    issuer_metadata,
    mdoc_credential_configuration,
    sd_paths,
    type_metadata_bytes,
)
from issuer.authz import TenantAuthorizationServer
from issuer.catalog import CountryInfo, TenantSpec
from issuer.keys import MdocKeys, TenantKeys
from issuer.types_business import BUSINESS_TYPE, MANDATE_TYPE
from issuer.types_mdoc import MdocConfiguration
from issuer.types_pid import PID_TYPE

__all__ = ["CONFIGURATIONS", "PROOF_ALGS", "Tenant"]

SIGNED_METADATA_TYP = "openidvci-issuer-metadata+jwt"

#: Key proof and DPoP algorithms accepted from wallets (HAIP: ES256).
PROOF_ALGS = ("ES256",)
#: kind -> (credential configuration id, scope, type)
CONFIGURATIONS: dict[str, tuple[str, str, CredentialType]] = {
    "pid": ("asean_pid_sd_jwt", "asean_pid", PID_TYPE),
    "business": ("asean_business_registration_sd_jwt", "asean_business_registration", BUSINESS_TYPE),
    "mandate": ("asean_mandate_sd_jwt", "asean_mandate", MANDATE_TYPE),
}


def credential_type_for(kind: str) -> CredentialType:
    """The SD-JWT VC type a tenant of ``kind`` issues."""
    return CONFIGURATIONS[kind][2]


@dataclass
class Tenant:
    """One Credential Issuer: identity, keys, published documents and its Authorization Server."""

    spec: TenantSpec
    country: CountryInfo
    keys: TenantKeys
    authz: TenantAuthorizationServer
    batch_size: int
    require_par: bool
    configuration_id: str = ""
    scope: str = ""
    ctype: CredentialType = PID_TYPE
    type_metadata: bytes = b""
    vct_integrity: str = ""
    sd_paths: list[Any] = field(default_factory=list)
    mdoc_keys: MdocKeys | None = None
    #: configuration id -> its ``mso_mdoc`` configuration (empty without ``mdoc_keys``).
    mdoc: dict[str, MdocConfiguration] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.configuration_id, self.scope, self.ctype = CONFIGURATIONS[self.spec.kind]
        self.type_metadata = type_metadata_bytes(self.ctype)
        self.vct_integrity = integrity(self.type_metadata)
        self.sd_paths = sd_paths(self.ctype)
        if self.mdoc_keys is None:
            self.mdoc = {}

    @property
    def configuration_ids(self) -> tuple[str, ...]:
        """Every configuration this tenant offers, the SD-JWT VC one first."""
        return (self.configuration_id, *self.mdoc)

    @property
    def scopes(self) -> dict[str, str]:
        """scope -> credential configuration id (HAIP: one scope per configuration)."""
        return {self.scope: self.configuration_id, **{c.scope: c.configuration_id for c in self.mdoc.values()}}

    @property
    def identifier(self) -> str:
        """The Credential Issuer Identifier (also ``iss`` of its credentials and its AS issuer)."""
        return self.spec.identifier

    def url(self, suffix: str) -> str:
        """An absolute URL under the identifier."""
        return f"{self.identifier}{suffix}"

    def status_list_uri(self, list_id: str) -> str:
        """The ``uri`` of a status list (its token's ``sub``)."""
        return self.url(f"/status-lists/{list_id}")

    def issuer_metadata(self) -> dict[str, Any]:
        """Credential Issuer Metadata (Section 12.2.4)."""
        configuration = credential_configuration(
            self.ctype, scope=self.scope, signing_algs=[self.keys.signer.alg], proof_algs=PROOF_ALGS
        )
        configurations = {self.configuration_id: configuration}
        if self.mdoc_keys is not None:
            cose_alg = ALG_BY_NAME[self.mdoc_keys.signer.alg]
            for config_id, mdoc in self.mdoc.items():
                configurations[config_id] = mdoc_credential_configuration(
                    mdoc.mtype, scope=mdoc.scope, signing_algs=[cose_alg], proof_algs=PROOF_ALGS
                )
        display = [{"name": name, "locale": locale} for locale, name in self.spec.names.items()]
        return issuer_metadata(
            self.identifier,
            configurations=configurations,
            display=display,
            batch_size=self.batch_size,
            authorization_servers=[self.identifier],
        )

    def signed_issuer_metadata(self, now: int) -> str:
        """Signed Credential Issuer Metadata (Section 12.2.3): ``openidvci-issuer-metadata+jwt`` with ``x5c``.

        Signed by the document signer, so a wallet authenticates the issuer through the national
        root listed in the trust registry (HAIP Section 4.1 "Issuer Metadata"); valid one day.
        """
        claims = {
            **self.issuer_metadata(),
            "sub": self.identifier,
            "iss": self.identifier,
            "iat": now,
            "exp": now + 86400,
        }
        header = {"typ": SIGNED_METADATA_TYP, "x5c": self.keys.x5c}
        return sign_compact(header, claims, self.keys.signer)

    def as_metadata(self) -> dict[str, Any]:
        """OAuth Authorization Server Metadata (RFC 8414)."""
        return authorization_server_metadata(
            self.identifier, scopes=list(self.scopes), dpop_algs=PROOF_ALGS, require_par=self.require_par
        )
