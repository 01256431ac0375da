"""SD-JWT VC (draft-ietf-oauth-sd-jwt-vc): issuance and verification profile over :mod:`idcore.sdjwt`.

* Section 3.2.1 "JOSE Header": ``typ`` is ``dc+sd-jwt``; the pre-2024 ``vc+sd-jwt`` is
  accepted only when the caller sets ``accept_legacy_typ``.
* Section 3.2.2.3 "Registered JWT Claims": ``iss``, ``nbf``, ``exp``, ``cnf``, ``vct``,
  ``vct#integrity``, ``aka_vcts`` and ``status`` (and their sub-claims) must never be
  selectively disclosable: refused at issuance and at verification; ``vct`` is required.
* Section 3.4 "Verification and Processing" / 3.5 "Issuer Verification Key Discovery": the
  Issuer key comes from an ``x5c`` chain validated to trust anchors, or from JWT VC Issuer
  Metadata (Section 5) fetched through a resolver port — idcore does no network I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from idcore.errors import IdcoreError, Reason, SdJwtError, TrustError
from idcore.jwk import PublicKey, public_key_from_jwk
from idcore.ports import RandomSource, Signer
from idcore.sdjwt import (
    SD,
    IssuedSdJwt,
    IssuerKeyResolver,
    VerifiedSdJwt,
    VerifyOptions,
    issue_sd_jwt,
    mark_disclosable,
    verify_sd_jwt,
)

__all__ = [
    "LEGACY_TYP",
    "NEVER_DISCLOSABLE",
    "TYP",
    "MetadataKeyResolver",
    "VerifiedCredential",
    "check_never_disclosed",
    "issue_sd_jwt_vc",
    "jwt_vc_issuer_metadata_url",
    "verify_sd_jwt_vc",
]

TYP = "dc+sd-jwt"
LEGACY_TYP = "vc+sd-jwt"
_TYPS = (TYP,)
_LEGACY_TYPS = (TYP, LEGACY_TYP)
NEVER_DISCLOSABLE = frozenset({"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "aka_vcts", "status"})


@dataclass(frozen=True, slots=True)
class VerifiedCredential:
    """A verified SD-JWT VC: its type, issuer and the Processed SD-JWT Payload."""

    vct: str
    iss: str | None
    claims: dict[str, Any]
    header: dict[str, Any]
    sd_jwt: VerifiedSdJwt

    @property
    def holder_bound(self) -> bool:
        """True when a KB-JWT was required and verified."""
        return self.sd_jwt.kb_payload is not None


def _refuse_sd_in_registered(claims: Mapping[str, Any]) -> None:
    for name in NEVER_DISCLOSABLE.intersection(claims):
        if _contains_sd(claims[name]):
            raise SdJwtError(Reason.NEVER_DISCLOSABLE, f"{name} must never be selectively disclosable")


def _contains_sd(value: Any) -> bool:
    if isinstance(value, SD):
        return True
    if isinstance(value, Mapping):
        return any(_contains_sd(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_contains_sd(v) for v in value)
    return False


def check_never_disclosed(paths: Iterable[Sequence[str | int]]) -> None:
    """Section 3.2.2.3: refuse a Disclosure that revealed a never-disclosable claim (or a part of one)."""
    for path in paths:
        if path and path[0] in NEVER_DISCLOSABLE:
            raise SdJwtError(Reason.NEVER_DISCLOSABLE, f"{path[0]} was selectively disclosed")


def issue_sd_jwt_vc(
    claims: Mapping[str, Any],
    signer: Signer,
    *,
    vct: str,
    random: RandomSource,
    iss: str | None = None,
    iat: int | None = None,
    exp: int | None = None,
    nbf: int | None = None,
    holder_jwk: Mapping[str, Any] | None = None,
    status: Mapping[str, Any] | None = None,
    sd_paths: Iterable[Sequence[str | int | None]] = (),
    header: Mapping[str, Any] | None = None,
    decoys: tuple[int, int] = (0, 0),
) -> IssuedSdJwt:
    """Issue an SD-JWT VC; ``sd_paths`` (type metadata ``sd: always``) and :class:`SD` markers choose Disclosures."""
    registered = {"vct": vct, "iss": iss, "iat": iat, "exp": exp, "nbf": nbf, "status": status}
    if holder_jwk is not None:
        registered["cnf"] = {"jwk": dict(holder_jwk)}
    clash = [k for k, v in registered.items() if v is not None and k in claims]
    if clash:
        raise SdJwtError(Reason.CLAIM_NAME_COLLISION, f"set {clash} through the keyword arguments only")
    payload = mark_disclosable({k: v for k, v in registered.items() if v is not None} | dict(claims), sd_paths)
    _refuse_sd_in_registered(payload)
    return issue_sd_jwt(payload, signer, random=random, header={**(header or {}), "typ": TYP}, decoys=decoys)


def verify_sd_jwt_vc(
    presentation: str | Mapping[str, Any],
    issuer_key: IssuerKeyResolver | PublicKey,
    options: VerifyOptions,
    *,
    accepted_vcts: Collection[str] | None = None,
    accept_legacy_typ: bool = False,
) -> VerifiedCredential:
    """Verify an SD-JWT VC presentation (RFC 9901 Section 7 plus this profile's rules).

    ``options.typ`` is overridden by the profile's ``typ``; Key Binding still follows
    ``options.key_binding`` (the Verifier's policy).
    """
    typs = _LEGACY_TYPS if accept_legacy_typ else _TYPS
    verified = verify_sd_jwt(presentation, issuer_key, options, profile_typ=typs)
    check_never_disclosed(verified.disclosure_paths)
    claims = verified.payload
    vct, iss = claims.get("vct"), claims.get("iss")
    if not isinstance(vct, str) or not vct:
        raise SdJwtError(Reason.MISSING_CLAIM, "vct is required")
    if iss is not None and not isinstance(iss, str):
        raise SdJwtError(Reason.MALFORMED, "iss is not a string")
    if accepted_vcts is not None and vct not in accepted_vcts:
        raise SdJwtError(Reason.VCT_MISMATCH, f"vct {vct!r} not accepted")
    return VerifiedCredential(vct, iss, claims, verified.header, verified)


def jwt_vc_issuer_metadata_url(iss: str) -> str:
    """Where JWT VC Issuer Metadata lives for ``iss`` (Section 5: well-known between host and path)."""
    parts = urlsplit(iss)
    if parts.scheme != "https" or not parts.netloc or parts.query or parts.fragment:
        raise TrustError(Reason.UNTRUSTED_ISSUER, "iss must be an https URL without query or fragment")
    path = parts.path.rstrip("/")
    return f"https://{parts.netloc}/.well-known/jwt-vc-issuer{path}"


@dataclass(frozen=True)
class MetadataKeyResolver:
    """Issuer key from JWT VC Issuer Metadata (Section 5); ``fetch(url) -> JSON`` is the network port.

    ``fetch`` must also resolve ``jwks_uri``. ``issuer`` in the metadata must equal ``iss``
    exactly, and the key is chosen by the header ``kid`` (required when several keys exist).
    """

    fetch: Callable[[str], Mapping[str, Any]]

    def __call__(self, header: Mapping[str, Any], claims: Mapping[str, Any]) -> PublicKey:
        """Resolve the Issuer key named by ``iss`` and ``kid``."""
        iss = claims.get("iss")
        if not isinstance(iss, str):
            raise TrustError(Reason.UNTRUSTED_ISSUER, "no iss to look up issuer metadata")
        try:
            metadata = self.fetch(jwt_vc_issuer_metadata_url(iss))
            if metadata.get("issuer") != iss:
                raise TrustError(Reason.ISSUER_MISMATCH, "metadata issuer differs from iss")
            if ("jwks" in metadata) == ("jwks_uri" in metadata):
                raise TrustError(Reason.UNTRUSTED_ISSUER, "metadata needs exactly one of jwks and jwks_uri")
            jwks = metadata["jwks"] if "jwks" in metadata else self.fetch(str(metadata["jwks_uri"]))
        except IdcoreError:
            raise
        except Exception:  # the port failed: fail closed
            raise TrustError(Reason.UNTRUSTED_ISSUER, "issuer metadata unavailable") from None
        keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
        if not isinstance(keys, list) or not keys:
            raise TrustError(Reason.UNTRUSTED_ISSUER, "issuer metadata has no keys")
        kid = header.get("kid")
        candidates = [k for k in keys if isinstance(k, Mapping) and (kid is None or k.get("kid") == kid)]
        if len(candidates) != 1:
            raise TrustError(Reason.UNTRUSTED_ISSUER, "no single issuer key matches the kid")
        return public_key_from_jwk(candidates[0])
