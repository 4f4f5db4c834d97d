"""`ServedFakes`: the provider fakes on loopback HTTP servers, for a browser, an app or a script.

`ServedFakes` starts the chosen fakes (every provider of `mockkit.providers`: Stripe, GitHub,
Google, a generic OIDC issuer) on real HTTP servers, registers an OAuth client on each OAuth
fake, optionally forwards the Stripe fake's webhook events to a URL, and reports everything an
app needs to talk to them: URLs, the test API key, client ids and secrets, the webhook signing
secret, both as a dict and as environment variables named like the demo shop's settings. What
each provider reports is declared in its registry entry. `python -m mockkit serve`
(`mockkit.serve.command`) is a thin shell around it; the offline demo
(`python -m demo_app.offline`) uses the same class, so what a newcomer runs is what CI tests.

The fakes are test tools with no authentication worth the name, so they listen on loopback
only unless `--allow-remote` says otherwise, and webhooks go to loopback URLs only likewise.
"""

from __future__ import annotations

import difflib
import socket
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, cast
from urllib.parse import urlsplit

from mockkit import providers as registry
from mockkit.fake import BaseFake
from mockkit.providers import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, TEST_API_KEY
from mockkit.transport import LoopbackServer, is_loopback_host

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "PROVIDERS",
    "TEST_API_KEY",
    "ServeError",
    "ServedFakes",
    "check_port",
    "check_providers",
    "check_webhook_url",
    "is_loopback_host",
]

#: Every provider `serve` knows, in the order they are started and printed.
PROVIDERS = tuple(registry.PROVIDERS)


class ServeError(Exception):
    """The fakes cannot be served as asked (unknown provider, port in use, unsafe host...)."""


