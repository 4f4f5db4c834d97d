"""Configuration for the demo shop: every key has a safe default and can come from the environment.

`load_config(app, test_config)` fills `app.config` in this order, later wins: the defaults
below, environment variables of the same name, then `test_config` (tests and embedding code).
Nothing here needs a secret to start in development; production refuses to start with the
development `SECRET_KEY`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

#: The development-only secret key. Production mode refuses to start while it is in use.
DEV_SECRET_KEY = "dev-only-insecure-secret-key"

#: Every key the shop reads, with its default. `None` means "not configured".
DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": DEV_SECRET_KEY,
    "DATABASE_URL": None,  # None: a SQLite file in the instance folder
    "GITHUB_CLIENT_ID": None,
    "GITHUB_CLIENT_SECRET": None,
    "GITHUB_AUTHORIZE_URL": "https://github.com/login/oauth/authorize",
    "GITHUB_ACCESS_TOKEN_URL": "https://github.com/login/oauth/access_token",
    "GITHUB_API_BASE_URL": "https://api.github.com/",
    "GOOGLE_CLIENT_ID": None,
    "GOOGLE_CLIENT_SECRET": None,
    "GOOGLE_DISCOVERY_URL": "https://accounts.google.com/.well-known/openid-configuration",
    "STRIPE_API_KEY": None,
    "STRIPE_API_BASE": "https://api.stripe.com",
    "STRIPE_WEBHOOK_SECRET": None,
    "STRIPE_MAX_NETWORK_RETRIES": 2,
    # Tests only: a Stripe test clock id (`clock_...`); the Stripe customers the shop creates
    # are put on it, so a test can advance their subscriptions through renewals.
    "STRIPE_TEST_CLOCK": None,
    "PROVIDER_TIMEOUT": 10.0,
    "DEMO_ENV": "development",
}

_INTS = {"STRIPE_MAX_NETWORK_RETRIES"}
_FLOATS = {"PROVIDER_TIMEOUT"}


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says which key and why."""


def _coerce(key: str, value: Any) -> Any:
    # Environment values are strings; numbers are checked here so a typo fails at start-up
    # with the key's name instead of deep inside a provider call.
    try:
        if key in _INTS:
            number = int(value)
            if number < 0:
                raise ValueError
            return number
        if key in _FLOATS:
            seconds = float(value)
            if seconds <= 0:
                raise ValueError
            return seconds
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a non-negative number, got {value!r}") from None
    return value


def is_production(config: Mapping[str, Any]) -> bool:
    """Whether the app runs in production mode (`DEMO_ENV` or `FLASK_ENV` is `production`)."""
    return "production" in (config.get("DEMO_ENV"), os.environ.get("FLASK_ENV"))


def load_config(app: Flask, test_config: Mapping[str, Any] | None = None) -> None:
    """Fill `app.config` from the defaults, the environment, then `test_config`."""
    values: dict[str, Any] = dict(DEFAULTS)
    for key in DEFAULTS:
        env = os.environ.get(key)
        if env is not None and env != "":
            values[key] = env
    if test_config:
        values.update(test_config)
    for key in _INTS | _FLOATS:
        values[key] = _coerce(key, values[key])

    database_url = values.get("DATABASE_URL") or "sqlite:///" + os.path.join(
        app.instance_path, "demo_shop.sqlite3"
    )
    if database_url.startswith("postgres://"):
        # Some hosts still hand out the old scheme, which SQLAlchemy 2 no longer accepts.
        database_url = "postgresql://" + database_url[len("postgres://") :]
    values["SQLALCHEMY_DATABASE_URI"] = values.get("SQLALCHEMY_DATABASE_URI") or database_url

    # Cookies: HttpOnly and SameSite=Lax always; Secure only in production, where the shop
    # is served over HTTPS (the dev server and tests speak plain HTTP on 127.0.0.1).
    values.setdefault("SESSION_COOKIE_HTTPONLY", True)
    values.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    values.setdefault("SESSION_COOKIE_SECURE", is_production(values))
    values.setdefault("MAX_CONTENT_LENGTH", 1024 * 1024)

    if is_production(values) and values.get("SECRET_KEY") in (None, "", DEV_SECRET_KEY):
        raise ConfigError(
            "Refusing to start in production with the development SECRET_KEY: "
            "set the SECRET_KEY environment variable to a long random value."
        )
    app.config.from_mapping(values)
