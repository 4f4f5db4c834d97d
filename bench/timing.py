"""Shared timing: interleaved rounds, medians with spread, ratios taken round by round.

The machine the benchmarks run on is shared and noisy, so every competitor of a benchmark is
timed in the same process and the same run, one after the other inside each round, with the
order reversed every other round (A B, B A, A B, ...): a slow patch of the machine then hits
all sides alike instead of one side's whole sample. A ratio is computed from the two sides'
figures of the *same* round and only then summarised, so drift between rounds cancels out
instead of being divided into the result.

Within a round, the sides also alternate in short blocks, so the two halves of a ratio are
measured tens of milliseconds apart rather than seconds.

The garbage collector stays on for every side (that is what a user's test suite pays), but a
full collection runs before each side's timed block, so no side inherits another's garbage.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Row",
    "Side",
    "Summary",
    "interleave",
    "ratios",
    "summarise",
    "time_block",
]


@dataclass
class Summary:
    """Median and spread of a list of samples (nanoseconds, or a plain ratio)."""

    median: float
    q1: float
    q3: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "median": self.median,
            "q1": self.q1,
            "q3": self.q3,
            "min": self.low,
            "max": self.high,
            "n": self.n,
        }


def summarise(samples: Sequence[float]) -> Summary:
    """Median, quartiles (inclusive method) and range of `samples`."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    if len(ordered) >= 2:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q1 = q3 = ordered[0]
    return Summary(
        median=statistics.median(ordered),
        q1=q1,
        q3=q3,
        low=ordered[0],
        high=ordered[-1],
        n=len(ordered),
    )


def ratios(numerator: Sequence[float], denominator: Sequence[float]) -> list[float]:
    """Per-round ratios: round i of `numerator` over round i of `denominator`."""
    if len(numerator) != len(denominator):
        raise ValueError("ratios need the same number of rounds on both sides")
    return [a / b for a, b in zip(numerator, denominator, strict=True)]


@dataclass
class Side:
    """One competitor: `open()` is a context manager yielding the operation to time.

    Whatever `open()` does (starting a mock, entering a fake) happens outside the timed
    block, once per block; the yielded callable is what is timed.
    """

    name: str
    open: Callable[[], AbstractContextManager[Callable[[], Any]]]
    #: Operations per round for this side, when it differs from `interleave(inner=...)`.
    inner: int | None = None


def time_block(op: Callable[[], Any], inner: int) -> int:
    """Nanoseconds for `inner` calls of `op`, after a full collection."""
    gc.collect()
    start = time.perf_counter_ns()
    for _ in range(inner):
        op()
    return time.perf_counter_ns() - start


def interleave(
    sides: Sequence[Side],
    *,
    rounds: int,
    inner: int,
    blocks: int = 1,
    warmup: int = 2,
    before_round: Callable[[int], None] | None = None,
) -> dict[str, list[float]]:
    """Time every side `rounds` times, interleaved; returns nanoseconds per operation per round.

    A round times `inner` operations per side, split into `blocks` short blocks that alternate
    between the sides (A B, B A, A B, ...): the closer in time two sides' blocks are, the more
    of the machine's changing load they share, and the less of it is left in their ratio.
    Each block enters the side's context and runs `warmup` untimed operations (connection
    pools, lazy imports, first-call caches) before its timed operations. `before_round(r)`
    runs before each round, untimed (e.g. to refill a fake).
    """
    out: dict[str, list[float]] = {side.name: [] for side in sides}
    per_block = {side.name: max(1, (side.inner or inner) // blocks) for side in sides}
    flip = 0
    for r in range(rounds):
        if before_round is not None:
            before_round(r)
        elapsed = dict.fromkeys(out, 0)
        for _ in range(blocks):
            order = sides if flip % 2 == 0 else list(reversed(sides))
            flip += 1
            for side in order:
                with side.open() as op:
                    for _ in range(warmup):
                        op()
                    elapsed[side.name] += time_block(op, per_block[side.name])
        for name, ns in elapsed.items():
            out[name].append(ns / (per_block[name] * blocks))
    return out


@dataclass
class Row:
    """One line of the results table.

    `samples` are per-round figures in nanoseconds; `ratio_samples`, if any, are the per-round
    ratios against `ratio_to` (another row's case in the same benchmark, same rounds).
    """

    benchmark: str
    case: str
    samples: list[float] = field(default_factory=list)
    ratio_to: str | None = None
    ratio_samples: list[float] = field(default_factory=list)
    ratio_label: str = "x"
    budget: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def summary(self) -> Summary | None:
        return summarise(self.samples) if self.samples else None

    @property
    def ratio(self) -> Summary | None:
        return summarise(self.ratio_samples) if self.ratio_samples else None

    def as_dict(self) -> dict[str, Any]:
        summary = self.summary
        ratio = self.ratio
        return {
            "benchmark": self.benchmark,
            "case": self.case,
            "ns": summary.as_dict() if summary else None,
            "samples_ns": self.samples,
            "ratio_to": self.ratio_to,
            "ratio": ratio.as_dict() if ratio else None,
            "ratio_samples": self.ratio_samples,
            "ratio_label": self.ratio_label,
            "budget": self.budget,
            "met": self.met,
            "note": self.note,
        }
