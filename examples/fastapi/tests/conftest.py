"""The example app on mockkit's fakes: an active GitHub fake and Stripe fake per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from examples.fastapi.app import Settings, create_app
from mockkit.oauth import GitHubFake
from mockkit.stripe import StripeFake

CLIENT_ID, CLIENT_SECRET = "example-client", "example-secret"


@pytest.fixture
def github() -> Iterator[GitHubFake]:
    """GitHub, in-process, knowing the app's OAuth client and one user (octocat)."""
    fake = GitHubFake()
    fake.add_client(CLIENT_ID, CLIENT_SECRET)
    fake.add_default_user()
    with fake:
        yield fake


@pytest.fixture
def stripe_fake() -> Iterator[StripeFake]:
    """Stripe, in-process, in test mode."""
    with StripeFake() as fake:
        yield fake


@pytest.fixture
def client(github: GitHubFake, stripe_fake: StripeFake) -> Iterator[TestClient]:
    """The app behind Starlette's TestClient, configured for the fakes."""
    settings = Settings(
        secret_key="test-secret",
        github_client_id=CLIENT_ID,
        github_client_secret=CLIENT_SECRET,
        stripe_api_key="sk_test_example",
        stripe_webhook_secret=stripe_fake.webhook_secret,
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client
