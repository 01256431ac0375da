"""Benchmark: ISO mdoc (mDL) DeviceResponse verification beside SD-JWT VC, each against its crypto floor.

Both are measured in the same run, on one core, variants interleaved round by round (see
:func:`verify.measure`). What each verification must do at the least:

* SD-JWT VC + Key Binding: two ES256 verifications (issuer-signed JWT, KB-JWT).
* mdoc (ISO/IEC 18013-5 Section 9.1.2 issuer data authentication, Section 9.1.3 device
  authentication): three ECDSA P-256/SHA-256 verifications: the Document Signer certificate by
  the IACA, the MSO's COSE_Sign1 by the Document Signer, the deviceSignature by the device key.

The floors verify signatures of the same kind over inputs of the same size with pre-loaded keys,
so the ratio shows what the format's parsing, CBOR, digests and checks cost on top of the
signatures. The mDL is a Thai driver's (7 elements, 5 disclosed) under a Malaysian car-rental
verifier's OpenID4VP SessionTranscript.

    python benchmarks/verify_mdoc.py [--seconds 2] [--json]
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)  # benchmarks/issuer.py would shadow the issuer package
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import json
import os
from datetime import UTC, date, datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from benchmarks.verify import AUD, NONCE, NOW, build_presentation, measure
from idcore.jose import KeySigner
from idcore.mdoc import (
    MdocVerifyOptions,
    create_document_signer_certificate,
    device_response,
    issue_mdoc,
    openid4vp_session_transcript,
    present_mdoc,
    verify_device_response,
)
from idcore.mdoc.cbor import encode, full_date
from idcore.ports import FixedClock, SystemRandom
from idcore.sdjwt import KeyBindingPolicy, VerifyOptions
from idcore.sdjwt_vc import verify_sd_jwt_vc
from idcore.x509 import create_root_ca

MDL = "org.iso.18013.5.1.mDL"
NS = "org.iso.18013.5.1"
DISCLOSE = {NS: ["given_name", "family_name", "age_over_18", "issuing_country", "driving_privileges"]}
ECDSA = ec.ECDSA(hashes.SHA256())


def build_mdoc() -> tuple[bytes, MdocVerifyOptions, list[tuple[ec.EllipticCurvePublicKey, bytes, bytes]]]:
    """A DeviceResponse, the options that verify it, and the floor's three (key, signature, message)."""
    at = datetime.fromtimestamp(NOW, UTC)
    iaca_key, ds_key, device_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    iaca = create_root_ca(
        iaca_key,
        common_name="TH IACA (benchmark)",
        country="TH",
        organization="Lintas benchmark",
        not_before=at - timedelta(days=365),
        not_after=at + timedelta(days=3650),
    )
    ds_cert = create_document_signer_certificate(
        iaca_key,
        iaca,
        ds_key.public_key(),
        common_name="TH DS (benchmark)",
        country="TH",
        not_before=at - timedelta(days=30),
        not_after=at + timedelta(days=365),
    )
    claims = {
        NS: {
            "family_name": "Saetang",
            "given_name": "Somchai",
            "birth_date": full_date(date(1990, 4, 2)),
            "issuing_country": "TH",
            "document_number": "TH-DL-0001",
            "age_over_18": True,
            "driving_privileges": [{"vehicle_category_code": "B", "issue_date": full_date(date(2015, 1, 5))}],
        }
    }
    issued = issue_mdoc(
        doctype=MDL,
        claims=claims,
        device_key=device_key.public_key(),
        signer=KeySigner(ds_key),
        signer_chain=[ds_cert],
        signed=at - timedelta(days=1),
        valid_from=at - timedelta(days=1),
        valid_until=at + timedelta(days=90),
        rng=SystemRandom(),
    )
    session = openid4vp_session_transcript(
        client_id=AUD, nonce=NONCE, response_uri="https://rent.example.my/response", jwk_thumbprint=None
    )
    document = present_mdoc(
        issued, doctype=MDL, device_signer=KeySigner(device_key), session_transcript=session, disclose=DISCLOSE
    )
    response = device_response([document])
    options = MdocVerifyOptions(trust_anchors=[iaca], clock=FixedClock(NOW), session_transcript=session)
    mso_size = len(encode(issued["issuerAuth"]))
    floor = [(iaca_key.public_key(), ds_cert.signature, ds_cert.tbs_certificate_bytes)]
    for key, size in ((ds_key, mso_size), (device_key, 200 + len(session))):
        message = os.urandom(size)
        floor.append((key.public_key(), key.sign(message, ECDSA), message))
    return response, options, floor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per variant")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    presentation, issuer_key, _ = build_presentation()
    sd_options = VerifyOptions(clock=FixedClock(NOW), typ=None, key_binding=KeyBindingPolicy(nonce=NONCE, aud=AUD))
    response, mdoc_options, mdoc_floor = build_mdoc()
    verified = verify_device_response(response, mdoc_options)
    if set(verified.documents[0].claims[NS]) != set(DISCLOSE[NS]) or not verified.documents[0].device_authenticated:
        raise SystemExit("the benchmark's mdoc did not verify as expected")
    issuer_jwt, kb_jwt = presentation.split("~")[0], presentation.split("~")[-1]
    sd_floor = []
    for jwt in (issuer_jwt, kb_jwt):  # fresh P-256 keys, inputs of the same size as the two JWTs
        private = ec.generate_private_key(ec.SECP256R1())
        message = os.urandom(jwt.rindex("."))
        sd_floor.append((private.public_key(), private.sign(message, ECDSA), message))

    def floor_of(triples: list[tuple[ec.EllipticCurvePublicKey, bytes, bytes]]) -> object:
        def run() -> None:
            for key, signature, message in triples:
                key.verify(signature, message, ECDSA)

        return run

    rates = measure(
        {
            "sd_floor": floor_of(sd_floor),  # type: ignore[dict-item]
            "sd_verify": lambda: verify_sd_jwt_vc(presentation, issuer_key, sd_options),
            "mdoc_floor": floor_of(mdoc_floor),  # type: ignore[dict-item]
            "mdoc_verify": lambda: verify_device_response(response, mdoc_options),
        },
        args.seconds * 4,
    )
    figures = {
        "sd_jwt_vc_per_s": round(rates["sd_verify"], 1),
        "sd_jwt_vc_ratio": round(rates["sd_verify"] / rates["sd_floor"], 3),
        "mdoc_per_s": round(rates["mdoc_verify"], 1),
        "mdoc_ratio": round(rates["mdoc_verify"] / rates["mdoc_floor"], 3),
    }
    if args.json:
        print(json.dumps(figures))
        return
    print("| format (one core, same run)                        | floor /s | verify /s | verify / floor |")
    print("|----------------------------------------------------|---------:|----------:|---------------:|")
    print(
        f"| SD-JWT VC + KB-JWT (floor: 2 × ES256)              | {rates['sd_floor']:8.0f} |"
        f" {rates['sd_verify']:9.0f} | {figures['sd_jwt_vc_ratio']:14.3f} |"
    )
    print(
        f"| mdoc DeviceResponse + deviceSignature (floor: 3 ×) | {rates['mdoc_floor']:8.0f} |"
        f" {rates['mdoc_verify']:9.0f} | {figures['mdoc_ratio']:14.3f} |"
    )


if __name__ == "__main__":
    main()
