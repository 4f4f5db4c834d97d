"""The shop's HTML pages: home, orders, order detail, account, and the refund form."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from demo_app.auth import current_user, login_required
from demo_app.billing import refund_order
from demo_app.db import db
from demo_app.errors import ShopError
from demo_app.membership import current_plan, format_date, membership_of
from demo_app.models import Order, Product, owned_order

bp = Blueprint("shop", __name__)


def _owned_order(order_id: int) -> Order:
    order = owned_order(order_id, current_user())
    if order is None:
        raise ShopError(404, "order_not_found", "We could not find that order.")
    return order


@bp.get("/")
def home() -> str:
    """Products with a Buy button each, and login buttons or the user's name."""
    products = db.session.scalars(select(Product).order_by(Product.amount)).all()
    return render_template("home.html", products=products)


@bp.get("/orders")
@login_required
def orders() -> str:
    """The user's orders with their statuses, newest first."""
    user = current_user()
    assert user is not None
    rows = db.session.scalars(
        select(Order).filter_by(user_id=user.id).order_by(Order.id.desc())
    ).all()
    return render_template("orders.html", orders=rows)


@bp.get("/orders/<int:order_id>")
@login_required
def order_detail(order_id: int) -> str:
    """One order; 404 for anyone but its owner."""
    return render_template("order.html", order=_owned_order(order_id))


@bp.post("/orders/<int:order_id>/refund")
@login_required
def refund(order_id: int) -> Response:
    """The refund button on a paid order (a CSRF-protected form)."""
    refund_order(_owned_order(order_id))
    flash("Your refund is on its way.", "success")
    return redirect(url_for("shop.order_detail", order_id=order_id))


@bp.get("/account")
@login_required
def account() -> str:
    """Who is logged in, with which provider, and their membership as Stripe last told us.

    Opening it changes nothing; `?membership=welcome` / `checkout-canceled` (where Stripe
    Checkout sends the customer back) only choose a note to show.
    """
    user = current_user()
    assert user is not None
    return render_template(
        "account.html",
        membership=membership_of(user.id),
        plan=current_plan(),
        returned=request.args.get("membership"),
        format_date=format_date,
    )
