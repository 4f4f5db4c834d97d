"""`python -m mockkit`: serve the fakes, check and diff cassettes.

Each command group lives in the module that does its work and registers its own sub-parser
here, so this file stays a table of contents. Errors are a message on stderr and a non-zero
exit, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Modules that provide `register(subparsers)`; each adds one command group.
COMMAND_MODULES = ("mockkit.serve", "mockkit.cassettes.cli")


class CommandError(Exception):
    """A user-facing failure: printed as `mockkit: <message>`, exit status `code`."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    """The full `python -m mockkit` parser."""
    parser = argparse.ArgumentParser(
        prog="python -m mockkit",
        description="Offline provider fakes (Stripe, GitHub, Google, OIDC) and cassette tools.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except CommandError as exc:
        print(f"mockkit: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
