"""``lintas mdoc verify``: offline verification of one ISO/IEC 18013-5 DeviceResponse.

FILE holds the DeviceResponse as CBOR bytes, as hex text, or base64url text (the form of an
OpenID4VP ``vp_token`` entry, Appendix B.2.5). Trust is closed by default: without
``--trust-anchor`` nothing is trusted. With ``--transcript`` (the SessionTranscript, or
SessionTranscriptBytes, as CBOR or hex) the device signature is required and checked; without it
only the issuer data is verified and the result says ``"device_authenticated": false``.

Prints one JSON object: ``valid``, ``reason`` (a stable code, null when valid), ``doctype`` and
``claims`` by namespace of the first document, and ``documents`` with every document.
Exit codes: 0 valid, 1 invalid, 2 bad usage or unreadable input.
"""

from __future__ import annotations

import argparse
import binascii
import json
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509

from idcore.b64 import b64u_decode
from idcore.errors import IdcoreError
from idcore.mdoc import MdocVerifyOptions, VerifiedMdoc, session_transcript_from_bytes, verify_device_response
from idcore.mdoc.cbor import json_ready
from idcore.ports import FixedClock

USAGE_ERROR = 2
_MAX_FILE_BYTES = 4 * 1024 * 1024
_HEX = re.compile(rb"[0-9a-fA-F]+")
_B64U = re.compile(rb"[A-Za-z0-9_-]+")


class UsageError(Exception):
    """Bad arguments or unreadable files (exit code 2)."""


def register(subparsers: Any) -> None:
    """Add ``lintas mdoc verify``."""
    mdoc = subparsers.add_parser("mdoc", help="ISO/IEC 18013-5 mdoc tools")
    actions = mdoc.add_subparsers(dest="mdoc_command", required=True, metavar="ACTION")
    verify = actions.add_parser(
        "verify",
        help="verify an mdoc DeviceResponse offline",
        description="Verify a DeviceResponse (CBOR, hex or base64url). Without --trust-anchor nothing is "
        "trusted; with --transcript the device signature is required.",
    )
    verify.add_argument("file", metavar="FILE", help="the DeviceResponse ('-' for standard input)")
    verify.add_argument(
        "--trust-anchor",
        action="append",
        default=[],
        metavar="PEM",
        help="IACA (or pinned Document Signer) certificates, PEM (repeatable)",
    )
    verify.add_argument("--at", metavar="TIME", help="evaluate at this time: RFC 3339 UTC or Unix seconds")
    verify.add_argument("--transcript", metavar="FILE", help="SessionTranscript(Bytes) as CBOR or hex")
    verify.add_argument("--doctype", help="require this docType")
    verify.add_argument("--max-skew", type=int, default=60, help="clock skew in seconds (default 60)")
    verify.set_defaults(handler=run_verify)


def _read_bytes(path: str) -> bytes:
    try:
        data = sys.stdin.buffer.read(_MAX_FILE_BYTES + 1) if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.__class__.__name__}") from None
    if len(data) > _MAX_FILE_BYTES:
        raise UsageError(f"{path} is larger than {_MAX_FILE_BYTES} bytes")
    return data


def _unwrap_text(data: bytes) -> bytes:
    """Hex or base64url text to bytes; binary CBOR (never pure ASCII for a map) is returned as is."""
    text = data.strip()
    try:
        if text and _HEX.fullmatch(text) and len(text) % 2 == 0:
            return binascii.unhexlify(text)
        if text and _B64U.fullmatch(text):
            return b64u_decode(text)
    except (ValueError, IdcoreError):
        pass
    return data


def _anchors(paths: list[str]) -> list[x509.Certificate]:
    anchors: list[x509.Certificate] = []
    for path in paths:
        try:
            anchors += x509.load_pem_x509_certificates(_read_bytes(path))
        except ValueError:
            raise UsageError(f"--trust-anchor {path}: not PEM certificates") from None
    return anchors


def _at(value: str | None) -> int:
    if value is None:
        return int(time.time())
    if value.isdigit():
        return int(value)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError("--at must be RFC 3339 (e.g. 2021-01-01T00:00:00Z) or Unix seconds") from None
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


def _options(args: argparse.Namespace) -> MdocVerifyOptions:
    transcript = None
    if args.transcript is not None:
        try:
            transcript = session_transcript_from_bytes(_unwrap_text(_read_bytes(args.transcript)))
        except IdcoreError as exc:
            raise UsageError(f"--transcript: not a SessionTranscript ({exc.reason.value})") from None
    return MdocVerifyOptions(
        trust_anchors=_anchors(args.trust_anchor),
        clock=FixedClock(_at(args.at)),
        session_transcript=transcript,
        require_device_auth=transcript is not None,
        expected_doctype=args.doctype,
        max_skew=args.max_skew,
    )


def _document(mdoc: VerifiedMdoc) -> dict[str, Any]:
    return {
        "doctype": mdoc.doctype,
        "claims": json_ready(mdoc.claims),
        "device_authenticated": mdoc.device_authenticated,
        "issuer": mdoc.issuer_chain[0].subject.rfc4514_string(),
        "trust_anchor": mdoc.issuer_chain[-1].subject.rfc4514_string(),
        "validity": json_ready(
            {
                "signed": mdoc.validity.signed,
                "valid_from": mdoc.validity.valid_from,
                "valid_until": mdoc.validity.valid_until,
            }
        ),
        "status": json_ready(mdoc.status),
    }


def run_verify(args: argparse.Namespace) -> int:
    """Verify and print the JSON result: 0 valid, 1 invalid, 2 usage error."""
    try:
        options = _options(args)
        response = _unwrap_text(_read_bytes(args.file))
    except UsageError as exc:
        print(f"lintas mdoc verify: {exc}", file=sys.stderr)
        return USAGE_ERROR
    try:
        verified = verify_device_response(response, options)
    except IdcoreError as exc:
        print(json.dumps({"valid": False, "reason": exc.reason.value}))
        print(f"detail: {exc.detail}", file=sys.stderr)
        return 1
    documents = [_document(mdoc) for mdoc in verified.documents]
    first = documents[0]
    result = {
        "valid": True,
        "reason": None,
        "doctype": first["doctype"],
        "claims": first["claims"],
        "documents": documents,
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0
