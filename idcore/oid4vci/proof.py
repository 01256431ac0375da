"""Key proofs of the ``jwt`` proof type (OpenID4VCI 1.0 Appendix F.1 and F.4 "Verifying Proof").

A proof JWT is checked for: ``typ`` ``openid4vci-proof+jwt``; an ``alg`` from the caller's
allow-list (never ``none``, never a MAC: :data:`idcore.jose.SUPPORTED_ALGS` has neither); a
``jwk`` header (the only binding method Lintas issuers offer, ``cryptographic_binding_methods_supported:
["jwk"]``) without private members and without ``kid``/``x5c`` beside it; the signature by that
key; ``aud`` equal to the Credential Issuer Identifier; ``iat`` inside the acceptance window
(Section 13.5 "Proof replay"); a ``nonce`` string when the issuer has a Nonce Endpoint; and
``iss`` equal to the client's ``client_id`` or absent for anonymous access.

Whether the nonce is a live, unused ``c_nonce`` is stateful and checked by the service, which
answers ``invalid_nonce`` (Section 8.3.1.2).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from idcore.errors import IdcoreError, Reason
from idcore.jose import parse_compact, verify_parsed
from idcore.jwk import jwk_thumbprint, public_key_from_jwk
from idcore.oid4vci.errors import INVALID_PROOF, Oid4vciError
from idcore.ports import Clock

__all__ = ["KeyProof", "verify_jwt_proof"]

PROOF_TYP = "openid4vci-proof+jwt"
_MAX_PROOF_BYTES = 8 * 1024


@dataclass(frozen=True, slots=True)
class KeyProof:
    """A verified key proof: the holder key to bind, and the freshness data the service still checks."""

    jwk: dict[str, Any]
    thumbprint: str
    nonce: str | None
    iat: int


def _invalid(reason: Reason, detail: str) -> Oid4vciError:
    return Oid4vciError(INVALID_PROOF, reason, detail)


def _holder_jwk(header: Mapping[str, Any]) -> dict[str, Any]:
    jwk = header.get("jwk")
    if not isinstance(jwk, dict):
        raise _invalid(Reason.BAD_KEY, "proof header must carry the holder key as jwk")
    if "kid" in header or "x5c" in header:
        raise _invalid(Reason.MALFORMED, "jwk must not appear together with kid or x5c")
    return jwk


def _check_claims(
    claims: Mapping[str, Any], audience: str, now: int, max_age: int, max_skew: int, client_id: str | None
) -> int:
    if claims.get("aud") != audience:
        raise _invalid(Reason.AUD_MISMATCH, "proof aud is not this Credential Issuer")
    iat = claims.get("iat")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise _invalid(Reason.MISSING_CLAIM, "proof iat missing or not an integer")
    if iat > now + max_skew or iat < now - max_age:
        raise _invalid(Reason.IAT_OUT_OF_WINDOW, "proof iat outside the acceptance window")
    iss = claims.get("iss")
    # Appendix F.1: iss is the client_id, and MUST be omitted for anonymous pre-authorized access.
    if iss is not None and (client_id is None or iss != client_id):
        raise _invalid(Reason.ISSUER_MISMATCH, "proof iss does not match the client")
    return iat


def verify_jwt_proof(
    token: object,
    *,
    audience: str,
    clock: Clock,
    algorithms: Collection[str],
    require_nonce: bool = True,
    client_id: str | None = None,
    max_age: int = 300,
    max_skew: int = 60,
) -> KeyProof:
    """Verify one ``jwt`` key proof; raise :class:`Oid4vciError` ``invalid_proof`` on any failure."""
    if not isinstance(token, str):
        raise _invalid(Reason.MALFORMED, "proof is not a string")
    try:
        jws = parse_compact(token, max_bytes=_MAX_PROOF_BYTES)
        jwk = _holder_jwk(jws.header)
        key = public_key_from_jwk(jwk)
        claims = verify_parsed(jws, key, algorithms=algorithms, typ=PROOF_TYP)
        thumbprint = jwk_thumbprint(jwk)
    except Oid4vciError:
        raise
    except IdcoreError as exc:
        raise _invalid(exc.reason, exc.detail) from None
    iat = _check_claims(claims, audience, clock.now(), max_age, max_skew, client_id)
    nonce = claims.get("nonce")
    if nonce is not None and not isinstance(nonce, str):
        raise _invalid(Reason.MALFORMED, "proof nonce is not a string")
    if require_nonce and not nonce:
        # Section 8.3.1.2: a proof without c_nonce is invalid_proof, a wrong one invalid_nonce.
        raise _invalid(Reason.NONCE_MISMATCH, "proof has no nonce")
    return KeyProof(dict(jwk), thumbprint, nonce, iat)
