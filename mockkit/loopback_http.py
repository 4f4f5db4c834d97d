"""How a served fake speaks HTTP/1.1 on its connections: keep-alive, lean parsing, one write.

The loopback server (`mockkit.transport.LoopbackServer`) runs on werkzeug's threaded server,
whose request handler closes every connection after one answer: each request of a client's
keep-alive session then paid a new TCP connection and a new server thread, most of what a
served call cost. `ConnectionHandler` keeps the connection when that is safe, parses the
usual request without the `email` package, and writes each answer in one piece. The WSGI app
(`mockkit.transport.wsgi_app`) tells it, through `environ[KEEP_ALIVE]`, whether the request
body was read whole.
"""

from __future__ import annotations

import contextlib
import email.parser
import re
import select
import socket
import sys
from collections.abc import Iterator
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import unquote

from werkzeug.http import parse_set_header
from werkzeug.serving import DechunkedInput, WSGIRequestHandler

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

__all__ = ["KEEP_ALIVE", "ConnectionHandler"]

#: How much a closing connection reads of what its client still sends (see `_discard_unread`).
_DISCARD_LIMIT = 16 * 1024 * 1024

#: A header line the lean parser takes as is: a token name, a colon, a value on one line.
_SIMPLE_HEADER = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+:[^\r\n]*\r?\n\Z")
#: Limits of the standard library's header reader (`http.client`), kept alike.
_MAX_LINE = 65536
_MAX_HEADERS = 100


class _Headers:
    """A request's headers as `http.server` hands them on, without the email parser.

    The standard library parses request headers with the `email` package, a quarter of what
    a served request cost the server. Well-formed header lines need none of its generality;
    anything else (folded lines, a line without a colon) still goes through it.
    """

    __slots__ = ("_items",)

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items

    def get(self, name: str, default: Any = None) -> Any:
        lname = name.lower()
        for key, value in self._items:
            if key.lower() == lname:
                return value
        return default

    def get_all(self, name: str, default: Any = None) -> Any:
        lname = name.lower()
        found = [value for key, value in self._items if key.lower() == lname]
        return found or default

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def keys(self) -> list[str]:
        return [key for key, _ in self._items]

    def values(self) -> list[str]:
        return [value for _, value in self._items]

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._items)


def _latin1(text: str) -> str:
    """A URL part as WSGI carries it: its UTF-8 bytes read as latin-1 (werkzeug does alike)."""
    return text.encode().decode("latin1")


#: Environ key the app sets once it has read the request body whole: only then can the next
#: request on the connection be read after this one (keep-alive).
KEEP_ALIVE = "mockkit.keep_alive"


