"""A served fake builds its WSGI environ without werkzeug's generality, to the same result.

The lean `make_environ` of `mockkit.loopback_http.ConnectionHandler` runs on every served
request the lean header parse took; faults (and custom ones) read the environ, and the fake's
request is made from it. Here both builds run on the same requests and must agree key for key.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
from werkzeug.serving import WSGIRequestHandler

from mockkit.loopback_http import ConnectionHandler, _Headers
from mockkit.stripe import StripeFake

KEY = "sk_test_lean_environ"


def _comparable(environ: dict[str, Any]) -> dict[str, Any]:
    # The body stream is a new object per build (the dechunking wrapper): compare its kind.
    return {k: (type(v) if k == "wsgi.input" else v) for k, v in environ.items()}


REQUESTS = [
    b"POST /v1/customers?expand[]=x&description=%20b#frag HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Authorization: Bearer " + KEY.encode() + b"\r\nContent-Type: application/x-www-form-"
    b"urlencoded\r\nX-Dup: 1\r\nx-dup: 2\r\nX_Under: dropped\r\ncontent-length: 10\r\n\r\n"
    b"email=a%40",
    b"GET /v1/customers/%C3%A9%2F?q=%E2%9C%93&r=caf\xc3\xa9 HTTP/1.1\r\nHost: localhost:1\r\n"
    b"Authorization: Bearer " + KEY.encode() + b"\r\nAccept:\r\n\r\n",
    b"POST /v1/products HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
    b"Authorization: Bearer " + KEY.encode() + b"\r\n\r\n9\r\nname=Lean\r\n0\r\n\r\n",
    b"GET /v1/balance HTTP/1.0\r\nAuthorization: Bearer " + KEY.encode() + b"\r\n\r\n",
]


def test_the_lean_environ_is_werkzeugs(monkeypatch: pytest.MonkeyPatch) -> None:
    lean_build = ConnectionHandler.make_environ
    compared: list[str] = []

    def both(self: ConnectionHandler) -> Any:
        lean = lean_build(self)
        if type(self.headers) is _Headers:
            full = WSGIRequestHandler.make_environ(self)
            assert _comparable(lean) == _comparable(full)
            compared.append(lean["REQUEST_METHOD"] + " " + lean["PATH_INFO"])
        return lean

    monkeypatch.setattr(ConnectionHandler, "make_environ", both)
    fake = StripeFake(api_key=KEY)
    with fake.serve() as server:
        for raw in REQUESTS:
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
                sock.sendall(raw)
                answer = sock.recv(65536)
                assert answer.startswith(b"HTTP/1.") and b" 500 " not in answer[:20], answer[:200]
    assert compared == [
        "POST /v1/customers",
        "GET /v1/customers/\xc3\xa9/",
        "POST /v1/products",
        "GET /v1/balance",
    ]
    made = fake.requests[0]
    assert made.headers["X-Dup"] == "1,2"  # repeated headers joined as werkzeug joins them
    assert "X_Under" not in made.headers and "X-Under" not in made.headers
    assert fake.requests[2].params == {"name": "Lean"}  # the chunked body read whole
