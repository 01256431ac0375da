"""What a national issuer process offers: its Credential Issuers ("tenants") and their names.

The trust registry's governance seed (``trust_registry/seed/asean.json``, read as data) is the
one source of country names, issuer names in English and the local language, slugs and the
``vct`` values each issuer is authorised for, so issuer and registry never disagree. A country
gets a PID issuer (slug ``<cc>-pid``) and, where the seed lists them, a business-registration
issuer (``<cc>-business``) and a mandate issuer (``<cc>-mandate``, the registry that knows who
may act for a business).

Each tenant is a full OpenID4VCI Credential Issuer (Section 12.2.1): its identifier may carry a
path, and its endpoints live under that path on this process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from idcore.oid4vci.metadata import CredentialType
from idcore.trust.vct import VCT_BUSINESS_REGISTRATION, VCT_MANDATE, VCT_PID
from issuer.settings import IssuerSettings
from issuer.types_business import BUSINESS_TYPE, MANDATE_TYPE
from issuer.types_pid import PID_TYPE

__all__ = ["CREDENTIAL_TYPES", "GENERATED_BY", "CountryInfo", "TenantSpec", "load_country"]

#: Every credential type of the scheme. Each issuer process serves the Type Metadata of all of
#: them at the path of their ``vct`` URL (draft-ietf-oauth-sd-jwt-vc Section 8.3.1), so the
#: ``vct`` host can route ``/vct/`` to any issuer and every copy is byte-identical.
CREDENTIAL_TYPES: tuple[CredentialType, ...] = (PID_TYPE, BUSINESS_TYPE, MANDATE_TYPE)
#: The tenant kind of an issuer authorised for a vct, first match wins.
_KINDS = ((VCT_PID, "pid"), (VCT_BUSINESS_REGISTRATION, "business"), (VCT_MANDATE, "mandate"))

#: Marks ``issuer.json`` files the issuer wrote itself (standalone PKI), as opposed to the registry's.
GENERATED_BY = "lintas-issuer"


@dataclass(frozen=True, slots=True)
class TenantSpec:
    """One Credential Issuer served by this process."""

    slug: str
    kind: str  # "pid", "business" or "mandate"
    identifier: str
    names: dict[str, str]
    vcts: tuple[str, ...]

    @property
    def path(self) -> str:
        """The URL path of the identifier ("" for a bare origin), where the tenant's routes live."""
        return urlsplit(self.identifier).path.rstrip("/")


@dataclass(frozen=True, slots=True)
class CountryInfo:
    """A member state as the seed describes it, with the tenants this process serves."""

    code: str
    names: dict[str, str]
    root_common_name: str
    root_organization: str
    tenants: tuple[TenantSpec, ...]

    @property
    def local_locale(self) -> str:
        """The first non-English locale of the country's names (its local language)."""
        return next((loc for loc in self.names if loc != "en"), "en")


def _registry_identifier(data_dir: Path, slug: str) -> str | None:
    # The registry writes issuer.json beside the document-signer key (trust_registry.pki).
    path = data_dir / "issuers" / slug / "issuer.json"
    if not path.is_file():
        return None
    doc = json.loads(path.read_text(encoding="utf-8"))
    if doc.get("generated_by") == GENERATED_BY:
        return None  # written by a standalone issuer run, not by the registry: not authoritative
    value = doc.get("id")
    return value if isinstance(value, str) else None


def _identifier(settings: IssuerSettings, slug: str, kind: str) -> str:
    if slug in settings.identifiers:
        return settings.identifiers[slug].rstrip("/")
    from_registry = _registry_identifier(settings.data_dir, slug)
    if from_registry is not None:
        return from_registry.rstrip("/")
    suffix = f"/{settings.country.lower()}" + ("" if kind == "pid" else f"/{kind}")
    return settings.public_url + suffix


def _check_served_here(settings: IssuerSettings, identifier: str) -> None:
    mine, theirs = urlsplit(settings.public_url), urlsplit(identifier)
    if (mine.scheme, mine.netloc) != (theirs.scheme, theirs.netloc) or not theirs.path.startswith(mine.path):
        raise ValueError(f"issuer identifier {identifier} is not served under public_url {settings.public_url}")


def load_country(settings: IssuerSettings) -> CountryInfo:
    """Read the seed entry of ``settings.country`` and resolve its tenants' identifiers."""
    doc: dict[str, Any] = json.loads(settings.registry_seed.read_text(encoding="utf-8"))
    entry = next((c for c in doc.get("countries", []) if c.get("code") == settings.country), None)
    if entry is None:
        raise ValueError(f"the registry seed has no country {settings.country}")
    tenants = []
    for spec in entry.get("issuers", []):
        vcts = tuple(spec.get("vcts", []))
        kind = next((k for vct, k in _KINDS if vct in vcts), None)
        if kind is None:
            continue
        identifier = _identifier(settings, spec["slug"], kind)
        _check_served_here(settings, identifier)
        tenants.append(TenantSpec(spec["slug"], kind, identifier, dict(spec["names"]), vcts))
    paths = [t.path for t in tenants]
    if len(set(paths)) != len(paths):
        raise ValueError("two issuers of this process share one identifier")
    root = entry.get("root", {})
    return CountryInfo(
        settings.country,
        dict(entry["names"]),
        str(root.get("common_name", f"{settings.country} Root CA")),
        str(root.get("organization", settings.country)),
        tuple(tenants),
    )
