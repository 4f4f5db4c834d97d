"""Run `python -m mockkit serve` as a real subprocess and read what it prints."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

#: How long a served command may take to print its details (Python start-up, imports).
START_TIMEOUT = 30.0


class ServeProcess:
    """A running `python -m mockkit serve ...`, with its output read on a thread."""

    def __init__(self, args: list[str]) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mockkit", "serve", *args],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.stdout: list[str] = []

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def readline(self, timeout: float = START_TIMEOUT) -> str:
        """The next line of stdout; fails with the command's stderr if it ended or hung."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"`mockkit serve` printed nothing for {timeout} s")
        if line is None:
            self.proc.wait(timeout=10)
            err = self.proc.stderr.read() if self.proc.stderr else ""
            pytest.fail(f"`mockkit serve` exited with {self.proc.returncode}: {err}")
        self.stdout.append(line)
        return line

    def read_json(self) -> dict[str, Any]:
        """The details printed by `--json` (its first line)."""
        return dict(json.loads(self.readline()))

    def read_until(self, prefix: str) -> list[str]:
        """Lines up to and including the first that starts with `prefix`."""
        seen = []
        while True:
            line = self.readline()
            seen.append(line)
            if line.startswith(prefix):
                return seen

    def stop(self, signum: int = signal.SIGINT) -> tuple[int, str]:
        """Send `signum`, wait for the exit; returns (status, stderr)."""
        self.proc.send_signal(signum)
        try:
            _, err = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
            pytest.fail(f"`mockkit serve` did not stop on signal {signum}: {err}")
        return self.proc.returncode, err


@pytest.fixture
def serve() -> Iterator[Callable[..., ServeProcess]]:
    """Start `python -m mockkit serve ARGS...`; killed at the end if the test did not stop it."""
    started: list[ServeProcess] = []

    def start(*args: str) -> ServeProcess:
        process = ServeProcess(list(args))
        started.append(process)
        return process

    yield start
    for process in started:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.communicate()