def check_providers(names: Iterable[str]) -> list[str]:
    """Validate provider names (case-insensitive); return them deduplicated, in `PROVIDERS` order.

    An empty selection means all of them.
    """
    wanted: list[str] = []
    for raw in names:
        name = raw.strip().lower()
        if name not in PROVIDERS:
            close = difflib.get_close_matches(name, PROVIDERS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ServeError(f"unknown provider {raw!r}{hint}; choose from {', '.join(PROVIDERS)}")
        if name not in wanted:
            wanted.append(name)
    if not wanted:
        return list(PROVIDERS)
    return [p for p in PROVIDERS if p in wanted]


def check_webhook_url(url: str, allow_remote: bool = False) -> str:
    """Validate a webhook destination: an http(s) URL, on loopback unless `allow_remote`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ServeError(
            f"--forward-webhooks needs an http:// or https:// URL such as "
            f"http://127.0.0.1:5000/webhooks/stripe, got {url!r}"
        )
    if not allow_remote and not is_loopback_host(parts.hostname):
        raise ServeError(
            f"refusing to forward webhooks to {parts.hostname!r}, which is not this machine; "
            "pass --allow-remote to send them elsewhere"
        )
    return url


def check_port(host: str, port: int, what: str, hint: str) -> None:
    """Raise `ServeError` naming `what` and `hint` unless `host:port` can be bound now.

    werkzeug answers a failed bind by printing to stderr and exiting the process, which is
    no way to tell a user which port to change; so the port is tried here first.
    """
    if port == 0:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, _, _, _, address = infos[0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            # The same option the server sets, so a port in TIME_WAIT counts as free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        raise ServeError(
            f"cannot serve {what} on {host}:{port}: {exc.strerror or exc}; {hint}"
        ) from None


def _make_fake(name: str, **kwargs: Any) -> BaseFake:
    # Imported only when served, so `python -m mockkit --help` stays fast and a provider that
    # fails to import only breaks the command that asks for it.
    return cast(BaseFake, registry.get(name).fake_class()(**kwargs))


class ServedFakes:
    """Run provider fakes on loopback HTTP servers; use as a context manager.

    ```python
    with ServedFakes(["stripe", "github"]) as served:
        served.env()["STRIPE_API_BASE"]  # http://127.0.0.1:PORT
        served.stripe.events             # the fake's state, shared with the server
    ```

    `ports` maps a provider to its port (0 or missing: any free port). Each OAuth fake gets
    one client, `client_id` / `client_secret`, accepting `redirect_uris` (None: any redirect
    URI, convenient for local tools). `forward_webhooks` makes the Stripe fake POST each
    event, signed with its webhook secret, to that URL as it happens; `webhook_secret` fixes
    that secret (default: a new random `whsec_...` each time).
    """

    def __init__(
        self,
        providers: Iterable[str] = PROVIDERS,
        *,
        host: str = "127.0.0.1",
        ports: Mapping[str, int] | None = None,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        redirect_uris: Sequence[str] | None = None,
        forward_webhooks: str | None = None,
        webhook_secret: str | None = None,
        allow_remote: bool = False,
    ) -> None:
        self.providers = check_providers(providers)
        if not allow_remote and not is_loopback_host(host):
            raise ServeError(
                f"refusing to serve the fakes on {host!r}: they accept any credentials, so "
                "they listen on loopback only; pass --allow-remote to serve them elsewhere"
            )
        self.host = host
        self.allow_remote = allow_remote
        self.ports = {name: int((ports or {}).get(name) or 0) for name in self.providers}
        for name, port in self.ports.items():
            if not 0 <= port <= 65535:
                raise ServeError(f"the {name} port must be between 0 and 65535, got {port}")
        if not client_id or not client_secret:
            raise ServeError("the OAuth client id and secret must not be empty")
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = list(redirect_uris) if redirect_uris else None
        self.webhook_url = (
            check_webhook_url(forward_webhooks, allow_remote) if forward_webhooks else None
        )
        if webhook_secret is not None and not webhook_secret.startswith("whsec_"):
            raise ServeError(
                "--webhook-secret must start with whsec_, as Stripe's signing secrets do; "
                f"got {webhook_secret!r}"
            )
        self.webhook_secret = webhook_secret
        if self.webhook_url and "stripe" not in self.providers:
            raise ServeError("--forward-webhooks needs the stripe fake; add 'stripe'")
        self.fakes: dict[str, BaseFake] = {}
        self.servers: dict[str, LoopbackServer] = {}
        self._forwarder: Any = None

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> ServedFakes:
        """Create the fakes, bind their servers, register the clients; all or nothing."""
        if self.servers:
            return self
        try:
            for name in self.providers:
                port = self.ports[name]
                hint = f"choose another --{name}-port (0 picks any free port)"
                check_port(self.host, port, f"the {name} fake", hint)
                kwargs = {"webhook_secret": self.webhook_secret} if name == "stripe" else {}
                fake = _make_fake(name, **kwargs)
                try:
                    server = fake.serve(self.host, port, allow_remote=self.allow_remote).start()
                except (OSError, SystemExit) as exc:
                    # Lost a race for the port after the check above (werkzeug reports a
                    # failed bind by exiting).
                    raise ServeError(
                        f"cannot serve the {name} fake on {self.host}:{port}: {exc}; {hint}"
                    ) from None
                self.fakes[name] = fake
                self.servers[name] = server
            for name, fake in self.fakes.items():
                if registry.get(name).oauth:
                    self._set_up_oauth(name, fake)
            if self.webhook_url:
                self.forward_webhooks(self.webhook_url)
        except BaseException:
            self.stop()
            raise
        return self

    def _set_up_oauth(self, name: str, fake: Any) -> None:
        fake.add_client(self.client_id, self.client_secret, redirect_uris=self.redirect_uris)
        # Two test users each, so the consent page offers a real choice; a new one can
        # still be typed on the page.
        fake.add_default_user()
        for user in registry.get(name).users:
            fake.add_user(**user)

    def stop(self) -> None:
        """Stop forwarding and every server; their ports are free again when this returns."""
        stripe_fake = self.fakes.get("stripe")
        if stripe_fake is not None:
            # Delivers what is already queued first, so no event is silently lost.
            stripe_fake.stop_forwarding()  # type: ignore[attr-defined]
        for server in reversed(list(self.servers.values())):
            server.stop()
        self.servers.clear()

    def __enter__(self) -> ServedFakes:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- webhooks --------------------------------------------------------------------------

    def forward_webhooks(self, url: str) -> None:
        """POST every Stripe event from now on, signed, to `url` (replacing any earlier URL)."""
        self.webhook_url = url
        self.stripe.stop_forwarding()
        self._forwarder = self.stripe.forward_webhooks(url)

    def deliveries(self) -> list[Any]:
        """Every webhook delivery attempt so far (`mockkit.stripe.Delivery`), oldest first."""
        return list(self._forwarder.deliveries) if self._forwarder is not None else []

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        """Block until every event so far was delivered (or given up on); False on timeout."""
        if self._forwarder is None:
            return True
        return bool(self._forwarder.wait(timeout))

    # ---- the fakes -------------------------------------------------------------------------

    def _fake(self, name: str) -> Any:
        try:
            return self.fakes[name]
        except KeyError:
            raise RuntimeError(f"the {name} fake is not being served") from None

    @property
    def stripe(self) -> Any:
        """The served `StripeFake`."""
        return self._fake("stripe")

    @property
    def github(self) -> Any:
        """The served `GitHubFake`."""
        return self._fake("github")

    @property
    def google(self) -> Any:
        """The served `GoogleFake`."""
        return self._fake("google")

    @property
    def oidc(self) -> Any:
        """The served `OIDCProviderFake`."""
        return self._fake("oidc")

    def url(self, name: str) -> str:
        """The base URL a provider's fake is served at, such as `http://127.0.0.1:43121`."""
        try:
            server = self.servers[name]
        except KeyError:
            raise RuntimeError(f"the {name} fake is not being served") from None
        # An IPv6 literal needs brackets in a URL (`http://[::1]:PORT`).
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{server.port}"

    # ---- what to tell the app --------------------------------------------------------------

    def details(self) -> dict[str, dict[str, Any]]:
        """Per provider: its URL and every setting an app needs to talk to it."""
        session: dict[str, Any] = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uris": self.redirect_uris,
            "forward_webhooks": self.webhook_url,
        }
        out: dict[str, dict[str, Any]] = {}
        for name in self.servers:
            url = self.url(name)
            fake: Any = self.fakes[name]
            info: dict[str, Any] = {"url": url}
            for setting in registry.get(name).settings:
                if setting.path is not None:
                    info[setting.key] = url + setting.path
                elif setting.attribute is not None:
                    info[setting.key] = getattr(fake, setting.attribute)
                elif setting.value is not None:
                    info[setting.key] = setting.value
                elif setting.key == "users":
                    info["users"] = [str(fake.user_label(user)) for user in fake.users]
                else:
                    info[setting.key] = session[setting.key]
            out[name] = info
        return out

    def env(self) -> dict[str, str]:
        """The settings as environment variables, named as the demo shop reads them."""
        details = self.details()
        return {
            setting.env: str(details[name][setting.key])
            for name in details
            for setting in registry.get(name).settings
            if setting.env is not None
        }

    def describe(self) -> str:
        """A human-readable summary: each fake, its settings, then pasteable `KEY=value` lines."""
        lines: list[str] = []
        for name, info in self.details().items():
            provider = registry.get(name)
            lines.append(f"{provider.title:<8} {info['url']}")
            for setting in provider.settings:
                value = info[setting.key]
                if setting.path == "":
                    continue  # the URL itself, printed above
                if setting.key == "redirect_uris":
                    value = ", ".join(value) if value else "any (no --redirect-uri given)"
                if setting.key == "users":
                    value = ", ".join(value) + " (or type a new one on the consent page)"
                if setting.key == "forward_webhooks" and not value:
                    value = "nowhere (see --forward-webhooks); events are kept on the fake"
                lines.append(f"  {setting.label:<17} {value}")
        lines.append("")
        lines.append("# Settings for your app (paste into a shell or a .env file):")
        lines.extend(f"{key}={value}" for key, value in self.env().items())
        return "\n".join(lines)
