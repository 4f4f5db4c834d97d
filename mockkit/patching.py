"""Monkeypatch helpers that fail loudly: patch targets must exist, replacements must fit.

`Patcher` is the plain-module form (a context manager that undoes everything on exit); the
pytest fixtures `mockkit_patch`, `mockkit_stripe_config`, `mockkit_authlib_client` and
`mockkit_clock` wrap it. Every change is recorded and undone in reverse order, so nested and
repeated patches restore the original state exactly.

- `patch("app.billing:charge", replacement)` replaces a function (or any attribute) after
  checking that it exists (a typo names the closest attribute instead of creating a new one)
  and that the replacement accepts every call the original accepts. A `mockkit.errors` fault
  as replacement raises what the SDK would raise, with the original's signature enforced.
- `stripe_config(...)` sets stripe-python's module settings (key, API base, retries, HTTP
  client), refusing live keys.
- `authlib_client(oauth, "github", ...)` re-points a registered authlib client and forgets
  its cached discovery document, so a fake's issuer is fetched afresh.
- `clock()` freezes and moves time with time-machine (token expiry, code expiry, Stripe's
  webhook tolerance).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import functools
import importlib
import inspect
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType, TracebackType
from typing import Any

from mockkit.errors import SDK, Fault, clients

__all__ = [
    "Clock",
    "PatchError",
    "Patched",
    "Patcher",
    "check_signature",
    "clock",
    "resolve",
]

_MISSING = object()


class PatchError(AttributeError):
    """A patch target that does not exist, or a replacement that does not fit it."""


# --------------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------------


def _closest(name: str, owner: Any) -> str:
    names = [n for n in dir(owner) if not n.startswith("__")]
    best = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    return f" Did you mean {', '.join(repr(b) for b in best)}?" if best else ""


def _import(dotted: str) -> ModuleType:
    try:
        return importlib.import_module(dotted)
    except ModuleNotFoundError as exc:
        raise PatchError(f"cannot patch {dotted!r}: no module named {exc.name!r}") from None


def resolve(target: str | tuple[Any, str]) -> tuple[Any, str]:
    """The object that owns the attribute named by `target`, and the attribute's name.

    `target` is `"pkg.module:attr.sub"`, `"pkg.module.attr"` (the longest importable module
    prefix is used) or an `(owner, "name")` pair. A missing module or attribute raises
    `PatchError` naming the closest existing attribute.
    """
    if isinstance(target, tuple):
        owner, name = target
        if not hasattr(owner, name):
            raise PatchError(
                f"cannot patch {owner!r}.{name}: no such attribute.{_closest(name, owner)}"
            )
        return owner, name
    if ":" in target:
        module_name, _, path = target.partition(":")
        owner = _import(module_name)
        parts = path.split(".")
    else:
        parts = target.split(".")
        owner = None
        for cut in range(len(parts) - 1, 0, -1):
            try:
                owner = importlib.import_module(".".join(parts[:cut]))
            except ModuleNotFoundError:
                continue
            parts = parts[cut:]
            break
        if owner is None:
            raise PatchError(f"cannot patch {target!r}: no importable module in it")
    where = owner.__name__ if isinstance(owner, ModuleType) else repr(owner)
    for part in parts[:-1]:
        if not hasattr(owner, part):
            raise PatchError(
                f"cannot patch {target!r}: {where} has no attribute {part!r}."
                f"{_closest(part, owner)}"
            )
        owner = getattr(owner, part)
        where = f"{where}.{part}"
    name = parts[-1]
    if not hasattr(owner, name):
        raise PatchError(
            f"cannot patch {target!r}: {where} has no attribute {name!r}.{_closest(name, owner)}"
        )
    return owner, name


# --------------------------------------------------------------------------------------------
# Signatures
# --------------------------------------------------------------------------------------------

_P = inspect.Parameter
_POSITIONAL = (_P.POSITIONAL_ONLY, _P.POSITIONAL_OR_KEYWORD)
_NAMED = (_P.POSITIONAL_OR_KEYWORD, _P.KEYWORD_ONLY)


def _signature(fn: Any) -> inspect.Signature | None:
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):  # builtins without a signature: nothing to compare
        return None


def check_signature(original: Any, replacement: Any, target: str = "the target") -> None:
    """Raise `PatchError` unless `replacement` accepts every call `original` accepts.

    Checked: as many positional arguments (`*args` if the original has it), every keyword the
    original takes (`**kwargs` if it has it), no keyword that would land on a parameter the
    replacement already fills positionally, and nothing required that some valid call of the
    original leaves out. A replacement taking `(*args, **kwargs)` fits anything. The check
    may refuse an exotic replacement that would have worked; it never passes one that fails.
    """
    if not callable(replacement):
        raise PatchError(f"cannot patch {target}: the replacement {replacement!r} is not callable")
    old, new = _signature(original), _signature(replacement)
    if old is None or new is None:
        return
    o_params, r_params = list(old.parameters.values()), list(new.parameters.values())
    o_pos = [p for p in o_params if p.kind in _POSITIONAL]
    r_pos = [p for p in r_params if p.kind in _POSITIONAL]
    o_var_pos = any(p.kind is _P.VAR_POSITIONAL for p in o_params)
    o_var_kw = any(p.kind is _P.VAR_KEYWORD for p in o_params)
    r_var_pos = any(p.kind is _P.VAR_POSITIONAL for p in r_params)
    r_var_kw = any(p.kind is _P.VAR_KEYWORD for p in r_params)
    # Keyword-capable parameters: name -> positional index (None for keyword-only).
    o_named = {
        p.name: (o_pos.index(p) if p in o_pos else None) for p in o_params if p.kind in _NAMED
    }
    r_named = {p.name for p in r_params if p.kind in _NAMED}
    o_required_kwonly = {
        p.name for p in o_params if p.kind is _P.KEYWORD_ONLY and p.default is _P.empty
    }
    problems: list[str] = []

    if o_var_pos and not r_var_pos:
        problems.append("the original accepts *args, the replacement does not")
    elif not r_var_pos and len(r_pos) < len(o_pos):
        problems.append(f"it takes {len(r_pos)} positional argument(s), the original {len(o_pos)}")
    if o_var_kw and not r_var_kw:
        problems.append("the original accepts **kwargs, the replacement does not")
    problems += [
        f"no parameter {name!r}" for name in o_named if name not in r_named and not r_var_kw
    ]
    capacity = float("inf") if o_var_pos else len(o_pos)
    for j, p in enumerate(r_pos):
        # A call of the original with more than j positional arguments and keyword `p.name`
        # would give the replacement two values for `p`.
        if p.kind is not _P.POSITIONAL_OR_KEYWORD or j >= capacity:
            continue
        if p.name not in o_named and not o_var_kw:
            continue  # the original never takes that keyword
        index = o_named.get(p.name)
        if index is not None and index <= j:
            continue  # such a call would fill the original's own `p.name` twice: invalid there
        problems.append(f"{p.name!r} is argument {j + 1} of the replacement, not of the original")
    for i, p in enumerate(r_pos):
        if p.default is not _P.empty:
            continue
        q = o_pos[i] if i < len(o_pos) else None
        always = (
            q is not None
            and q.default is _P.empty
            and (
                q.kind is _P.POSITIONAL_ONLY
                or (p.kind is _P.POSITIONAL_OR_KEYWORD and p.name == q.name)
            )
        )
        always = always or (p.kind is _P.POSITIONAL_OR_KEYWORD and p.name in o_required_kwonly)
        if not always:
            problems.append(f"it requires {p.name!r}, which the original does not always pass")
    problems += [
        f"it requires keyword {p.name!r}, which the original does not always pass"
        for p in r_params
        if p.kind is _P.KEYWORD_ONLY and p.default is _P.empty and p.name not in o_required_kwonly
    ]
    if problems:
        raise PatchError(
            f"cannot patch {target}: the replacement{new} does not fit the original{old}: "
            + "; ".join(problems)
        )


# --------------------------------------------------------------------------------------------
# The patcher
# --------------------------------------------------------------------------------------------


@dataclass
class Patched:
    """One patch in place: the target, the original, and every call the replacement received."""

    target: str
    original: Any
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)

    @property
    def call_count(self) -> int:
        """How many times the replacement was called."""
        return len(self.calls)


def _sdk_for(target: str, fault: Fault, sdk: SDK | None) -> SDK:
    if sdk is not None:
        return sdk
    root = target.split(":")[0].split(".")[0]
    if root in clients.available():
        return root
    if fault.sdk is not None:
        return fault.sdk
    raise PatchError(
        f"cannot patch {target} with {fault.name}: say which SDK's exception it stands for, "
        "e.g. patch(..., sdk='stripe') (or 'authlib', 'requests')"
    )


class Patcher:
    """Patches recorded and undone in reverse order (a context manager; `undo()` is explicit)."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    # ---- generic ----------------------------------------------------------------------------

    def setattr(self, owner: Any, name: str, value: Any) -> None:
        """Set `owner.name = value`, to be restored (or deleted, if it was not set) on undo."""
        raw = owner.__dict__.get(name, _MISSING) if hasattr(owner, "__dict__") else _MISSING
        if raw is _MISSING:
            raw = getattr(owner, name, _MISSING)
            own = False
        else:
            own = True
        setattr(owner, name, value)

        def restore() -> None:
            if own or isinstance(owner, ModuleType):
                setattr(owner, name, raw)
            else:  # inherited: removing ours uncovers it again
                with contextlib.suppress(AttributeError):
                    delattr(owner, name)

        with self._lock:
            self._undo.append(restore)

    def patch(
        self, target: str | tuple[Any, str], replacement: Any, *, sdk: SDK | None = None
    ) -> Patched:
        """Replace the function (or value) at `target`; checked, recorded, undone on exit.

        `replacement`: a function whose signature fits the original's (`PatchError`
        otherwise), a `mockkit.errors` fault (calls are checked against the original's
        signature, then raise what `sdk` raises: by default the SDK the target belongs to, or
        the fault's own), or any value when the target is not callable. Returns a `Patched`
        whose `calls` log what the replacement received.
        """
        owner, name = resolve(target)
        label = target if isinstance(target, str) else f"{owner!r}.{name}"
        static = inspect.getattr_static(owner, name)
        original = getattr(owner, name)
        record = Patched(label, original)
        if isinstance(replacement, Fault):
            effect = replacement.side_effect(_sdk_for(label, replacement, sdk))
            if not callable(original):
                raise PatchError(f"cannot patch {label} with a fault: it is not callable")
            call_check = _signature(original)
            template = original if not isinstance(static, staticmethod) else static.__func__
            replacement = _checked_fault(effect, call_check, label, template)
        elif callable(original):
            check_signature(
                static.__func__ if isinstance(static, staticmethod) else original,
                replacement,
                label,
            )
        recorder = _recording(replacement, record) if callable(replacement) else replacement
        if isinstance(static, classmethod | staticmethod) and callable(recorder):
            # `original` was looked up bound (no `cls`): the replacement is called the same way.
            recorder = staticmethod(recorder)
        self.setattr(owner, name, recorder)
        return record

    # ---- stripe -----------------------------------------------------------------------------

    def stripe_config(
        self,
        api_key: str | None = "sk_test_mockkit",
        *,
        api_base: str | None = None,
        max_network_retries: int | None = None,
        http_client: Any = None,
        allow_live: bool = False,
        **settings: Any,
    ) -> None:
        """Set stripe-python's module-level settings for the test; restored on undo.

        `api_key` must be a test key (`sk_test_`/`rk_test_`) unless `allow_live=True`.
        `http_client` becomes `stripe.default_http_client`. Other keyword `settings` must name
        existing `stripe` module attributes (`enable_telemetry=False`, `api_version=...`).
        """
        from mockkit._extras import import_extra

        stripe = import_extra("stripe", "stripe", "mockkit's stripe-python settings")
        if api_key is not None and not allow_live and "_live_" in api_key:
            raise PatchError(
                "refusing a live Stripe key in a test; use an sk_test_ key or allow_live=True"
            )
        changes: dict[str, Any] = dict(settings)
        for name in settings:
            if not hasattr(stripe, name):
                raise PatchError(f"stripe has no setting {name!r}.{_closest(name, stripe)}")
        if api_key is not None:
            changes["api_key"] = api_key
        if api_base is not None:
            changes["api_base"] = api_base.rstrip("/")
        if max_network_retries is not None:
            changes["max_network_retries"] = max_network_retries
        if http_client is not None:
            changes["default_http_client"] = http_client
        for name, value in changes.items():
            self.setattr(stripe, name, value)

    # ---- authlib ----------------------------------------------------------------------------

    _AUTHLIB_FIELDS = (
        "client_id",
        "client_secret",
        "access_token_url",
        "access_token_params",
        "authorize_url",
        "authorize_params",
        "api_base_url",
        "client_kwargs",
        "server_metadata_url",
    )

    def authlib_client(
        self, oauth: Any, name: str, *, forget_metadata: bool = True, **overrides: Any
    ) -> Any:
        """Override a registered authlib client's settings for the test; restored on undo.

        `oauth` is authlib's registry (e.g. `authlib.integrations.flask_client.OAuth`). Only
        the client's known settings may be overridden (`client_id`, `client_secret`,
        `access_token_url`, `authorize_url`, `api_base_url`, `client_kwargs`,
        `server_metadata_url`, ...). `forget_metadata` drops the discovery document and JWKS
        authlib cached for the client (it fetches them once per process), so a fake's
        issuer and keys are used. Returns the client.
        """
        client = oauth.create_client(name)
        if client is None:
            known = list(getattr(oauth, "_registry", {}))
            best = difflib.get_close_matches(name, known, n=1)
            hint = f" Did you mean {best[0]!r}?" if best else ""
            raise PatchError(f"no authlib client named {name!r} (registered: {known}).{hint}")
        for key in overrides:
            if key not in self._AUTHLIB_FIELDS:
                best = difflib.get_close_matches(key, self._AUTHLIB_FIELDS, n=1)
                hint = f" Did you mean {best[0]!r}?" if best else ""
                raise PatchError(f"authlib clients have no setting {key!r}.{hint}")
        for key, value in overrides.items():
            attr = "_server_metadata_url" if key == "server_metadata_url" else key
            self.setattr(client, attr, value)
        if forget_metadata or "server_metadata_url" in overrides:
            saved = dict(client.server_metadata)
            for cached in ("_loaded_at", "jwks"):
                client.server_metadata.pop(cached, None)

            def restore() -> None:
                client.server_metadata.clear()
                client.server_metadata.update(saved)

            with self._lock:
                self._undo.append(restore)
        return client

    # ---- time ---------------------------------------------------------------------------------

    def clock(self, start: dt.datetime | float | str | None = None, *, tick: bool = False) -> Clock:
        """Freeze time (at `start`, default now) until undo; see `Clock`."""
        frozen = Clock(start, tick=tick)
        with self._lock:
            self._undo.append(frozen.stop)
        return frozen

    # ---- undo ---------------------------------------------------------------------------------

    def undo(self) -> None:
        """Undo every change, newest first."""
        with self._lock:
            pending, self._undo = self._undo[::-1], []
        for restore in pending:
            restore()

    def __enter__(self) -> Patcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.undo()


