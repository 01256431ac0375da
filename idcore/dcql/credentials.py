"""The credentials DCQL is evaluated against: OpenID4VP 1.0 Sections 6.4 and 8.6.

:class:`WalletCredential` is what a Wallet holds, seen through the eyes of DCQL (Section 6.4):
format, type (``vct`` for ``dc+sd-jwt``, Appendix B.3; ``doctype`` for ``mso_mdoc``, B.2),
whether it supports Cryptographic Holder Binding, and its claims (the processed SD-JWT
payload with every Disclosure applied, or the mdoc namespaces with values converted to JSON).

:class:`PresentedCredential` is what a Verifier has *after* verifying a Presentation (Section 8.6
"VP Token Validation"): only the disclosed claims, and whether the Holder Binding proof was
actually verified, not whether the Wallet claimed one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from idcore.dcql.model import FORMAT_MSO_MDOC, FORMAT_SD_JWT_VC
from idcore.errors import DcqlError, Reason

__all__ = ["PresentedCredential", "WalletCredential"]


def _malformed(detail: str) -> DcqlError:
    return DcqlError(Reason.MALFORMED, detail)


def _type_and_claims(raw: Mapping[str, Any]) -> tuple[str, str, Mapping[str, Any]]:
    """Return ``(format, vct-or-doctype, claims-or-namespaces)`` of a credential dict."""
    fmt = raw.get("format")
    if fmt == FORMAT_SD_JWT_VC:
        vct, claims = raw.get("vct"), raw.get("claims")
        if not isinstance(vct, str) or not vct or not isinstance(claims, Mapping):
            raise _malformed("dc+sd-jwt credential needs a string vct and a claims object")
        if "vct" in claims and claims["vct"] != vct:
            raise _malformed("vct differs from the vct claim")
        return fmt, vct, claims
    if fmt == FORMAT_MSO_MDOC:
        doctype, namespaces = raw.get("doctype"), raw.get("namespaces")
        if not isinstance(doctype, str) or not doctype or not isinstance(namespaces, Mapping):
            raise _malformed("mso_mdoc credential needs a string doctype and a namespaces object")
        if not all(isinstance(elements, Mapping) for elements in namespaces.values()):
            raise _malformed("every mdoc namespace must be an object of data elements")
        return fmt, doctype, namespaces
    raise _malformed("credential format must be dc+sd-jwt or mso_mdoc")


@dataclass(frozen=True, slots=True)
class WalletCredential:
    """A credential in the Wallet, as DCQL matching sees it.

    ``credential_type`` is the ``vct`` (dc+sd-jwt) or the ``doctype`` (mso_mdoc); ``claims`` is
    the processed payload (dc+sd-jwt) or ``{namespace: {element: value}}`` (mso_mdoc).
    ``authority_key_identifiers`` are the base64url AKIs of the issuer's X.509 chain, used for
    ``trusted_authorities`` of type ``aki`` (Section 6.1.1.1); ``None`` when the chain is unknown.
    """

    format: str
    credential_type: str
    cryptographic_holder_binding: bool
    claims: Mapping[str, Any]
    authority_key_identifiers: frozenset[str] | None = None

    @classmethod
    def from_dict(cls, raw: Any) -> WalletCredential:
        """Build from ``{"format","vct","cryptographic_holder_binding","claims"}`` (dc+sd-jwt) or
        ``{"format","doctype","cryptographic_holder_binding","namespaces"}`` (mso_mdoc).

        An optional ``authority_key_identifiers`` array of strings is accepted. Raises
        ``DcqlError(Reason.MALFORMED)`` for any other shape.
        """
        if not isinstance(raw, Mapping):
            raise _malformed("credential must be an object")
        fmt, credential_type, claims = _type_and_claims(raw)
        binding = raw.get("cryptographic_holder_binding")
        if not isinstance(binding, bool):
            raise _malformed("cryptographic_holder_binding must be a boolean")
        akis = raw.get("authority_key_identifiers")
        if akis is not None and (not isinstance(akis, list) or not all(isinstance(a, str) for a in akis)):
            raise _malformed("authority_key_identifiers must be an array of strings")
        return cls(
            format=fmt,
            credential_type=credential_type,
            cryptographic_holder_binding=binding,
            claims=claims,
            authority_key_identifiers=None if akis is None else frozenset(akis),
        )


@dataclass(frozen=True, slots=True)
class PresentedCredential:
    """A verified Presentation the Verifier received for one Credential Query.

    ``credential_type`` is the verified ``vct`` (dc+sd-jwt) or ``doctype`` (mso_mdoc);
    ``claims`` holds only what was disclosed (processed SD-JWT payload, or
    ``{namespace: {element: value}}``); ``holder_binding_verified`` is true only when the
    Key Binding JWT / DeviceAuth was checked against the credential's key, nonce and audience.
    """

    format: str
    credential_type: str
    claims: Mapping[str, Any]
    holder_binding_verified: bool
