"""`mockkit.oauth.login()` drives Django's test `Client` as it drives Flask's and Starlette's.

(Starlette / FastAPI's `TestClient` is exercised by the FastAPI example's suite.)
"""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from mockkit.oauth import GitHubFake, login

django = pytest.importorskip("django")


def _django_app() -> Any:
    """A one-view-per-step Django project logging in with authlib's Django client."""
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="mockkit-django-login-test",
            ALLOWED_HOSTS=["testserver"],
            ROOT_URLCONF="mockkit_login_django_urls",
            MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware"],
            INSTALLED_APPS=["django.contrib.sessions"],
            SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
            DATABASES={},
            USE_TZ=True,
            AUTHLIB_OAUTH_CLIENTS={},
        )
        django.setup()
    from authlib.integrations.django_client import OAuth, OAuthError
    from django.http import HttpRequest, HttpResponse, JsonResponse
    from django.urls import path

    oauth = OAuth()
    oauth.register(
        "github",
        client_id="django-client",
        client_secret="django-secret",
        authorize_url="https://github.com/login/oauth/authorize",
        access_token_url="https://github.com/login/oauth/access_token",
        api_base_url="https://api.github.com/",
        client_kwargs={"scope": "read:user"},
    )

    def start(request: HttpRequest) -> HttpResponse:
        response: HttpResponse = oauth.github.authorize_redirect(
            request, request.build_absolute_uri("/auth")
        )
        return response

    def auth(request: HttpRequest) -> HttpResponse:
        try:
            token = oauth.github.authorize_access_token(request)
        except OAuthError as exc:
            return JsonResponse({"error": exc.error}, status=401)
        request.session["user"] = oauth.github.get("user", token=token).json()["login"]
        return JsonResponse({"login": request.session["user"]})

    def me(request: HttpRequest) -> HttpResponse:
        return JsonResponse({"user": request.session.get("user")})

    urls = types.ModuleType("mockkit_login_django_urls")
    urls.urlpatterns = [path("login", start), path("auth", auth), path("me", me)]  # type: ignore[attr-defined]
    sys.modules[urls.__name__] = urls
    from django.urls import clear_url_caches

    clear_url_caches()
    return oauth


def test_login_drives_djangos_test_client() -> None:
    from django.test import Client

    _django_app()
    github = GitHubFake()
    github.add_client("django-client", "django-secret")
    github.add_default_user()
    client = Client()
    with github:
        answer = login(client, "/login", github)
        assert answer.status_code == 200
        assert answer.json() == {"login": "octocat"}
        assert client.get("/me").json() == {"user": "octocat"}
        denied = login(client, "/login", github, consent=False)
    assert denied.status_code == 401
    assert denied.json() == {"error": "access_denied"}
