"""The demo shop, offline: the real app wired to mockkit's fakes served on 127.0.0.1.

`python -m demo_app.offline` (and `python -m demo_app` when no provider credentials are in
the environment) starts the Stripe, GitHub and Google fakes on loopback, registers the shop's
OAuth clients with its callback URLs, forwards the Stripe fake's webhooks to the shop's
`/webhooks/stripe`, creates and seeds a fresh database, and serves the shop until Ctrl-C.
Logging in goes through the fakes' consent pages and checkout through the fake's hosted
payment page, so a newcomer sees the whole flow with no accounts and no network.

`OfflineDemo` is the same thing as a context manager; the browser tests use it, so what a
newcomer runs is exactly what CI tests.
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
import tempfile
import threading
from collections.abc import Mapping
from types import FrameType, TracebackType
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from mockkit.serve import ServedFakes, ServeError, check_port

__all__ = ["CREDENTIAL_KEYS", "OfflineDemo", "has_real_credentials", "main"]

#: Settings that mean "talk to the real providers": if any is set, the demo is not offline.
CREDENTIAL_KEYS = ("GITHUB_CLIENT_ID", "GOOGLE_CLIENT_ID", "STRIPE_API_KEY")

#: Environment variables that pin a fake to a port (default: any free port).
PORT_VARIABLES = {
    "stripe": "MOCKKIT_STRIPE_PORT",
    "github": "MOCKKIT_GITHUB_PORT",
    "google": "MOCKKIT_GOOGLE_PORT",
}


def has_real_credentials(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the environment configures a real provider (see `CREDENTIAL_KEYS`)."""
    env = os.environ if environ is None else environ
    return any(env.get(key) for key in CREDENTIAL_KEYS)


