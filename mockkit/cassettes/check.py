"""`cassettes check`: secrets, interactions never played, age and size of committed cassettes.

Secrets and unreadable files fail the check (exit 1): they must never be merged. Age, size and
never-played interactions are reported as warnings, and fail only with `--strict`.

"Never played" needs to know what the test suite replayed: replay appends one line per cassette
use to a play log (under pytest, for the marker's cassettes and bare `use()` alike:
`<cassette dir>/.played/<worker>-<pid>.jsonl`, or `.played/` beside a cassette kept elsewhere),
keyed by the cassette's SHA-256, so a log about an older version of a file is ignored rather
than trusted.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockkit.cassettes.leak import LeakFinding, environment_secrets, find_leaks
from mockkit.cassettes.store import CassetteFormatError, parse_cassette

__all__ = ["CheckReport", "check_paths", "find_cassettes", "read_play_logs"]

PLAY_LOG_DIR = ".played"
DEFAULT_MAX_AGE_DAYS = 365
DEFAULT_MAX_BYTES = 1024 * 1024


def find_cassettes(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """Cassette files under `paths` (files as given, directories searched), and missing paths.

    Hidden directories (`.played`, `.git`) are skipped.
    """
    found: list[Path] = []
    missing: list[Path] = []
    for path in paths:
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            for candidate in sorted(path.rglob("*")):
                relative = candidate.relative_to(path).parts
                if any(part.startswith(".") for part in relative):
                    continue
                if candidate.is_file() and candidate.suffix in (".yaml", ".yml"):
                    found.append(candidate)
        else:
            missing.append(path)
    return found, missing


def read_play_logs(locations: Iterable[Path]) -> dict[str, set[int]]:
    """Played interaction indexes per cassette SHA-256, from play-log files or directories."""
    played: dict[str, set[int]] = {}
    for location in locations:
        files = sorted(location.glob("*.jsonl")) if location.is_dir() else [location]
        for file in files:
            if not file.is_file():
                continue
            for line in file.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    record = json.loads(line)
                    played.setdefault(str(record["sha256"]), set()).update(
                        int(i) for i in record["played"]
                    )
                except (ValueError, KeyError, TypeError):
                    continue  # a torn or foreign line: ignore it rather than fail the check
    return played


@dataclass
class CassetteReport:
    """What `check` found in one cassette."""

    path: Path
    size: int = 0
    interactions: int = 0
    error: str | None = None
    leaks: list[LeakFinding] = field(default_factory=list)
    recorded_at: _dt.datetime | None = None
    age_days: int | None = None
    never_played: list[str] | None = None  # None: no play log covers this version
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Whether this cassette fails the check (secrets or unreadable)."""
        return bool(self.error or self.leaks)


@dataclass
class CheckReport:
    """The result of `check` over many cassettes."""

    cassettes: list[CassetteReport]
    missing: list[Path]

    def exit_code(self, strict: bool = False) -> int:
        """0 when clean, 1 when a cassette fails (or warns, with `strict`)."""
        if any(c.failed for c in self.cassettes):
            return 1
        if strict and any(c.warnings for c in self.cassettes):
            return 1
        return 0

    def render(self) -> str:
        """The human-readable report."""
        lines: list[str] = []
        for path in self.missing:
            lines.append(f"{path}: does not exist, no cassettes to check there")
        if not self.cassettes:
            lines.append("no cassettes found")
            return "\n".join(lines)
        for c in self.cassettes:
            if c.error:
                lines.append(f"{c.path}: ERROR {c.error}")
                continue
            when = "recorded_at unknown"
            if c.recorded_at is not None:
                when = f"recorded {c.recorded_at:%Y-%m-%d} ({c.age_days} days ago)"
            lines.append(
                f"{c.path}: {_plural(c.interactions, 'interaction')}, {_size(c.size)}, {when}"
            )
            if c.leaks:
                lines.append(f"  SECRETS FOUND ({len(c.leaks)}):")
                lines.extend(f"    - {leak}" for leak in c.leaks)
            else:
                lines.append("  secrets: none found")
            if c.never_played is None:
                lines.append("  played: no play log for this version (run the tests first)")
            elif c.never_played:
                lines.append(f"  never played ({len(c.never_played)}):")
                lines.extend(f"    - {item}" for item in c.never_played[:20])
                if len(c.never_played) > 20:
                    lines.append(f"    ... and {len(c.never_played) - 20} more")
            else:
                lines.append("  played: every interaction")
            lines.extend(f"  warning: {w}" for w in c.warnings)
        failed = sum(c.failed for c in self.cassettes)
        warned = sum(bool(c.warnings) for c in self.cassettes)
        lines.append(
            f"{_plural(len(self.cassettes), 'cassette')} checked: {failed} failed, "
            f"{warned} with warnings"
        )
        return "\n".join(lines)


