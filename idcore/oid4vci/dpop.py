"""DPoP proofs (RFC 9449), as the issuer's token and credential endpoints check them.

RFC 9449 Section 4.3 "Checking DPoP Proofs", steps 2-12, except the two that need state: the
server-provided ``nonce`` (step 10, Section 8) and ``jti`` replay (Section 11.1) are the
service's, which stores both. The proof must be a ``dpop+jwt`` signed with an allowed asymmetric
``alg`` by the public ``jwk`` in its header (no private members); ``htm`` and ``htu`` must match
the request (``htu`` compared without query and fragment, after scheme/host case and default
port normalisation, RFC 3986 Section 6.2.2-6.2.3); ``iat`` must be recent; at a resource
server, ``ath`` must be the hash of the presented access token (Section 4.2).

The ``jkt`` (RFC 7638 thumbprint) binds an access token to the key (Section 6.1, ``cnf.jkt``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from idcore.b64 import b64u_encode
from idcore.errors import IdcoreError, Reason
from idcore.jose import parse_compact, verify_parsed
from idcore.jwk import jwk_thumbprint, public_key_from_jwk
from idcore.oid4vci.errors import INVALID_DPOP_PROOF, Oid4vciError
from idcore.ports import Clock

__all__ = ["DpopProof", "access_token_hash", "normalize_htu", "verify_dpop_proof"]

DPOP_TYP = "dpop+jwt"
_MAX_DPOP_BYTES = 8 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class DpopProof:
    """A DPoP proof whose signature, typ, htm, htu, iat and (if asked) ath were checked."""

    jkt: str
    jti: str
    iat: int
    nonce: str | None


def _invalid(reason: Reason, detail: str) -> Oid4vciError:
    return Oid4vciError(INVALID_DPOP_PROOF, reason, detail)


def normalize_htu(url: str) -> str:
    """``scheme://host[:port]/path`` with case and default-port normalisation, no query or fragment."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        raise _invalid(Reason.MALFORMED, "htu has an invalid port") from None
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path or '/'}"


def access_token_hash(access_token: str) -> str:
    """The ``ath`` value: base64url SHA-256 of the ASCII access token (Section 4.2)."""
    return b64u_encode(hashlib.sha256(access_token.encode("ascii")).digest())


def _string(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value:
        raise _invalid(Reason.MISSING_CLAIM, f"DPoP proof {name} missing or not a string")
    return value


def _check_claims(
    claims: Mapping[str, Any], method: str, url: str, now: int, max_age: int, max_skew: int
) -> tuple[str, int]:
    jti = _string(claims, "jti")
    if len(jti) > 256:
        raise _invalid(Reason.TOO_LARGE, "DPoP jti too long")
    if _string(claims, "htm") != method.upper():
        raise _invalid(Reason.MALFORMED, "DPoP htm does not match the request method")
    if normalize_htu(_string(claims, "htu")) != normalize_htu(url):
        raise _invalid(Reason.AUD_MISMATCH, "DPoP htu does not match the request URI")
    iat = claims.get("iat")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise _invalid(Reason.MISSING_CLAIM, "DPoP iat missing or not an integer")
    if iat > now + max_skew or iat < now - max_age:
        raise _invalid(Reason.IAT_OUT_OF_WINDOW, "DPoP iat outside the acceptance window")
    return jti, iat


def verify_dpop_proof(
    proof: object,
    *,
    method: str,
    url: str,
    clock: Clock,
    algorithms: Collection[str],
    access_token: str | None = None,
    max_age: int = 300,
    max_skew: int = 60,
) -> DpopProof:
    """Verify a DPoP proof for ``method url``; with ``access_token``, also its ``ath``."""
    if not isinstance(proof, str):
        raise _invalid(Reason.MALFORMED, "DPoP proof is not a string")
    try:
        jws = parse_compact(proof, max_bytes=_MAX_DPOP_BYTES)
        jwk = jws.header.get("jwk")
        if not isinstance(jwk, dict):
            raise _invalid(Reason.BAD_KEY, "DPoP proof has no jwk header")
        claims = verify_parsed(jws, public_key_from_jwk(jwk), algorithms=algorithms, typ=DPOP_TYP)
        jkt = jwk_thumbprint(jwk)
    except Oid4vciError:
        raise
    except IdcoreError as exc:
        raise _invalid(exc.reason, exc.detail) from None
    jti, iat = _check_claims(claims, method, url, clock.now(), max_age, max_skew)
    ath_ok = access_token is None or (access_token.isascii() and claims.get("ath") == access_token_hash(access_token))
    if not ath_ok:
        raise _invalid(Reason.MALFORMED, "DPoP ath does not match the access token")
    nonce = claims.get("nonce")
    if nonce is not None and not isinstance(nonce, str):
        raise _invalid(Reason.MALFORMED, "DPoP nonce is not a string")
    return DpopProof(jkt, jti, iat, nonce)
