"""Verification of SD-JWTs and SD-JWT+KB (RFC 9901 Section 7.1 and 7.3).

The steps follow Section 7.1 to the letter:

* 2. the Issuer-signed JWT is checked against an explicit algorithm allow-list and the
  caller's expected ``typ``, with the key the caller's resolver vouches for (2.3);
  ``_sd_alg`` must be understood (2.5);
* 3. embedded digests are found in ``_sd`` arrays and ``{"...": digest}`` array elements;
  unmatched digests are ignored (decoys), matched Disclosures are shape-checked, reserved
  names and claim-name collisions rejected, and values processed recursively;
* 4. any digest met twice rejects the SD-JWT; 5. any Disclosure not referenced does too;
* 6. ``exp``/``nbf``/``iat`` are checked with a bounded clock skew.

Work is bounded whatever the Holder sends: the presentation's size and Disclosures are capped by
:mod:`idcore.sdjwt.serialization`, the claims may nest at most :data:`MAX_DEPTH` levels
(``too_deep``; Disclosures nest inside each other, so this is the depth *after* processing),
and the payload and Disclosures together may carry at most :data:`MAX_DIGESTS` digests
(``too_many``), counted before each ``_sd`` array is walked.

Key Binding (Section 7.3) is required or not by the *caller's policy*
(:class:`KeyBindingPolicy`), never inferred from what the Holder sent: without a policy the
final ``~`` component must be empty (Section 4), with one a valid KB-JWT must be there.
"""

from __future__ import annotations

import hmac
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from idcore.b64 import b64u_encode
from idcore.errors import JoseError, Reason, SdJwtError
from idcore.jose import ParsedJws, parse_compact, verify_parsed
from idcore.jwk import PublicKey, public_key_from_jwk
from idcore.ports import Clock
from idcore.sdjwt.disclosure import RESERVED_NAMES, Disclosure, decode_disclosure, digest, hash_function
from idcore.sdjwt.serialization import DEFAULT_MAX_BYTES, SdJwtParts, parse_presentation

__all__ = [
    "MAX_DEPTH",
    "MAX_DIGESTS",
    "IssuerKeyResolver",
    "KeyBindingPolicy",
    "ProcessedPayload",
    "VerifiedSdJwt",
    "VerifyOptions",
    "check_time_claims",
    "process_payload",
    "verify_key_binding",
    "verify_sd_jwt",
]

#: Deepest claim nesting after processing. Real credentials nest a few levels (PID
#: ``address.*``, A.2 ``verified_claims.verification.evidence[]``); each level is a recursion.
MAX_DEPTH = 32
#: Most digests (``_sd`` entries and ``{"...": digest}`` elements, decoys included). A PID has
#: ~30 disclosable claims; RFC 9901 Section 4.2.5 decoys multiply that by a small factor.
MAX_DIGESTS = 4096
KB_TYP = "kb+jwt"


class IssuerKeyResolver(Protocol):
    """Resolves and *validates* the Issuer's key from the JOSE header and unverified payload.

    Section 7.1 step 2.3: the resolver must establish that the key belongs to the Issuer
    (an ``x5c`` chain to a trust anchor, pinned metadata, ...) or raise an IdcoreError.
    """

    def __call__(self, header: Mapping[str, Any], claims: Mapping[str, Any]) -> PublicKey:
        """Return the Issuer's verification key."""
        ...


@dataclass(frozen=True, slots=True)
class KeyBindingPolicy:
    """The Verifier's Key Binding requirement for one transaction (RFC 9901 Section 7.3)."""

    nonce: str
    aud: str
    max_age: int = 300
    algorithms: frozenset[str] = frozenset({"ES256"})


@dataclass(frozen=True, slots=True)
class VerifyOptions:
    """Verifier policy for one SD-JWT. ``typ=None`` explicitly accepts any ``typ``."""

    clock: Clock
    typ: str | Collection[str] | None
    algorithms: frozenset[str] = frozenset({"ES256"})
    key_binding: KeyBindingPolicy | None = None
    max_skew: int = 60
    sd_algs: frozenset[str] = frozenset({"sha-256"})
    max_bytes: int = DEFAULT_MAX_BYTES


@dataclass(frozen=True, slots=True)
class VerifiedSdJwt:
    """The Processed SD-JWT Payload and what was checked to obtain it."""

    header: dict[str, Any]
    payload: dict[str, Any]
    disclosures: tuple[Disclosure, ...]
    kb_payload: dict[str, Any] | None = None
    issuer_jwt_payload: dict[str, Any] = field(default_factory=dict)
    #: For each Disclosure, the claim path it revealed in ``payload`` (same order).
    disclosure_paths: tuple[tuple[str | int, ...], ...] = ()