def _plural(n: int, word: str) -> str:
    """`1 interaction`, `2 interactions`."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _size(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} KiB"


def _parse_time(value: Any) -> _dt.datetime | None:
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=_dt.UTC)
    if isinstance(value, str):
        try:
            parsed = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=_dt.UTC)
    return None


def check_cassette(
    path: Path,
    played: Mapping[str, set[int]],
    secrets: Mapping[str, str],
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    now: _dt.datetime | None = None,
) -> CassetteReport:
    """Check one cassette file."""
    report = CassetteReport(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        report.error = f"cannot read: {exc}"
        return report
    report.size = len(raw)
    try:
        data = parse_cassette(raw, source=str(path))
    except CassetteFormatError as exc:
        report.error = str(exc)
        return report
    report.interactions = len(data.interactions)
    report.leaks = find_leaks(raw.decode("utf-8", errors="replace"), data.interactions, secrets)
    info = data.mockkit
    report.recorded_at = _parse_time(info.get("recorded_at"))
    if report.recorded_at is not None:
        current = now or _dt.datetime.now(_dt.UTC)
        report.age_days = max(0, (current - report.recorded_at).days)
        if report.age_days > max_age_days:
            report.warnings.append(
                f"recorded {report.age_days} days ago (more than {max_age_days}): re-record it "
                "against a sandbox, or run `python -m mockkit cassettes diff` to see the drift"
            )
    if report.size > max_bytes:
        report.warnings.append(f"{_size(report.size)} is larger than {_size(max_bytes)}")
    if data.sha256 in played:
        seen = played[data.sha256]
        report.never_played = [
            f"#{i} {item['request'].get('method', '?')} {item['request'].get('uri', '?')}"
            for i, item in enumerate(data.interactions)
            if i not in seen
        ]
        if report.never_played:
            report.warnings.append(
                f"{_plural(len(report.never_played), 'interaction')} never played by the tests"
            )
    return report


def _default_logs(paths: list[Path]) -> list[Path]:
    """`.played` directories for `paths`: the nearest in or above each path, and every one
    below a directory (a bare `use()` writes its log beside a cassette outside `cassettes/`)."""
    found: list[Path] = []
    seen: set[Path] = set()

    def add(candidate: Path) -> None:
        if candidate.is_dir() and candidate.resolve() not in seen:
            seen.add(candidate.resolve())
            found.append(candidate)

    for path in paths:
        start = path if path.is_dir() else path.parent
        for directory in [start, *start.resolve().parents]:
            if (directory / PLAY_LOG_DIR).is_dir():
                add(directory / PLAY_LOG_DIR)
                break
        if path.is_dir():
            for candidate in sorted(path.rglob(PLAY_LOG_DIR)):
                add(candidate)
    return found


def check_paths(
    paths: Iterable[Path],
    played_logs: Iterable[Path] = (),
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    environ: Mapping[str, str] | None = None,
) -> CheckReport:
    """Check every cassette under `paths`; play logs default to `<dir>/.played/`."""
    path_list = list(paths)
    cassettes, missing = find_cassettes(path_list)
    logs = list(played_logs) or _default_logs(path_list)
    played = read_play_logs(logs)
    secrets = environment_secrets(os.environ if environ is None else environ)
    return CheckReport(
        [check_cassette(c, played, secrets, max_age_days, max_bytes) for c in cassettes],
        missing,
    )
