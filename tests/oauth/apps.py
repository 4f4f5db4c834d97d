"""A small Flask app of the OAuth tests' own, logging in through authlib's real Flask client.

Exceptions propagate out of the test client (`app.testing = True`), so a test can assert the
exact exception authlib raises for each fault.
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import Flask, jsonify, url_for

from mockkit.oauth import GitHubFake, OIDCProviderFake
from mockkit.providers import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "github_settings", "make_app", "oidc_settings"]

#: The client the fakes' `with_defaults()` registers (the fixtures' default, from the registry).
CLIENT_ID = DEFAULT_CLIENT_ID
CLIENT_SECRET = DEFAULT_CLIENT_SECRET


def oidc_settings(fake: OIDCProviderFake, base: str | None = None) -> dict[str, Any]:
    """authlib settings for an OIDC fake, in-process or at a served `base` URL."""
    url = (base + fake.paths["discovery"]) if base else fake.discovery_url
    return {"server_metadata_url": url, "client_kwargs": {"scope": "openid email profile"}}


def github_settings(fake: GitHubFake, base: str | None = None) -> dict[str, Any]:
    """authlib settings for GitHub, on github.com or on a served fake's `base` URL."""
    web = base or "https://github.com"
    return {
        "authorize_url": web + fake.paths["authorize"],
        "access_token_url": web + fake.paths["token"],
        "api_base_url": (base or "https://api.github.com") + "/",
        "client_kwargs": {"scope": "read:user user:email"},
    }


def make_app(
    settings: dict[str, Any],
    client_id: str = CLIENT_ID,
    client_secret: str | None = CLIENT_SECRET,
    github: bool = False,
    call_userinfo: bool = False,
    pkce: str | None = "S256",
) -> Flask:
    """A Flask app with one authlib client named `idp`: `/login`, `/callback` and `/home`."""
    app = Flask(__name__)
    app.secret_key = "test-secret"
    app.testing = True
    oauth = OAuth(app)
    settings = {k: (dict(v) if isinstance(v, dict) else v) for k, v in settings.items()}
    if pkce:
        settings.setdefault("client_kwargs", {})["code_challenge_method"] = pkce
    oauth.register("idp", client_id=client_id, client_secret=client_secret, **settings)

    @app.get("/login")
    def start() -> Any:
        return oauth.idp.authorize_redirect(url_for("callback", _external=True))

    @app.get("/callback")
    def callback() -> Any:
        token = oauth.idp.authorize_access_token()
        body: dict[str, Any] = {"token": token}
        if github:
            body["user"] = oauth.idp.get("user").json()
            emails = oauth.idp.get("user/emails")
            body["emails_status"] = emails.status_code
            body["emails"] = emails.json()
        if call_userinfo:
            body["userinfo_endpoint"] = dict(oauth.idp.userinfo(token=token))
        return jsonify(body)

    @app.get("/home")
    def home() -> str:
        return "home"

    app.extensions["test_oauth"] = oauth
    return app
