"""Every Python example in README.md and docs/ runs, the way a reader would run it.

Each ```python block is saved alone in a fresh directory and run there in a new process: a
block that defines `test_*` functions as `python -m pytest` (every test must pass; warnings are
errors, with this suite's own documented exceptions), any other block as a script. Only
mockkit's own fixtures exist there, as in a reader's project; the network is blocked beyond
loopback, as in the rest of this suite.

An HTML comment on the line just above the fence (invisible on the rendered page) says more:

    <!-- example: setup=NAME -->
        first copy tests/docs/setups/NAME/ beside the block (a conftest.py with the fixtures
        the block assumes, e.g. `demo` for the demo shop's `app`, or a module it patches);
    <!-- example: not-run: REASON -->
        do not run the block (it is still compiled); REASON says why it cannot run here, e.g.
        it needs a browser and a real provider account.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SETUPS = Path(__file__).resolve().parent / "setups"

_BLOCK = re.compile(
    r"(?:^[ \t]*<!-- example: (?P<spec>[^\n]*?) -->\n)?^(?P<indent>[ \t]*)```python[^\n]*\n"
    r"(?P<code>.*?)^(?P=indent)```[ \t]*$",
    re.M | re.S,
)

#: Every example runs with outbound sockets blocked except loopback, as the suite does.
_OFFLINE_CONFTEST = """
import pytest


@pytest.fixture(autouse=True)
def _docs_example_offline(mockkit_no_network):
    yield
"""

_OFFLINE_SCRIPT = """
import runpy, sys
import mockkit

with mockkit.block_network():
    runpy.run_path(sys.argv[1], run_name="__main__")
"""


@dataclass(frozen=True)
class Example:
    """One ```python block of a page."""

    page: str
    line: int
    code: str
    setup: str | None
    not_run: str | None

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def _dedent(code: str, indent: str) -> str:
    lines = code.splitlines()
    return "\n".join(line[len(indent) :] if line.startswith(indent) else line for line in lines)


def doc_pages() -> list[Path]:
    """README.md and every Markdown page under docs/."""
    return [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


def examples_in(path: Path) -> list[Example]:
    """The Python blocks of one page, with what their marker comment says."""
    text = path.read_text(encoding="utf-8")
    found = []
    for match in _BLOCK.finditer(text):
        spec = (match["spec"] or "").strip()
        setup = not_run = None
        if spec.startswith("setup="):
            setup = spec.removeprefix("setup=").strip()
        elif spec.startswith("not-run:"):
            not_run = spec.removeprefix("not-run:").strip()
        elif spec:
            raise ValueError(f"{path.name}: unknown example marker {spec!r}")
        line = text.count("\n", 0, match.start("indent")) + 1
        code = _dedent(match["code"], match["indent"])
        found.append(Example(path.relative_to(REPO).as_posix(), line, code, setup, not_run))
    return found


EXAMPLES = [example for page in doc_pages() for example in examples_in(page)]
RUNNABLE = [e for e in EXAMPLES if e.not_run is None]


def test_the_docs_have_examples_and_every_skipped_one_says_why() -> None:
    assert len(RUNNABLE) >= 5, [e.id for e in EXAMPLES]
    assert any(e.page == "README.md" for e in RUNNABLE), "the README's quick start must run"
    for example in EXAMPLES:
        if example.not_run is not None:
            assert len(example.not_run) >= 20, f"{example.id}: say why it cannot run"
        if example.setup is not None:
            assert (SETUPS / example.setup).is_dir(), f"{example.id}: no setup {example.setup}"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_example_compiles(example: Example) -> None:
    compile(example.code, example.id, "exec")


def _project_filterwarnings() -> list[str]:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    filters: list[str] = pyproject["tool"]["pytest"]["ini_options"]["filterwarnings"]
    assert filters[0] == "error"
    return filters


def _environment() -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    # A reader runs these on their own machine: no CI flag (which would forbid the recording
    # an example shows), no record mode left over from the shell.
    for name in ("CI", "MOCKKIT_RECORD_MODE", "MOCKKIT_SANDBOX"):
        environ.pop(name, None)
    environ["MOCKKIT_DOCS_REPO"] = str(REPO)  # for setups that use this repository's demo
    return environ


@pytest.mark.slow
@pytest.mark.parametrize("example", RUNNABLE, ids=lambda e: e.id)
def test_example_runs(example: Example, tmp_path: Path) -> None:
    if example.setup:
        shutil.copytree(SETUPS / example.setup, tmp_path, dirs_exist_ok=True)
    tests = len(re.findall(r"^(?:async )?def test_\w+", example.code, re.M))
    if tests:
        (tmp_path / "test_example.py").write_text(example.code + "\n", encoding="utf-8")
        conftest = tmp_path / "conftest.py"
        existing = conftest.read_text(encoding="utf-8") if conftest.exists() else ""
        conftest.write_text(existing + _OFFLINE_CONFTEST, encoding="utf-8")
        # The suite's warning policy: errors, but for the exceptions the docs tell readers of.
        filters = "".join(f"\n    {f}" for f in _project_filterwarnings())
        (tmp_path / "pytest.ini").write_text(f"[pytest]\nfilterwarnings ={filters}\n")
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        command += ["-p", "no:randomly", "test_example.py"]
    else:
        (tmp_path / "example.py").write_text(example.code + "\n", encoding="utf-8")
        command = [sys.executable, "-c", _OFFLINE_SCRIPT, "example.py"]
    result = subprocess.run(
        command, cwd=tmp_path, env=_environment(), capture_output=True, text=True, timeout=600
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{example.id} failed:\n{output}"
    if tests:
        assert re.search(rf"\b{tests} passed\b", output), (
            f"{example.id}: not every test ran\n{output}"
        )
        assert "skipped" not in output and "xfail" not in output, output
