"""The Mobile Security Object (ISO/IEC 18013-5:2021 Section 9.1.2.4).

::

    MobileSecurityObjectBytes = #6.24(bstr .cbor MobileSecurityObject)
    MobileSecurityObject = {"version": tstr, "digestAlgorithm": tstr, "valueDigests": ValueDigests,
                            "deviceKeyInfo": DeviceKeyInfo, "docType": tstr, "validityInfo": ValidityInfo,
                            ? "status": Status}   ; status: Token Status List Section 6.3 (mdoc)
    ValueDigests = {+ NameSpace => {+ DigestID => Digest}}
    ValidityInfo = {"signed": tdate, "validFrom": tdate, "validUntil": tdate, ? "expectedUpdate": tdate}
    DeviceKeyInfo = {"deviceKey": COSE_Key, ? "keyAuthorizations": {? "nameSpaces": [+ tstr],
                     ? "dataElements": {+ NameSpace => [+ DataElementIdentifier]}}, ? "keyInfo": {...}}

Digest algorithms: "SHA-256", "SHA-384", "SHA-512" (Section 9.1.2.5); each digest must have its
algorithm's length. ``validFrom`` may not precede ``signed`` and ``validUntil`` must follow
``validFrom`` (Section 9.1.2.4).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from idcore.errors import MdocError, Reason
from idcore.jwk import PublicKey
from idcore.mdoc.cbor import parse_tdate, plain
from idcore.mdoc.cose import public_key_from_cose

__all__ = ["DIGEST_ALGORITHMS", "MAX_NAMESPACES", "MSO_VERSION", "MobileSecurityObject", "ValidityInfo", "parse_mso"]

MSO_VERSION = "1.0"
#: Section 9.1.2.5 digest algorithm identifiers -> (hash function, digest length).
DIGEST_ALGORITHMS: dict[str, tuple[Callable[[bytes], Any], int]] = {
    "SHA-256": (hashlib.sha256, 32),
    "SHA-384": (hashlib.sha384, 48),
    "SHA-512": (hashlib.sha512, 64),
}
MAX_NAMESPACES = 32
MAX_DIGESTS = 4096  # over all namespaces; an mDL has about 30 elements, a PID about 40
_MAX_DIGEST_ID = 2**32 - 1


@dataclass(frozen=True, slots=True)
class ValidityInfo:
    """The signed validity window of the MSO (all timezone-aware UTC)."""

    signed: datetime
    valid_from: datetime
    valid_until: datetime
    expected_update: datetime | None = None


@dataclass(frozen=True, slots=True)
class KeyAuthorizations:
    """What the device key may sign in DeviceSigned (Section 9.1.2.4); empty authorises nothing."""

    namespaces: frozenset[str] = frozenset()
    data_elements: Mapping[str, frozenset[str]] | None = None

    def allows(self, namespace: str, element: str) -> bool:
        """Whether the device may sign ``element`` of ``namespace``."""
        if namespace in self.namespaces:
            return True
        return element in (self.data_elements or {}).get(namespace, frozenset())


@dataclass(frozen=True, slots=True)
class MobileSecurityObject:
    """A shape-checked MSO. Nothing in it is trusted until issuerAuth has been verified."""

    version: str
    digest_algorithm: str
    value_digests: Mapping[str, Mapping[int, bytes]]
    device_key: PublicKey
    device_key_cose: Mapping[int, Any]
    key_authorizations: KeyAuthorizations
    doctype: str
    validity: ValidityInfo
    status: Mapping[str, Any] | None

    def digest(self, item_bytes: bytes) -> bytes:
        """The digest of an encoded IssuerSignedItemBytes under this MSO's algorithm."""
        function, _ = DIGEST_ALGORITHMS[self.digest_algorithm]
        result: bytes = function(item_bytes).digest()
        return result


def _text(mso: Mapping[str, Any], name: str) -> str:
    value = mso.get(name)
    if not isinstance(value, str) or not value:
        raise MdocError(Reason.MALFORMED, f"MSO {name} must be a non-empty text string")
    return value


