"""``lintas registry backup`` and ``restore``: the registry's durable state, verified on both sides.

* ``lintas registry backup --data DIR [--redis-url URL] [--public-url URL] --out FILE`` verifies the
  live log first (hash chain, record and list signatures: :func:`trust_registry.audit.verify_audit_log`),
  refuses to copy a damaged one (exit 1), and writes the sequence number, every signed list,
  every recognition list and every audit record, with a checkpoint of the log signed by the registry's checkpoint key
  (C2SP tlog-checkpoint, RFC 9162 root over the records) so that a truncated or edited backup is
  detected at restore.
* ``lintas registry restore --data DIR [--redis-url URL] [--public-url URL] --from FILE
  [--checkpoint-key VKEY]`` loads the backup into a scratch store, checks the checkpoint's
  signature (the data directory's checkpoint key, or the pinned ``--checkpoint-key``), that the
  records are exactly the checkpointed tree and that the whole log verifies from genesis; only then
  writes everything in one atomic write that succeeds only if the target has no log yet, and
  verifies the target again. Exit 0 restored, 1 the backup failed a check (nothing written), 2
  usage, store or file errors (including a target that already holds a log).

The registry's keys (list signing, checkpoint, OAuth) are not in the backup: they belong in the
operator's key backup or HSM, and restore needs them in the target data directory to verify.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["register_backup"]

FORMAT = "lintas-registry-backup/1"
_MAX_BACKUP_BYTES = 1024 * 1024 * 1024
#: The durable entries besides ``seq``: signed lists, recognition lists, audit records (trust_registry.ledger).
_PREFIXES = ("list:", "recog:", "log:")


def _settings(args: argparse.Namespace) -> Any:
    from trust_registry.settings import RegistrySettings

    values: dict[str, Any] = {"data_dir": Path(args.data)}
    if args.redis_url:
        values["redis_url"] = args.redis_url
    if args.public_url:
        values["public_url"] = args.public_url
    return RegistrySettings(**values)


def _durable_keys(store: Any) -> list[str]:
    from trust_registry.ledger import SEQ_KEY

    keys: list[str] = [SEQ_KEY] if store.get(SEQ_KEY) is not None else []
    return [*keys, *(key for prefix in _PREFIXES for key in store.scan_prefix(prefix))]


def _signing_cert(settings: Any) -> Any:
    from idcore.x509 import certificate_from_pem

    path = settings.data_dir / "registry" / "signing-cert.pem"
    if not path.exists():
        raise OSError(f"no registry signing certificate at {path}")
    return certificate_from_pem(path.read_bytes())


def _checkpoint_signer(settings: Any) -> Any:
    from idcore.trust.checkpoint import CheckpointSigner
    from trust_registry.checkpoints import checkpoint_origin
    from trust_registry.pki import load_checkpoint_key

    if not (settings.data_dir / "registry" / "keys" / "checkpoint.pem").exists():
        raise OSError("no checkpoint key in the data directory (restore the registry's keys first)")
    return CheckpointSigner(checkpoint_origin(settings.public_url), load_checkpoint_key(settings.data_dir))


def _log_checkpoint(store: Any, signer: Any) -> str:
    from idcore.trust.checkpoint import Checkpoint
    from trust_registry.audit import tree_head

    size, root = tree_head(store)
    return str(signer.sign(Checkpoint(signer.name, size, root)))


def _backup(args: argparse.Namespace) -> int:
    from lintas.kv import StoreUnavailable, open_store
    from trust_registry.app import STORE_NAMESPACE
    from trust_registry.audit import verify_audit_log

    try:
        settings = _settings(args)
        cert, signer = _signing_cert(settings), _checkpoint_signer(settings)
        store = open_store(settings.redis_url, settings.data_dir, STORE_NAMESPACE)
    except (OSError, ValueError, StoreUnavailable) as exc:
        print(f"cannot back up: {exc}", file=sys.stderr)
        return 2
    try:
        report = verify_audit_log(store, cert)
        if not report.ok:
            for line in report.problems:
                print(f"problem: {line}", file=sys.stderr)
            print("refused: the live log does not verify; not copying a damaged log", file=sys.stderr)
            return 1
        entries = {key: base64.b64encode(store.get(key) or b"").decode("ascii") for key in _durable_keys(store)}
        backup = {"format": FORMAT, "checkpoint": _log_checkpoint(store, signer), "entries": entries}
        Path(args.out).write_text(json.dumps(backup, indent=1, sort_keys=True), "utf-8")
    except (OSError, StoreUnavailable) as exc:
        print(f"cannot back up: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(f"ok: {report.records} records backed up to {args.out}")
    return 0


def _load(path: Path) -> tuple[str, dict[str, bytes]]:
    """The backup's checkpoint note and entries; ``ValueError`` for anything malformed."""
    if path.stat().st_size > _MAX_BACKUP_BYTES:
        raise ValueError("backup larger than 1 GiB")
    backup = json.loads(path.read_text("utf-8"))
    if not isinstance(backup, dict) or backup.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} file")
    note, entries = backup.get("checkpoint"), backup.get("entries")
    if not isinstance(note, str) or not isinstance(entries, dict):
        raise ValueError("backup needs a checkpoint and entries")
    decoded = {}
    for key, value in entries.items():
        if not isinstance(value, str) or not (key == "seq" or key.startswith(_PREFIXES)):
            raise ValueError(f"unexpected entry {key!r}")
        decoded[key] = base64.b64decode(value, validate=True)
    return note, decoded


