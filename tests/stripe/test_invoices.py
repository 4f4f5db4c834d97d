"""Invoices and invoice items through the real SDK: drafts, finalizing, paying, voiding."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from mockkit.stripe import StripeFake
from mockkit.stripe.objects import API_VERSION
from tests.stripe.billing_helpers import DAY, HOUR, T0, customer, freeze, price, types
from tests.stripe.driver import Driver

#: These tests assert the current API version's shapes (see `conftest.py`).
STRIPE_VERSION = API_VERSION


@pytest.fixture
def frozen(fake: StripeFake) -> StripeFake:
    freeze(fake)
    return fake


def test_one_off_invoice_lifecycle(sdk: Driver) -> None:
    freeze(sdk.fake)
    cus = sdk.create(
        "customers",
        email="inv@example.com",
        payment_method="pm_card_visa",
        invoice_settings={"default_payment_method": "pm_card_visa"},
    )
    ii1 = sdk.create("invoice_items", customer=cus.id, amount=1500, currency="usd", description="A")
    sdk.create("invoice_items", customer=cus.id, amount=250, currency="usd", description="B")
    assert ii1.id.startswith("ii_") and ii1.invoice is None and ii1.proration is False
    draft = sdk.create("invoices", customer=cus.id, pending_invoice_items_behavior="include")
    assert draft.id.startswith("in_")
    assert draft.status == "draft" and draft.auto_advance is False
    assert draft.billing_reason == "manual" and draft.number is None
    assert (draft.subtotal, draft.total, draft.amount_due) == (1750, 1750, 1750)
    assert [line.description for line in draft.lines.data] == ["B", "A"]
    assert sdk.retrieve("invoice_items", ii1.id).invoice == draft.id
    final = sdk.action("invoices", "finalize_invoice", draft.id)
    assert final.status == "open" and final.number.startswith(cus.invoice_prefix + "-")
    assert final.status_transitions.finalized_at == T0
    assert final.hosted_invoice_url and final.invoice_pdf
    paid = sdk.action("invoices", "pay", draft.id)
    assert paid.status == "paid" and paid.amount_paid == 1750 and paid.amount_remaining == 0
    assert paid.status_transitions.paid_at == T0
    assert paid.attempted is True
    evs = types(sdk.fake)
    for expected in ("invoiceitem.created", "invoice.created", "invoice.finalized", "invoice.paid"):
        assert expected in evs
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.action("invoices", "void_invoice", draft.id)
    assert info.value.http_status == 400
    assert sdk.retrieve("invoices", draft.id).status == "paid"
    listed = sdk.list("invoices", customer=cus.id, status="paid")
    assert [i.id for i in listed.data] == [draft.id]


def test_pending_items_are_left_out_unless_included(frozen: StripeFake) -> None:
    cus = customer()
    stripe.InvoiceItem.create(customer=cus.id, amount=500, currency="usd")
    empty = stripe.Invoice.create(customer=cus.id)
    assert empty.total == 0 and empty.lines.data == []
    assert len(stripe.InvoiceItem.list(customer=cus.id, pending=True).data) == 1
    into = stripe.InvoiceItem.create(customer=cus.id, amount=700, currency="usd", invoice=empty.id)
    assert into.invoice == empty.id
    assert stripe.Invoice.retrieve(empty.id).total == 700


def test_void_uncollectible_and_their_errors(frozen: StripeFake) -> None:
    cus = customer()
    stripe.InvoiceItem.create(customer=cus.id, amount=900, currency="usd")
    inv = stripe.Invoice.create(customer=cus.id, pending_invoice_items_behavior="include")
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Invoice.void_invoice(inv.id)  # a draft is deleted, not voided
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Invoice.mark_uncollectible(inv.id)
    stripe.Invoice.finalize_invoice(inv.id)
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Invoice.finalize_invoice(inv.id)
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Invoice.delete(inv.id)
    bad = stripe.Invoice.mark_uncollectible(inv.id)
    assert bad.status == "uncollectible"
    assert bad.status_transitions.marked_uncollectible_at == T0
    voided = stripe.Invoice.void_invoice(inv.id)
    assert voided.status == "void" and voided.status_transitions.voided_at == T0
    assert voided.amount_remaining == 0
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Invoice.pay(inv.id)
    evs = types(frozen)
    assert evs.index("invoice.marked_uncollectible") < evs.index("invoice.voided")


def test_uncollectible_can_still_be_paid(frozen: StripeFake) -> None:
    cus = customer()
    stripe.InvoiceItem.create(customer=cus.id, amount=900, currency="usd")
    inv = stripe.Invoice.create(customer=cus.id, pending_invoice_items_behavior="include")
    stripe.Invoice.finalize_invoice(inv.id)
    stripe.Invoice.mark_uncollectible(inv.id)
    assert stripe.Invoice.pay(inv.id).status == "paid"


def test_declined_pay_is_a_card_error_and_the_invoice_stays_open(frozen: StripeFake) -> None:
    cus = customer("pm_card_chargeCustomerFail")
    stripe.InvoiceItem.create(customer=cus.id, amount=900, currency="usd")
    inv = stripe.Invoice.create(customer=cus.id, pending_invoice_items_behavior="include")
    stripe.Invoice.finalize_invoice(inv.id)
    with pytest.raises(stripe.CardError) as info:
        stripe.Invoice.pay(inv.id)
    assert info.value.code == "card_declined"
    again = stripe.Invoice.retrieve(inv.id)
    assert again.status == "open" and again.attempted is True
    assert frozen.events_of("invoice.payment_failed")


def test_delete_draft_and_refuse_deleting_a_subscription_draft(frozen: StripeFake) -> None:
    cus = customer()
    stripe.InvoiceItem.create(customer=cus.id, amount=900, currency="usd")
    inv = stripe.Invoice.create(customer=cus.id, pending_invoice_items_behavior="include")
    gone = stripe.Invoice.delete(inv.id)
    assert gone.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Invoice.retrieve(inv.id)
    assert info.value.http_status == 404
    # Its item is pending again.
    assert len(stripe.InvoiceItem.list(customer=cus.id, pending=True).data) == 1
    assert frozen.events_of("invoice.deleted")
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price().id}])
    frozen.advance(sub["items"].data[0].current_period_end - T0)
    renewal = stripe.Subscription.retrieve(sub.id).latest_invoice
    assert stripe.Invoice.retrieve(renewal).status == "draft"
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Invoice.delete(renewal)
    assert "created by subscriptions" in str(info.value)


def test_send_invoice_collection(frozen: StripeFake) -> None:
    cus = customer(pm=None)
    stripe.InvoiceItem.create(customer=cus.id, amount=4200, currency="usd")
    inv = stripe.Invoice.create(
        customer=cus.id,
        collection_method="send_invoice",
        days_until_due=30,
        pending_invoice_items_behavior="include",
    )
    assert inv.due_date is None
    stripe.Invoice.finalize_invoice(inv.id)
    sent = stripe.Invoice.send_invoice(inv.id)
    assert sent.status == "open" and sent.due_date == T0 + 30 * DAY
    assert frozen.events_of("invoice.sent")
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Invoice.create(customer=cus.id, collection_method="send_invoice")


def test_auto_advance_finalizes_a_manual_draft_after_an_hour(frozen: StripeFake) -> None:
    cus = customer()
    stripe.InvoiceItem.create(customer=cus.id, amount=1200, currency="usd")
    inv = stripe.Invoice.create(
        customer=cus.id, auto_advance=True, pending_invoice_items_behavior="include"
    )
    assert inv.automatically_finalizes_at == T0 + HOUR
    frozen.advance(HOUR)
    assert stripe.Invoice.retrieve(inv.id).status == "paid"


def test_amounts_with_discounts_and_credit_are_exact(frozen: StripeFake) -> None:
    cus = customer(balance=-333)
    coupon = stripe.Coupon.create(percent_off=12.5)
    line_coupon = stripe.Coupon.create(amount_off=99, currency="usd")
    stripe.InvoiceItem.create(customer=cus.id, amount=1001, currency="usd")
    stripe.InvoiceItem.create(
        customer=cus.id, amount=2003, currency="usd", discounts=[{"coupon": line_coupon.id}]
    )
    stripe.InvoiceItem.create(customer=cus.id, amount=500, currency="usd", discountable=False)
    inv = stripe.Invoice.create(
        customer=cus.id,
        discounts=[{"coupon": coupon.id}],
        pending_invoice_items_behavior="include",
    )
    # Line discount first: 2003 - 99 = 1904; subtotal = 1001 + 1904 + 500 = 3405.
    assert inv.subtotal == 3405
    # 12.5% of the discountable 2905 = 363.125 -> 363.
    assert inv.total == 3405 - 363
    amounts = {d.discount: d.amount for d in inv.total_discount_amounts}
    assert sorted(amounts.values()) == [99, 363]
    assert inv.amount_due == 3042  # the credit applies when the invoice is finalized
    final = stripe.Invoice.finalize_invoice(inv.id)
    assert final.starting_balance == -333 and final.amount_due == 3042 - 333
    assert final.ending_balance == 0
    assert stripe.Customer.retrieve(cus.id).balance == 0
    shares = [sum(d.amount for d in line.discount_amounts) for line in final.lines.data]
    assert sum(shares) == 99 + 363


def test_lines_endpoint_pages(frozen: StripeFake) -> None:
    cus = customer()
    for i in range(5):
        stripe.InvoiceItem.create(customer=cus.id, amount=100 + i, currency="usd")
    inv = stripe.Invoice.create(customer=cus.id, pending_invoice_items_behavior="include")
    page = stripe.Invoice.list_lines(inv.id, limit=2)
    assert len(page.data) == 2 and page.has_more is True
    everything = [line.amount for line in page.auto_paging_iter()]
    assert sorted(everything) == [100, 101, 102, 103, 104]


def test_invoice_items_crud_and_errors(frozen: StripeFake) -> None:
    cus = customer()
    item = stripe.InvoiceItem.create(
        customer=cus.id,
        pricing={
            "price": stripe.Price.create(
                product_data={"name": "Setup fee"}, unit_amount=300, currency="usd"
            ).id
        },
        quantity=2,
    )
    assert item.amount == 600 and item.quantity == 2 and item.description == "Setup fee"
    changed = stripe.InvoiceItem.modify(item.id, description="Fee", metadata={"k": "v"})
    assert changed.description == "Fee"
    assert stripe.InvoiceItem.delete(item.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.InvoiceItem.create(customer=cus.id, amount=100)
    assert info.value.param == "currency"
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.InvoiceItem.create(customer="cus_nope", amount=100, currency="usd")
    assert info.value.code == "resource_missing"
    types_seen = types(frozen)
    assert "invoiceitem.created" in types_seen and "invoiceitem.deleted" in types_seen


def test_create_preview_of_a_new_subscription_and_none_upcoming(frozen: StripeFake) -> None:
    cus = customer()
    plan = price(1500)
    preview = stripe.Invoice.create_preview(
        customer=cus.id, subscription_details={"items": [{"price": plan.id, "quantity": 2}]}
    )
    assert preview.id.startswith("upcoming_in_")
    assert preview.billing_reason == "upcoming" and preview.total == 3000
    assert preview.status == "draft"
    assert list(frozen.objects("invoice")) == []
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Invoice.create_preview(customer=customer().id)
    assert info.value.code == "invoice_upcoming_none"


def test_bad_invoice_input_changes_nothing(frozen: StripeFake) -> None:
    before = len(frozen.events)
    cases: list[dict[str, Any]] = [
        {},
        {"customer": "cus_nope"},
        {"customer": customer().id, "discounts": [{"coupon": "nope"}]},
        {"customer": customer().id, "automatic_tax": {"enabled": True}},
    ]
    created = len(frozen.events) - before
    for params in cases:
        with pytest.raises(stripe.InvalidRequestError):
            stripe.Invoice.create(**params)
    assert list(frozen.objects("invoice")) == []
    assert len(frozen.events) - before == created
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Invoice.finalize_invoice("in_nope")
    assert info.value.http_status == 404
