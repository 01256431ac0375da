"""``lintas registry``: run the trust registry, or check its audit log.

* ``lintas registry --host 127.0.0.1 --port PORT --data DIR [--redis-url URL] [--development]``
* ``lintas registry audit-verify --data DIR [--redis-url URL] [--checkpoint NOTE [--checkpoint-key VKEY]]``
  (also spelled ``verify-log``) — verifies the whole log from genesis: exit 0 when the hash chain,
  every record signature, every past list and recognition list signature check out, and (with
  ``--checkpoint``) the log extends a checkpoint saved earlier; 1 otherwise. It prints the RFC 9162
  tree head of what it verified (size and root), to compare with a checkpoint kept elsewhere.
* ``lintas registry witness`` / ``witness-key`` — see :mod:`trust_registry.witness_cli`.
* ``lintas registry backup`` / ``restore`` — see :mod:`trust_registry.backup_cli`.
"""

from __future__ import annotations

import argparse
import base64
import sys
from pathlib import Path
from typing import Any

__all__: list[str] = []


def _settings(args: argparse.Namespace, **extra: Any) -> Any:
    from trust_registry.settings import RegistrySettings

    values: dict[str, Any] = {"data_dir": Path(args.data), **extra}
    if args.redis_url:
        values["redis_url"] = args.redis_url
    return RegistrySettings(**values)


def _serve(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from lintas.kv import StoreUnavailable
    from lintas.server import run
    from trust_registry.app import create_app

    extra: dict[str, Any] = {"development": True} if args.development else {}
    if args.public_url:
        extra["public_url"] = args.public_url
    try:
        settings = _settings(args, **extra)
    except ValidationError as exc:
        print(f"invalid configuration: {exc}", file=sys.stderr)
        return 2
    try:
        app = create_app(settings)
    except (ValueError, OSError, StoreUnavailable) as exc:  # bad seed file, unwritable data dir, store down
        print(f"cannot start the registry: {exc}", file=sys.stderr)
        return 2
    run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    from idcore.x509 import certificate_from_pem
    from lintas.kv import StoreUnavailable, open_store
    from trust_registry.app import STORE_NAMESPACE
    from trust_registry.audit import tree_head, verify_audit_log

    settings = _settings(args, **({"public_url": args.public_url} if args.public_url else {}))
    cert_path = settings.data_dir / "registry" / "signing-cert.pem"
    if not cert_path.exists():
        print(f"no registry signing certificate at {cert_path}", file=sys.stderr)
        return 2
    try:
        store = open_store(settings.redis_url, settings.data_dir, STORE_NAMESPACE)
        try:
            report = verify_audit_log(store, certificate_from_pem(cert_path.read_bytes()))
            size, root = tree_head(store)
        finally:
            store.close()
    except StoreUnavailable as exc:
        print(f"store unavailable: {exc}", file=sys.stderr)
        return 2
    try:
        report.problems.extend(_checkpoint_problems(args, settings))
    except (OSError, ValueError, StoreUnavailable) as exc:  # unreadable or bad note or key, store down
        print(f"cannot check the checkpoint: {exc}", file=sys.stderr)
        return 2
    for line in report.problems:
        print(f"problem: {line}")
    print(f"tree head: size {size} root {base64.b64encode(root).decode('ascii')}")
    print(f"{'ok' if report.ok else 'FAILED'}: {report.records} records checked")
    return 0 if report.ok else 1


def _checkpoint_problems(args: argparse.Namespace, settings: Any) -> list[str]:
    """Compare the store with a checkpoint note the auditor saved (verified with the pinned key)."""
    if not args.checkpoint:
        return []
    from idcore.errors import TrustError
    from idcore.trust.checkpoint import CheckpointSigner, CheckpointVerifier
    from lintas.kv import open_store
    from trust_registry.app import STORE_NAMESPACE
    from trust_registry.audit import check_checkpoint
    from trust_registry.checkpoints import checkpoint_origin
    from trust_registry.pki import load_checkpoint_key

    if args.checkpoint_key:
        vkey = args.checkpoint_key
    else:  # the registry's own key; pass the pinned one when the data directory itself is in doubt
        vkey = CheckpointSigner(checkpoint_origin(settings.public_url), load_checkpoint_key(settings.data_dir)).vkey
    try:
        checkpoint = CheckpointVerifier(vkey).open(Path(args.checkpoint).read_bytes())
    except TrustError as exc:
        raise ValueError(str(exc)) from None
    store = open_store(settings.redis_url, settings.data_dir, STORE_NAMESPACE)
    try:
        return check_checkpoint(store, checkpoint)
    finally:
        store.close()


def register(subparsers: Any) -> None:
    """Add ``registry`` (and ``registry audit-verify``) to the ``lintas`` command line."""
    parser = subparsers.add_parser("registry", help="run the ASEAN trust registry")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--data", default="data/registry", help="data directory (keys, embedded store)")
    parser.add_argument("--redis-url", default=None, help="Redis URL (default: $REDIS_URL, else embedded store)")
    parser.add_argument("--public-url", default=None, help="the registry's public URL (scheme operator id)")
    parser.add_argument("--development", action="store_true", help="accept http://127.0.0.1 identifiers")
    parser.add_argument("--log-level", default="info")
    parser.set_defaults(handler=_serve)
    sub = parser.add_subparsers(dest="registry_command", metavar="SUBCOMMAND")
    audit = sub.add_parser(
        "audit-verify", aliases=["verify-log"], help="verify the whole audit log from genesis and every past list"
    )
    audit.add_argument("--data", required=True)
    audit.add_argument("--redis-url", default=None)
    audit.add_argument("--public-url", default=None, help="the registry's public URL (checkpoint origin)")
    audit.add_argument("--checkpoint", default=None, help="a checkpoint note saved earlier: the log must extend it")
    audit.add_argument("--checkpoint-key", default=None, help="pinned checkpoint vkey (default: the data dir's)")
    audit.set_defaults(handler=_audit_verify)
    from trust_registry.backup_cli import register_backup
    from trust_registry.rp_ca_cli import register_rp_ca
    from trust_registry.verifier_entity_cli import register_verifier_entity_cli
    from trust_registry.witness_cli import register_witness

    register_witness(sub)
    register_backup(sub)
    register_rp_ca(sub)
    register_verifier_entity_cli(sub)
