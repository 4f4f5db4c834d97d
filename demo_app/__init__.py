"""The demo shop: OAuth login (GitHub, Google) and Stripe payments, in the flaskr shape.

`create_app(test_config=None)` builds a fresh app: configuration (see `demo_app.config`),
database, its own authlib registry and Stripe client, blueprints and error handlers. Nothing
is shared between two apps, so tests and embedded servers never see each other's state.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from demo_app.config import load_config

__all__ = ["create_app"]


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure a demo shop app.

    `test_config` overrides the defaults and the environment key by key (for tests, or for
    code that points the shop at mockkit's fakes).
    """
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    load_config(app, test_config)

    from demo_app import api, auth, billing, cli, membership, shop, webhooks
    from demo_app.db import configure_sqlite, db
    from demo_app.errors import register_error_handlers

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)

    csrf = CSRFProtect(app)
    # The JSON API needs a session cookie plus a JSON body (a cross-site form can send
    # neither: SameSite=Lax keeps the cookie off cross-site POSTs, and a JSON content type
    # needs a CORS preflight the shop never grants). Webhooks carry Stripe signatures.
    csrf.exempt(api.bp)
    csrf.exempt(webhooks.bp)

    auth.init_oauth(app)
    billing.init_stripe(app)

    app.register_blueprint(auth.bp)
    app.register_blueprint(shop.bp)
    app.register_blueprint(billing.bp)
    app.register_blueprint(membership.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(webhooks.bp)
    cli.init_app(app)
    register_error_handlers(app)
    app.context_processor(auth.template_context)
    return app
