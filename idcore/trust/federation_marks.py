"""OpenID Federation 1.0 trust marks (section "Trust Marks"), as the ASEAN federation uses them.

A trust mark is a JWT (``typ`` ``trust-mark+jwt``, ``kid`` required) by which a trust mark issuer
states that ``sub`` meets the criteria of ``trust_mark_type``; the subject carries it in the
``trust_marks`` claim of its entity configuration. The trust anchor says which issuers may issue
which types in the ``trust_mark_issuers`` claim of its entity configuration. Validation follows
section "Validating a Trust Mark": ``typ``, an allowed ``alg`` (never ``none``), ``sub`` the entity
whose configuration carries it, ``iat`` in the past, ``exp`` (when present) in the future, the
signature by the issuer's key named by ``kid``.

Closed by default in this first version: only marks issued by the trust anchor itself are
accepted (its keys are configured, so no further chain is needed); marks of other issuers, of
types the anchor does not list for the issuer, or of types with ``trust_mark_owners`` (whose
delegations are not implemented) are not recognised. An invalid mark is ignored, as the
specification says: it does not invalidate the chain, it just is not a trust mark.

Types defined by the ASEAN scheme: :data:`RECOGNISED_PID_ISSUER` (issued by the registry to
issuers listed and granted for the PID type) and :data:`REGISTERED_RELYING_PARTY` (issued by the
registry to verifier entities a member state has registered and not withdrawn).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from idcore.errors import IdcoreError
from idcore.jose import parse_compact, sign_compact, verify_parsed
from idcore.jwk import public_key_from_jwk
from idcore.ports import Signer

__all__ = [
    "RECOGNISED_PID_ISSUER",
    "REGISTERED_RELYING_PARTY",
    "TRUST_MARK_TYP",
    "sign_trust_mark",
    "valid_trust_marks",
]

TRUST_MARK_TYP = "trust-mark+jwt"
RECOGNISED_PID_ISSUER = "https://lintas.asean.example/trust-marks/recognised-pid-issuer"
REGISTERED_RELYING_PARTY = "https://lintas.asean.example/trust-marks/registered-relying-party"
_ALGS = frozenset({"ES256"})
#: Seconds an ``iat`` may lie ahead of ``now`` (clock skew between federation entities). Statements and marks
#: are signed per request with the signer's ``now``, so without it a verifier whose clock is a second behind
#: the registry's, or whose verification time was taken just before a second boundary, refuses a good chain.
MAX_SKEW = 30
_MAX_MARKS = 16
_MAX_MARK_BYTES = 16 * 1024


def sign_trust_mark(issuer: str, subject: str, mark_type: str, iat: int, exp: int, signer: Signer, kid: str) -> str:
    """A trust mark JWT of ``mark_type`` for ``subject``, valid from ``iat`` until ``exp``."""
    claims = {"iss": issuer, "sub": subject, "trust_mark_type": mark_type, "iat": iat, "exp": exp}
    return sign_compact({"typ": TRUST_MARK_TYP, "kid": kid}, claims, signer)


def _allowed(anchor_configuration: Mapping[str, Any], mark_type: str, issuer: str, anchor_id: str) -> bool:
    issuers = anchor_configuration.get("trust_mark_issuers")
    owners = anchor_configuration.get("trust_mark_owners")
    if isinstance(owners, dict) and mark_type in owners:
        return False  # delegated marks need delegation JWTs: not supported, so not recognised
    listed = issuers.get(mark_type) if isinstance(issuers, dict) else None
    return issuer == anchor_id and isinstance(listed, list) and (not listed or anchor_id in listed)


def _one(
    entry: Any,
    subject: str,
    anchor_id: str,
    anchor_configuration: Mapping[str, Any],
    anchor_jwks: Sequence[Mapping[str, Any]],
    now: int,
) -> str | None:
    """The type of one ``trust_marks`` entry if it is a valid mark by the anchor, else ``None``."""
    if not isinstance(entry, dict) or not isinstance(entry.get("trust_mark"), str):
        return None
    try:
        jws = parse_compact(entry["trust_mark"], max_bytes=_MAX_MARK_BYTES)
        kid = jws.header.get("kid")
        key = next(k for k in anchor_jwks if isinstance(kid, str) and k.get("kid") == kid)
        claims = verify_parsed(jws, public_key_from_jwk(key), algorithms=_ALGS, typ=TRUST_MARK_TYP)
    except (IdcoreError, StopIteration):
        return None
    mark_type, iat, exp = claims.get("trust_mark_type"), claims.get("iat"), claims.get("exp")
    if mark_type != entry.get("trust_mark_type") or claims.get("sub") != subject or not isinstance(mark_type, str):
        return None
    if (
        not isinstance(iat, int)
        or iat > now + MAX_SKEW
        or (exp is not None and (not isinstance(exp, int) or exp <= now))
    ):
        return None
    return mark_type if _allowed(anchor_configuration, mark_type, str(claims.get("iss")), anchor_id) else None


def valid_trust_marks(
    subject_configuration: Mapping[str, Any],
    anchor_configuration: Mapping[str, Any],
    anchor_jwks: Sequence[Mapping[str, Any]],
    now: int,
) -> frozenset[str]:
    """The trust mark types validly carried by a chain's subject (claims of its entity configuration).

    ``anchor_configuration`` is the claims of the anchor's (validated) entity configuration and
    ``anchor_jwks`` the anchor's configured keys.
    """
    marks = subject_configuration.get("trust_marks", [])
    if not isinstance(marks, list):
        return frozenset()
    subject, anchor_id = str(subject_configuration.get("sub")), str(anchor_configuration.get("sub"))
    found = (_one(m, subject, anchor_id, anchor_configuration, anchor_jwks, now) for m in marks[:_MAX_MARKS])
    return frozenset(t for t in found if t is not None)