class _Processor:
    """One pass of Section 7.1 step 3 over an Issuer-signed JWT payload.

    Written for speed (it is the largest Python cost of a verification, measured by
    benchmarks/verify.py): exact-type checks (JSON yields only ``dict``/``list``), digest
    lookup inlined, and no descent or path tuple for scalar values.
    """

    def __init__(self, by_digest: dict[str, str]) -> None:
        self.by_digest = by_digest
        self.seen: set[str] = set()
        self.used: list[Disclosure] = []
        # Where each used Disclosure sits in the processed payload (for Holders choosing by path).
        self.paths: list[tuple[str | int, ...]] = []

    def take(self, dg: Any, path: tuple[str | int, ...]) -> Disclosure | None:
        """Steps 3.3 and 4: the Disclosure for a digest (None for decoys); a digest twice rejects."""
        if dg.__class__ is not str:
            raise SdJwtError(Reason.MALFORMED, "digest is not a string")
        seen = self.seen
        if len(seen) >= MAX_DIGESTS:
            raise SdJwtError(Reason.TOO_MANY, f"more than {MAX_DIGESTS} digests")
        if dg in seen:
            raise SdJwtError(Reason.DUPLICATE_DIGEST, "a digest appears more than once")
        seen.add(dg)
        encoded = self.by_digest.get(dg)
        if encoded is None:
            return None  # a decoy, or a claim the Holder did not disclose
        disclosure = decode_disclosure(encoded)
        self.used.append(disclosure)
        self.paths.append(path)
        return disclosure

    def value(self, node: Any, path: tuple[str | int, ...]) -> Any:
        if len(path) > MAX_DEPTH:
            raise SdJwtError(Reason.TOO_DEEP, f"claims nested deeper than {MAX_DEPTH}")
        cls = node.__class__
        if cls is dict:
            return self.obj(node, path)
        if cls is list:
            return self.array(node, path)
        return node

    def obj(self, node: Mapping[str, Any], path: tuple[str | int, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, val in node.items():
            if name == "_sd":
                continue
            if name == "...":
                raise SdJwtError(Reason.RESERVED_CLAIM_NAME, "'...' used outside an array element")
            cls = val.__class__
            out[name] = self.value(val, (*path, name)) if cls is dict or cls is list else val
        digests = node.get("_sd")
        if digests is None:
            return out
        if digests.__class__ is not list:
            raise SdJwtError(Reason.MALFORMED, "_sd is not an array of digests")
        seen, by_digest = self.seen, self.by_digest
        if len(seen) + len(digests) > MAX_DIGESTS:
            raise SdJwtError(Reason.TOO_MANY, f"more than {MAX_DIGESTS} digests")
        for dg in digests:
            # take() inlined for the common case of decoys and undisclosed claims
            if dg.__class__ is not str:
                raise SdJwtError(Reason.MALFORMED, "digest is not a string")
            if dg in seen:
                raise SdJwtError(Reason.DUPLICATE_DIGEST, "a digest appears more than once")
            seen.add(dg)
            encoded = by_digest.get(dg)
            if encoded is None:
                continue  # a decoy, or a claim the Holder did not disclose
            disclosure = decode_disclosure(encoded)
            self.used.append(disclosure)
            claim = disclosure.name
            if claim is None:
                raise SdJwtError(Reason.MALFORMED_DISCLOSURE, "array-element disclosure referenced from _sd")
            if claim in RESERVED_NAMES:
                raise SdJwtError(Reason.RESERVED_CLAIM_NAME, f"disclosure claim name {claim!r} is reserved")
            if claim in out:
                raise SdJwtError(Reason.CLAIM_NAME_COLLISION, f"claim {claim!r} already exists at its level")
            claim_path = (*path, claim)
            self.paths.append(claim_path)
            value = disclosure.value
            cls = value.__class__
            out[claim] = self.value(value, claim_path) if cls is dict or cls is list else value
        return out

    def array(self, node: list[Any], path: tuple[str | int, ...]) -> list[Any]:
        out: list[Any] = []
        for element in node:
            cls = element.__class__
            if cls is dict and "..." in element:
                if len(element) != 1:
                    raise SdJwtError(Reason.RESERVED_CLAIM_NAME, "'...' object with other members")
                disclosure = self.take(element["..."], (*path, len(out)))
                if disclosure is None:
                    continue  # Section 7.1 step 3.4: drop elements whose digest was not found
                if disclosure.name is not None:
                    raise SdJwtError(Reason.MALFORMED_DISCLOSURE, "property disclosure used as array element")
                out.append(self.value(disclosure.value, (*path, len(out))))
            elif cls is dict or cls is list:
                out.append(self.value(element, (*path, len(out))))
            else:
                out.append(element)
        return out


@dataclass(slots=True)
class ProcessedPayload:
    """Result of Section 7.1 step 3: the payload, the used Disclosures and their claim paths."""

    claims: dict[str, Any]
    disclosures: tuple[Disclosure, ...]
    paths: tuple[tuple[str | int, ...], ...]


def process_payload(
    payload: Mapping[str, Any], disclosures: Collection[str], sd_algs: Collection[str] = ("sha-256",)
) -> ProcessedPayload:
    """Section 7.1 steps 2.5, 3, 4 and 5: process the payload with the given Disclosures."""
    sd_alg = payload.get("_sd_alg", "sha-256")
    if not isinstance(sd_alg, str) or sd_alg not in sd_algs:
        raise SdJwtError(Reason.UNSUPPORTED_SD_ALG, f"_sd_alg {sd_alg!r} not accepted")
    hash_fn = hash_function(sd_alg)
    by_digest: dict[str, str] = {}
    for encoded in disclosures:
        if not encoded.isascii():  # parse_presentation guarantees it; callers of this function may not
            raise SdJwtError(Reason.MALFORMED_DISCLOSURE, "a disclosure is ASCII only")
        dg = b64u_encode(hash_fn(encoded.encode("ascii")).digest())
        if dg in by_digest:
            raise SdJwtError(Reason.DUPLICATE_DISCLOSURE, "the same disclosure was sent twice")
        by_digest[dg] = encoded
    processor = _Processor(by_digest)
    processed = processor.obj(payload, ())
    if "_sd_alg" in payload:
        del processed["_sd_alg"]  # Section 7.1 step 3.6 (only the top-level one)
    if len(processor.used) != len(by_digest):
        raise SdJwtError(Reason.UNREFERENCED_DISCLOSURE, "a disclosure is not referenced by any digest")
    return ProcessedPayload(processed, tuple(processor.used), tuple(processor.paths))


def _numeric(claims: Mapping[str, Any], name: str) -> int | float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SdJwtError(Reason.MALFORMED, f"{name} is not a NumericDate")
    return value


def check_time_claims(claims: Mapping[str, Any], now: int, max_skew: int) -> None:
    """Section 7.1 step 6 with RFC 7519 4.1.4-4.1.6: ``exp``, ``nbf``, and ``iat`` not in the future."""
    exp, nbf, iat = _numeric(claims, "exp"), _numeric(claims, "nbf"), _numeric(claims, "iat")
    if exp is not None and now >= exp + max_skew:
        raise SdJwtError(Reason.EXPIRED, "credential expired")
    if nbf is not None and now + max_skew < nbf:
        raise SdJwtError(Reason.NOT_YET_VALID, "credential not yet valid (nbf)")
    if iat is not None and now + max_skew < iat:
        raise SdJwtError(Reason.NOT_YET_VALID, "credential issued in the future (iat)")


def _verify_issuer_jwt(
    parts: SdJwtParts,
    resolve_key: IssuerKeyResolver | PublicKey,
    options: VerifyOptions,
    typ: str | Collection[str] | None,
) -> tuple[ParsedJws, dict[str, Any]]:
    """Section 7.1 step 2 over the one Issuer-signed JWT (several signatures are refused at parsing)."""
    jws = parse_compact(parts.issuer_jwt, max_bytes=options.max_bytes)
    claims = jws.claims()
    key = resolve_key(jws.header, claims) if callable(resolve_key) else resolve_key
    return jws, verify_parsed(jws, key, algorithms=options.algorithms, typ=typ)


def verify_key_binding(
    parts: SdJwtParts,
    payload: Mapping[str, Any],
    sd_alg: str,
    policy: KeyBindingPolicy,
    options: VerifyOptions,
    *,
    holder_key: PublicKey | None = None,
) -> dict[str, Any]:
    """Section 7.3 step 5: holder key from ``cnf.jwk``, ``kb+jwt``, ``iat`` window, nonce, aud, ``sd_hash``.

    ``payload`` is the processed payload (its ``cnf``), ``sd_alg`` the Issuer-signed JWT's
    ``_sd_alg``; ``holder_key``, when the caller already read ``cnf.jwk`` of this payload, saves
    reading it twice. Returns the KB-JWT payload or raises :class:`SdJwtError`.
    """
    if parts.kb_jwt is None:
        raise SdJwtError(Reason.KB_MISSING, "key binding required but no KB-JWT presented")
    if holder_key is None:
        cnf = payload.get("cnf")
        if not isinstance(cnf, dict) or not isinstance(cnf.get("jwk"), dict):
            raise SdJwtError(Reason.CNF_MISSING, "no cnf.jwk holder key in the credential")
        holder_key = public_key_from_jwk(cnf["jwk"])
    try:
        kb = verify_parsed(
            parse_compact(parts.kb_jwt, max_bytes=options.max_bytes),
            holder_key,
            algorithms=policy.algorithms,
            typ=KB_TYP,
        )
    except JoseError as exc:
        raise SdJwtError(exc.reason, f"KB-JWT: {exc.detail}") from None
    return _check_kb_claims(kb, parts, sd_alg, policy, options)


def _same(a: Any, b: str) -> bool:
    return isinstance(a, str) and hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _check_kb_claims(
    kb: dict[str, Any], parts: SdJwtParts, sd_alg: str, policy: KeyBindingPolicy, options: VerifyOptions
) -> dict[str, Any]:
    now = options.clock.now()
    iat = kb.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise SdJwtError(Reason.KB_INVALID, "KB-JWT iat missing or not a NumericDate")
    if iat > now + options.max_skew or iat < now - policy.max_age - options.max_skew:
        raise SdJwtError(Reason.IAT_OUT_OF_WINDOW, "KB-JWT iat outside the accepted window")
    if not _same(kb.get("nonce"), policy.nonce):
        raise SdJwtError(Reason.NONCE_MISMATCH, "KB-JWT nonce does not match")
    if not _same(kb.get("aud"), policy.aud):  # a single string (Section 4.3); arrays are refused
        raise SdJwtError(Reason.AUD_MISMATCH, "KB-JWT aud does not match")
    if not _same(kb.get("sd_hash"), digest(parts.sd_jwt, sd_alg)):
        raise SdJwtError(Reason.SD_HASH_MISMATCH, "KB-JWT sd_hash does not match the presentation")
    if "exp" in kb or "nbf" in kb:
        try:
            check_time_claims({k: kb.get(k) for k in ("exp", "nbf")}, now, options.max_skew)
        except SdJwtError as exc:
            raise SdJwtError(exc.reason, f"KB-JWT: {exc.detail}") from None
    return kb


def verify_sd_jwt(
    presentation: str | Mapping[str, Any],
    issuer_key: IssuerKeyResolver | PublicKey,
    options: VerifyOptions,
    *,
    profile_typ: str | Collection[str] | None = None,
) -> VerifiedSdJwt:
    """Verify an SD-JWT (or SD-JWT+KB) end to end; raise :class:`SdJwtError` or another IdcoreError.

    ``profile_typ``, when given, replaces ``options.typ`` (a profile such as SD-JWT VC fixes the
    ``typ`` whatever the caller's options say). Verifiers that need the pieces in another order
    (the credential verifiers of :mod:`idcore.credentials`) use the steps this composes:
    :func:`parse_presentation`, :func:`process_payload`, :func:`check_time_claims`,
    :func:`verify_key_binding`.
    """
    parts = parse_presentation(presentation, max_bytes=options.max_bytes)
    if options.key_binding is None and parts.kb_jwt is not None:
        raise SdJwtError(Reason.KB_UNEXPECTED, "a plain SD-JWT was expected (last component must be empty)")
    typ = options.typ if profile_typ is None else profile_typ
    jws, issuer_claims = _verify_issuer_jwt(parts, issuer_key, options, typ)
    processed = process_payload(issuer_claims, parts.disclosures, options.sd_algs)
    payload = processed.claims
    check_time_claims(payload, options.clock.now(), options.max_skew)
    kb_payload = None
    if options.key_binding is not None:
        sd_alg = issuer_claims.get("_sd_alg", "sha-256")
        kb_payload = verify_key_binding(parts, payload, sd_alg, options.key_binding, options)
    return VerifiedSdJwt(jws.header, payload, processed.disclosures, kb_payload, issuer_claims, processed.paths)
