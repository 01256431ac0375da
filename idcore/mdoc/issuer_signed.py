"""IssuerSigned: issuerAuth and the issuer-signed items (ISO/IEC 18013-5:2021 Section 8.3.2.1.2.2,
9.1.2.4 "Signing method and structure for MSO", 9.3.1 "Inspection procedure for issuer data
authentication").

::

    IssuerSigned = {? "nameSpaces": IssuerNameSpaces, "issuerAuth": IssuerAuth}
    IssuerNameSpaces = {+ NameSpace => [+ IssuerSignedItemBytes]}
    IssuerSignedItemBytes = #6.24(bstr .cbor IssuerSignedItem)
    IssuerSignedItem = {"digestID": uint, "random": bstr, "elementIdentifier": tstr, "elementValue": any}
    IssuerAuth = COSE_Sign1   ; payload: MobileSecurityObjectBytes, x5chain in the unprotected header

Section 9.3.1 steps, in this order: the issuerAuth signature with the x5chain leaf key (alg
allow-list), the MSO shape, the MSO validity window at the verifier's time, the x5chain to a
trusted IACA at that time, then for every item: its digest (over the whole tag-24 encoding)
equals the MSO's for its namespace and digestID. DigestIDs and element identifiers are unique per
namespace; an item with no digest in the MSO is a mismatch, never silently dropped.
"""

from __future__ import annotations

import hmac
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import cbor2
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from idcore.errors import MdocError, Reason
from idcore.jwk import PublicKey
from idcore.mdoc.cbor import TAG_EMBEDDED, decode, encode, plain, unembed
from idcore.mdoc.cose import Sign1, parse_sign1, verify_sign1, x5chain_certificates
from idcore.mdoc.mso import MAX_NAMESPACES, MobileSecurityObject, parse_mso
from idcore.mdoc.pki import validate_document_signer

__all__ = [
    "MAX_ITEMS_PER_NAMESPACE",
    "MAX_MSO_BYTES",
    "MIN_RANDOM_BYTES",
    "IssuerItem",
    "IssuerSignedParts",
    "VerifiedIssuerSigned",
    "check_digests",
    "check_mso_validity",
    "parse_issuer_items",
    "read_issuer_signed",
    "verify_issuer_signed",
]

MAX_ITEMS_PER_NAMESPACE = 256
MAX_MSO_BYTES = 256 * 1024
MAX_ITEM_BYTES = 512 * 1024  # one element; a portrait is tens of KiB
MIN_RANDOM_BYTES = 16  # Section 9.1.2.5: random at least 16 bytes
_ITEM_KEYS = frozenset({"digestID", "random", "elementIdentifier", "elementValue"})


@dataclass(frozen=True, slots=True)
class IssuerItem:
    """One IssuerSignedItem with the exact tag-24 encoding its digest is taken over."""

    namespace: str
    digest_id: int
    element: str
    value: Any
    encoded: bytes  # IssuerSignedItemBytes: d8 18 <bstr head> <IssuerSignedItem>


@dataclass(frozen=True, slots=True)
class VerifiedIssuerSigned:
    """The result of Section 9.3.1 issuer data authentication."""

    mso: MobileSecurityObject
    chain: tuple[x509.Certificate, ...]  # validated path, leaf first, trust anchor last
    items: tuple[IssuerItem, ...]
    claims: dict[str, dict[str, Any]]


def _item(namespace: str, raw: Any) -> IssuerItem:
    item_bytes, item = unembed(raw, "IssuerSignedItemBytes", max_bytes=MAX_ITEM_BYTES)
    if not isinstance(item, dict) or set(item) != _ITEM_KEYS:
        raise MdocError(
            Reason.MALFORMED, "IssuerSignedItem must have exactly digestID, random, elementIdentifier, elementValue"
        )
    digest_id, random, element = item["digestID"], item["random"], item["elementIdentifier"]
    if isinstance(digest_id, bool) or not isinstance(digest_id, int) or digest_id < 0:
        raise MdocError(Reason.MALFORMED, "digestID must be an unsigned integer")
    if not isinstance(random, bytes) or len(random) < MIN_RANDOM_BYTES:
        raise MdocError(Reason.MALFORMED, f"random must be at least {MIN_RANDOM_BYTES} bytes")
    if not isinstance(element, str) or not element:
        raise MdocError(Reason.MALFORMED, "elementIdentifier must be a non-empty text string")
    return IssuerItem(
        namespace, digest_id, element, item["elementValue"], encode(cbor2.CBORTag(TAG_EMBEDDED, item_bytes))
    )


