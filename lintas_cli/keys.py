"""``lintas keys generate``: create a signing key in a key store and print its public JWK.

The private key never leaves the store: a PEM file (mode 0600, optionally passphrase-encrypted)
in a directory, or a non-extractable key on a PKCS#11 token (an HSM; SoftHSM2 for testing).
Secrets (passphrase, PIN) are read from environment variables named on the command line, so
they appear neither in the shell history nor in the process list.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from idcore.errors import IdcoreError
from idcore.jwk import jwk_thumbprint
from idcore.keystore import FileKeyStore, KeyStore, Pkcs11KeyStore

__all__ = ["register"]


def _store(args: argparse.Namespace) -> KeyStore:
    if args.pkcs11_library:
        pin = os.environ.get(args.pin_env, "")
        if not pin:
            raise ValueError(f"set the token's user PIN in ${args.pin_env}")
        return Pkcs11KeyStore(args.pkcs11_library, args.token_label, pin)
    if args.dir is None:
        raise ValueError("give --dir (PEM files) or --pkcs11-library (HSM)")
    passphrase = os.environ.get(args.passphrase_env) if args.passphrase_env else None
    if args.passphrase_env and not passphrase:
        raise ValueError(f"${args.passphrase_env} is empty")
    return FileKeyStore(Path(args.dir), passphrase.encode() if passphrase else None)


def run_generate(args: argparse.Namespace) -> int:
    """Create the key; print ``{"key_id", "alg", "jwk", "thumbprint"}``. Exit 1 if it exists, 2 on bad usage."""
    try:
        store = _store(args)
    except ValueError as exc:
        print(f"lintas keys generate: {exc}", file=sys.stderr)
        return 2
    try:
        if store.exists(args.key_id):
            print(f"lintas keys generate: key {args.key_id!r} already exists (not replaced)", file=sys.stderr)
            return 1
        signer = store.create(args.key_id, args.alg)
    except IdcoreError as exc:
        print(f"lintas keys generate: {exc.reason.value}: {exc.detail}", file=sys.stderr)
        return 1
    jwk = dict(signer.public_jwk)
    print(json.dumps({"key_id": args.key_id, "alg": signer.alg, "jwk": jwk, "thumbprint": jwk_thumbprint(jwk)},
                     indent=2))  # fmt: skip
    return 0


def register(subparsers: Any) -> None:
    """Add ``lintas keys generate``."""
    keys = subparsers.add_parser("keys", help="signing keys in a file or PKCS#11 key store")
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    generate = actions.add_parser("generate", help="create a key and print its public JWK", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    generate.add_argument("key_id", metavar="KEY_ID", help="key name ([A-Za-z0-9._-], at most 64)")
    generate.add_argument("--alg", default="ES256", choices=["ES256", "ES384", "EdDSA"], help="default ES256")
    generate.add_argument("--dir", help="file key store directory (one PEM per key, mode 0600)")
    generate.add_argument("--passphrase-env", metavar="VAR", help="encrypt the PEM with the passphrase in $VAR")
    generate.add_argument("--pkcs11-library", metavar="SO", help="PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so")
    generate.add_argument("--token-label", default="lintas", help="PKCS#11 token label (default lintas)")
    generate.add_argument("--pin-env", default="LINTAS_PKCS11_PIN", metavar="VAR", help="token user PIN variable")
    generate.set_defaults(handler=run_generate)
