"""CSRF protection: every HTML form post needs the token; the JSON API and webhooks don't."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from demo_app.db import db
from demo_app.models import Order
from tests.demo.harness import AuthActions
from tests.demo.stubs import StripeStub

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def csrf_app(app_factory):
    """The shop with CSRF protection on, as in production."""
    return app_factory(WTF_CSRF_ENABLED=True)


@pytest.fixture
def csrf_client(csrf_app):
    client = csrf_app.test_client()
    AuthActions(csrf_app, client).login()
    return client


def html_form_posts(app):
    """Every POST route outside the JSON API and the webhooks, with sample arguments."""
    rules = []
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or rule.endpoint.split(".")[0] in ("api", "webhooks"):
            continue
        sample = {"slug": "coffee-mug", "order_id": 1}
        rules.append(rule.build({k: sample[k] for k in rule.arguments})[1])
    return rules


def test_the_form_posts_are_the_ones_we_expect(csrf_app):
    # If a new form route appears, this list (and the enforcement test below) covers it.
    assert sorted(html_form_posts(csrf_app)) == [
        "/account/billing",
        "/checkout/coffee-mug",
        "/logout",
        "/membership/checkout",
        "/orders/1/cancel",
        "/orders/1/refund",
    ]


def test_every_html_form_post_without_a_token_is_rejected(csrf_app, csrf_client, rsps):
    stripe = StripeStub(rsps)
    for path in html_form_posts(csrf_app):
        response = csrf_client.post(path)
        assert response.status_code == 400, path
        text = response.get_data(as_text=True)
        assert 'data-code="csrf_failed"' in text, path
        assert "reload the page" in text
    assert stripe.calls == []
    with csrf_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert csrf_client.get("/api/me").status_code == 200  # the logout was refused too


def test_a_wrong_token_is_rejected(csrf_client):
    response = csrf_client.post("/logout", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert 'id="logout"' in response.get_data(as_text=True)  # the page knows who you are
    assert csrf_client.get("/api/me").status_code == 200


def test_forms_on_the_pages_carry_the_token_and_it_works(csrf_app, csrf_client, rsps):
    StripeStub(rsps)
    page = csrf_client.get("/").get_data(as_text=True)
    forms = re.findall(r'<form method="post".*?</form>', page, flags=re.S)
    assert len(forms) == 4  # three Buy buttons and Log out
    assert all(TOKEN.search(form) for form in forms)
    token = TOKEN.search(page).group(1)
    response = csrf_client.post("/checkout/coffee-mug", data={"csrf_token": token})
    assert response.status_code == 303
    response = csrf_client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert csrf_client.get("/api/me").status_code == 401


def test_json_api_needs_no_token_but_a_json_body(csrf_client, rsps):
    StripeStub(rsps)
    response = csrf_client.post("/api/orders", json={"product": "coffee-mug"})
    assert response.status_code == 201
    form_post = csrf_client.post("/api/orders", data={"product": "coffee-mug"})
    assert form_post.status_code == 415  # what a cross-site HTML form could send