def _problems(store: Any, note: str, vkey: str, cert: Any) -> list[str]:
    """Every reason not to restore what ``store`` (the scratch copy) holds."""
    from idcore.errors import TrustError
    from idcore.trust.checkpoint import CheckpointVerifier
    from trust_registry.audit import check_checkpoint, verify_audit_log
    from trust_registry.ledger import SEQ_KEY

    try:
        checkpoint = CheckpointVerifier(vkey).open(note)
    except TrustError as exc:
        return [f"the backup's checkpoint: {exc.reason.value}: {exc.detail}"]
    problems = check_checkpoint(store, checkpoint)
    if int(store.get(SEQ_KEY) or b"0") != checkpoint.size:
        problems.append(f"the backup holds more records than its checkpoint ({checkpoint.size})")
    problems.extend(verify_audit_log(store, cert).problems)
    return problems


def _restore(args: argparse.Namespace) -> int:
    from lintas.kv import StoreUnavailable, open_store
    from trust_registry.app import STORE_NAMESPACE
    from trust_registry.audit import verify_audit_log
    from trust_registry.ledger import SEQ_KEY

    try:
        settings = _settings(args)
        cert = _signing_cert(settings)
        vkey = args.checkpoint_key or _checkpoint_signer(settings).vkey
        note, entries = _load(Path(args.source))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        print(f"cannot restore: {exc}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = open_store(None, Path(scratch_dir), STORE_NAMESPACE)
        try:
            for key, value in entries.items():
                scratch.set(key, value)
            problems = _problems(scratch, note, vkey, cert)
        finally:
            scratch.close()
    if problems:
        for line in problems:
            print(f"problem: {line}", file=sys.stderr)
        print("refused: the backup does not verify; nothing was written", file=sys.stderr)
        return 1
    try:
        target = open_store(settings.redis_url, settings.data_dir, STORE_NAMESPACE)
    except StoreUnavailable as exc:
        print(f"cannot restore: {exc}", file=sys.stderr)
        return 2
    try:
        if not target.atomic_write(SEQ_KEY, None, entries):
            print("refused: the target store already holds a registry log", file=sys.stderr)
            return 2
        report = verify_audit_log(target, cert)
    finally:
        target.close()
    if not report.ok:  # pragma: no cover - the same bytes verified in the scratch store
        print("the restored log does not verify: " + "; ".join(report.problems), file=sys.stderr)
        return 1
    print(f"ok: {report.records} records restored and verified from genesis")
    return 0


def register_backup(sub: Any) -> None:
    """Add ``registry backup`` and ``registry restore`` under the ``registry`` command."""
    for name, handler, text in (
        ("backup", _backup, "verify the live log and write a backup with a signed checkpoint"),
        ("restore", _restore, "verify a backup and restore it into an empty store"),
    ):
        parser = sub.add_parser(name, help=text)
        parser.add_argument("--data", required=True, help="data directory holding the registry's keys")
        parser.add_argument("--redis-url", default=None)
        parser.add_argument("--public-url", default=None, help="the registry's public URL (checkpoint origin)")
        if name == "backup":
            parser.add_argument("--out", required=True)
        else:
            parser.add_argument("--from", dest="source", required=True)
            parser.add_argument(
                "--checkpoint-key", default=None, help="pinned checkpoint vkey (default: the data dir's)"
            )
        parser.set_defaults(handler=handler)
