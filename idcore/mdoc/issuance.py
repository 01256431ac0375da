"""Issuing and presenting mdocs (ISO/IEC 18013-5:2021 Section 9.1.2.4 MSO signing, 8.3.2.1.2.2
DeviceResponse, 9.1.3.6 deviceSignature).

* :func:`issue_mdoc` builds an IssuerSigned: every element becomes an IssuerSignedItemBytes with
  a fresh 32-byte ``random`` (Section 9.1.2.5 asks for at least 16) and a digestID; digestIDs are
  a random permutation per namespace so they reveal nothing about element order; the MSO carries
  the digests, the device key, the docType, the validity window and an optional status reference,
  and is signed as a COSE_Sign1 with the Document Signer chain in ``x5chain`` (label 33).
* :func:`present_mdoc` selects the disclosed items and signs DeviceAuthenticationBytes with the
  device key (detached payload, empty DeviceNameSpaces); :func:`device_response` wraps documents.

Signing goes through the :class:`~idcore.ports.Signer` port (a file key or an HSM key), whose
ECDSA output is already the raw ``r || s`` COSE wants.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from idcore.errors import MdocError, Reason
from idcore.jwk import PublicKey
from idcore.mdoc.cbor import TAG_EMBEDDED, decode, embed, encode, tdate
from idcore.mdoc.cose import HEADER_X5CHAIN, cose_key_from_public, sign1
from idcore.mdoc.issuer_signed import MAX_ITEM_BYTES, parse_issuer_items
from idcore.mdoc.mso import DIGEST_ALGORITHMS, MSO_VERSION
from idcore.mdoc.transcript import device_authentication_bytes
from idcore.ports import RandomSource, Signer

__all__ = ["device_response", "issue_mdoc", "present_mdoc"]

_RANDOM_BYTES = 32


def _permutation(count: int, rng: RandomSource) -> list[int]:
    """A uniformly random ordering of range(count) (Fisher-Yates over rejection-sampled bytes)."""
    ids = list(range(count))
    for i in range(count - 1, 0, -1):
        bound = i + 1
        limit = (1 << 32) - ((1 << 32) % bound)
        while True:
            draw = int.from_bytes(rng.token_bytes(4), "big")
            if draw < limit:
                break
        j = draw % bound
        ids[i], ids[j] = ids[j], ids[i]
    return ids


def _items(
    claims: Mapping[str, Mapping[str, Any]], rng: RandomSource, algorithm: str
) -> tuple[dict[str, list[cbor2.CBORTag]], dict[str, dict[int, bytes]]]:
    hash_function, _ = DIGEST_ALGORITHMS[algorithm]
    namespaces: dict[str, list[cbor2.CBORTag]] = {}
    digests: dict[str, dict[int, bytes]] = {}
    for namespace, elements in claims.items():
        ids = _permutation(len(elements), rng)
        for digest_id, (element, value) in zip(ids, elements.items(), strict=True):
            item = {
                "digestID": digest_id,
                "random": rng.token_bytes(_RANDOM_BYTES),
                "elementIdentifier": element,
                "elementValue": value,
            }
            wrapped = embed(item)
            namespaces.setdefault(namespace, []).append(wrapped)
            digests.setdefault(namespace, {})[digest_id] = hash_function(encode(wrapped)).digest()
    return namespaces, digests


def issue_mdoc(
    *,
    doctype: str,
    claims: Mapping[str, Mapping[str, Any]],
    device_key: PublicKey,
    signer: Signer,
    signer_chain: Sequence[x509.Certificate],
    signed: datetime,
    valid_from: datetime,
    valid_until: datetime,
    rng: RandomSource,
    expected_update: datetime | None = None,
    status: Mapping[str, Any] | None = None,
    digest_algorithm: str = "SHA-256",
) -> dict[str, Any]:
    """Build a signed IssuerSigned map (encode it with :func:`idcore.mdoc.cbor.encode`).

    ``claims`` maps namespace -> element identifier -> CBOR-ready value (dates as
    :func:`~idcore.mdoc.cbor.full_date` / :func:`~idcore.mdoc.cbor.tdate`). ``signer_chain`` is
    the Document Signer certificate first, without the IACA (Section 9.1.2.4, RFC 9360).
    """
    if digest_algorithm not in DIGEST_ALGORITHMS:
        raise MdocError(Reason.UNSUPPORTED_DIGEST_ALG, f"digestAlgorithm {digest_algorithm!r} is not supported")
    if not claims or not signer_chain:
        raise ValueError("issue_mdoc needs at least one claim and the Document Signer certificate")
    namespaces, digests = _items(claims, rng, digest_algorithm)
    validity = {"signed": tdate(signed), "validFrom": tdate(valid_from), "validUntil": tdate(valid_until)}
    if expected_update is not None:
        validity["expectedUpdate"] = tdate(expected_update)
    mso: dict[str, Any] = {
        "version": MSO_VERSION,
        "digestAlgorithm": digest_algorithm,
        "valueDigests": digests,
        "deviceKeyInfo": {"deviceKey": cose_key_from_public(device_key)},
        "docType": doctype,
        "validityInfo": validity,
    }
    if status is not None:
        mso["status"] = dict(status)
    der = [cert.public_bytes(serialization.Encoding.DER) for cert in signer_chain]
    x5chain: bytes | list[bytes] = der[0] if len(der) == 1 else der
    issuer_auth = sign1(signer, encode(embed(mso)), unprotected={HEADER_X5CHAIN: x5chain})
    return {"nameSpaces": namespaces, "issuerAuth": issuer_auth}


def _selected(issuer_signed: Mapping[str, Any], disclose: Mapping[str, Collection[str]] | None) -> dict[str, Any]:
    """IssuerSigned with only the disclosed items (all of them when ``disclose`` is None)."""
    if disclose is None:
        return dict(issuer_signed)
    items = parse_issuer_items(issuer_signed.get("nameSpaces"))
    chosen: dict[str, list[cbor2.CBORTag]] = {}
    for item in items:
        if item.element in disclose.get(item.namespace, ()):
            tagged = decode(item.encoded, "IssuerSignedItemBytes", max_bytes=MAX_ITEM_BYTES + 16)
            chosen.setdefault(item.namespace, []).append(tagged)
    result = {"issuerAuth": issuer_signed["issuerAuth"]}
    return {"nameSpaces": chosen, **result} if chosen else result


def present_mdoc(
    issuer_signed: Mapping[str, Any],
    *,
    doctype: str,
    device_signer: Signer,
    session_transcript: bytes,
    disclose: Mapping[str, Collection[str]] | None = None,
) -> dict[str, Any]:
    """A Document with the chosen elements and a deviceSignature over this SessionTranscript."""
    device_namespaces = encode({})
    payload = device_authentication_bytes(session_transcript, doctype, device_namespaces)
    signature = sign1(device_signer, payload, detached=True)
    return {
        "docType": doctype,
        "issuerSigned": _selected(issuer_signed, disclose),
        "deviceSigned": {
            "nameSpaces": cbor2.CBORTag(TAG_EMBEDDED, device_namespaces),
            "deviceAuth": {"deviceSignature": signature},
        },
    }


def device_response(documents: Sequence[Mapping[str, Any]]) -> bytes:
    """An encoded DeviceResponse (version "1.0", status 0 OK) holding ``documents``."""
    return encode({"version": "1.0", "documents": list(documents), "status": 0})
