"""Benchmark 3: replaying a recorded cassette, plain vcrpy against `mockkit.cassettes.use`.

Cassettes of 10, 100 and 1,000 interactions are generated with vcrpy's own serializer (so
they are exactly what vcrpy records): distinct `GET https://api.stripe.com/v1/customers/<id>`
requests with realistic Customer bodies and the headers stripe-python sends. Both sides open
the same file with replay only (`record_mode="none"`) and default matching, then replay the
interactions in recorded order with `requests`, as a test suite does.

Two figures per side and size, timed separately:

- load: entering the context (reading and parsing the file, installing the interception);
- per request: the replay loop divided by the number of requests.

vcrpy looks each request up with a linear scan that stops at the first match, so the request
at position i costs time proportional to i and a whole-cassette replay grows with the square
of its length. Because the cost of a request depends only on its position, `--quick` replays
an evenly spaced twentieth of the 1,000-interaction cassette, in order, which has the same
expected per-request cost as replaying all of it; the full run replays every interaction.

Small cassettes are replayed several times per round (a fresh context each time), so every
timed sample covers a few hundred requests rather than a handful.
"""

from __future__ import annotations

import gc
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import requests
import vcr
from vcr.request import Request as VcrRequest
from vcr.serialize import serialize
from vcr.serializers import yamlserializer

from bench import payloads
from bench.timing import Row, ratios

NAME = "cassette_replay"
TITLE = "3. Cassette replay (per request / load)"
SIZES = (10, 100, 1000)
BUDGET_SPEEDUP = 8.0
BUDGET_FLAT = 1.10
#: Requests per timed sample for the small cassettes (replayed this many times over).
MIN_REQUESTS = 300
QUICK_MIN_REQUESTS = 100
#: In --quick mode, the 1,000-interaction cassette replays every QUICK_STRIDE-th request.
QUICK_STRIDE = 20

_HEADERS = {
    "Accept": "*/*",
    "Accept-Encoding": "gzip, deflate",
    "Authorization": "Bearer sk_test_REDACTED",
    "Connection": "keep-alive",
    "Stripe-Version": "2025-10-29.clover",
    "User-Agent": "Stripe/v1 PythonBindings/16.1.0",
}


def url(index: int) -> str:
    return f"https://api.stripe.com/v1/customers/cus_bench{index:08d}"


def write_cassette(path: Path, size: int) -> None:
    """A vcrpy cassette of `size` distinct customer retrievals, via vcrpy's serializer."""
    reqs = []
    resps = []
    for i in range(size):
        reqs.append(VcrRequest("GET", url(i), None, {k: [v] for k, v in _HEADERS.items()}))
        body = json.dumps(payloads.customer(i), indent=2)
        resps.append(
            {
                "status": {"code": 200, "message": "OK"},
                "headers": {
                    "Content-Type": ["application/json"],
                    "Content-Length": [str(len(body.encode()))],
                    "Request-Id": [f"req_bench{i:08d}"],
                    "Stripe-Version": ["2025-10-29.clover"],
                },
                "body": {"string": body},
            }
        )
    text = serialize({"requests": reqs, "responses": resps}, yamlserializer)
    path.write_text(text, encoding="utf-8")


def load_mockkit() -> Callable[..., AbstractContextManager[Any]] | None:
    """`mockkit.cassettes.use`, or None while it does not exist yet."""
    try:
        from mockkit.cassettes import use
    except ImportError:
        return None
    return use  # type: ignore[no-any-return]


def _vcrpy(path: Path) -> AbstractContextManager[Any]:
    return vcr.VCR().use_cassette(str(path), record_mode="none")


def _time_once(
    opener: Callable[[Path], AbstractContextManager[Any]],
    path: Path,
    urls: list[str],
    session: requests.Session,
) -> tuple[int, int]:
    """(load ns, replay ns) of one fresh context replaying `urls` in order."""
    gc.collect()
    cm = opener(path)
    t0 = time.perf_counter_ns()
    cm.__enter__()
    t1 = time.perf_counter_ns()
    try:
        for u in urls:
            response = session.get(u, headers=_HEADERS)
            if response.status_code != 200:
                raise RuntimeError(f"replay answered {response.status_code} for {u}")
        t2 = time.perf_counter_ns()
    finally:
        cm.__exit__(None, None, None)
    return t1 - t0, t2 - t1


