"""Issuer key resolution through the trust list: the pipeline's ``issuer_signature`` check.

draft-ietf-oauth-sd-jwt-vc Section 3.5 ("Issuer Verification Key Discovery and Validation") and
HAIP Section 6.1.1 ("Issuer identification and key resolution"): the key comes from the ``x5c``
chain in the Issuer-signed JWT, validated to a trust anchor, and the issuer is the subject of
the leaf. Lintas starts from ``iss`` so that an attacker cannot pick the validation path: the
issuer must be listed, the chain must reach a national anchor *of that issuer's country*, and the
leaf must name ``iss`` as a URI SAN. Without ``x5c``, JWT VC Issuer Metadata (Section 5) may be
used when a metadata fetcher is configured; the issuer must still be listed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from idcore.errors import Reason, TrustError, X509Error
from idcore.jwk import PublicKey
from idcore.sdjwt_vc import MetadataKeyResolver
from idcore.trust import TrustSnapshot
from idcore.x509 import parse_x5c, san_uris, validate_chain

__all__ = ["ChainCache", "IssuerKeyResolver", "chain_key_for"]


class ChainCache:
    """Validated chains: ``(list sequence, iss, x5c)`` -> leaf key, reusable while every certificate is valid.

    A cached answer is exactly what re-validation would give as long as the trust list (its
    sequence number, hence its anchors) and the time window are the same, so the hot path skips
    one ECDSA verification per certificate. Bounded; cleared when full.
    """

    def __init__(self, max_entries: int = 1024) -> None:
        self._entries: dict[tuple[int, str, tuple[str, ...]], tuple[PublicKey, int, int]] = {}
        self._max = max_entries

    def get(self, key: tuple[int, str, tuple[str, ...]], now: int) -> PublicKey | None:
        """The cached leaf key if ``now`` is inside the chain's validity window."""
        hit = self._entries.get(key)
        return hit[0] if hit is not None and hit[1] <= now <= hit[2] else None

    def put(self, key: tuple[int, str, tuple[str, ...]], value: PublicKey, window: tuple[int, int]) -> None:
        """Remember a validated chain."""
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = (value, *window)


def chain_key_for(snapshot: TrustSnapshot, iss: str, x5c: Any, now: int, cache: ChainCache | None = None) -> PublicKey:
    """Validate ``x5c`` to the national anchors of ``iss``'s country; return the leaf key of ``iss``."""
    entry = snapshot.issuer(iss)
    if entry is None:
        raise TrustError(Reason.UNTRUSTED_ISSUER, "issuer not in the trust list")
    # Only a list of strings can be a cache key (and a chain): any other entry is parse_x5c's to refuse.
    cacheable = isinstance(x5c, list) and all(isinstance(item, str) for item in x5c)
    cache_key = (snapshot.sequence_number, iss, tuple(x5c)) if cacheable and cache else None
    if cache is not None and cache_key is not None:
        cached = cache.get(cache_key, now)
        if cached is not None:
            return cached
    anchors = snapshot.anchors(entry.country)
    chain = parse_x5c(x5c)
    leaf = validate_chain(chain, anchors, datetime.fromtimestamp(now, UTC))
    if iss not in san_uris(leaf):
        raise X509Error(Reason.ISSUER_MISMATCH, "the leaf certificate does not name iss")
    key = leaf.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        raise X509Error(Reason.BAD_KEY, "unsupported issuer key type")
    if cache is not None and cache_key is not None:
        certs = [*chain, *anchors]
        start = max(int(c.not_valid_before_utc.timestamp()) for c in certs)
        end = min(int(c.not_valid_after_utc.timestamp()) for c in certs)
        cache.put(cache_key, key, (start, end))
    return key


class IssuerKeyResolver:
    """An :class:`idcore.sdjwt.IssuerKeyResolver` bound to one snapshot and time; remembers the key."""

    def __init__(
        self,
        snapshot: TrustSnapshot,
        now: int,
        metadata_fetch: Callable[[str], Mapping[str, Any]] | None = None,
        cache: ChainCache | None = None,
    ) -> None:
        self._snapshot = snapshot
        self._cache = cache
        self._now = now
        self._metadata = MetadataKeyResolver(metadata_fetch) if metadata_fetch is not None else None
        self.key: PublicKey | None = None

    def __call__(self, header: Mapping[str, Any], claims: Mapping[str, Any]) -> PublicKey:
        """Resolve and validate the Issuer's key; raise an IdcoreError on any doubt."""
        iss = claims.get("iss")
        if not isinstance(iss, str):
            raise TrustError(Reason.UNTRUSTED_ISSUER, "credential has no iss")
        if "x5c" in header:
            self.key = chain_key_for(self._snapshot, iss, header["x5c"], self._now, self._cache)
        elif self._metadata is not None and self._snapshot.issuer(iss) is not None:
            self.key = self._metadata(header, claims)
        else:
            raise TrustError(Reason.UNTRUSTED_ISSUER, "no x5c and no usable issuer metadata")
        return self.key