def _recording(fn: Callable[..., Any], record: Patched) -> Callable[..., Any]:
    @functools.wraps(fn)
    def recorded(*args: Any, **kwargs: Any) -> Any:
        record.calls.append((args, kwargs))
        return fn(*args, **kwargs)

    return recorded


def _checked_fault(
    effect: Callable[..., Any], signature: inspect.Signature | None, label: str, template: Any
) -> Callable[..., Any]:
    def fault(*args: Any, **kwargs: Any) -> Any:
        if signature is not None:
            try:
                signature.bind(*args, **kwargs)
            except TypeError as exc:
                raise TypeError(
                    f"{label}() called with arguments it does not take: {exc}"
                ) from None
        return effect(*args, **kwargs)

    with contextlib.suppress(AttributeError, TypeError, ValueError):
        fault.__signature__ = signature  # type: ignore[attr-defined]
        fault.__name__ = getattr(template, "__name__", "fault")
    return fault


# --------------------------------------------------------------------------------------------
# Time
# --------------------------------------------------------------------------------------------


class Clock:
    """Frozen (or ticking) time for the whole process, through time-machine.

    `time.time()`, `datetime.now()` and friends return the clock's time, so token and code
    expiries, ID-token `exp`/`iat` checks and stripe-python's webhook tolerance all follow it.
    `advance(seconds=...)` moves it forward, `move_to(when)` jumps. Monotonic clocks (timeouts)
    are left alone.
    """

    def __init__(self, start: dt.datetime | float | str | None = None, *, tick: bool = False):
        import time_machine

        destination: Any = start if start is not None else dt.datetime.now(dt.UTC)
        self._travel = time_machine.travel(destination, tick=tick)
        self._traveller: Any = self._travel.start()
        self._running = True

    def time(self) -> float:
        """The clock's time as a Unix timestamp."""
        import time

        return time.time()

    def now(self) -> dt.datetime:
        """The clock's time as an aware UTC datetime."""
        return dt.datetime.fromtimestamp(self.time(), dt.UTC)

    def advance(self, seconds: float = 0, **delta: float) -> None:
        """Move forward by `seconds` plus any `timedelta` keywords (`minutes=5`, `days=1`)."""
        self._traveller.shift(dt.timedelta(seconds=seconds, **delta))

    def move_to(self, when: dt.datetime | float | str) -> None:
        """Jump to `when` (a datetime, a timestamp or an ISO string)."""
        self._traveller.move_to(when)

    def stop(self) -> None:
        """Give time back to the real clock."""
        if self._running:
            self._running = False
            self._travel.stop()


@contextlib.contextmanager
def clock(start: dt.datetime | float | str | None = None, *, tick: bool = False) -> Iterator[Clock]:
    """Freeze time for the block (at `start`, default now); yields the `Clock`."""
    frozen = Clock(start, tick=tick)
    try:
        yield frozen
    finally:
        frozen.stop()
