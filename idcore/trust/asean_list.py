"""The signed ASEAN trust list as a :class:`~idcore.trust.framework.TrustFramework`.

One place answers both halves of the trust question over one verified :class:`TrustSnapshot`:

* **whose key** (the ``issuer_signature`` half): draft-ietf-oauth-sd-jwt-vc Section 3.5 and
  HAIP 1.0 Section 6.1.1 take the key from the ``x5c`` chain, validated to a trust anchor, the
  issuer being the subject of the leaf. Lintas starts from the issuer identifier so that an
  attacker cannot pick the validation path: the issuer must be listed, the chain must reach a
  national anchor *of that issuer's country* (one country's root never vouches for another's
  issuer), and the leaf must name the issuer as a URI subjectAltName. The path is validated by
  the one chain rule, :func:`idcore.x509.validate_path` (``cryptography``'s RFC 5280 verifier),
  with the JOSE issuer profile for SD-JWT VC and the ISO/IEC 18013-5 Annex B.1.4 Document Signer
  profile for mdoc (:func:`idcore.mdoc.pki.validate_document_signer`). Without a chain, JWT VC
  Issuer Metadata (SD-JWT VC Section 5) is used when a fetcher is configured, for a listed issuer
  only (so an unlisted ``iss`` never makes the verifier fetch anything).
* **authorised for what** (the ``registry_authorisation`` half): :func:`idcore.trust.is_authorised`
  — listed for the type, granted at issuance, not withdrawn for cause nor its key compromised
  by now — and the claimed country, if any, must be the issuer's.

Validated chains are cached (:class:`ChainCache`) per list sequence number, issuer, profile and
``x5c``: a hit is exactly what re-validation would answer while the list and the chain's
validity window are the same, and saves one ECDSA verification per certificate on the hot path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from idcore.errors import IdcoreError, Reason, TrustError, X509Error
from idcore.jwk import PublicKey
from idcore.mdoc.pki import validate_document_signer
from idcore.sdjwt_vc import MetadataKeyResolver
from idcore.trust.decision import TrustSnapshot, is_authorised
from idcore.trust.framework import FORMAT_MDOC, FORMAT_SD_JWT_VC, IssuerEvidence, TrustedIssuer, TrustJudgement
from idcore.trust.model import IssuerEntry
from idcore.x509 import parse_x5c, san_uris, validate_path

__all__ = ["FRAMEWORK", "AseanTrustList", "ChainCache"]

FRAMEWORK = "asean-trust-list"
_FORMATS = frozenset({FORMAT_SD_JWT_VC, FORMAT_MDOC})
_CacheKey = tuple[int, str, str, tuple[str, ...]]


class ChainCache:
    """Validated chains: ``(list sequence, issuer, format, x5c)`` -> leaf key, while every certificate is valid.

    Bounded; cleared when full (bounded memory beats a perfect cache). Thread-safe for the
    verifier's use: a lost update only costs one re-validation.
    """

    def __init__(self, max_entries: int = 1024) -> None:
        """An empty cache of at most ``max_entries`` chains."""
        self._entries: dict[_CacheKey, tuple[PublicKey, int, int]] = {}
        self._max = max_entries

    def get(self, key: _CacheKey, now: int) -> PublicKey | None:
        """The cached leaf key if ``now`` is inside the chain's validity window."""
        hit = self._entries.get(key)
        return hit[0] if hit is not None and hit[1] <= now <= hit[2] else None

    def put(self, key: _CacheKey, value: PublicKey, window: tuple[int, int]) -> None:
        """Remember a validated chain."""
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = (value, *window)


def _record(entry: IssuerEntry) -> TrustedIssuer:
    return TrustedIssuer(entry.issuer_id, entry.country, entry.assurance_level, dict(entry.names))


def _window(path: list[x509.Certificate]) -> tuple[int, int]:
    start = max(int(c.not_valid_before_utc.timestamp()) for c in path)
    end = min(int(c.not_valid_after_utc.timestamp()) for c in path)
    return start, end