def parse_issuer_items(namespaces: Any) -> list[IssuerItem]:
    """Shape-check IssuerNameSpaces; digestIDs and element identifiers unique per namespace."""
    if namespaces is None:
        return []
    if not isinstance(namespaces, dict) or not namespaces or len(namespaces) > MAX_NAMESPACES:
        raise MdocError(Reason.MALFORMED, f"nameSpaces must map 1 to {MAX_NAMESPACES} namespaces")
    items: list[IssuerItem] = []
    for namespace, raw_items in namespaces.items():
        if not isinstance(namespace, str) or not isinstance(raw_items, list) or not raw_items:
            raise MdocError(Reason.MALFORMED, "nameSpaces must map a namespace to a non-empty array")
        if len(raw_items) > MAX_ITEMS_PER_NAMESPACE:
            raise MdocError(Reason.TOO_LARGE, f"more than {MAX_ITEMS_PER_NAMESPACE} items in {namespace}")
        parsed = [_item(namespace, raw) for raw in raw_items]
        if len({i.digest_id for i in parsed}) != len(parsed):
            raise MdocError(Reason.DUPLICATE_DIGEST, f"a digestID appears twice in {namespace}")
        if len({i.element for i in parsed}) != len(parsed):
            raise MdocError(Reason.DUPLICATE_MEMBER, f"an element identifier appears twice in {namespace}")
        items += parsed
    return items


def check_digests(mso: MobileSecurityObject, items: Sequence[IssuerItem]) -> dict[str, dict[str, Any]]:
    """Section 9.3.1: every item's digest equals the MSO's for its namespace and digestID; return the claims."""
    claims: dict[str, dict[str, Any]] = {}
    for item in items:
        expected = mso.value_digests.get(item.namespace, {}).get(item.digest_id)
        if expected is None:
            raise MdocError(Reason.DIGEST_MISMATCH, f"no MSO digest for {item.namespace} digestID {item.digest_id}")
        if not hmac.compare_digest(mso.digest(item.encoded), expected):
            raise MdocError(Reason.DIGEST_MISMATCH, f"digest of {item.namespace}/{item.element} does not match the MSO")
        claims.setdefault(item.namespace, {})[item.element] = plain(item.value)
    return claims


def check_mso_validity(mso: MobileSecurityObject, at: datetime, skew: timedelta) -> None:
    """Section 9.3.1: the MSO's validFrom..validUntil holds at ``at`` (with ``skew``)."""
    if at + skew < mso.validity.valid_from:
        raise MdocError(Reason.NOT_YET_VALID, "the MSO is not valid yet (validFrom)")
    if at - skew > mso.validity.valid_until:
        raise MdocError(Reason.EXPIRED, "the MSO has expired (validUntil)")


