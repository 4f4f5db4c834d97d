"""The reliability figures on the docs page are the published record of a run, not estimates.

`tests/reliability/summary.py` fails a run whose counts differ from
`docs/reliability-figures.json`; this test holds the page to that file.
"""

from __future__ import annotations

import json

from tests.reliability import summary


def test_the_docs_table_is_the_published_record() -> None:
    published = json.loads(summary.FIGURES.read_text(encoding="utf-8"))
    block = summary.page_block(summary.PAGE.read_text(encoding="utf-8"))
    assert block == summary.render(published), (
        "docs/reliability.md's figures were edited by hand: "
        "python -m tests.reliability.summary --update rewrites them from the last run"
    )


def test_every_published_surface_names_the_tests_that_count_it() -> None:
    published = json.loads(summary.FIGURES.read_text(encoding="utf-8"))
    assert published["total"] == sum(e["examples"] for e in published["surfaces"].values())
    for surface, entry in published["surfaces"].items():
        assert entry["examples"] > 0 and entry["tests"], surface
        # The reliability tests live beside what they test: each named file must exist.
        assert all((summary.REPO / t.split("::")[0]).is_file() for t in entry["tests"]), surface
