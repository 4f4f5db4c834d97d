"""What Stripe's API has at each version: request parameters per endpoint, fields per object.

Read from `stripe_params.json`, which `nox -s stripe_params` makes from the `*Params` types and
resource classes of the newest release of every stripe-python major from 10 on (each release
describes the API at the version it pins). A name is known over a span `[since, until)` of
versions. The releases' pins only bracket a change; a change between releases of two named
majors (basil, clover, ...) is dated at the first release of the newer major, where Stripe
makes its breaking changes (a field removed, a parameter renamed).
"""

from __future__ import annotations

import functools
import json
from importlib import resources

__all__ = ["Span", "before", "field_spans", "known", "nested_spans", "param_spans"]

#: `(since, until)`: None is "before the oldest release described" / "still".
Span = tuple[str | None, str | None]

#: The first release of each named major, where its breaking changes landed.
MAJOR_STARTS: dict[str, str] = {
    "acacia": "2024-09-30.acacia",
    "basil": "2025-03-31.basil",
    "clover": "2025-09-30.clover",
    "dahlia": "2026-03-25.dahlia",
    "endive": "2026-09-30.endive",
}


def before(version: str, boundary: str) -> bool:
    """Whether `version` is older than the release `boundary` (compared by date)."""
    return version[:10] < boundary[:10]


def known(span: Span, version: str) -> bool:
    """Whether `version` falls in `span`."""
    since, until = span
    return (since is None or not before(version, since)) and (
        until is None or before(version, until)
    )


def _major(version: str) -> str:
    return version.partition(".")[2]


_Groups = dict[str, dict[str, Span]]


@functools.cache
def _table() -> tuple[_Groups, _Groups, _Groups]:
    text = resources.files("mockkit.stripe").joinpath("stripe_params.json").read_text("utf-8")
    data = json.loads(text)
    pins = [version for _, version in data["releases"]]

    def dated(boundary: str | None) -> str | None:
        if boundary is None:
            return None
        i = pins.index(boundary)
        previous = pins[i - 1] if i else None
        major = _major(boundary)
        if previous is not None and major and major != _major(previous):
            return MAJOR_STARTS.get(major, boundary)
        return boundary

    def spans(groups: dict[str, dict[str, list[str | None]]]) -> dict[str, dict[str, Span]]:
        return {
            group: {name: (dated(s[0]), dated(s[1])) for name, s in names.items()}
            for group, names in groups.items()
        }

    return spans(data["endpoints"]), spans(data["fields"]), spans(data["nested"])


def param_spans(method: str, template: str) -> dict[str, Span] | None:
    """Each parameter of `method template` Stripe has at some version, or None if not described."""
    return _table()[0].get(f"{method} {template}")


def nested_spans(method: str, template: str) -> dict[str, Span] | None:
    """Each nested parameter of `method template` Stripe has at some version (None if the
    endpoint is not described), in bracket form: `line_items[][price_data][currency]`, a list's
    items written `[]`."""
    return _table()[2].get(f"{method} {template}")


def field_spans(kind: str) -> dict[str, Span]:
    """The fields (dotted paths) of `kind` objects that not every version has, with their spans."""
    return _table()[1].get(kind, {})
