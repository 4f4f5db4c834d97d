"""The provider registry: what each provider is, declared once; every index is derived from it.

A `Provider` names the fake that stands for it (imported only when used), the canonical hosts
that fake answers, the provider's other hosts (known, not emulated), which path of a served
fake stands for which canonical host, the cassette match preset, and what
`python -m mockkit serve` reports and exports for it. The fakes take their `hosts` from here;
`mockkit.serve`, the cassette host mapping (`mockkit.cassettes.hosts`), the local sandbox,
match-preset selection, replay's intercepted hosts and the page a served fake shows at its
root all read this registry, so a host is written in one place only.

Adding a provider is one fake module and one entry in `PROVIDERS` (see docs/adding.md). This
module imports nothing from the fakes, so the cassette layer and the command line can consult
it without loading an SDK.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "PROVIDERS",
    "TEST_API_KEY",
    "Provider",
    "Setting",
    "all_hosts",
    "for_fake",
    "for_host",
    "get",
    "hosts_of",
]

#: The OAuth client the pytest fixtures and `python -m mockkit serve` register on each OAuth
#: fake unless told otherwise (fixed, so an app's local settings survive a restart).
DEFAULT_CLIENT_ID = "mockkit-client"
DEFAULT_CLIENT_SECRET = "mockkit-secret"

#: The Stripe secret key to configure; the Stripe fake accepts any test-mode key.
TEST_API_KEY = "sk_test_mockkit"


@dataclass(frozen=True)
class Setting:
    """One value `serve` reports for a served provider, and the variable it is exported as.

    The value is the served URL plus `path`, an `attribute` of the fake, or a fixed `value`;
    with none of the three it is one of the serve session's own values (`client_id`,
    `client_secret`, `redirect_uris`, `users`, `forward_webhooks`), named by `key`.
    """

    key: str
    label: str
    env: str | None = None
    path: str | None = None
    attribute: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class Provider:
    """Everything mockkit knows about one provider, in one place.

    `fake` is `"module:Class"`, imported on first use. `hosts` are the canonical base URLs the
    fake answers in-process (the first is the main one); `other_hosts` are the provider's hosts
    the fake does not emulate (known to match presets and replay, never answered). `paths` say,
    for a fake served on one port, which canonical host each path prefix stands for (the
    longest prefix wins; none: the first host). `oauth`: `serve` registers its OAuth client
    and test users on the fake (`users`: the extra ones, as `add_user()` keyword arguments).
    """

    name: str
    title: str
    fake: str
    hosts: tuple[str, ...]
    summary: str
    preset: str = "default"
    other_hosts: tuple[str, ...] = ()
    paths: tuple[tuple[str, str], ...] = ()
    oauth: bool = False
    users: tuple[Mapping[str, Any], ...] = ()
    settings: tuple[Setting, ...] = field(default=())

    def fake_class(self) -> type[Any]:
        """The fake's class (importing its module now)."""
        module, _, name = self.fake.partition(":")
        cls: type[Any] = getattr(importlib.import_module(module), name)
        return cls

    def canonical(self, path: str) -> str:
        """The canonical base URL a served fake's `path` stands for."""
        best, length = self.hosts[0], -1
        for prefix, host in self.paths:
            if path.startswith(prefix) and len(prefix) > length:
                best, length = host, len(prefix)
        return best

    @property
    def hostnames(self) -> frozenset[str]:
        """Every host name of the provider (`api.stripe.com`, ...), emulated or not."""
        return frozenset(_hostname(h) for h in (*self.hosts, *self.other_hosts))


def _hostname(url: str) -> str:
    return (urlsplit(url).hostname or url).lower()


def _oauth_settings(prefix: str, *specific: Setting) -> tuple[Setting, ...]:
    return (
        Setting("client_id", "client id", env=f"{prefix}_CLIENT_ID"),
        Setting("client_secret", "client secret", env=f"{prefix}_CLIENT_SECRET"),
        *specific,
        Setting("redirect_uris", "redirect URIs"),
        Setting("users", "test users"),
    )


STRIPE = Provider(
    name="stripe",
    title="Stripe",
    fake="mockkit.stripe:StripeFake",
    hosts=(
        "https://api.stripe.com",
        "https://checkout.stripe.com",
        "https://hooks.stripe.com",
        "https://billing.stripe.com",
    ),
    summary="a stateful Stripe test mode that the unmodified stripe-python talks to",
    preset="stripe",
    other_hosts=("https://files.stripe.com", "https://connect.stripe.com"),
    paths=(
        ("/c/pay/", "https://checkout.stripe.com"),
        ("/3d_secure_2/", "https://hooks.stripe.com"),
        ("/p/session/", "https://billing.stripe.com"),
        ("/", "https://api.stripe.com"),
    ),
    settings=(
        Setting("api_base", "API base", env="STRIPE_API_BASE", path=""),
        Setting("api_key", "API key", env="STRIPE_API_KEY", value=TEST_API_KEY),
        Setting(
            "webhook_secret",
            "webhook secret",
            env="STRIPE_WEBHOOK_SECRET",
            attribute="webhook_secret",
        ),
        Setting("forward_webhooks", "webhooks sent to"),
    ),
)

