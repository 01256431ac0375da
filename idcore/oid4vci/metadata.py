"""Metadata documents an OpenID4VCI issuer publishes, built from one credential type definition.

* SD-JWT VC Type Metadata (draft-ietf-oauth-sd-jwt-vc Sections 6.2 "Type Metadata Format",
  6.5 "Display Metadata", 6.6 "Claim Metadata" with ``display``/``mandatory``/``sd``) from a
  :class:`CredentialType`; ``sd: always`` claims become the issuance ``sd_paths`` (:func:`sd_paths`).
* "Integrity of Referenced Documents" (Section 7): :func:`integrity` gives the W3C SRI string
  ``sha256-<base64>`` of the exact served octets, used as ``vct#integrity``.
* Credential Issuer Metadata (OpenID4VCI 1.0 Section 12.2.4) and the ``dc+sd-jwt``
  configuration (Appendix A.3.2): :func:`credential_configuration`, :func:`issuer_metadata`.
* The ``mso_mdoc`` configuration (Appendix A.2.2) from a :class:`MdocType`:
  :func:`mdoc_credential_configuration` (COSE alg ids, ``cose_key`` binding, claim paths
  ``[namespace, element]`` per Appendix B.2).
* OAuth Authorization Server Metadata (RFC 8414 Section 2, OpenID4VCI 1.0 Section 12.3):
  :func:`authorization_server_metadata`.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from idcore.b64 import json_dumps

__all__ = [
    "ClaimDefinition",
    "CredentialType",
    "MdocType",
    "authorization_server_metadata",
    "credential_configuration",
    "integrity",
    "issuer_metadata",
    "mdoc_credential_configuration",
    "sd_paths",
    "type_metadata_bytes",
]

ClaimPath = tuple[str | int | None, ...]


@dataclass(frozen=True, slots=True)
class ClaimDefinition:
    """One claim of a credential type: its path, labels per locale, disclosure and presence rules."""

    path: ClaimPath
    labels: Mapping[str, str]
    sd: Literal["always", "never"] = "always"
    mandatory: bool = False


@dataclass(frozen=True, slots=True)
class CredentialType:
    """An SD-JWT VC type: ``vct``, display names per locale and its claims."""

    vct: str
    names: Mapping[str, str]
    descriptions: Mapping[str, str]
    claims: Sequence[ClaimDefinition]
    background_color: str = "#12355b"
    text_color: str = "#ffffff"
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MdocType:
    """An ISO mdoc type: ``doctype``, display names per locale and its elements (paths ``(namespace, element)``)."""

    doctype: str
    names: Mapping[str, str]
    descriptions: Mapping[str, str]
    claims: Sequence[ClaimDefinition]
    background_color: str = "#12355b"
    text_color: str = "#ffffff"


def sd_paths(ctype: CredentialType) -> list[ClaimPath]:
    """Claim paths the Issuer MUST make selectively disclosable (``sd: always``)."""
    return [c.path for c in ctype.claims if c.sd == "always"]


def _claim_display(labels: Mapping[str, str], key: str) -> list[dict[str, str]]:
    return [{"locale": locale, key: label} for locale, label in labels.items()]


def type_metadata(ctype: CredentialType) -> dict[str, Any]:
    """The Type Metadata document (Section 6.2) for ``ctype``."""
    display = [
        {
            "locale": locale,
            "name": name,
            **({"description": ctype.descriptions[locale]} if locale in ctype.descriptions else {}),
            "rendering": {"simple": {"background_color": ctype.background_color, "text_color": ctype.text_color}},
        }
        for locale, name in ctype.names.items()
    ]
    claims = [
        {"path": list(c.path), "display": _claim_display(c.labels, "label"), "sd": c.sd, "mandatory": c.mandatory}
        for c in ctype.claims
    ]
    name = ctype.names.get("en", next(iter(ctype.names.values()), ctype.vct))
    return {"vct": ctype.vct, "name": name, "display": display, "claims": claims, **ctype.extra}


def type_metadata_bytes(ctype: CredentialType) -> bytes:
    """The exact octets served for the type metadata; ``vct#integrity`` is computed over them."""
    return json_dumps(type_metadata(ctype))


def integrity(document: bytes) -> str:
    """W3C SRI integrity metadata ``sha256-<base64>`` of ``document`` (SD-JWT VC Section 7)."""
    return "sha256-" + base64.b64encode(hashlib.sha256(document).digest()).decode("ascii")


