"""`use()`: one cassette for a block of code, in any record mode, with or without pytest.

Replay (`none`, and `once` when the cassette exists) never touches vcrpy's request path: the
cassette is loaded with libyaml, indexed, and answered through mockkit's in-process transport
while the network is blocked. Recording modes run on vcrpy itself (its connection-level stubs,
record modes and matching loop, with mockkit's matcher), and replace only its persistence: the
interactions are host-mapped, scrubbed, serialised, passed through the leak gate and written
atomically, and only when the block (the test) succeeded.

Recording reaches only loopback (a served mockkit fake, the local sandbox) unless the sandbox
is `provider` (`MOCKKIT_SANDBOX=provider` or `use(..., sandbox="provider")`): following a
"record it" hint must never send an app's traffic to a real provider by accident.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from mockkit import providers
from mockkit.cassettes.errors import CassetteMiss
from mockkit.cassettes.hosts import HostMap
from mockkit.cassettes.leak import environment_secrets, gate
from mockkit.cassettes.match import MatchPreset, field_diff, normalize, preset_for
from mockkit.cassettes.modes import EffectiveMode, refuse_live_key, resolve_mode
from mockkit.cassettes.replay import Replayer
from mockkit.cassettes.scrub import DEFAULT_SCRUBBER, Scrubber
from mockkit.cassettes.store import (
    CassetteData,
    atomic_write,
    dump_cassette,
    load_cassette,
    locked,
)
from mockkit.transport import block_network, intercept

__all__ = [
    "SANDBOX_ENV",
    "SANDBOXES",
    "Cassette",
    "CassetteContext",
    "add_observer",
    "prepare_interactions",
    "recording_hint",
    "resolve_sandbox",
    "use",
]

#: "local" (default): recording reaches loopback only (mockkit's fakes served there);
#: "provider": recording may reach the real hosts (Stripe test mode, a real OAuth app).
SANDBOX_ENV = "MOCKKIT_SANDBOX"
SANDBOXES = ("local", "provider")


def resolve_sandbox(code: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The sandbox to record against: `$MOCKKIT_SANDBOX`, else `code`, else "local"."""
    env = os.environ if environ is None else environ
    value = (env.get(SANDBOX_ENV) or code or "local").strip().lower()
    if value not in SANDBOXES:
        where = f"${SANDBOX_ENV}" if env.get(SANDBOX_ENV) else "use(sandbox=...)"
        raise ValueError(f"{where} must be 'local' or 'provider', not {value!r}")
    return value


def recording_hint(path: os.PathLike[str] | str) -> str:
    """How to record the cassette at `path` without reaching a real provider by accident."""
    return (
        f"To record {path}, point the client at mockkit's local sandbox first: in pytest, take "
        "the base URL from the mockkit_sandbox fixture (mockkit_sandbox.url("
        "'https://api.stripe.com')); outside pytest, serve a fake (with StripeFake().serve() "
        "as server) and pass use(path, 'once', hosts={server.url: 'https://api.stripe.com'}). "
        "Then run with MOCKKIT_RECORD_MODE=once. While recording, only loopback is reachable; "
        f"to record against the real provider (Stripe test mode, a real OAuth app) set "
        f"{SANDBOX_ENV}=provider as well. See docs/cassettes.md, 'Recording against a sandbox'."
    )


#: Called with each cassette as it is entered (see `add_observer`).
_observers: list[Callable[[Cassette], None]] = []


def add_observer(callback: Callable[[Cassette], None]) -> Callable[[], None]:
    """Call `callback(cassette)` for every cassette entered from now on; returns a remover.

    The pytest plugin observes every cassette a test enters, the marker's and a bare
    `use()` alike, to report misses the code under test swallowed and to write play logs.
    """
    _observers.append(callback)

    def remove() -> None:
        if callback in _observers:
            _observers.remove(callback)

    return remove


