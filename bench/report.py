"""The printed table, the machine description and the JSON results file."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.timing import Row

PACKAGES = (
    "mockkit",
    "stripe",
    "requests",
    "responses",
    "vcrpy",
    "PyYAML",
    "Authlib",
    "Flask",
    "Werkzeug",
    "pytest",
    "pytest-xdist",
)


def fmt_time(ns: float) -> str:
    """A duration in the unit that keeps three or four significant digits."""
    if ns < 1_000:
        return f"{ns:.0f} ns"
    if ns < 1_000_000:
        return f"{ns / 1_000:.1f} us"
    if ns < 1_000_000_000:
        return f"{ns / 1_000_000:.2f} ms"
    return f"{ns / 1_000_000_000:.2f} s"


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def _cells(row: Row) -> list[str]:
    summary = row.summary
    median = fmt_time(summary.median) if summary else "-"
    spread = f"{fmt_time(summary.q1)}-{fmt_time(summary.q3)}" if summary else "-"
    if summary and summary.n < 4:
        spread = f"{fmt_time(summary.low)}-{fmt_time(summary.high)} (range)"
    ratio = row.ratio
    if ratio:
        ratio_cell = (
            f"{fmt_ratio(ratio.median)}{row.ratio_label} "
            f"[{fmt_ratio(ratio.q1)}-{fmt_ratio(ratio.q3)}]"
        )
    else:
        ratio_cell = ""
    met = {True: "met", False: "NOT MET", None: ""}[row.met]
    case = row.case + (f" ({row.note})" if row.note else "")
    return [case, median, spread, ratio_cell, row.budget, met]


HEADERS = ["case", "median", "spread (IQR)", "ratio [IQR], per round", "budget", ""]


def table(groups: Sequence[tuple[str, Sequence[Row]]]) -> str:
    """Fixed-width text: one block per benchmark, one line per case."""
    body: list[tuple[str | None, list[str]]] = []
    for title, rows in groups:
        body.append((title, []))
        for row in rows:
            cells = _cells(row)
            body.append((None, ["  " + cells[0], *cells[1:]]))
    widths = [len(h) for h in HEADERS]
    for _, cells in body:
        for i, cell in enumerate(cells):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(HEADERS), "  ".join("-" * w for w in widths)]
    for title, cells in body:
        out.append(title if title is not None else line(cells))
    return "\n".join(out)


def cpu_model() -> str:
    try:
        for text_line in Path("/proc/cpuinfo").read_text().splitlines():
            if text_line.startswith("model name"):
                return text_line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": versions,
    }


def load_average() -> str:
    """The 1-minute load average: how busy the (shared) machine was around a run."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "unknown"


def machine_line(info: dict[str, Any]) -> str:
    pkgs = ", ".join(f"{k} {v}" for k, v in info["packages"].items() if v)
    return (
        f"{info['cpus']} CPUs ({info['cpu_model']}), Python {info['python']}, "
        f"{info['platform']}; {pkgs}"
    )


def heading(mode: str, started: str, elapsed: float, load: dict[str, str]) -> str:
    """The line above the table: mode, start time, duration and how busy the machine was."""
    return (
        f"mockkit benchmarks, {mode} mode, {started} UTC, {elapsed:.0f} s; "
        f"load average {load['start']} at start, {load['end']} at end"
    )


def groups_from_json(
    payload: dict[str, Any], titles: dict[str, str]
) -> list[tuple[str, list[Row]]]:
    """Rebuild the table's groups from a results file written by `write_json`."""
    groups: dict[str, list[Row]] = {}
    for item in payload["results"]:
        row = Row(
            item["benchmark"],
            item["case"],
            item["samples_ns"],
            item["ratio_to"],
            item["ratio_samples"],
            item.get("ratio_label", "x"),
            item["budget"],
            item["met"],
            item["note"],
        )
        groups.setdefault(row.benchmark, []).append(row)
    return [(titles.get(name, name), rows) for name, rows in groups.items()]


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
