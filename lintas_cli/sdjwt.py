"""``lintas sdjwt verify``: offline verification of one SD-JWT VC / SD-JWT+KB.

By default the full SD-JWT VC profile applies (draft-ietf-oauth-sd-jwt-vc Section 3 via
:func:`idcore.sdjwt_vc.verify_sd_jwt_vc`): ``typ`` must be ``dc+sd-jwt`` (3.2.1), ``vct`` is
required (3.2.2.1) and the registered claims must never be selectively disclosed (3.2.2.3).
Only ``--generic`` asks for plain RFC 9901 Section 7 rules, where ``--typ`` chooses the accepted
``typ`` values (any when omitted). Exit codes: 0 verified (the Processed SD-JWT Payload is
printed as JSON), 1 rejected (``rejected: <reason_code>``), 2 bad usage or unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from idcore.b64 import json_loads
from idcore.errors import IdcoreError
from idcore.jwk import public_key_from_jwk
from idcore.ports import FixedClock
from idcore.sdjwt import KeyBindingPolicy, VerifiedSdJwt, VerifyOptions, verify_sd_jwt
from idcore.sdjwt_vc import verify_sd_jwt_vc

USAGE_ERROR = 2


class UsageError(Exception):
    """Bad arguments or unreadable files (exit code 2)."""


def register(subparsers: Any) -> None:
    """Add ``lintas sdjwt verify``."""
    sdjwt = subparsers.add_parser("sdjwt", help="SD-JWT VC tools (RFC 9901, draft-ietf-oauth-sd-jwt-vc)")
    actions = sdjwt.add_subparsers(dest="sdjwt_command", required=True, metavar="ACTION")
    verify = actions.add_parser(
        "verify",
        help="verify an SD-JWT VC (or, with --generic, any SD-JWT) offline",
        description="Verify an SD-JWT VC presentation (compact or JWS JSON serialization) under the full "
        "SD-JWT VC rules: typ dc+sd-jwt, vct required, registered claims never disclosed. --generic applies "
        "plain RFC 9901 rules instead. "
        "Key binding is required when --require-kb, --nonce or --aud is given; then all three apply.",
    )
    verify.add_argument("file", metavar="FILE", help="the presentation ('-' for standard input)")
    verify.add_argument("--issuer-jwk", required=True, metavar="JWK_FILE", help="issuer public key (JWK JSON)")
    verify.add_argument("--nonce", help="expected KB-JWT nonce")
    verify.add_argument("--aud", help="expected KB-JWT aud")
    verify.add_argument("--require-kb", action="store_true", help="require a Key Binding JWT")
    verify.add_argument("--now", type=int, metavar="UNIX_TIME", help="evaluate at this time (default: now)")
    verify.add_argument(
        "--generic", action="store_true", help="plain RFC 9901 SD-JWT rules instead of the SD-JWT VC profile"
    )
    verify.add_argument("--typ", action="append", help="with --generic: accepted JOSE typ (repeatable; default: any)")
    verify.add_argument("--vct", action="append", help="accepted vct (repeatable; default: any)")
    verify.add_argument("--alg", action="append", help="accepted alg (repeatable; default: ES256)")
    verify.add_argument("--max-skew", type=int, default=60, help="clock skew in seconds (default 60)")
    verify.add_argument("--kb-max-age", type=int, default=300, help="KB-JWT iat window in seconds (default 300)")
    verify.set_defaults(handler=run_verify)


def _read(path: str) -> str:
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc.__class__.__name__}") from None


def _issuer_key(path: str) -> Any:
    try:
        jwk = json_loads(_read(path))
        if isinstance(jwk, dict) and isinstance(jwk.get("keys"), list) and len(jwk["keys"]) == 1:
            jwk = jwk["keys"][0]
        return public_key_from_jwk(jwk)
    except IdcoreError as exc:
        raise UsageError(f"--issuer-jwk: not a usable public JWK ({exc.reason.value})") from None


def _options(args: argparse.Namespace) -> VerifyOptions:
    kb = None
    if args.require_kb or args.nonce is not None or args.aud is not None:
        if args.nonce is None or args.aud is None:
            raise UsageError("key binding needs both --nonce and --aud")
        kb = KeyBindingPolicy(nonce=args.nonce, aud=args.aud, max_age=args.kb_max_age)
    if args.typ and not args.generic:
        raise UsageError("--typ needs --generic: the SD-JWT VC profile fixes typ to dc+sd-jwt")
    if args.vct and args.generic:
        raise UsageError("--vct applies to SD-JWT VCs, not with --generic")
    now = args.now if args.now is not None else int(time.time())
    algorithms = frozenset(args.alg or ["ES256"])
    if kb is not None:
        kb = KeyBindingPolicy(nonce=kb.nonce, aud=kb.aud, max_age=kb.max_age, algorithms=algorithms)
    return VerifyOptions(
        clock=FixedClock(now), typ=args.typ, algorithms=algorithms, key_binding=kb, max_skew=args.max_skew
    )


def _verify(presentation: str, key: Any, options: VerifyOptions, args: argparse.Namespace) -> VerifiedSdJwt:
    """SD-JWT VC rules unless the caller explicitly asked for ``--generic``."""
    if args.generic:
        return verify_sd_jwt(presentation, key, options)
    return verify_sd_jwt_vc(presentation, key, options, accepted_vcts=args.vct).sd_jwt


def run_verify(args: argparse.Namespace) -> int:
    """Verify and print the payload (0), ``rejected: <reason>`` (1), or a usage error (2)."""
    try:
        options = _options(args)
        key = _issuer_key(args.issuer_jwk)
        presentation = _read(args.file).strip()
    except UsageError as exc:
        print(f"lintas sdjwt verify: {exc}", file=sys.stderr)
        return USAGE_ERROR
    try:
        verified = _verify(presentation, key, options, args)
    except IdcoreError as exc:
        print(f"rejected: {exc.reason.value}")
        print(f"detail: {exc.detail}", file=sys.stderr)
        return 1
    print(json.dumps(verified.payload, indent=2, ensure_ascii=False))
    return 0