GITHUB = Provider(
    name="github",
    title="GitHub",
    fake="mockkit.oauth:GitHubFake",
    hosts=("https://github.com", "https://api.github.com"),
    summary="GitHub's OAuth app flow (github.com) and its user API (api.github.com)",
    preset="oauth",
    paths=(("/login/", "https://github.com"), ("/", "https://api.github.com")),
    oauth=True,
    users=(
        {"login": "hubot", "name": "Hubot", "email": "hubot@example.com", "private_email": True},
    ),
    settings=_oauth_settings(
        "GITHUB",
        Setting(
            "authorize_url",
            "authorize URL",
            env="GITHUB_AUTHORIZE_URL",
            path="/login/oauth/authorize",
        ),
        Setting(
            "access_token_url",
            "token URL",
            env="GITHUB_ACCESS_TOKEN_URL",
            path="/login/oauth/access_token",
        ),
        Setting("api_base_url", "API base URL", env="GITHUB_API_BASE_URL", path="/"),
    ),
)

GOOGLE = Provider(
    name="google",
    title="Google",
    fake="mockkit.oauth:GoogleFake",
    hosts=(
        "https://accounts.google.com",
        "https://oauth2.googleapis.com",
        "https://openidconnect.googleapis.com",
        "https://www.googleapis.com",
    ),
    summary="Google Sign-In (OpenID Connect) on Google's own hosts and paths",
    preset="oauth",
    paths=(
        ("/token", "https://oauth2.googleapis.com"),
        ("/revoke", "https://oauth2.googleapis.com"),
        ("/device/", "https://oauth2.googleapis.com"),
        ("/tokeninfo", "https://oauth2.googleapis.com"),
        ("/v1/userinfo", "https://openidconnect.googleapis.com"),
        # JWKS and the legacy userinfo v1-v3 and tokeninfo (the legacy /o/oauth2/ ones are
        # on accounts.google.com, the default).
        ("/oauth2/", "https://www.googleapis.com"),
        ("/", "https://accounts.google.com"),
    ),
    oauth=True,
    users=({"email": "bob@example.com", "name": "Bob Example"},),
    settings=_oauth_settings(
        "GOOGLE",
        Setting(
            "discovery_url",
            "discovery URL",
            env="GOOGLE_DISCOVERY_URL",
            path="/.well-known/openid-configuration",
        ),
    ),
)

OIDC = Provider(
    name="oidc",
    title="OIDC",
    fake="mockkit.oauth:OIDCProviderFake",
    hosts=("https://oidc.mockkit.test",),
    summary="a generic OpenID Connect issuer that authlib validates as is",
    preset="oauth",
    oauth=True,
    users=({"email": "bob@example.com", "name": "Bob Example"},),
    settings=_oauth_settings(
        "OIDC",
        Setting("issuer", "issuer", env="OIDC_ISSUER", path=""),
        Setting(
            "discovery_url",
            "discovery URL",
            env="OIDC_DISCOVERY_URL",
            path="/.well-known/openid-configuration",
        ),
    ),
)

#: Every provider, by name, in the order `serve` starts and prints them.
PROVIDERS: dict[str, Provider] = {p.name: p for p in (STRIPE, GITHUB, GOOGLE, OIDC)}


def get(name: str) -> Provider:
    """The provider called `name` (`KeyError` naming the known ones otherwise)."""
    try:
        return PROVIDERS[name]
    except KeyError:
        raise KeyError(f"unknown provider {name!r}; mockkit knows {', '.join(PROVIDERS)}") from None


def for_host(host: str) -> Provider | None:
    """The provider a host belongs to (`api.stripe.com` or `https://api.stripe.com`), if any."""
    hostname = _hostname(host if "://" in host else f"https://{host}")
    return next((p for p in PROVIDERS.values() if hostname in p.hostnames), None)


def for_fake(fake: object) -> Provider | None:
    """The provider whose fake `fake` is (the most specific class registered), if any."""
    for cls in type(fake).__mro__:
        for provider in PROVIDERS.values():
            module, _, name = provider.fake.partition(":")
            loaded = sys.modules.get(module)
            if loaded is not None and getattr(loaded, name, None) is cls:
                return provider
    return None


def hosts_of(name: str) -> tuple[str, ...]:
    """The canonical hosts the fake of provider `name` answers (what its `hosts` says)."""
    return get(name).hosts


def all_hosts() -> list[str]:
    """Every canonical host a fake answers, in registry order."""
    return [host for provider in PROVIDERS.values() for host in provider.hosts]
