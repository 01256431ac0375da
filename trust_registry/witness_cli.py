"""``lintas registry witness``: an independent party co-signs the registry's audit-log checkpoints.

* ``lintas registry witness --registry URL --log-key VKEY --name NAME --key FILE --state FILE [--out FILE]``
  fetches ``/v1/audit-log/checkpoint``, verifies it under the pinned log key, proves with
  ``/v1/audit-log/consistency`` that it extends the last checkpoint this witness cosigned (kept
  in ``--state``), and prints (or writes to ``--out``) the note with this witness's
  cosignature added (C2SP tlog-cosignature v1, :mod:`idcore.trust.witness`). Exit 0 when
  cosigned, 1 when the log is inconsistent or its note invalid (a truncated, rewritten or forked
  history: the state is kept, nothing is cosigned), 2 for usage, network or file errors.
* ``lintas registry witness-key --name NAME --key FILE`` creates the witness's Ed25519 key (mode
  0600; never printed) if absent and prints its verifier key (``vkey``) for relying parties to pin.

The state file holds only the last cosigned checkpoint (three lines, public data); keep it where
the registry's operator cannot write, or a truncation across restarts goes unnoticed.
"""

from __future__ import annotations

import argparse
import base64
import sys
import time
from pathlib import Path
from typing import Any

from lintas.trust_fetch import read_bounded

__all__ = ["register_witness"]

_MAX_ANSWER_BYTES = 64 * 1024  # a note is at most 16 KiB; a proof is at most 64 hashes


def _key(path: Path) -> Any:
    """The witness's Ed25519 key (PKCS#8 PEM, mode 0600), created if absent: the registry's own loader."""
    from trust_registry.pki import ensure_ed25519_key

    return ensure_ed25519_key(path)


def _witness_key(args: argparse.Namespace) -> int:
    from idcore.trust.witness import Cosigner

    try:
        print(Cosigner(args.name, _key(Path(args.key))).vkey)
    except (OSError, ValueError) as exc:
        print(f"cannot make the witness key: {exc}", file=sys.stderr)
        return 2
    return 0


def _get(client: Any, path: str, **params: int) -> bytes:
    with client.stream("GET", path, params=params) as answer:
        if answer.status_code != 200:
            raise OSError(f"{path}: HTTP {answer.status_code}")
        body = read_bounded(answer, _MAX_ANSWER_BYTES)
        if body is None:
            raise OSError(f"{path}: answer larger than {_MAX_ANSWER_BYTES} bytes")
        return body


def _proof_source(client: Any) -> Any:
    import json

    def proof(first: int, second: int) -> list[bytes]:
        answer = json.loads(_get(client, "/v1/audit-log/consistency", first=first, second=second))
        hashes = answer.get("proof") if isinstance(answer, dict) else None
        if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes) or len(hashes) > 64:
            raise ValueError("consistency answer has no proof list")
        return [base64.b64decode(h, validate=True) for h in hashes]

    return proof


def _witness(args: argparse.Namespace) -> int:
    import httpx

    from idcore.errors import TrustError
    from idcore.trust.checkpoint import Checkpoint, CheckpointVerifier
    from idcore.trust.witness import Cosigner, Witness

    state = Path(args.state)
    try:
        last = Checkpoint.parse(state.read_text("utf-8")) if state.exists() else None
        witness = Witness(Cosigner(args.name, _key(Path(args.key))), CheckpointVerifier(args.log_key), last)
    except (OSError, ValueError, TrustError) as exc:
        print(f"cannot start the witness: {exc}", file=sys.stderr)
        return 2
    try:
        with httpx.Client(base_url=args.registry.rstrip("/"), timeout=10.0, follow_redirects=False) as client:
            note = _get(client, "/v1/audit-log/checkpoint").decode("utf-8")
            cosigned = witness.witness(note, _proof_source(client), now=int(time.time()))
    except TrustError as exc:
        print(f"refused: {exc.reason.value}: {exc.detail}", file=sys.stderr)
        return 1
    except (OSError, ValueError, httpx.HTTPError) as exc:
        print(f"cannot reach or read the registry: {exc}", file=sys.stderr)
        return 2
    assert witness.last is not None  # noqa: S101 - set by a successful witness()
    try:
        temporary = state.with_name(state.name + ".tmp")
        temporary.write_text(witness.last.text(), "utf-8")
        temporary.replace(state)  # atomically: a crash never leaves a half-written state
        if args.out:
            Path(args.out).write_text(cosigned, "utf-8")
        else:
            sys.stdout.write(cosigned)
    except OSError as exc:
        print(f"cannot write the state or the cosigned note: {exc}", file=sys.stderr)
        return 2
    return 0


def register_witness(sub: Any) -> None:
    """Add ``registry witness`` and ``registry witness-key`` under the ``registry`` command."""
    witness = sub.add_parser("witness", help="verify the registry's log is append-only and cosign its checkpoint")
    witness.add_argument("--registry", required=True, help="the registry's base URL")
    witness.add_argument("--log-key", required=True, help="the registry's pinned checkpoint vkey")
    witness.add_argument("--name", required=True, help="this witness's name, e.g. witness.gov.my/w1")
    witness.add_argument("--key", required=True, help="this witness's Ed25519 key file (created if absent)")
    witness.add_argument("--state", required=True, help="file keeping the last cosigned checkpoint")
    witness.add_argument("--out", default=None, help="write the cosigned note here (default: stdout)")
    witness.set_defaults(handler=_witness)
    key = sub.add_parser("witness-key", help="create the witness key if absent and print its vkey")
    key.add_argument("--name", required=True)
    key.add_argument("--key", required=True)
    key.set_defaults(handler=_witness_key)