class _QuietHandler(WSGIRequestHandler):
    """The shop's request handler without the access log (for tests)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class OfflineDemo:
    """The demo shop and the fakes it talks to, all on loopback; use as a context manager.

    ```python
    with OfflineDemo(port=0) as demo:
        demo.url            # the shop, e.g. http://127.0.0.1:41234
        demo.fakes.stripe   # the served StripeFake (events, sessions...)
    ```

    `port=0` picks a free port for the shop; `fake_ports` pins the fakes' ports. The
    database is a fresh SQLite file in a temporary directory, deleted on exit: the fakes keep
    their state in memory, so orders from an earlier run would point at sessions they no
    longer know. `config` adds or overrides shop settings.
    """

    def __init__(
        self,
        port: int = 5000,
        *,
        host: str = "127.0.0.1",
        fake_ports: Mapping[str, int] | None = None,
        config: Mapping[str, Any] | None = None,
        quiet: bool = False,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.fake_ports = dict(fake_ports or {})
        self.extra_config = dict(config or {})
        self.quiet = quiet
        self.app: Flask | None = None
        self.fakes: ServedFakes | None = None
        self.config: dict[str, Any] = {}
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def port(self) -> int:
        """The port the shop listens on."""
        if self._server is None:
            raise RuntimeError("the demo is not running; use it as a context manager")
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        """The shop's base URL, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> OfflineDemo:
        """Bind the shop, start the fakes, build and seed the app, then serve; all or nothing."""
        if self._server is not None:
            return self
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        # The shop's port must be known before the fakes start (its callback URLs and webhook
        # endpoint are registered on them), and the app needs the fakes' URLs: so bind first
        # with a stand-in WSGI callable and only serve once the app exists.
        def shop(environ: Any, start_response: Any) -> Any:
            assert self.app is not None
            return self.app.wsgi_app(environ, start_response)

        check_port(
            self.host,
            self.requested_port,
            "the shop",
            "set PORT to another port (0 picks any free port)",
        )
        self._server = make_server(
            self.host,
            self.requested_port,
            shop,
            threaded=True,
            request_handler=_QuietHandler if self.quiet else None,
        )
        base = self.url
        # Browsers may use either name for loopback; the shop builds its callback URL from the
        # Host it was reached at, so both must be accepted.
        bases = [base, f"http://localhost:{self.port}"]
        redirect_uris = [
            f"{b}/auth/{name}/callback" for b in bases for name in ("github", "google")
        ]
        self.fakes = ServedFakes(
            ("stripe", "github", "google"),  # the providers the shop logs in and pays with
            host=self.host,
            ports=self.fake_ports,
            client_id="mockkit-demo-shop",
            client_secret=secrets.token_urlsafe(24),
            redirect_uris=redirect_uris,
            forward_webhooks=f"{base}/webhooks/stripe",
        ).start()

        self._tmpdir = tempfile.TemporaryDirectory(prefix="mockkit-demo-")
        self.config = {
            **self.fakes.env(),
            "SECRET_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": "sqlite:///" + os.path.join(self._tmpdir.name, "shop.sqlite3"),
            # Retries against a local fake only slow a failure down.
            "STRIPE_MAX_NETWORK_RETRIES": 0,
            **self.extra_config,
        }

        from demo_app import create_app
        from demo_app.cli import seed_products
        from demo_app.db import db

        app = create_app(self.config)
        with app.app_context():
            db.create_all()
            seed_products()
        self.app = app
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"demo-shop-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the shop and the fakes and delete the database; ports are free afterwards."""
        # The fakes first: their webhook forwarder delivers what is queued to the shop.
        if self.fakes is not None:
            self.fakes.stop()
        if self._server is not None:
            if self._thread is not None:
                self._server.shutdown()
                self._thread.join(timeout=5)
            self._server.server_close()
        self._server = None
        self._thread = None
        if self.app is not None:
            from demo_app.db import db

            # Close pooled SQLite connections before their file is deleted.
            with self.app.app_context():
                db.engine.dispose()
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> OfflineDemo:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        """Block until the Stripe fake has delivered every event so far to the shop."""
        assert self.fakes is not None
        return self.fakes.wait_for_webhooks(timeout)

    def banner(self) -> str:
        """What to tell the person who started the demo: where to click and what to try."""
        assert self.fakes is not None
        lines = [
            f"mockkit demo shop, offline: {self.url}",
            "",
            "  Log in with 'GitHub' or 'Google': the fake's consent page lets you pick a test",
            "  user (or type a new one), then Allow or Deny.",
            "  Buy something: the fake Stripe Checkout page lets you choose a test card:",
            *(f"    {card}" for card in _test_cards()),
            "  or cancel. The fake then sends the webhook to the shop, and the order page shows",
            "  the new status.",
            "",
            "  The fakes (no accounts, no network):",
        ]
        for name, info in self.fakes.details().items():
            lines.append(f"    {name:<7} {info['url']}")
        lines.append(f"    webhooks -> {self.url}/webhooks/stripe")
        lines += ["", "Press Ctrl-C to stop."]
        return "\n".join(lines)


def _test_cards() -> list[str]:
    """One line per test card the hosted payment page offers."""
    from mockkit.stripe.cards import CARDS
    from mockkit.stripe.checkout_page import PAGE_CARDS

    return [
        f"{CARDS[pm].label:<30} {CARDS[pm].brand} ending {CARDS[pm].last4}" for pm in PAGE_CARDS
    ]


def _port_from_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if not raw:
        return default
    try:
        port = int(raw)
    except ValueError:
        raise SystemExit(f"demo: {name} must be a port number, got {raw!r}") from None
    if not 0 <= port <= 65535:
        raise SystemExit(f"demo: {name} must be between 0 and 65535, got {port}")
    return port


def main() -> int:
    """Run the offline demo until Ctrl-C or SIGTERM (shop port from `PORT`, default 5000)."""
    port = _port_from_env("PORT", 5000)
    fake_ports = {name: _port_from_env(var, 0) for name, var in PORT_VARIABLES.items()}
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            demo = OfflineDemo(port, fake_ports=fake_ports).start()
        except ServeError as exc:
            print(f"demo: {exc}", file=sys.stderr)
            return 1
        try:
            print(demo.banner(), flush=True)
            while not stop.wait(0.2):
                pass
        finally:
            demo.stop()
        print("demo: stopped.", file=sys.stderr)
        return 0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


if __name__ == "__main__":
    sys.exit(main())