def utc_timestamp() -> str:
    """Now as an ISO 8601 UTC timestamp ending in Z, as cassette metadata stores it."""
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _secret_values(secrets: Mapping[str, str] | Iterable[str] | None) -> dict[str, str]:
    found = environment_secrets()
    if isinstance(secrets, Mapping):
        found.update({v: f"configured secret {k!r}" for k, v in secrets.items() if v})
    elif secrets is not None:
        found.update({v: "a configured secret" for v in secrets if v})
    return found


def prepare_interactions(
    pairs: Iterable[tuple[dict[str, Any], dict[str, Any]]],
    scrubber: Scrubber,
    hostmap: HostMap,
) -> list[dict[str, Any]]:
    """Requests and responses (vcrpy dict layout) host-mapped and scrubbed, ready to save.

    Ports of served mockkit fakes that `hostmap` does not map yet are learned from the fakes'
    own answers first (`HostMap.learn_from_served`).
    """
    out = []
    for request, response in hostmap.learn_from_served(pairs):
        request = dict(request)
        request["uri"] = hostmap.map_url(str(request.get("uri", "")))
        if hostmap and isinstance(request.get("body"), str):
            request["body"] = hostmap.map_text(request["body"])
        response = dict(response)
        if hostmap:
            response["headers"] = {
                name: [
                    hostmap.map_text(str(v))
                    for v in (values if isinstance(values, list) else [values])
                ]
                for name, values in (response.get("headers") or {}).items()
            }
            body = dict(response.get("body") or {})
            if isinstance(body.get("string"), str):
                mapped = hostmap.map_text(body["string"])
                if mapped != body["string"]:
                    body["string"] = mapped
                    for name in response["headers"]:
                        if name.lower() == "content-length":
                            response["headers"][name] = [str(len(mapped.encode("utf-8")))]
            response["body"] = body
        out.append({"request": scrubber.request(request), "response": scrubber.response(response)})
    return out


