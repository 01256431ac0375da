"""The ``lintas`` command line.

Each service contributes its subcommands through a ``register(subparsers)`` function in
its ``cli`` module, listed in :data:`COMMAND_MODULES`; modules are imported lazily so that
``lintas sdjwt verify`` does not load the web stack.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from lintas import __version__

# Modules that define ``register(subparsers: argparse._SubParsersAction) -> None``.
COMMAND_MODULES: tuple[str, ...] = (
    "lintas_cli.sdjwt",
    "lintas_cli.mdoc",
    "trust_registry.cli",
    "verifier.cli",
    "issuer.cli",
    "wallet_demo.cli",
    "lintas_cli.demo",
    "lintas_cli.keys",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="lintas", description="Lintas: cross-border digital identity")
    parser.add_argument("--version", action="version", version=f"lintas {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code (2 for bad usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
