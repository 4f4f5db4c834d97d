"""The work behind the pytest plugin's cassette options, marker and fixtures.

`mockkit/plugin.py` only wires these in (its hooks stay one line each), so everything here can
be read and tested without pytest's hook machinery.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mockkit.cassettes.core import Cassette, add_observer, use
from mockkit.cassettes.errors import CassetteMiss
from mockkit.cassettes.modes import RECORD_MODES, resolve_mode

__all__ = [
    "add_options",
    "cassette_for",
    "configure",
    "default_path",
    "prune_play_logs",
    "remember_report",
]

MARKER = "mockkit_cassette"
_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
_MARKER_ARGS = frozenset(
    {
        "path",
        "record_mode",
        "preset",
        "hosts",
        "scrub",
        "secrets",
        "allow_playback_repeats",
        "sandbox",
    }
)
MISS_SECTION = "mockkit cassette miss"


def add_options(parser: pytest.Parser, group: Any) -> None:
    """The `--mockkit-record-mode` option and the cassette ini settings."""
    group.addoption(
        "--mockkit-record-mode",
        action="store",
        default=None,
        choices=RECORD_MODES,
        help="record mode for mockkit cassettes (beats $MOCKKIT_RECORD_MODE, the marker and "
        "the ini setting; CI=true forces 'none')",
    )
    parser.addini(
        "mockkit_record_mode",
        "default record mode for mockkit cassettes (default: none)",
        default="",
    )
    parser.addini(
        "mockkit_cassette_dir",
        "directory of mockkit cassettes, relative to the rootdir (default: cassettes)",
        default="cassettes",
    )
    parser.addini(
        "mockkit_play_log",
        "write which interactions each replay played to <cassette dir>/.played/ (default: true)",
        type="bool",
        default=True,
    )


class _Hooks:
    """Cassette hooks, registered as their own plugin object so their names cannot clash with
    hooks other parts of mockkit's plugin module define.

    It also observes every cassette entered during the session (the marker's and any bare
    `use()`), so each one reports its misses on the running test and writes a play log.
    """

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        #: The test running now and its phase ("setup", "call", "teardown"), if any.
        self.item: pytest.Item | None = None
        self.when = "call"
        self._pruned: set[Path] = set()
        self.remove_observer = add_observer(self.observe)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        add_fixture_to_marked(items)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Iterator[None]:
        report = yield
        remember_report(item, report)  # type: ignore[arg-type]
        return report

    def _phase(self, item: pytest.Item, when: str) -> Iterator[None]:
        self.item, self.when = item, when
        try:
            return (yield)
        finally:
            self.item = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Iterator[None]:
        return (yield from self._phase(item, "setup"))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        return (yield from self._phase(item, "call"))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Iterator[None]:
        return (yield from self._phase(item, "teardown"))

    def pytest_unconfigure(self) -> None:
        self.remove_observer()

    def observe(self, cassette: Cassette) -> None:
        """A cassette was entered: report its misses on the running test; log its plays."""
        if cassette.replayer is not None:
            # The app under test may swallow the miss (a friendly error page, a retry loop's
            # last exception): attach each one to the running test's report, so a failure
            # shows it whether the cassette came from the marker or a bare use().
            cassette.replayer.miss_listeners.append(self.report_miss)
        if cassette.play_log is None and self.config.getini("mockkit_play_log"):
            cassette.play_log = self.play_log_for(cassette.path)

    def report_miss(self, error: CassetteMiss) -> None:
        item = self.item
        if item is not None:
            item.add_report_section(self.when, MISS_SECTION, str(error))

    def play_log_for(self, path: Path) -> Path:
        """`<cassette dir>/.played/` for cassettes under it, else `.played/` beside the file."""
        root = cassette_dir(self.config)
        try:
            path.resolve().relative_to(root.resolve())
        except ValueError:
            root = path.parent
        directory = root / ".played"
        if directory not in self._pruned:
            self._pruned.add(directory)
            if not hasattr(self.config, "workerinput"):
                prune_play_logs(directory)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        return directory / f"{worker}-{os.getpid()}.jsonl"


#: Play logs older than this are deleted when a session starts (they describe old runs).
PLAY_LOG_MAX_AGE_S = 7 * 24 * 3600


def prune_play_logs(directory: Path) -> None:
    """Delete play logs in `directory` older than `PLAY_LOG_MAX_AGE_S`."""
    if not directory.is_dir():
        return
    now = time.time()
    for log in directory.glob("*.jsonl"):
        with contextlib.suppress(OSError):
            if now - log.stat().st_mtime > PLAY_LOG_MAX_AGE_S:
                log.unlink()


def configure(config: pytest.Config) -> None:
    """Register the `mockkit_cassette` marker and the cassette hooks; prune old play logs."""
    if not config.pluginmanager.has_plugin("mockkit-cassettes"):
        config.pluginmanager.register(_Hooks(config), "mockkit-cassettes")
    if not hasattr(config, "workerinput"):  # xdist workers: the controller prunes once
        prune_play_logs(cassette_dir(config) / ".played")
    config.addinivalue_line(
        "markers",
        f"{MARKER}(path=None, record_mode=None, preset='auto', hosts=None, scrub=None, "
        "secrets=None, allow_playback_repeats=False): use a mockkit cassette for this test "
        "(default path cassettes/<test module>/<test name>.yaml)",
    )


def add_fixture_to_marked(items: list[pytest.Item]) -> None:
    """Give every test marked `mockkit_cassette` the fixture, even if it does not ask for it."""
    for item in items:
        if item.get_closest_marker(MARKER) is not None:
            names = getattr(item, "fixturenames", None)
            if names is not None and "mockkit_cassette" not in names:
                names.insert(0, "mockkit_cassette")


def remember_report(item: pytest.Item, report: pytest.TestReport) -> None:
    """Keep each phase's report on the item, so the fixture knows if the test passed."""
    item.stash.setdefault(_REPORTS, {})[report.when] = report


