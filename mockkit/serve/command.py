"""`python -m mockkit serve`: the command line around `ServedFakes`.

It validates the options, starts the fakes, prints what an app needs (text, or one JSON line
with `--json`), reports each webhook delivery attempt on stderr as it happens, and serves
until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from types import FrameType
from typing import Any

from mockkit import providers as registry
from mockkit.cli import CommandError
from mockkit.providers import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from mockkit.serve.fakes import PROVIDERS, ServedFakes, ServeError

__all__ = ["register", "run"]


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is between 0 and 65535, got {port}")
    return port


_EPILOG = """\
examples:
  python -m mockkit serve                         every fake on a free port
  python -m mockkit serve stripe --stripe-port 12111 \\
      --forward-webhooks http://127.0.0.1:5000/webhooks/stripe
  python -m mockkit serve github google --redirect-uri http://127.0.0.1:5000/auth/github/callback
  python -m mockkit serve --json                  one JSON line with every URL and secret

Stop with Ctrl-C (or SIGTERM): the servers shut down and the command exits with status 0
(a second Ctrl-C quits at once). Webhook deliveries are reported on stderr as they happen.
"""


def register(subparsers: Any) -> None:
    """Add the `serve` command to `python -m mockkit`."""
    parser = subparsers.add_parser(
        "serve",
        help="run the Stripe, GitHub, Google and OIDC fakes on 127.0.0.1",
        # Wrapped by hand: the raw formatter keeps the epilog's examples as written.
        description=(
            "Run mockkit's provider fakes on real HTTP servers on this machine and print\n"
            "their URLs, the test API key, the OAuth client id and secret and the webhook\n"
            "signing secret, then serve until Ctrl-C. Point an app (or a browser) at them\n"
            "to use it with no accounts and no network."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "providers",
        nargs="*",
        metavar="PROVIDER",
        help=f"which fakes to run: {', '.join(PROVIDERS)} (default: all of them)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1; loopback only unless --allow-remote)",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host and --forward-webhooks URL; the fakes accept any "
        "credentials, so only do this on a network you trust",
    )
    for name in PROVIDERS:
        parser.add_argument(
            f"--{name}-port",
            type=_port,
            default=0,
            metavar="PORT",
            help=f"port for the {registry.get(name).title} fake (default: 0, any free port)",
        )
    parser.add_argument(
        "--forward-webhooks",
        metavar="URL",
        help="POST each Stripe event, signed with the printed webhook secret, to URL as it "
        "happens (e.g. http://127.0.0.1:5000/webhooks/stripe)",
    )
    parser.add_argument(
        "--webhook-secret",
        metavar="WHSEC",
        help="the Stripe webhook signing secret, whsec_... (default: a new random one each run; "
        "fix it so an app's STRIPE_WEBHOOK_SECRET survives a restart)",
    )
    parser.add_argument(
        "--client-id",
        default=DEFAULT_CLIENT_ID,
        help=f"OAuth client id registered on the OAuth fakes (GitHub, Google, OIDC) "
        f"(default: {DEFAULT_CLIENT_ID})",
    )
    parser.add_argument(
        "--client-secret",
        default=DEFAULT_CLIENT_SECRET,
        help=f"that client's secret (default: {DEFAULT_CLIENT_SECRET})",
    )
    parser.add_argument(
        "--redirect-uri",
        action="append",
        metavar="URI",
        help="a redirect URI the OAuth client accepts; repeat for several "
        "(default: any redirect URI)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the connection details as one line of JSON instead of text (for scripts)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve the fakes until SIGINT or SIGTERM; exit status 0 on a clean stop."""
    try:
        served = ServedFakes(
            args.providers,
            host=args.host,
            ports={name: getattr(args, f"{name}_port") for name in PROVIDERS},
            client_id=args.client_id,
            client_secret=args.client_secret,
            redirect_uris=args.redirect_uri,
            forward_webhooks=args.forward_webhooks,
            webhook_secret=args.webhook_secret,
            allow_remote=args.allow_remote,
        )
    except ServeError as exc:
        raise CommandError(str(exc)) from None

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()
        # A second Ctrl-C should not wait for a shutdown that seems stuck: quit at once.
        signal.signal(signum, signal.SIG_DFL)

    reported = 0

    # Each delivery attempt is reported once, below; the forwarder's own log line for a
    # failed attempt would say it a second time.
    forwarder_log = logging.getLogger("mockkit.stripe.webhooks")
    was_disabled, forwarder_log.disabled = forwarder_log.disabled, True

    def report_deliveries() -> None:
        # On stderr: stdout carries the details (one JSON line with --json).
        nonlocal reported
        deliveries = served.deliveries()
        for delivery in deliveries[reported:]:
            outcome = delivery.status if delivery.status is not None else delivery.error
            print(
                f"webhook {delivery.type} {delivery.event_id} -> {outcome}",
                file=sys.stderr,
                flush=True,
            )
        reported = len(deliveries)

    # Handlers only exist in the main thread; elsewhere (an embedding program) the caller
    # owns the signals and this command simply serves until the process ends.
    in_main = threading.current_thread() is threading.main_thread()
    previous: dict[signal.Signals, Any] = {}
    if in_main:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, on_signal)
    try:
        try:
            served.start()
        except ServeError as exc:
            raise CommandError(str(exc), code=1) from None
        try:
            if args.json:
                print(json.dumps({**served.details(), "env": served.env()}), flush=True)
            else:
                count = len(served.servers)
                print(
                    f"mockkit serve: {count} fake{'s' if count != 1 else ''} on {served.host}; "
                    "press Ctrl-C to stop.\n",
                    flush=True,
                )
                print(served.describe(), flush=True)
            # A timed wait, so the loop notices the signal promptly on every platform and
            # reports each webhook delivery as it happens.
            while not stop.wait(0.2):
                report_deliveries()
        finally:
            served.stop()  # delivers what is still queued before it returns
        report_deliveries()
        print("mockkit serve: stopped.", file=sys.stderr, flush=True)
        return 0
    finally:
        forwarder_log.disabled = was_disabled
        for sig, handler in previous.items():
            signal.signal(sig, handler)
