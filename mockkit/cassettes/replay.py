"""Fast replay: a hash index over a cassette, answered through mockkit's in-process transport.

vcrpy's replay scans the whole cassette (twice, re-parsing every stored URI) for each request,
behind stubs at the connection level, so replaying a cassette costs time that grows with the
square of its length (about 7 s for 1,000 interactions). Here each interaction is normalised
once at load time into a key; a request costs one normalisation and one dict lookup, and is
answered by one `responses` callback per host, like the fakes.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from mockkit.cassettes.errors import CassetteMiss
from mockkit.cassettes.hosts import HostMap
from mockkit.cassettes.match import MatchPreset, Normalized, distance, field_diff, normalize
from mockkit.cassettes.store import CassetteData
from mockkit.http import Request, Response

__all__ = ["Replayer"]

#: Response headers not replayed: the transport recomputes the length of the body it sends.
_DROP_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})


def _response_from(stored: Mapping[str, Any]) -> Response:
    status = stored.get("status") or {}
    code = int(status.get("code", 200)) if isinstance(status, dict) else int(status)
    body = (stored.get("body") or {}).get("string")
    raw = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    # mockkit stores bodies decoded, so a Content-Encoding left over would make the client try
    # to gunzip plain text; a body kept as bytes (a plain vcrpy cassette) keeps its encoding.
    drop = _DROP_HEADERS | {"content-encoding"} if isinstance(body, str) else _DROP_HEADERS
    headers = [
        (name, str(value))
        for name, values in (stored.get("headers") or {}).items()
        if name.lower() not in drop
        for value in (values if isinstance(values, list | tuple) else [values])
    ]
    return Response(code, raw, headers)


class Replayer:
    """Answers requests from a loaded cassette in O(1) per request; a `mockkit` handler.

    Identical requests get their recorded responses in recorded order. A request with no
    unplayed match raises `CassetteMiss` naming the closest recorded request and how it
    differs, field by field.
    """

    def __init__(
        self,
        data: CassetteData,
        path: str,
        preset: str | MatchPreset = "auto",
        ignore: frozenset[str] = frozenset(),
        hosts: HostMap | None = None,
        allow_playback_repeats: bool = False,
        mode_note: str = "record mode 'none'",
    ) -> None:
        self.data = data
        self.path = path
        self.preset = preset
        self.ignore = ignore
        self.hostmap = hosts or HostMap()
        self.allow_playback_repeats = allow_playback_repeats
        self.mode_note = mode_note
        self._lock = threading.Lock()
        #: Indexes of the interactions played, in order.
        self.played: list[int] = []
        #: Every miss raised, in order (code under test may swallow the exception).
        self.misses: list[CassetteMiss] = []
        #: Called with each miss as it happens (the pytest plugin reports them on failure).
        self.miss_listeners: list[Callable[[CassetteMiss], None]] = []
        self._normalized: list[Normalized] = []
        self._queues: dict[tuple[Any, ...], deque[int]] = {}
        self._last: dict[tuple[Any, ...], int] = {}
        for index, interaction in enumerate(data.interactions):
            request = interaction["request"]
            norm = normalize(
                str(request.get("method", "GET")),
                str(request.get("uri", "")),
                request.get("body"),
                request.get("headers") or {},
                preset,
                ignore,
            )
            self._normalized.append(norm)
            self._queues.setdefault(norm.key, deque()).append(index)
        self._responses = [interaction["response"] for interaction in data.interactions]

    @property
    def hosts(self) -> list[str]:
        """Canonical base URLs found in the cassette (what replay must intercept)."""
        seen: dict[str, None] = {}
        for norm in self._normalized:
            seen.setdefault(norm.host, None)
        for host in self.hostmap.canonical_hosts:
            seen.setdefault(host, None)
        return list(seen)

    def normalize(self, request: Request) -> Normalized:
        """The key of an incoming request (sandbox URLs mapped to canonical hosts first)."""
        return normalize(
            request.method,
            self.hostmap.map_url(request.url),
            request.body,
            request.headers,
            self.preset,
            self.ignore,
        )

    def handle(self, request: Request) -> Response:
        """Answer `request` from the cassette, or raise `CassetteMiss`."""
        norm = self.normalize(request)
        with self._lock:
            queue = self._queues.get(norm.key)
            if queue:
                index = queue.popleft()
                self._last[norm.key] = index
            elif queue is not None and self.allow_playback_repeats and norm.key in self._last:
                index = self._last[norm.key]
            else:
                error = self.miss(norm)
                self.misses.append(error)
                for listener in self.miss_listeners:
                    listener(error)
                raise error
            self.played.append(index)
        return _response_from(self._responses[index])

    def miss(self, norm: Normalized) -> CassetteMiss:
        """The error for a request nothing answers: closest recorded one, field differences."""
        line = norm.line + ("?" + urlencode(norm.query, safe="[]<>*") if norm.query else "")
        head = f"mockkit cassette {self.path} ({self.mode_note}) has no unplayed answer for {line}"
        if norm.key in self._queues:
            indexes = [i for i, n in enumerate(self._normalized) if n.key == norm.key]
            return CassetteMiss(
                f"{head}.\nAn identical request was recorded "
                f"{'once' if len(indexes) == 1 else f'{len(indexes)} times'} "
                f"(#{', #'.join(map(str, indexes))}) and every one was already played: the code "
                "now makes this request more often than when it was recorded. Re-record "
                "(MOCKKIT_RECORD_MODE=rewrite) or pass allow_playback_repeats=True.",
                norm.line,
                indexes[-1],
            )
        if not self._normalized:
            return CassetteMiss(f"{head}: the cassette holds no interactions.", norm.line)
        ranked = sorted(
            range(len(self._normalized)), key=lambda i: distance(self._normalized[i], norm)
        )
        best = ranked[0]
        diff = field_diff(self._normalized[best], norm)
        details = "\n".join(f"    {line_}" for line_ in diff) or "    (no field differs)"
        return CassetteMiss(
            f"{head}.\nClosest recorded request: #{best} {self._normalized[best].line}\n"
            f"  differences (recorded vs sent):\n{details}\n"
            "If the change is intended, re-record the cassette against a sandbox "
            "(MOCKKIT_RECORD_MODE=new_episodes adds it, =rewrite records everything afresh).",
            norm.line,
            best,
        )

    @property
    def unplayed(self) -> list[int]:
        """Indexes of interactions not played (yet)."""
        played = set(self.played)
        return [i for i in range(len(self._normalized)) if i not in played]
