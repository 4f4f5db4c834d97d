"""Products and their prices through the real SDK."""

from __future__ import annotations

import pytest
import stripe

from tests.stripe.driver import Driver


def test_products_and_prices(sdk: Driver) -> None:
    product = sdk.create("products", name="T-shirt", metadata={"sku": "TS"})
    assert product.id.startswith("prod_") and product.active is True
    price = sdk.create("prices", product=product.id, unit_amount=2500, currency="usd")
    assert price.id.startswith("price_")
    assert (price.type, str(price.unit_amount_decimal), price.recurring) == (
        "one_time",
        "2500",
        None,
    )
    monthly = sdk.create(
        "prices",
        currency="usd",
        unit_amount=900,
        recurring={"interval": "month"},
        product_data={"name": "Plan"},
    )
    assert monthly.type == "recurring" and monthly.recurring.interval == "month"

    listed = sdk.list("prices", product=product.id)
    assert [p.id for p in listed.data] == [price.id]
    expanded = sdk.retrieve("prices", price.id, expand=["product"])
    assert expanded.product.name == "T-shirt"
    off = sdk.update("prices", price.id, active=False)
    assert off.active is False
    with pytest.raises(stripe.InvalidRequestError):
        sdk.delete("products", product.id)  # prices still use it
