"""The test clock endpoints: create, retrieve, list, advance, delete."""

from __future__ import annotations

from typing import Any

from mockkit.stripe.lists import PAGE_SPEC, paginate
from mockkit.stripe.models.test_helpers_test_clocks import TestClocks
from mockkit.stripe.params import INT, STR, Str
from mockkit.stripe.routing import endpoint
from mockkit.stripe.state import StripeState

_BASE = "/v1/test_helpers/test_clocks"


@endpoint(
    "POST",
    _BASE,
    {"frozen_time": INT, "name": Str(300), "customer": STR},
    ("frozen_time",),
    kind="test_helpers.test_clock",
)
def create_test_clock(s: StripeState, p: dict[str, Any]) -> Any:
    """Create a test clock frozen at `frozen_time`."""
    return TestClocks.of(s).create(p)


@endpoint("GET", _BASE + "/{id}", kind="test_helpers.test_clock")
def retrieve_test_clock(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a test clock."""
    return TestClocks.of(s).get(id)


@endpoint(
    "POST",
    _BASE + "/{id}/advance",
    {"frozen_time": INT},
    ("frozen_time",),
    kind="test_helpers.test_clock",
)
def advance_test_clock(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Advance a test clock, running everything due on it in time order."""
    return TestClocks.of(s).advance(id, p)


@endpoint("DELETE", _BASE + "/{id}", kind="deleted")
def delete_test_clock(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Delete a test clock and the customers (and their objects) on it."""
    return TestClocks.of(s).delete(id)


@endpoint("GET", _BASE, PAGE_SPEC, kind="list:test_helpers.test_clock")
def list_test_clocks(s: StripeState, p: dict[str, Any]) -> Any:
    """List test clocks, newest first."""
    return paginate(s, "test_helpers.test_clock", p, _BASE)
