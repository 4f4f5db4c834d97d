"""Benchmark 4: one "Log in with GitHub" through authlib, fake against hand-written stubs.

A small Flask app, written here so the benchmark does not move when the demo shop changes,
logs users in with GitHub the usual authlib way: `/login` redirects to GitHub's authorize
page; `/auth` exchanges the code for a token, then reads `/user` and `/user/emails`.

- ``responses stubs`` (the baseline): what a test writes by hand today. Three stubs (token,
  user, emails) with realistic bodies; the test follows `/login`, reads `state` from the
  redirect, and calls `/auth?code=...&state=...` itself.
- ``mockkit fake``: `mockkit.oauth.GitHubFake` with the app registered as its client, and
  `mockkit.oauth.login()` driving the same two steps through the fake's authorize endpoint.

One timed operation is a whole login on a fresh test client (fresh cookies), ending with the
user in the session. Setting the stubs or the fake up is done once per round, outside the
timed block, as a test module's fixture would.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses
from authlib.integrations.flask_client import OAuth
from flask import Flask, redirect, session, url_for

from bench.timing import Row, Side, interleave, ratios
from mockkit.oauth import objects

NAME = "oauth_login"
TITLE = "4. OAuth login (GitHub, authlib + Flask test client)"
CLIENT_ID = "Iv1.benchmark0000000"
CLIENT_SECRET = "bench-secret-0000000000000000000000000000"
AUTHORIZE_URL = "https://github.com/login/oauth/authorize"
TOKEN_URL = "https://github.com/login/oauth/access_token"
API_BASE = "https://api.github.com/"
CALLBACK = "http://localhost/auth"


def create_app() -> Flask:
    """The app under test: GitHub login through authlib's Flask client."""
    app = Flask("bench_oauth_app")
    app.config.update(SECRET_KEY="bench-only-secret", SERVER_NAME="localhost")
    oauth = OAuth(app)
    oauth.register(
        "github",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        authorize_url=AUTHORIZE_URL,
        access_token_url=TOKEN_URL,
        api_base_url=API_BASE,
        client_kwargs={"scope": "read:user user:email"},
    )

    @app.get("/login")
    def login() -> Any:
        return oauth.github.authorize_redirect(url_for("auth", _external=True))

    @app.get("/auth")
    def auth() -> Any:
        token = oauth.github.authorize_access_token()
        user = oauth.github.get("user", token=token).json()
        emails = oauth.github.get("user/emails", token=token).json()
        primary = next(e["email"] for e in emails if e["primary"])
        session["user"] = {"login": user["login"], "id": user["id"], "email": primary}
        return redirect("/")

    @app.get("/")
    def index() -> Any:
        who = session.get("user")
        return f"hello {who['login']}" if who else "anonymous"

    return app


def github_user() -> dict[str, Any]:
    """GitHub's `GET /user` for a user whose email is private (the fakes' own factory)."""
    return objects.github_user(login="octocat", id=583231, email=None)


def github_emails() -> list[dict[str, Any]]:
    """GitHub's `GET /user/emails` for that user: a private primary and a noreply address."""
    return objects.github_emails(
        "octocat@github.com", private=True, extra=["583231+octocat@users.noreply.github.com"]
    )


def _stubbed_login(app: Flask) -> Callable[[], Any]:
    def op() -> Any:
        client = app.test_client()
        start = client.get("/login")
        state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
        done = client.get(f"/auth?code=bench-code&state={state}")
        if done.status_code != 302:
            raise RuntimeError(f"stubbed login failed: {done.status_code} {done.text[:200]}")
        return done

    return op


def load_mockkit() -> tuple[type, Callable[..., Any]] | None:
    """`mockkit.oauth.GitHubFake` and `mockkit.oauth.login`, or None until both exist."""
    try:
        from mockkit.oauth import GitHubFake, login
    except ImportError:
        return None
    return GitHubFake, login


def run(quick: bool) -> list[Row]:
    rounds, inner, blocks = (6, 30, 3) if quick else (15, 100, 10)
    app = create_app()

    @contextlib.contextmanager
    def stubs() -> Iterator[Callable[[], Any]]:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            mock.add(
                responses.POST,
                TOKEN_URL,
                json={
                    "access_token": "gho_16C7e42F292c6912E7710c838347Ae178B4a",
                    "token_type": "bearer",
                    "scope": "read:user,user:email",
                },
            )
            mock.add(responses.GET, API_BASE + "user", json=github_user())
            mock.add(responses.GET, API_BASE + "user/emails", json=github_emails())
            yield _stubbed_login(app)

    sides = [Side("responses stubs", stubs)]
    found = load_mockkit()
    if found is not None:
        fake_cls, login = found
        fake = fake_cls()
        fake.add_client(CLIENT_ID, CLIENT_SECRET, [CALLBACK])
        fake.add_user(login="octocat", name="The Octocat", private_email=True)

        @contextlib.contextmanager
        def with_fake() -> Iterator[Callable[[], Any]]:
            with fake:

                def op() -> Any:
                    done = login(app.test_client(), "/login", fake)
                    if done.status_code != 302:
                        raise RuntimeError(f"fake login failed: {done.status_code}")
                    return done

                yield op

        sides.append(Side("mockkit fake", with_fake))

    times = interleave(sides, rounds=rounds, inner=inner, blocks=blocks)
    base = times["responses stubs"]
    rows = [Row(NAME, "hand-written responses stubs (baseline)", base)]
    if found is None:
        rows.append(Row(NAME, "mockkit fake + login()", note="skipped: mockkit.oauth absent"))
    else:
        mine = times["mockkit fake"]
        rows.append(
            Row(
                NAME,
                "mockkit fake + login()",
                mine,
                "responses stubs",
                ratios(mine, base),
                "x stubs",
            )
        )
    return rows