def credential_configuration(
    ctype: CredentialType,
    *,
    scope: str,
    signing_algs: Sequence[str],
    proof_algs: Sequence[str],
) -> dict[str, Any]:
    """A ``dc+sd-jwt`` entry of ``credential_configurations_supported`` (Section 12.2.4, A.3.2)."""
    display = [
        {
            "name": name,
            "locale": locale,
            "background_color": ctype.background_color,
            "text_color": ctype.text_color,
            **({"description": ctype.descriptions[locale]} if locale in ctype.descriptions else {}),
        }
        for locale, name in ctype.names.items()
    ]
    claims = [
        {"path": list(c.path), "mandatory": c.mandatory, "display": _claim_display(c.labels, "name")}
        for c in ctype.claims
    ]
    return {
        "format": "dc+sd-jwt",
        "scope": scope,
        "vct": ctype.vct,
        "cryptographic_binding_methods_supported": ["jwk"],
        "credential_signing_alg_values_supported": list(signing_algs),
        "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": list(proof_algs)}},
        "credential_metadata": {"display": display, "claims": claims},
    }


def _display(ctype: CredentialType | MdocType) -> list[dict[str, str]]:
    return [
        {
            "name": name,
            "locale": locale,
            "background_color": ctype.background_color,
            "text_color": ctype.text_color,
            **({"description": ctype.descriptions[locale]} if locale in ctype.descriptions else {}),
        }
        for locale, name in ctype.names.items()
    ]


def mdoc_credential_configuration(
    mtype: MdocType, *, scope: str, signing_algs: Sequence[int], proof_algs: Sequence[str]
) -> dict[str, Any]:
    """An ``mso_mdoc`` entry of ``credential_configurations_supported`` (Section 12.2.4, Appendix A.2.2).

    ``credential_signing_alg_values_supported`` holds COSE algorithm identifiers (integers, A.2.2);
    the holder's device key is bound as a COSE_Key (``cose_key``); each claim path is
    ``[namespace, element]`` (Appendix B.2) with display names.
    """
    if not signing_algs or any(isinstance(a, bool) or not isinstance(a, int) for a in signing_algs):
        raise ValueError("mso_mdoc credential_signing_alg_values_supported must be COSE algorithm integers")
    for claim in mtype.claims:
        if len(claim.path) != 2 or not all(isinstance(p, str) and p for p in claim.path) or not claim.labels:
            raise ValueError(f"mdoc claim {claim.path!r} must be [namespace, element] with display labels")
    claims = [
        {"path": list(c.path), "mandatory": c.mandatory, "display": _claim_display(c.labels, "name")}
        for c in mtype.claims
    ]
    return {
        "format": "mso_mdoc",
        "scope": scope,
        "doctype": mtype.doctype,
        "cryptographic_binding_methods_supported": ["cose_key"],
        "credential_signing_alg_values_supported": list(signing_algs),
        "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": list(proof_algs)}},
        "credential_metadata": {"display": _display(mtype), "claims": claims},
    }


def issuer_metadata(
    credential_issuer: str,
    *,
    configurations: Mapping[str, Mapping[str, Any]],
    display: Sequence[Mapping[str, Any]],
    batch_size: int,
    authorization_servers: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Credential Issuer Metadata (Section 12.2.4); endpoints are under the issuer identifier."""
    base = credential_issuer.rstrip("/")
    metadata: dict[str, Any] = {
        "credential_issuer": credential_issuer,
        "credential_endpoint": f"{base}/credential",
        "nonce_endpoint": f"{base}/nonce",
        "notification_endpoint": f"{base}/notification",
        "display": [dict(d) for d in display],
        "credential_configurations_supported": {k: dict(v) for k, v in configurations.items()},
    }
    if authorization_servers:
        metadata["authorization_servers"] = list(authorization_servers)
    if batch_size >= 2:  # Section 12.2.4: batch_size MUST be 2 or greater when present
        metadata["batch_credential_issuance"] = {"batch_size": batch_size}
    return metadata


def authorization_server_metadata(
    issuer: str,
    *,
    scopes: Sequence[str],
    dpop_algs: Sequence[str],
    require_par: bool,
    anonymous_pre_authorized: bool = True,
) -> dict[str, Any]:
    """RFC 8414 metadata of the issuer's own Authorization Server (OpenID4VCI 1.0 Section 12.3)."""
    base = issuer.rstrip("/")
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{base}/authorize",
        "token_endpoint": f"{base}/token",
        "pushed_authorization_request_endpoint": f"{base}/par",
        "require_pushed_authorization_requests": require_par,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "urn:ietf:params:oauth:grant-type:pre-authorized_code"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": list(scopes),
        "dpop_signing_alg_values_supported": list(dpop_algs),
        "pre-authorized_grant_anonymous_access_supported": anonymous_pre_authorized,
        "authorization_response_iss_parameter_supported": True,
        "authorization_details_types_supported": ["openid_credential"],
    }