class Cassette:
    """A cassette in use: what `with use(...) as cassette:` and the pytest fixture give you."""

    def __init__(
        self,
        path: Path,
        mode: EffectiveMode,
        preset: str | MatchPreset,
        scrubber: Scrubber,
        hostmap: HostMap,
        secrets: dict[str, str],
        allow_playback_repeats: bool,
        play_log: Path | None,
        test_id: str | None,
        sandbox: str = "local",
    ) -> None:
        self.path = path
        #: "local": recording reaches loopback only; "provider": the real hosts too.
        self.sandbox = sandbox
        self.mode = mode
        self.preset = preset
        self.scrubber = scrubber
        self.hostmap = hostmap
        self.secrets = secrets
        self.allow_playback_repeats = allow_playback_repeats
        self.play_log = play_log
        self.test_id = test_id
        #: The fast replayer (replay modes) or None.
        self.replayer: Replayer | None = None
        #: vcrpy's cassette object (recording modes) or None.
        self.vcr_cassette: Any = None
        self.discarded = False
        self.written = False
        self._old: CassetteData | None = None
        self._pending: dict[str, Any] | None = None
        self._stack = contextlib.ExitStack()

    # ---- what a test can ask ---------------------------------------------------------------

    @property
    def record_mode(self) -> str:
        """The record mode in force ("none" under CI=true whatever was asked)."""
        return self.mode.mode

    @property
    def replaying(self) -> bool:
        """True when answering from the file only (no request can reach a provider)."""
        return self.replayer is not None

    @property
    def played(self) -> list[int]:
        """Indexes of recorded interactions played so far, in order (replay only)."""
        return list(self.replayer.played) if self.replayer is not None else []

    @property
    def interaction_count(self) -> int:
        """Interactions in the cassette (loaded ones, plus recorded ones while recording)."""
        if self.replayer is not None:
            return len(self.replayer.data.interactions)
        if self.vcr_cassette is not None:
            return len(self.vcr_cassette)
        return 0

    def add_hosts(self, hosts: Mapping[str, str] | HostMap) -> None:
        """Map more sandbox base URLs to canonical hosts (e.g. a fake served after entering)."""
        extra = HostMap.from_mapping(hosts)
        self.hostmap.rules.extend(extra.rules)
        self.hostmap.rules.sort(key=lambda rule: len(rule[1]), reverse=True)

    def discard(self) -> None:
        """Do not write this cassette on exit (the pytest plugin calls it when a test failed)."""
        self.discarded = True

    # ---- entering --------------------------------------------------------------------------

    def _start(self) -> None:
        mode = self.mode.mode
        if mode == "none" or (mode == "once" and self.path.exists()):
            self._start_replay()
        else:
            self._start_recording()

    def _start_replay(self) -> None:
        if not self.path.exists():
            # Fail at once, before the code under test runs: every request would miss anyway.
            raise CassetteMiss(
                f"mockkit cassette {self.path} does not exist ({self.mode.describe()}). "
                + recording_hint(self.path)
            )
        data = load_cassette(self.path)
        note = self.mode.describe()
        if self.mode.mode == "once":
            note = "record mode 'once', cassette exists: replay only"
        self.replayer = Replayer(
            data,
            str(self.path),
            self.preset,
            self.scrubber.scrubbed_fields,
            self.hostmap,
            self.allow_playback_repeats,
            note,
        )
        # An empty cassette still intercepts every provider's hosts (the registry's), so a
        # request to one fails with a cassette message rather than a bare network error.
        hosts = self.replayer.hosts or providers.all_hosts()
        self._stack.enter_context(intercept(self.replayer, hosts))
        self._stack.enter_context(block_network())

    def _start_recording(self) -> None:
        import vcr.cassette
        from vcr.record_mode import RecordMode

        for name in ("STRIPE_API_KEY", "STRIPE_SECRET_KEY"):
            refuse_live_key(os.environ.get(name), f"${name}")
        with contextlib.suppress(ImportError):
            import stripe

            refuse_live_key(getattr(stripe, "api_key", None), "stripe.api_key")

        if self.sandbox == "local":
            # The recording hint is followed by people whose app still points at the real
            # provider: only a served fake (loopback) may answer unless they opted in.
            self._stack.enter_context(
                block_network(
                    hint=f"mockkit cassette {self.path} is recording against the local sandbox "
                    f"({self.mode.describe()}), which allows loopback only. "
                    + recording_hint(self.path)
                )
            )
        if self.mode.mode != "rewrite" and self.path.exists():
            self._old = load_cassette(self.path)
        vcr_mode = {
            "once": RecordMode.ONCE,
            "new_episodes": RecordMode.NEW_EPISODES,
            "all": RecordMode.ALL,
            "rewrite": RecordMode.ALL,
        }[self.mode.mode]

        def before_record_request(request: Any) -> Any:
            refuse_live_key(request.headers.get("Authorization"), "the Authorization header")
            return request

        context = vcr.cassette.Cassette.use(
            path=str(self.path),
            persister=_Persister(self),
            record_mode=vcr_mode,
            match_on=(self._vcr_matcher(),),
            before_record_request=before_record_request,
            allow_playback_repeats=self.allow_playback_repeats,
            record_on_exception=False,
        )
        self.vcr_cassette = self._stack.enter_context(context)

    def _vcr_matcher(self) -> Any:
        ignore = self.scrubber.scrubbed_fields

        # vcrpy compares each request with every stored one (twice): remember each stored
        # request's key, so recording a long cassette does not renormalise it n^2 times.
        cache: dict[int, tuple[Any, Any]] = {}

        def norm(request: Any) -> Any:
            hit = cache.get(id(request))
            if hit is not None and hit[0] is request:
                return hit[1]
            body = getattr(request, "body_bytes", request.body)
            uri = self.hostmap.map_url(request.uri)
            key = normalize(request.method, uri, body, request.headers, self.preset, ignore)
            cache[id(request)] = (request, key)
            return key

        def mockkit_match(r1: Any, r2: Any) -> None:
            a, b = norm(r1), norm(r2)
            if a.key != b.key:
                raise AssertionError("; ".join(field_diff(b, a)))

        return mockkit_match

    # ---- leaving ---------------------------------------------------------------------------

    def _finish(self, failed: bool) -> None:
        try:
            self._stack.close()  # vcrpy saves into self._pending here, if it records at all
        finally:
            self._stack = contextlib.ExitStack()
        if self.replayer is not None:
            self._log_plays()
            return
        if failed or self.discarded:
            return
        if self._pending is None and self.mode.mode == "rewrite":
            self._pending = {"requests": [], "responses": []}
        if self._pending is not None:
            self._write(self._pending)

    def _write(self, cassette_dict: Mapping[str, Any]) -> None:
        from vcr.filters import decode_response
        from vcr.serializers import compat

        pairs = [
            (
                compat.convert_to_unicode(request._to_dict()),
                compat.convert_to_unicode(decode_response(response)),
            )
            for request, response in zip(
                cassette_dict["requests"], cassette_dict["responses"], strict=True
            )
        ]
        interactions = prepare_interactions(pairs, self.scrubber, self.hostmap)
        old = self._old.mockkit if self._old is not None else {}
        now = utc_timestamp()
        info: dict[str, Any] = {
            "created_at": old.get("created_at", now),
            "recorded_at": now,
            "record_mode": self.mode.mode,
            "preset": self.preset if isinstance(self.preset, str) else self.preset.name,
        }
        if self.hostmap:
            info["sandbox"] = "local"
        if self.test_id:
            info["test"] = self.test_id
        metadata = dict(cassette_dict.get("metadata") or {})
        metadata["mockkit"] = info
        with locked(self.path):
            interactions = self._merge_concurrent(interactions)
            text = dump_cassette(interactions, metadata)
            gate(text, interactions, str(self.path), self.secrets)
            atomic_write(self.path, text)
        self.written = True

    def _merge_concurrent(self, interactions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Keep what another worker wrote to this cassette since we loaded it (under the lock).

        In `once` and `new_episodes` a parallel worker (pytest-xdist) may have saved the same
        cassette meanwhile; instead of the last writer silently dropping the other's
        interactions, ours that it lacks are appended to its file's. `all` and `rewrite` mean
        "what this run recorded", so the last writer wins there.
        """
        if self.mode.mode not in ("once", "new_episodes") or not self.path.exists():
            return interactions
        current = load_cassette(self.path)
        if self._old is not None and current.sha256 == self._old.sha256:
            return interactions
        loaded = len(self._old.interactions) if self._old is not None else 0
        ignore = self.scrubber.scrubbed_fields

        def key(item: Mapping[str, Any]) -> tuple[Any, ...]:
            request = item["request"]
            return normalize(
                str(request.get("method", "GET")),
                str(request.get("uri", "")),
                request.get("body"),
                request.get("headers") or {},
                self.preset,
                ignore,
            ).key

        theirs = {key(item) for item in current.interactions}
        ours = [item for item in interactions[loaded:] if key(item) not in theirs]
        return [*current.interactions, *ours]

    def _log_plays(self) -> None:
        if self.play_log is None or self.replayer is None:
            return
        record = {
            "cassette": self.path.name,
            "sha256": self.replayer.data.sha256,
            "played": sorted(set(self.replayer.played)),
            "total": len(self.replayer.data.interactions),
        }
        directory = self.play_log.parent
        if not directory.is_dir():
            directory.mkdir(parents=True, exist_ok=True)
            if directory.name == ".played":
                # Play logs are local to a checkout: the directory ignores itself in git.
                with contextlib.suppress(OSError):
                    (directory / ".gitignore").write_text("*\n", encoding="utf-8")
        # One short line per append from one process: O_APPEND keeps lines whole.
        with open(self.play_log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


class _Persister:
    """vcrpy's persister interface, used to load with mockkit's loader and defer the save."""

    def __init__(self, cassette: Cassette) -> None:
        self.cassette = cassette

    def load_cassette(self, cassette_path: str, serializer: Any) -> Any:
        from vcr.persisters.filesystem import CassetteNotFoundError
        from vcr.request import Request as VcrRequest
        from vcr.serializers import compat

        old = self.cassette._old
        if old is None:  # missing, or rewrite: start empty
            raise CassetteNotFoundError()
        requests = [VcrRequest._from_dict(dict(i["request"])) for i in old.interactions]
        responses = [compat.convert_to_bytes(dict(i["response"])) for i in old.interactions]
        return requests, responses, old.metadata

    def save_cassette(self, cassette_path: str, cassette_dict: Any, serializer: Any) -> None:
        self.cassette._pending = cassette_dict


class CassetteContext:
    """The context manager `use()` returns; entering gives the `Cassette`."""

    def __init__(self, cassette: Cassette) -> None:
        self.cassette = cassette

    def __enter__(self) -> Cassette:
        try:
            self.cassette._start()
        except BaseException:
            # Whatever was already installed (interception, network block, vcrpy patches)
            # must not outlive a failed start.
            self.cassette._stack.close()
            raise
        for observe in list(_observers):
            observe(self.cassette)
        return self.cassette

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cassette._finish(failed=exc_type is not None)


def use(
    path: str | os.PathLike[str],
    record_mode: str | EffectiveMode = "none",
    *,
    preset: str | MatchPreset = "auto",
    hosts: Mapping[str, str] | HostMap | None = None,
    scrub: Scrubber | None = None,
    secrets: Mapping[str, str] | Iterable[str] | None = None,
    allow_playback_repeats: bool = False,
    play_log: str | os.PathLike[str] | None = None,
    test_id: str | None = None,
    sandbox: str | None = None,
) -> CassetteContext:
    """Use the cassette at `path` for a block: `with use("cassettes/pay.yaml") as cassette:`.

    `record_mode`: "none" (replay only, the default), "once", "new_episodes", "all" or
    "rewrite"; `$MOCKKIT_RECORD_MODE` overrides it and `CI=true` forces "none".
    `preset`: "auto", "stripe", "oauth", "default" or a `MatchPreset`.
    `hosts`: sandbox base URL -> canonical base URL, e.g.
    `{server.url: "https://api.stripe.com"}` when recording against a served fake.
    `scrub`: a `Scrubber` (default `DEFAULT_SCRUBBER`); `secrets`: extra secret values the leak
    gate must refuse (environment secrets are always included).
    `play_log`: a file to which replay appends which interactions were played (for
    `python -m mockkit cassettes check`; under pytest the plugin sets one). `test_id` is
    stored in the metadata. `sandbox`: "local" (the default) lets a recording reach loopback
    only (a served fake); "provider" lets it reach the real hosts. `$MOCKKIT_SANDBOX`
    overrides it.
    """
    if isinstance(record_mode, EffectiveMode):
        mode = record_mode
    else:
        mode = resolve_mode(code=record_mode, code_source="use(record_mode=...)")
    preset_for(preset, "https://example.invalid")  # validate the name now, not at first request
    # A copy: add_hosts() must not change a HostMap the caller shares between cassettes.
    hostmap = HostMap(list(HostMap.from_mapping(hosts).rules))
    cassette = Cassette(
        path=Path(path),
        mode=mode,
        preset=preset,
        scrubber=scrub or DEFAULT_SCRUBBER,
        hostmap=hostmap,
        secrets=_secret_values(secrets),
        allow_playback_repeats=allow_playback_repeats,
        play_log=Path(play_log) if play_log is not None else None,
        test_id=test_id,
        sandbox=resolve_sandbox(sandbox),
    )
    return CassetteContext(cassette)
