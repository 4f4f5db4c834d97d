"""The reliability tests' example counts: one summary line, a JSON record, the docs' figures.

Tests count what they tried with the `tally` fixture below; the counts travel
in each test's teardown report (`user_properties`), so under pytest-xdist they reach the
controller with the reports. The hooks below add them up and, at the end of the run:

- print one line (`-v` lists every surface);
- write them to `test-results/reliability.json` (git-ignored);
- compare them with the figures the docs publish (`docs/reliability-figures.json`, rendered
  as the table in `docs/reliability.md`). Every surface whose tests all ran and passed in this
  run must have exactly the published count, and every surface counted must be published:
  otherwise the run says so in red (and fails, with `FAIL_ON_DIFFERENCE`), naming
  `python -m tests.reliability.summary --update`, which copies this run's figures into the
  docs. So the docs never show an estimate.

The root `tests/conftest.py` registers this module (`pytest_plugins`), so the fixture and the
hooks are active in every run, under xdist in the controller too.
"""

from __future__ import annotations

import collections
import datetime
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.fuzzing import Tally

#: The `user_properties` name a count travels under.
PROPERTY = "mockkit-reliability"

REPO = Path(__file__).resolve().parents[2]
#: This run's counts (written at the end of every run that counted something).
RESULTS = REPO / "test-results" / "reliability.json"
#: The published counts, and the page that shows them between the two markers.
FIGURES = REPO / "docs" / "reliability-figures.json"
PAGE = REPO / "docs" / "reliability.md"
START, END = "<!-- reliability-figures:start -->", "<!-- reliability-figures:end -->"

#: Whether a green run whose counts differ from the published figures fails. Off while
#: surfaces are being added by several branches at once (each would have to publish the
#: others' counts); the difference is printed in red either way.
FAIL_ON_DIFFERENCE = False

_totals: collections.Counter[str] = collections.Counter()
_tests: dict[str, set[str]] = collections.defaultdict(set)
_seen: set[str] = set()
_passed: set[str] = set()
_failed: set[str] = set()
_state: dict[str, Any] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Add up the counts of each test's teardown report (in the controller too, under xdist)."""
    if report.failed or (report.when == "call" and report.skipped):
        _failed.add(report.nodeid)
    elif report.when == "call":
        _passed.add(report.nodeid)
    if report.when != "teardown" or report.nodeid in _seen:
        return
    _seen.add(report.nodeid)
    for name, value in report.user_properties:
        if name == PROPERTY:
            surface, n = value
            _totals[str(surface)] += int(n)
            _tests[str(surface)].add(report.nodeid)


def figures() -> dict[str, Any]:
    """This run's counts, in the shape of `docs/reliability-figures.json`."""
    surfaces = {
        surface: {"examples": _totals[surface], "tests": sorted(_tests[surface])}
        for surface in sorted(_totals)
    }
    return {"total": sum(_totals.values()), "surfaces": surfaces}


def differences(published: dict[str, Any], counted: dict[str, Any]) -> list[str]:
    """What this run says that the published figures do not (surfaces fully run only)."""
    complete = _passed - _failed
    found = []
    for surface, entry in published["surfaces"].items():
        if not set(entry["tests"]) <= complete:
            continue  # not every test of this surface ran (a partial run) or one failed
        now = counted["surfaces"].get(surface, {"examples": 0})["examples"]
        if now != entry["examples"]:
            found.append(f"{surface}: published {entry['examples']}, this run {now}")
    for surface, entry in counted["surfaces"].items():
        if surface not in published["surfaces"] and set(entry["tests"]) <= complete:
            found.append(f"{surface}: this run {entry['examples']}, not published")
    return found


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Record this run's counts and fail a green run whose counts the docs do not show."""
    if not _totals or "diffs" in _state or hasattr(session.config, "workerinput"):
        return
    counted = figures()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(counted, indent=1) + "\n", encoding="utf-8")
    published = json.loads(FIGURES.read_text(encoding="utf-8")) if FIGURES.exists() else None
    diffs = differences(published, counted) if published else ["no published figures"]
    _state["diffs"] = diffs
    if FAIL_ON_DIFFERENCE and diffs and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """One line of counts (every surface with -v), and whether the docs agree."""
    if not _totals or "printed" in _state:
        return
    _state["printed"] = True
    total = sum(_totals.values())
    if config.get_verbosity() > 0:
        terminalreporter.section("reliability: examples tried")
        for surface, n in sorted(_totals.items()):
            terminalreporter.write_line(f"reliability: {n} examples tried on {surface}")
    where = RESULTS.relative_to(REPO)
    terminalreporter.write_line(
        f"reliability: {total:,} examples tried on {len(_totals)} surfaces "
        f"(each listed with -v; written to {where})"
    )
    diffs = _state.get("diffs", [])
    if diffs:
        terminalreporter.write_line(
            "reliability: the figures in docs/reliability.md differ from this run's:", red=True
        )
        for line in diffs:
            terminalreporter.write_line(f"  {line}", red=True)
        terminalreporter.write_line(
            "  if the change is intended, publish this run's figures: "
            "python -m tests.reliability.summary --update",
            red=True,
        )


def render(published: dict[str, Any]) -> str:
    """The Markdown table of published figures (what the docs page shows between markers)."""
    lines = [
        f"Examples tried per surface in one run of the whole suite ({published['recorded']}),",
        f"**{published['total']:,} in all**; a run whose counts differ from these says so.",
        "",
        "| surface | examples |",
        "|---|---:|",
    ]
    for surface, entry in published["surfaces"].items():
        lines.append(f"| {surface} | {entry['examples']:,} |")
    return "\n".join(lines)


def page_block(text: str) -> str:
    """The generated part of the docs page (between the markers)."""
    return text.split(START, 1)[1].split(END, 1)[0].strip("\n")


def update() -> None:
    """Publish the last run's figures: `docs/reliability-figures.json` and the docs table."""
    counted = json.loads(RESULTS.read_text(encoding="utf-8"))
    counted["recorded"] = datetime.date.today().isoformat()
    FIGURES.write_text(json.dumps(counted, indent=1) + "\n", encoding="utf-8")
    text = PAGE.read_text(encoding="utf-8")
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    PAGE.write_text(f"{before}{START}\n{render(counted)}\n{END}{after}", encoding="utf-8")
    print(f"published {counted['total']:,} examples on {len(counted['surfaces'])} surfaces")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python -m tests.reliability.summary --update")
    update()


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    """A per-test example counter; its counts reach the terminal summary."""
    counter = Tally()
    yield counter
    for surface, n in counter.counts.items():
        request.node.user_properties.append((PROPERTY, (surface, n)))
