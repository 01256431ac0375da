"""``lintas keys generate`` creates a signing key in a key store and prints its public JWK;
``lintas keys csr`` makes a PKCS#10 certificate signing request for it (RFC 2986).

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

from cryptography.hazmat.primitives import serialization

from idcore.errors import IdcoreError
from idcore.jwk import jwk_thumbprint
from idcore.keystore import FileKeyStore, KeyStore, Pkcs11KeyStore
from lintas_cli.csr import CsrRequest, build_csr, dns_name_from_url

__all__: list[str] = []


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
    print(
        json.dumps({"key_id": args.key_id, "alg": signer.alg, "jwk": jwk, "thumbprint": jwk_thumbprint(jwk)}, indent=2)
    )
    return 0


def _csr_request(args: argparse.Namespace) -> CsrRequest:
    """The subject and SANs from the options; ValueError names what is wrong."""
    dns_names = list(args.dns or [])
    if args.public_url:
        dns_names.insert(0, dns_name_from_url(args.public_url))
    common_name = args.common_name or (dns_names[0] if dns_names else None)
    if not common_name:
        raise ValueError("give --common-name, or --public-url / --dns to take it from")
    return CsrRequest(
        common_name=common_name,
        dns_names=list(dict.fromkeys(dns_names)),
        uris=list(args.uri or []),
        organization=args.organization,
        organizational_unit=args.organizational_unit,
        locality=args.locality,
        country=args.country,
    )


def run_csr(args: argparse.Namespace) -> int:
    """Write a PEM CSR for an existing key. Exit 1 if the key is missing, 2 on bad usage."""
    try:
        store = _store(args)
        request = _csr_request(args)
    except ValueError as exc:
        print(f"lintas keys csr: {exc}", file=sys.stderr)
        return 2
    try:
        signer = store.signer(args.key_id)
        csr = build_csr(signer, store.public_key(args.key_id), request)
    except IdcoreError as exc:
        print(f"lintas keys csr: {exc.reason.value}: {exc.detail}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"lintas keys csr: {exc}", file=sys.stderr)
        return 2
    pem = csr.public_bytes(serialization.Encoding.PEM)
    if args.out:
        try:
            with open(args.out, "xb") as handle:  # never overwrite a CSR already sent to the CA
                handle.write(pem)
        except FileExistsError:
            print(f"lintas keys csr: {args.out} exists (not replaced)", file=sys.stderr)
            return 1
        print(f"lintas keys csr: wrote {args.out} for {request.common_name}", file=sys.stderr)
    else:
        sys.stdout.write(pem.decode("ascii"))
    return 0


def _store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("key_id", metavar="KEY_ID", help="key name ([A-Za-z0-9._-], at most 64)")
    parser.add_argument("--dir", help="file key store directory (one PEM per key, mode 0600)")
    parser.add_argument("--passphrase-env", metavar="VAR", help="the PEM's passphrase is in $VAR")
    parser.add_argument("--pkcs11-library", metavar="SO", help="PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so")
    parser.add_argument("--token-label", default="lintas", help="PKCS#11 token label (default lintas)")
    parser.add_argument("--pin-env", default="LINTAS_PKCS11_PIN", metavar="VAR", help="token user PIN variable")


def register(subparsers: Any) -> None:
    """Add ``lintas keys generate`` and ``lintas keys csr``."""
    keys = subparsers.add_parser("keys", help="signing keys in a file or PKCS#11 key store")
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    generate = actions.add_parser(
        "generate",
        help="create a key and print its public JWK",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _store_options(generate)
    generate.add_argument("--alg", default="ES256", choices=["ES256", "ES384", "EdDSA"], help="default ES256")
    generate.set_defaults(handler=run_generate)
    csr = actions.add_parser(
        "csr",
        help="a PKCS#10 certificate signing request for a key (PEM)",
        description="Make a CSR for KEY_ID, signed by the key itself, for your national CA. "
        "SANs: the host of --public-url as a DNS name, plus any --dns and --uri.",
    )
    _store_options(csr)
    csr.add_argument("--public-url", metavar="URL", help="the service's https base URL; its host becomes a DNS SAN")
    csr.add_argument("--dns", action="append", metavar="NAME", help="another DNS name SAN (repeatable)")
    csr.add_argument("--uri", action="append", metavar="URI", help="a URI SAN (repeatable)")
    csr.add_argument("--common-name", metavar="CN", help="subject CN (default: the first DNS name)")
    csr.add_argument("--organization", metavar="O", help="subject O, e.g. the ministry's legal name")
    csr.add_argument("--organizational-unit", metavar="OU", help="subject OU")
    csr.add_argument("--locality", metavar="L", help="subject L")
    csr.add_argument("--country", metavar="CC", help="subject C (ISO 3166-1 alpha-2, e.g. MY)")
    csr.add_argument("--out", metavar="FILE", help="write the PEM here (refuses to overwrite); default stdout")
    csr.set_defaults(handler=run_csr)