class ConnectionHandler(WSGIRequestHandler):
    """Werkzeug's request handler with keep-alive, one write per answer and no access log.

    Werkzeug's own handler closes every connection after one answer, so each request of a
    client's keep-alive session paid a new TCP connection and a new server thread: most of
    what a served call cost. This one keeps the connection open when it is safe: HTTP/1.1, the
    client did not ask to close, and the app read the request body whole (it says so in
    `environ[KEEP_ALIVE]`); anything else (a refused or cut body, a fault on the socket, an
    error) still closes it. The status line, headers and body go out in one write.
    """

    disable_nagle_algorithm = True
    #: The open connections of one server (set on the per-server subclass), so stopping the
    #: server can end the ones kept alive.
    connections: ClassVar[set[socket.socket] | None] = None

    def setup(self) -> None:
        super().setup()
        if self.connections is not None:
            self.connections.add(self.connection)

    def finish(self) -> None:
        if self.connections is not None:
            self.connections.discard(self.connection)
        super().finish()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def parse_request(self) -> bool:
        """`http.server`'s parsing, with a lean path for the usual HTTP/1.1 request.

        A request line other than `METHOD /target HTTP/1.x` (HTTP/0.9, a bad version, a
        `//` path) goes to the standard library as a whole; headers that are not all simple
        lines go to its email parser. Limits, `Connection` and `Expect` are handled alike.
        """
        line = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = line.split()
        if (
            len(words) != 3
            or words[2] not in ("HTTP/1.1", "HTTP/1.0")
            or not words[1].startswith("/")
            or words[1].startswith("//")
        ):
            return bool(super().parse_request())
        self.requestline = line
        self.command, self.path, self.request_version = words
        self.close_connection = words[2] != "HTTP/1.1"
        lines: list[bytes] = []
        while True:
            raw = self.rfile.readline(_MAX_LINE + 1)
            if len(raw) > _MAX_LINE:
                self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long")
                return False
            if raw in (b"\r\n", b"\n", b""):
                break
            lines.append(raw)
            if len(lines) >= _MAX_HEADERS:
                self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers")
                return False
        if all(_SIMPLE_HEADER.match(raw) for raw in lines):
            items = []
            for raw in lines:
                name, _, value = raw.decode("iso-8859-1").partition(":")
                items.append((name, value.lstrip(" \t").rstrip("\r\n")))
            self.headers = _Headers(items)  # type: ignore[assignment]
        else:
            text = b"".join([*lines, b"\r\n"]).decode("iso-8859-1")
            parser = email.parser.Parser(_class=self.MessageClass)
            self.headers = parser.parsestr(text)
        connection = (self.headers.get("Connection") or "").lower()
        if connection == "close":
            self.close_connection = True
        elif connection == "keep-alive":
            self.close_connection = False
        expect = (self.headers.get("Expect") or "").lower()
        if expect == "100-continue" and self.request_version == "HTTP/1.1":
            return bool(self.handle_expect_100())
        return True

    def make_environ(self) -> WSGIEnvironment:
        """Werkzeug's environ, built straight from the lean parse when it made the headers.

        The same keys and values as `WSGIRequestHandler.make_environ` (a test compares them),
        without its generality: the target is a plain path (the lean parse took no other),
        the socket is plain TCP, the headers are simple lines.
        """
        headers: Any = self.headers
        lean = type(headers) is _Headers and type(self.client_address) is tuple
        if not lean or self.server.ssl_context is not None:
            return super().make_environ()
        target = self.path
        path, _, query = target.partition("#")[0].partition("?")
        server = self.server
        environ: WSGIEnvironment = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": self.rfile,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": server.multithread,
            "wsgi.multiprocess": server.multiprocess,
            "wsgi.run_once": False,
            "werkzeug.socket": self.connection,
            "SERVER_SOFTWARE": self.server_version,
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": _latin1(unquote(path)),
            "QUERY_STRING": _latin1(query),
            "REQUEST_URI": _latin1(target),
            "RAW_URI": _latin1(target),
            "REMOTE_ADDR": self.address_string(),
            "REMOTE_PORT": self.port_integer(),
            "SERVER_NAME": server.server_address[0],
            "SERVER_PORT": str(server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
        }
        for name, value in headers._items:
            if "_" in name:
                continue  # as werkzeug: `X_Y` and `X-Y` would be the same key
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
                if key in environ:
                    value = f"{environ[key]},{value}"
            environ[key] = value
        chunked = environ.get("HTTP_TRANSFER_ENCODING")
        if chunked is not None and "chunked" in parse_set_header(chunked):
            environ["wsgi.input_terminated"] = True
            environ["wsgi.input"] = DechunkedInput(environ["wsgi.input"])
        return environ

    def connection_dropped(
        self, error: BaseException, environ: WSGIEnvironment | None = None
    ) -> None:
        # A connection a fault aborted (or a client dropped) is never read from again.
        self.close_connection = True

    def run_wsgi(self) -> None:
        """Answer one request with the server's WSGI app; keep the connection when safe."""
        environ = self.make_environ()
        started: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            started[:] = [status, headers]
            return None  # every app served here returns its body; none calls write()

        try:
            chunks = b"".join(self.server.app(environ, start_response))
        except (ConnectionError, TimeoutError) as exc:
            self.connection_dropped(exc, environ)
            return
        except Exception:  # a bug in the app: a bare 500, never a traceback on the wire
            started[:] = ["500 Internal Server Error", [("Content-Type", "text/plain")]]
            chunks = b"internal error in the mockkit server\n"
            environ[KEEP_ALIVE] = False
        if not started:
            self.close_connection = True
            return
        status, headers = started
        keep = (
            bool(environ.get(KEEP_ALIVE))
            and not self.close_connection
            and self.request_version == "HTTP/1.1"
        )
        if not any(name.lower() == "content-length" for name, _ in headers):
            # The whole body is at hand: say its length, so a client need not wait for the
            # close to know where it ends.
            headers = [*headers, ("Content-Length", str(len(chunks)))]
        lines = [f"{self.protocol_version} {status}", f"Server: {self.version_string()}"]
        lines.append(f"Date: {self.date_time_string()}")
        lines.extend(f"{name}: {value}" for name, value in headers)
        if not keep:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            self.wfile.write(head + chunks if environ["REQUEST_METHOD"] != "HEAD" else head)
        except (ConnectionError, TimeoutError) as exc:
            self.connection_dropped(exc, environ)
            return
        if not keep:
            self.close_connection = True
            self._discard_unread()

    def _discard_unread(self) -> None:
        """Read what the client is still sending before the close, so it sees the answer.

        Closing a socket with unread data in it sends a reset, which can reach the client
        before it has read a 413 or 400: it would see a broken connection instead. Bounded, so
        a client that keeps sending cannot hold the thread.
        """
        sock = self.connection
        total = 0
        with contextlib.suppress(OSError, ValueError):
            while total < _DISCARD_LIMIT and select.select([sock], [], [], 0.01)[0]:
                data = self.rfile.read1(65536)
                if not data:
                    break
                total += len(data)