class AseanTrustList:
    """:class:`~idcore.trust.framework.TrustFramework` over one verified :class:`TrustSnapshot`.

    Cheap to build (one per verification, so that every credential and status list of a
    presentation is judged against the same list); share one :class:`ChainCache` between them.
    Refusal reasons: ``untrusted_issuer`` (no issuer named, not listed, no anchors, no chain
    and no usable metadata, an unknown format), the chain's own (``chain_invalid``,
    ``cert_expired``, ``cert_not_yet_valid``, ``cert_usage``, ``malformed``, ``too_many``,
    ``bad_key``), ``issuer_mismatch`` (the leaf does not name the issuer; with a key: the
    claimed country is not the issuer's), and :func:`~idcore.trust.is_authorised`'s
    (``not_authorised``, ``issuer_suspended``, ``issuer_withdrawn``, ``issuer_key_compromised``).
    """

    def __init__(
        self,
        snapshot: TrustSnapshot,
        *,
        metadata_fetch: Callable[[str], Mapping[str, Any]] | None = None,
        chains: ChainCache | None = None,
    ) -> None:
        """Judge with ``snapshot``; ``metadata_fetch(url) -> JSON`` enables issuer-metadata keys (SD-JWT VC)."""
        self.snapshot = snapshot
        self._metadata = MetadataKeyResolver(metadata_fetch) if metadata_fetch is not None else None
        self._chains = chains

    def judge(self, evidence: IssuerEvidence) -> TrustJudgement:
        """Answer the trust question for ``evidence`` (see the module docstring)."""
        seq = self.snapshot.sequence_number
        iss = evidence.issuer_id
        if evidence.format not in _FORMATS:
            return TrustJudgement.refuse(Reason.UNTRUSTED_ISSUER, f"format {evidence.format!r}", framework=FRAMEWORK)
        if iss is None:
            return TrustJudgement.refuse(Reason.UNTRUSTED_ISSUER, "the credential names no issuer", framework=FRAMEWORK)
        entry = self.snapshot.issuer(iss)
        if entry is None:
            return TrustJudgement.refuse(
                Reason.UNTRUSTED_ISSUER, f"{iss} is not in trust list {seq}", framework=FRAMEWORK
            )
        try:
            key = self._key(entry, evidence)
        except IdcoreError as exc:
            return TrustJudgement.refuse(exc.reason, f"{iss}: {exc.detail}", framework=FRAMEWORK)
        issuer = _record(entry)
        if evidence.country is not None and evidence.country != entry.country:
            why = f"{iss} is listed for {entry.country}, the credential claims {evidence.country}"
            return TrustJudgement(False, Reason.ISSUER_MISMATCH, why, key, issuer, FRAMEWORK)
        decision = is_authorised(self.snapshot, iss, evidence.credential_type, evidence.issued_at, evidence.at)
        why = f"{iss} for {evidence.credential_type} in list {seq}: {decision.why}"
        if decision.authorised:
            return TrustJudgement(True, None, why, key, issuer, FRAMEWORK)
        return TrustJudgement(False, decision.reason or Reason.NOT_AUTHORISED, why, key, issuer, FRAMEWORK)

    def _key(self, entry: IssuerEntry, evidence: IssuerEvidence) -> PublicKey:
        """The issuer's key from the chain (validated to its country's anchors) or from its metadata."""
        if evidence.x5c is not None:
            return self._chain_key(entry, evidence.format, evidence.x5c, evidence.at)
        if self._metadata is not None and evidence.format == FORMAT_SD_JWT_VC:
            header = {"kid": evidence.key_id} if evidence.key_id is not None else {}
            return self._metadata(header, {"iss": entry.issuer_id})
        raise TrustError(Reason.UNTRUSTED_ISSUER, "no x5c and no usable issuer metadata")

    def _chain_key(self, entry: IssuerEntry, fmt: str, x5c: tuple[str, ...], now: int) -> PublicKey:
        cache_key = (self.snapshot.sequence_number, entry.issuer_id, fmt, x5c)
        if self._chains is not None:
            cached = self._chains.get(cache_key, now)
            if cached is not None:
                return cached
        anchors = list(self.snapshot.anchors(entry.country))
        chain = parse_x5c(x5c)
        at = datetime.fromtimestamp(now, UTC)
        if fmt == FORMAT_MDOC:
            path = validate_document_signer(chain, anchors, at)
        else:
            path = validate_path(chain, anchors, at)
        leaf = path[0]
        if entry.issuer_id not in san_uris(leaf):
            raise X509Error(Reason.ISSUER_MISMATCH, "the leaf certificate does not name the issuer")
        key = leaf.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
            raise X509Error(Reason.BAD_KEY, "unsupported issuer key type")
        if self._chains is not None:
            self._chains.put(cache_key, key, _window(path))
        return key
