"""`python -m mockkit cassettes check|diff`: the cassette command group."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mockkit.cli import CommandError

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add `cassettes check` and `cassettes diff` to the `python -m mockkit` parser."""
    group = subparsers.add_parser(
        "cassettes",
        help="check committed cassettes for secrets and staleness; diff them against a sandbox",
        description="Cassette tools: check (secrets, never-played interactions, age, size) "
        "and diff (re-record against a sandbox and show the drift).",
    )
    commands = group.add_subparsers(dest="cassettes_command", metavar="COMMAND")
    group.set_defaults(func=lambda args: _help(group))

    check = commands.add_parser(
        "check",
        help="report secrets (exit 1), never-played interactions, age and size",
        description="Check cassette files or directories (default: cassettes/). Secrets or an "
        "unreadable cassette exit 1; age, size and never-played interactions are warnings "
        "(exit 1 only with --strict). A missing or empty directory passes: nothing to check.",
    )
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH", default=None)
    check.add_argument(
        "--played-log",
        action="append",
        type=Path,
        default=[],
        metavar="PATH",
        help="play-log file or directory (default: the nearest .played/ directory)",
    )
    check.add_argument(
        "--max-age-days",
        type=int,
        default=365,
        metavar="DAYS",
        help="warn about cassettes recorded longer ago (default 365)",
    )
    check.add_argument(
        "--max-size-kib",
        type=int,
        default=1024,
        metavar="KIB",
        help="warn about cassettes larger than this (default 1024)",
    )
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.set_defaults(func=_check)

    diff = commands.add_parser(
        "diff",
        help="re-record against a sandbox into a temporary file and print the semantic drift",
        description="Send a cassette's requests again to a sandbox, record the answers into "
        "a temporary cassette and print what changed, ignoring ids, timestamps and volatile "
        "headers. Exit 0: no drift; 1: drift; 2: error.",
    )
    diff.add_argument("path", type=Path, metavar="PATH")
    diff.add_argument(
        "--sandbox",
        choices=("local", "stripe-test"),
        default="local",
        help="local: mockkit's fakes served on loopback (default); "
        "stripe-test: Stripe test mode with STRIPE_API_KEY=sk_test_...",
    )
    diff.add_argument("--keep", type=Path, metavar="DIR", help="keep the fresh recording in DIR")
    diff.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="FIELD",
        help="a response field (leaf name or dotted path) to treat as volatile; repeatable",
    )
    diff.set_defaults(func=_diff)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _check(args: argparse.Namespace) -> int:
    from mockkit.cassettes.check import check_paths

    if args.max_age_days < 0 or args.max_size_kib <= 0:
        raise CommandError("--max-age-days must be >= 0 and --max-size-kib > 0", 2)
    paths = args.paths or [Path("cassettes")]
    report = check_paths(
        paths,
        played_logs=args.played_log,
        max_age_days=args.max_age_days,
        max_bytes=args.max_size_kib * 1024,
    )
    print(report.render())
    return report.exit_code(strict=args.strict)


def _diff(args: argparse.Namespace) -> int:
    from mockkit.cassettes.diff import diff_cassette
    from mockkit.cassettes.errors import CassetteError
    from mockkit.cassettes.store import CassetteFormatError

    if not args.path.is_file():
        raise CommandError(f"no such cassette: {args.path}", 2)
    try:
        report = diff_cassette(
            args.path, sandbox=args.sandbox, keep=args.keep, ignore=frozenset(args.ignore)
        )
    except (ValueError, CassetteError, CassetteFormatError, OSError) as exc:
        raise CommandError(f"cannot diff {args.path}: {exc}", 2) from None
    print(report.render())
    return 1 if report.drifted else 0