def _value_digests(raw: Any, length: int) -> dict[str, dict[int, bytes]]:
    if not isinstance(raw, dict) or not raw or len(raw) > MAX_NAMESPACES:
        raise MdocError(Reason.MALFORMED, f"MSO valueDigests must map 1 to {MAX_NAMESPACES} namespaces")
    total = 0
    result: dict[str, dict[int, bytes]] = {}
    for namespace, digests in raw.items():
        if not isinstance(namespace, str) or not isinstance(digests, dict) or not digests:
            raise MdocError(Reason.MALFORMED, "MSO valueDigests entry must map a namespace to digests")
        total += len(digests)
        if total > MAX_DIGESTS:
            raise MdocError(Reason.TOO_LARGE, f"MSO holds more than {MAX_DIGESTS} digests")
        for digest_id, value in digests.items():
            if isinstance(digest_id, bool) or not isinstance(digest_id, int) or not 0 <= digest_id <= _MAX_DIGEST_ID:
                raise MdocError(Reason.MALFORMED, "digestID must be an unsigned integer")
            if not isinstance(value, bytes) or len(value) != length:
                raise MdocError(Reason.MALFORMED, "a digest has the wrong type or length for digestAlgorithm")
        result[namespace] = dict(digests)
    return result


def _validity(raw: Any) -> ValidityInfo:
    if not isinstance(raw, dict):
        raise MdocError(Reason.MALFORMED, "MSO validityInfo must be a map")
    expected = raw.get("expectedUpdate")
    info = ValidityInfo(
        signed=parse_tdate(raw.get("signed"), "validityInfo.signed"),
        valid_from=parse_tdate(raw.get("validFrom"), "validityInfo.validFrom"),
        valid_until=parse_tdate(raw.get("validUntil"), "validityInfo.validUntil"),
        expected_update=None if expected is None else parse_tdate(expected, "validityInfo.expectedUpdate"),
    )
    if info.valid_from < info.signed or info.valid_until <= info.valid_from:
        raise MdocError(Reason.MALFORMED, "validityInfo must have signed <= validFrom < validUntil")
    return info


def _key_authorizations(raw: Any) -> KeyAuthorizations:
    if raw is None:
        return KeyAuthorizations()
    if not isinstance(raw, dict):
        raise MdocError(Reason.MALFORMED, "keyAuthorizations must be a map")
    namespaces = raw.get("nameSpaces", [])
    elements = raw.get("dataElements", {})
    if not isinstance(namespaces, list) or not all(isinstance(n, str) for n in namespaces):
        raise MdocError(Reason.MALFORMED, "keyAuthorizations.nameSpaces must be an array of text")
    if not isinstance(elements, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(e, str) for e in v) for k, v in elements.items()
    ):
        raise MdocError(Reason.MALFORMED, "keyAuthorizations.dataElements must map namespaces to text arrays")
    return KeyAuthorizations(frozenset(namespaces), {k: frozenset(v) for k, v in elements.items()})


def _device_key_info(raw: Any) -> tuple[PublicKey, dict[int, Any], KeyAuthorizations]:
    if not isinstance(raw, dict) or "deviceKey" not in raw:
        raise MdocError(Reason.MALFORMED, "MSO deviceKeyInfo must be a map with deviceKey")
    cose_key = raw["deviceKey"]
    return public_key_from_cose(cose_key), dict(cose_key), _key_authorizations(raw.get("keyAuthorizations"))


def parse_mso(mso: Any) -> MobileSecurityObject:
    """Shape-check a decoded MobileSecurityObject (the content of MobileSecurityObjectBytes)."""
    if not isinstance(mso, dict):
        raise MdocError(Reason.MALFORMED, "MobileSecurityObject must be a map")
    version = _text(mso, "version")
    if version != MSO_VERSION:
        raise MdocError(Reason.MALFORMED, f"MSO version {version!r} is not {MSO_VERSION!r}")
    algorithm = _text(mso, "digestAlgorithm")
    if algorithm not in DIGEST_ALGORITHMS:
        raise MdocError(Reason.UNSUPPORTED_DIGEST_ALG, f"digestAlgorithm {algorithm!r} is not supported")
    status = mso.get("status")
    if status is not None and not isinstance(status, dict):
        raise MdocError(Reason.MALFORMED, "MSO status must be a map")
    device_key, device_key_cose, authorizations = _device_key_info(mso.get("deviceKeyInfo"))
    return MobileSecurityObject(
        version=version,
        digest_algorithm=algorithm,
        value_digests=_value_digests(mso.get("valueDigests"), DIGEST_ALGORITHMS[algorithm][1]),
        device_key=device_key,
        device_key_cose=device_key_cose,
        key_authorizations=authorizations,
        doctype=_text(mso, "docType"),
        validity=_validity(mso.get("validityInfo")),
        status=None if status is None else plain(status),
    )
