"""Benchmark: decrypting a ``direct_post.jwt`` response (compact JWE, ECDH-ES + A128GCM) vs its crypto floor.

The floor is what any decryption must do, with ``cryptography`` directly: one ECDH on P-256,
the Concat KDF and one AES-GCM open of the same ciphertext. ``idcore.oid4vp.jwe.decrypt_compact``
adds our closed-set checks and size limits, then hands the work to joserfc. Same run, one core.

    python benchmarks/jwe.py [--seconds 2] [--json]
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

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash

from benchmarks.verify import measure
from idcore.b64 import b64u_decode
from idcore.jwk import public_jwk, public_key_from_jwk
from idcore.oid4vp.jwe import decrypt_compact, encrypt_compact, protected_header


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=2.0, help="measuring time per variant")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    key = ec.generate_private_key(ec.SECP256R1())
    plaintext = b'{"vp_token":{"pid":["' + b"x" * 3000 + b'"]}}'  # about one SD-JWT VC presentation
    token = encrypt_compact(plaintext, {**public_jwk(key), "kid": "k"}, enc="A128GCM", kid="k")
    header = protected_header(token)
    epk = public_key_from_jwk(header["epk"])
    protected, _, iv, ciphertext, tag = token.split(".")
    iv_b, sealed = b64u_decode(iv), b64u_decode(ciphertext) + b64u_decode(tag)
    other = len(b"A128GCM").to_bytes(4, "big") + b"A128GCM" + bytes(8) + (128).to_bytes(4, "big")

    def floor() -> None:
        assert isinstance(epk, ec.EllipticCurvePublicKey)
        shared = key.exchange(ec.ECDH(), epk)
        cek = ConcatKDFHash(hashes.SHA256(), 16, other).derive(shared)
        AESGCM(cek).decrypt(iv_b, sealed, protected.encode("ascii"))

    floor()  # the floor really opens this token
    assert decrypt_compact(token, key, expected_kid="k")[1] == plaintext
    rates = measure(
        {"floor": floor, "decrypt": lambda: decrypt_compact(token, key, expected_kid="k")}, args.seconds * 2
    )
    ratio = rates["decrypt"] / rates["floor"]
    if args.json:
        print(
            json.dumps(
                {
                    "floor_per_s": round(rates["floor"]),
                    "decrypt_per_s": round(rates["decrypt"]),
                    "ratio": round(ratio, 3),
                }
            )
        )
        return
    rows = [
        ("floor: ECDH P-256 + Concat KDF + AES-GCM (cryptography)", rates["floor"]),
        ("idcore decrypt_compact (checks + joserfc)", rates["decrypt"]),
    ]
    print("| what (one core)                                         | per second | µs each |")
    print("|---------------------------------------------------------|-----------:|--------:|")
    for name, rate in rows:
        print(f"| {name:<55} | {rate:10.0f} | {1e6 / rate:7.1f} |")
    print(f"| {'ratio decrypt / floor':<55} | {ratio:10.3f} |         |")


if __name__ == "__main__":
    main()