@contextmanager
def _cassettes() -> Iterator[dict[int, Path]]:
    with tempfile.TemporaryDirectory(prefix="mockkit-bench-") as tmp:
        paths = {}
        for size in SIZES:
            path = Path(tmp) / f"customers_{size}.yaml"
            write_cassette(path, size)
            paths[size] = path
        yield paths


def run(quick: bool) -> list[Row]:
    rounds = 3 if quick else 5
    use = load_mockkit()
    sides: dict[str, Callable[[Path], AbstractContextManager[Any]]] = {"vcrpy": _vcrpy}
    if use is not None:

        def _mockkit(path: Path) -> AbstractContextManager[Any]:
            return use(path, record_mode="none")

        sides["mockkit"] = _mockkit

    per_request: dict[tuple[str, int], list[float]] = {(s, n): [] for s in sides for n in SIZES}
    load: dict[tuple[str, int], list[float]] = {(s, n): [] for s in sides for n in SIZES}
    session = requests.Session()
    flip = 0
    with _cassettes() as paths:
        for _ in range(rounds):
            for size in SIZES:
                stride = QUICK_STRIDE if quick and size >= 1000 else 1
                urls = [url(i) for i in range(0, size, stride)]
                reps = max(1, (QUICK_MIN_REQUESTS if quick else MIN_REQUESTS) // size)
                load_ns = dict.fromkeys(sides, 0)
                replay_ns = dict.fromkeys(sides, 0)
                for _ in range(reps):  # the sides alternate context by context
                    names = list(sides) if flip % 2 == 0 else list(reversed(sides))
                    flip += 1
                    for name in names:
                        ld, rp = _time_once(sides[name], paths[size], urls, session)
                        load_ns[name] += ld
                        replay_ns[name] += rp
                for name in sides:
                    load[(name, size)].append(load_ns[name] / reps)
                    per_request[(name, size)].append(replay_ns[name] / (reps * len(urls)))

    rows: list[Row] = []
    sample_note = f"every {QUICK_STRIDE}th request" if quick else ""
    for size in SIZES:
        base = per_request[("vcrpy", size)]
        note = sample_note if size >= 1000 else ""
        rows.append(Row(NAME, f"vcrpy, {size:,} interactions, per request", base, note=note))
        if use is None:
            continue
        mine = per_request[("mockkit", size)]
        row = Row(
            NAME,
            f"mockkit, {size:,} interactions, per request",
            mine,
            "vcrpy",
            ratios(base, mine),
            "x faster",
            note=note,
        )
        if size == max(SIZES):
            row.budget = f">= {BUDGET_SPEEDUP:g}x faster"
            summary = row.ratio
            row.met = summary is not None and summary.median >= BUDGET_SPEEDUP
        rows.append(row)
    if use is not None:
        big, small = max(SIZES), min(SIZES)
        flat = Row(
            NAME,
            f"mockkit per request, {big:,} vs {small:,} interactions",
            ratio_to=f"mockkit {small}",
            ratio_samples=ratios(per_request[("mockkit", big)], per_request[("mockkit", small)]),
            ratio_label="x",
            budget=f"<= {BUDGET_FLAT:.2f}x (flat)",
        )
        summary = flat.ratio
        flat.met = summary is not None and summary.median <= BUDGET_FLAT
        rows.append(flat)
    else:
        rows.append(Row(NAME, "mockkit", note="skipped: mockkit.cassettes.use absent"))
    for size in SIZES:
        base = load[("vcrpy", size)]
        rows.append(Row(NAME, f"vcrpy, {size:,} interactions, load", base))
        if use is not None:
            mine = load[("mockkit", size)]
            rows.append(
                Row(
                    NAME,
                    f"mockkit, {size:,} interactions, load",
                    mine,
                    "vcrpy",
                    ratios(base, mine),
                    "x faster",
                )
            )
    # What one test replaying the whole big cassette pays: its load plus every request.
    big = max(SIZES)
    whole = {
        name: [
            ld + pr * big
            for ld, pr in zip(load[(name, big)], per_request[(name, big)], strict=True)
        ]
        for name in sides
    }
    whole_note = "from the sample" if quick else ""
    rows.append(
        Row(
            NAME,
            f"vcrpy, {big:,} interactions, load + all requests",
            whole["vcrpy"],
            note=whole_note,
        )
    )
    if use is not None:
        rows.append(
            Row(
                NAME,
                f"mockkit, {big:,} interactions, load + all requests",
                whole["mockkit"],
                "vcrpy",
                ratios(whole["vcrpy"], whole["mockkit"]),
                "x faster",
                note=whole_note,
            )
        )
    return rows
