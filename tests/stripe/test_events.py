"""Events through the real SDK: listed by type pattern and retrieved."""

from __future__ import annotations

from tests.stripe.driver import Driver


def test_events_list_and_retrieve(sdk: Driver) -> None:
    sdk.create("customers")
    sdk.create("products", name="P")
    events = sdk.list("events", type="customer.*")
    assert [e.type for e in events.data] == ["customer.created"]
    one = sdk.retrieve("events", sdk.fake.events[-1]["id"])
    assert one.type == "product.created"
    assert one.data.object.name == "P"
