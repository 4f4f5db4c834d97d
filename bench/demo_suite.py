"""Benchmark 5: wall time of the demo shop's offline test suite, serial and with `pytest -n 2`.

The suite runs as a user runs it, in a fresh interpreter (start-up, imports and collection
included), without the browser tests: `pytest tests/demo -m "not browser" -p no:randomly -q`.
The two modes alternate round by round. A run whose tests fail still has its time reported,
with the failure count beside it, so a red suite is visible rather than silently fast.

`--quick` times a fixed part of the suite (`QUICK_FILES`: one file per area of the shop, the
property-based volume runs left out), so its minute is not spent on one benchmark as the suite
grows; the full run times the whole suite.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from bench.timing import Row, ratios

NAME = "demo_suite"
TITLE = "5. Demo shop test suite, browser tests excluded (wall time)"
ROOT = Path(__file__).resolve().parent.parent
SUITE = "tests/demo"
COMMAND = [sys.executable, "-m", "pytest", SUITE, "-m", "not browser", "-p", "no:randomly", "-q"]
#: What `--quick` times: payments, login, webhooks, Checkout pages, the JSON API, bad input.
QUICK_FILES = [
    f"{SUITE}/{name}.py"
    for name in (
        "test_payments_fake",
        "test_login_fakes",
        "test_webhooks",
        "test_checkout_pages",
        "test_api_orders",
        "test_bad_input",
    )
]
_SUMMARY = re.compile(r"(\d+) (passed|failed|errors?|skipped|deselected|xfailed|xpassed)")


def _run(extra: list[str], files: list[str]) -> tuple[float, dict[str, int], int]:
    command = [*COMMAND[: COMMAND.index(SUITE)], *files, *COMMAND[COMMAND.index(SUITE) + 1 :]]
    start = time.perf_counter_ns()
    proc = subprocess.run([*command, *extra], cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter_ns() - start
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    counts = {kind: int(n) for n, kind in _SUMMARY.findall(last)}
    return elapsed, counts, proc.returncode


def _describe(counts: dict[str, int], code: int) -> str:
    if code == 5:
        return "no tests collected"
    text = ", ".join(f"{n} {kind}" for kind, n in counts.items()) or f"exit {code}"
    return text if code in (0, 5) or "failed" in counts else f"{text}, exit {code}"


def run(quick: bool) -> list[Row]:
    if not (ROOT / SUITE).is_dir():
        return [Row(NAME, "demo suite", note=f"skipped: {SUITE} absent")]
    # One pair of a fixed part in --quick: the whole suite alone would cost more than its minute.
    rounds = 1 if quick else 4
    files = [f for f in QUICK_FILES if (ROOT / f).is_file()] if quick else [SUITE]
    part = f"{len(files)} files" if quick else "whole suite"
    modes = {"serial": [], "-n 2": ["-n", "2"]}
    times: dict[str, list[float]] = {m: [] for m in modes}
    notes: dict[str, str] = {}
    for r in range(rounds):
        order = list(modes) if r % 2 == 0 else list(reversed(modes))
        for mode in order:
            elapsed, counts, code = _run(modes[mode], files)
            times[mode].append(elapsed)
            notes[mode] = _describe(counts, code)
    return [
        Row(NAME, f"serial (baseline; {part}, {notes['serial']})", times["serial"]),
        Row(
            NAME,
            f"pytest -n 2 ({part}, {notes['-n 2']})",
            times["-n 2"],
            "serial",
            ratios(times["-n 2"], times["serial"]),
            "x serial",
        ),
    ]