def verify_issuer_signed(
    issuer_signed: Any,
    *,
    trust_anchors: Sequence[x509.Certificate],
    at: datetime,
    algorithms: Collection[int],
    digest_algorithms: Collection[str],
    max_skew: int = 60,
) -> VerifiedIssuerSigned:
    """Section 9.3.1 over a decoded IssuerSigned map; raise :class:`MdocError` at the first failure."""
    if not isinstance(issuer_signed, dict) or "issuerAuth" not in issuer_signed:
        raise MdocError(Reason.MALFORMED, "IssuerSigned must be a map with issuerAuth")
    if set(issuer_signed) - {"nameSpaces", "issuerAuth"}:
        raise MdocError(Reason.MALFORMED, "IssuerSigned has unknown members")
    items = parse_issuer_items(issuer_signed.get("nameSpaces"))
    auth = parse_sign1(issuer_signed["issuerAuth"], "issuerAuth")
    chain = x5chain_certificates(auth.unprotected, "issuerAuth")
    if auth.payload is None:
        raise MdocError(Reason.MALFORMED, "issuerAuth payload (MobileSecurityObjectBytes) is missing")
    verify_sign1(auth, _leaf_key(chain[0]), algorithms=algorithms, reason=Reason.BAD_SIGNATURE)
    _, raw_mso = unembed(_decoded_payload(auth.payload), "MobileSecurityObjectBytes", max_bytes=MAX_MSO_BYTES)
    mso = parse_mso(raw_mso)
    if mso.digest_algorithm not in digest_algorithms:
        raise MdocError(Reason.UNSUPPORTED_DIGEST_ALG, f"digestAlgorithm {mso.digest_algorithm} is not allowed")
    check_mso_validity(mso, at, timedelta(seconds=max_skew))
    path = validate_document_signer(chain, trust_anchors, at)
    claims = check_digests(mso, items)
    return VerifiedIssuerSigned(mso=mso, chain=tuple(path), items=tuple(items), claims=claims)


@dataclass(frozen=True, slots=True)
class IssuerSignedParts:
    """IssuerSigned read but not yet authenticated: what a trust framework needs to judge its signer.

    Nothing here may be believed before :func:`idcore.mdoc.cose.verify_sign1` verified ``auth``
    with a key the caller trusts for ``chain`` (the MSO is the signed payload of ``auth``).
    """

    items: tuple[IssuerItem, ...]
    auth: Sign1
    chain: tuple[x509.Certificate, ...]
    mso: MobileSecurityObject


def read_issuer_signed(issuer_signed: Any, *, digest_algorithms: Collection[str]) -> IssuerSignedParts:
    """Shape-check a decoded IssuerSigned and decode its MSO, without judging the signature or the chain.

    For verifiers that must ask *who* signed before checking the signature (a trust framework
    gives the key): the caller then verifies ``auth``, the MSO validity and the digests
    (:func:`check_mso_validity`, :func:`check_digests`). :func:`verify_issuer_signed` is the
    one-call form with a fixed anchor list. Raises :class:`MdocError` (``malformed``,
    ``unsupported_digest_alg``, ...).
    """
    if not isinstance(issuer_signed, dict) or "issuerAuth" not in issuer_signed:
        raise MdocError(Reason.MALFORMED, "IssuerSigned must be a map with issuerAuth")
    if set(issuer_signed) - {"nameSpaces", "issuerAuth"}:
        raise MdocError(Reason.MALFORMED, "IssuerSigned has unknown members")
    items = parse_issuer_items(issuer_signed.get("nameSpaces"))
    auth = parse_sign1(issuer_signed["issuerAuth"], "issuerAuth")
    chain = x5chain_certificates(auth.unprotected, "issuerAuth")
    if auth.payload is None:
        raise MdocError(Reason.MALFORMED, "issuerAuth payload (MobileSecurityObjectBytes) is missing")
    _, raw_mso = unembed(_decoded_payload(auth.payload), "MobileSecurityObjectBytes", max_bytes=MAX_MSO_BYTES)
    mso = parse_mso(raw_mso)
    if mso.digest_algorithm not in digest_algorithms:
        raise MdocError(Reason.UNSUPPORTED_DIGEST_ALG, f"digestAlgorithm {mso.digest_algorithm} is not allowed")
    return IssuerSignedParts(tuple(items), auth, tuple(chain), mso)


def _decoded_payload(payload: bytes) -> Any:
    return decode(payload, "issuerAuth payload", max_bytes=MAX_MSO_BYTES)


def _leaf_key(cert: x509.Certificate) -> PublicKey:
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):  # an unknown curve or key type is not a crash
        raise MdocError(Reason.BAD_KEY, "the x5chain leaf key cannot be read") from None
    if not isinstance(key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        raise MdocError(Reason.BAD_KEY, "the x5chain leaf key is not EC or Ed25519")
    return key
