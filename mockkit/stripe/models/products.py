"""Products: create (optionally with a default price), update, delete while no price uses it."""

from __future__ import annotations

from mockkit.stripe.errors import invalid_request
from mockkit.stripe.objects import build
from mockkit.stripe.resource import Resource
from mockkit.stripe.state import Model, Obj, Params

__all__ = ["Products"]

FIELDS = (
    "name",
    "description",
    "active",
    "images",
    "url",
    "shippable",
    "statement_descriptor",
    "unit_label",
    "tax_code",
)


class Products(Model):
    """The account's products."""

    resource = Resource(
        "product",
        "prod_",
        id_length=14,
        expandable={"default_price": "price"},
        events=("product.created", "product.updated", "product.deleted"),
    )

    def create(self, p: Params, emit: bool = True) -> Obj:
        """POST /v1/products (`emit=False`: a product made inline by a price, as Stripe does)."""
        s = self.state
        now = s.now()
        fields = {k: p[k] for k in FIELDS if p.get(k) is not None}
        fields.update(
            id=p.get("id") or s.new_id("product"),
            created=now,
            updated=now,
            metadata=self.merge_metadata({}, p.get("metadata") or {}),
        )
        if fields["id"] in self.store.by_id:
            raise invalid_request(
                f"Product already exists: {fields['id']}",
                param="id",
                code="resource_already_exists",
            )
        product = self.store.add(build("product", fields))
        if emit:
            s.emit("product.created", product)
        if p.get("default_price_data"):
            data = dict(p["default_price_data"])
            data["product"] = product["id"]
            # Prices import products (a price's `product_data`), so reach prices by kind.
            price = s.models["price"].create(data)
            product["default_price"] = price["id"]
        return product

    def modify(self, prod_id: str, p: Params) -> Obj:
        """POST /v1/products/{id}."""
        product = self.get(prod_id)
        if p.get("default_price"):
            self.state.ref("price", p["default_price"], "default_price")
        previous = self.apply(product, p, (*FIELDS, "default_price"))
        if previous:
            product["updated"] = self.state.now()
            self.state.emit("product.updated", product, previous)
        return product

    def delete(self, prod_id: str) -> Obj:
        """DELETE /v1/products/{id} (refused while prices use it, as Stripe does)."""
        product = self.get(prod_id)
        if any(pr["product"] == prod_id for pr in self.state.stores["price"].by_id.values()):
            raise invalid_request(
                "This product cannot be deleted because it has one or more user-created prices.",
            )
        self.store.remove(prod_id)
        self.state.emit("product.deleted", product)
        return {"id": prod_id, "object": "product", "deleted": True}
