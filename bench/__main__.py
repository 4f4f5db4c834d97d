"""`python -m bench [--quick] [--json PATH] [--only NAME ...]`: run the benchmarks, print one table.

Every benchmark times its competitors in this one process and run, interleaved round by
round, and reports medians with their spread and per-round ratios (see `bench.timing`).
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench import report
from bench.timing import Row

#: Benchmark modules in the order they are run and printed.
BENCHMARKS = (
    "stripe_call",
    "stripe_scale",
    "cassette_replay",
    "oauth_login",
    "demo_suite",
    "stripe_billing",
)

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="fewer rounds: under a minute on 2 cores"
    )
    parser.add_argument(
        "--json", type=Path, default=DEFAULT_JSON, help=f"results file (default {DEFAULT_JSON})"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=BENCHMARKS,
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--show",
        type=Path,
        metavar="PATH",
        help="print the table of a results file written earlier, without running anything",
    )
    args = parser.parse_args(argv)
    if args.show is not None:
        return show(args.show)

    info = report.machine()
    load_start = report.load_average()
    print(f"machine: {report.machine_line(info)}", flush=True)
    mode = "quick" if args.quick else "full"
    started = datetime.now(UTC)
    groups: list[tuple[str, list[Row]]] = []
    results = []
    failed = False
    t0 = time.perf_counter()
    selected = [name for name in BENCHMARKS if not args.only or name in args.only]
    for name in selected:
        module = importlib.import_module(f"bench.{name}")
        t_start = time.perf_counter()
        print(f"running {module.TITLE} ...", flush=True)
        try:
            rows: list[Row] = module.run(args.quick)
        except Exception:  # a broken benchmark must not hide the others' figures
            failed = True
            traceback.print_exc()
            rows = [Row(name, "failed", note="see the traceback above")]
        print(f"  done in {time.perf_counter() - t_start:.1f} s", flush=True)
        groups.append((module.TITLE, rows))
        results.extend(row.as_dict() for row in rows)

    elapsed = time.perf_counter() - t0
    load_end = report.load_average()
    load = {"start": load_start, "end": load_end}
    print()
    print(report.heading(mode, f"{started:%Y-%m-%d %H:%M}", elapsed, load))
    print(report.table(groups))
    report.write_json(
        args.json,
        {
            "mode": mode,
            "started": started.isoformat(),
            "elapsed_s": elapsed,
            "machine": info,
            "load_average": load,
            "results": results,
        },
    )
    print(f"\nresults written to {args.json}")
    return 1 if failed else 0


def show(path: Path) -> int:
    """Print the machine line and table of a saved results file."""
    payload = json.loads(path.read_text(encoding="utf-8"))
    titles = {name: importlib.import_module(f"bench.{name}").TITLE for name in BENCHMARKS}
    started = datetime.fromisoformat(payload["started"])
    print(f"machine: {report.machine_line(payload['machine'])}")
    print(
        report.heading(
            payload["mode"],
            f"{started:%Y-%m-%d %H:%M}",
            payload["elapsed_s"],
            payload["load_average"],
        )
    )
    print(report.table(report.groups_from_json(payload, titles)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
