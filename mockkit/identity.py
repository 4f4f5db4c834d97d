"""A served fake's identity: what it tells the people and tools that reach it.

Two things, both from the provider registry (`mockkit.providers`), neither seen in-process:

- its root URL opened in a browser shows a page saying which provider the server stands for
  and how to point an app at it (an API client asking `/` gets the fake's usual answer);
- every served answer carries `Mockkit-Fake: <provider> <canonical host>`, so a recording made
  through the server (vcrpy, `mockkit.cassettes.use()`) knows which canonical host each port
  stands for without a hand-written `hosts=` mapping; the cassette glue removes the header
  before anything is written.
"""

from __future__ import annotations

from html import escape
from typing import Any

from mockkit.http import Request, Response
from mockkit.providers import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    PROVIDERS,
    Provider,
    for_fake,
)

__all__ = ["HEADER", "identify", "parse_header", "root_page"]

#: The response header naming what a served fake stands for.
HEADER = "Mockkit-Fake"

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;"
    "line-height:1.5}code{background:#f3f3f3;padding:.1rem .3rem}td{padding:.2rem .8rem .2rem 0;"
    "vertical-align:top}.muted{color:#666}"
)


def _provider(fake: Any) -> Provider | None:
    return for_fake(fake)


def identify(fake: Any, response: Response) -> Response:
    """A served answer of a registered fake, with the `Mockkit-Fake` header added.

    A copy: a fake may answer the same `Response` object again (an idempotent replay), and
    the in-process transport must never see the header.
    """
    provider = _provider(fake)
    hosts = getattr(fake, "hosts", ())
    if provider is None or not hosts:
        return response
    value = f"{provider.name} {hosts[0]}"
    headers = [(k, v) for k, v in response.headers if k.lower() != HEADER.lower()]
    return Response(response.status, response.body, [*headers, (HEADER, value)])


def parse_header(value: str) -> tuple[str, str | None] | None:
    """`(provider name, canonical host)` from a `Mockkit-Fake` value; None if not one."""
    name, _, host = value.strip().partition(" ")
    if name not in PROVIDERS:
        return None
    return name, host.strip() or None


def root_page(fake: Any, request: Request) -> Response | None:
    """The page for a browser opening the served fake's root URL; None for anything else."""
    if request.method not in ("GET", "HEAD") or request.path != "/":
        return None
    if "text/html" not in request.headers.get("Accept", ""):
        return None  # an API client: the fake answers as the provider would
    provider = _provider(fake)
    if provider is None:
        return None
    base = request.base_url
    rows = [("served at", base)]
    for setting in provider.settings:
        if setting.path is not None and setting.path != "":
            rows.append((setting.label, base + setting.path))
        elif setting.value is not None:
            rows.append((setting.label, setting.value))
    if provider.oauth:
        rows.append(
            (
                "OAuth client",
                f"{DEFAULT_CLIENT_ID} / "
                f"{DEFAULT_CLIENT_SECRET} (the fixtures' default; "
                "`serve` prints the one it registered)",
            )
        )
    table = "".join(
        f"<tr><td>{escape(label)}</td><td><code>{escape(str(value))}</code></td></tr>"
        for label, value in rows
    )
    hosts = ", ".join(getattr(fake, "hosts", ()) or provider.hosts)
    body = (
        f"<h1>mockkit's {escape(provider.title)} fake</h1>"
        f"<p>This server is not {escape(provider.title)}: it is mockkit's fake of it, "
        f"{escape(provider.summary)}, standing in for <code>{escape(hosts)}</code>. "
        "It runs on this machine, keeps its state in memory and accepts test credentials "
        "only; nothing here reaches the real provider.</p>"
        f"<p>Point your app at it instead of the provider:</p><table>{table}</table>"
        "<p class='muted'>Started by <code>python -m mockkit serve</code> or "
        '<code>fake.serve()</code>; see mockkit\'s documentation, page "Served fakes".</p>'
    )
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>mockkit {escape(provider.title)} fake</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return Response.html(page, headers={"Cache-Control": "no-store"})