def _passed(item: pytest.Item) -> bool:
    report = item.stash.get(_REPORTS, {}).get("call")
    return report is not None and report.passed


_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-\[\]=,+]")


def cassette_dir(config: pytest.Config) -> Path:
    """The cassette directory (ini `mockkit_cassette_dir`, relative to the rootdir)."""
    configured = Path(str(config.getini("mockkit_cassette_dir") or "cassettes"))
    return configured if configured.is_absolute() else Path(config.rootpath) / configured


def default_path(item: pytest.Item) -> Path:
    """`<cassette dir>/<test module>/<test name>.yaml` for a test item."""
    module = Path(str(item.path)).stem
    name = _UNSAFE.sub("_", item.name)
    return cassette_dir(item.config) / module / f"{name}.yaml"


@contextlib.contextmanager
def cassette_for(request: pytest.FixtureRequest) -> Iterator[Cassette]:
    """Enter the cassette for the requesting test; write it on exit only if the test passed."""
    item = request.node
    marker = item.get_closest_marker(MARKER)
    kwargs: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    if marker is not None and marker.args:
        kwargs.setdefault("path", marker.args[0])
    unknown = set(kwargs) - _MARKER_ARGS
    if unknown:
        raise pytest.UsageError(
            f"{item.nodeid}: unknown {MARKER} argument(s): {', '.join(sorted(unknown))}"
        )
    config = request.config
    path = kwargs.pop("path", None)
    path = Path(path) if path else default_path(item)
    if not path.is_absolute():
        path = cassette_dir(config) / path
    mode = resolve_mode(
        cli=config.getoption("--mockkit-record-mode", default=None),
        code=kwargs.pop("record_mode", None),
        code_source=f"the {MARKER} marker",
        ini=str(config.getini("mockkit_record_mode") or "") or None,
    )
    play_log = None
    if config.getini("mockkit_play_log"):
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        play_log = cassette_dir(config) / ".played" / f"{worker}-{os.getpid()}.jsonl"
    context = use(path, mode, play_log=play_log, test_id=item.nodeid, **kwargs)
    # Misses are reported on the running test by the session's observer (`_Hooks.observe`).
    with context as cassette:
        try:
            yield cassette
        finally:
            if not _passed(item):
                cassette.discard()
