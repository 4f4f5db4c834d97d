"""Every request to the Stripe fake is atomic: it changes the account whole, or not at all.

Stripe validates a request before it acts on it: a refused create stores nothing, emits no
event and sends no webhook. The fake does not rely on each endpoint checking everything first
(an endpoint that makes an inline product before it finds the currency wrong would leave it
behind); every request runs inside `atomic()` instead. Changes made inside are recorded as
they happen and undone if the block ends with an exception; events are stored at once (the
request sees them) but their listeners (webhook forwarders) hear of them only when the
outermost block commits.

What is recorded, without the resource's code doing anything:

- stored objects: they are `Tracked` dicts (what `objects.build()` makes), which keep their
  own state as it was before the first change inside the block;
- stores: adding or removing an object (`Store.add`, `Store.remove`, writes to `by_id`);
- the event log;
- a resource's own bookkeeping (what Stripe keeps but does not show): the dicts, sets and
  lists a `Model` keeps as attributes are turned into `TrackedDict`, `TrackedSet` and
  `TrackedList` when assigned. A `TrackedDict` also keeps a copy of each value the block
  reads (one level deep: a list, a set, a dataclass), so `d[k].append(x)` and
  `d[k].field = v` are undone too. A value holding mutable containers of its own must copy
  them in its `__copy__`.

An exception whose `keep_state` attribute is true commits instead: Stripe records a declined
payment (the failed charge, the intent's `last_payment_error`, the events) and then answers
402. Blocks nest: an inner block that fails is undone back to where it began, and the outer
one goes on.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from functools import partial
from types import TracebackType
from typing import Any, SupportsIndex, TypeVar, cast

__all__ = [
    "Tracked",
    "TrackedDict",
    "TrackedList",
    "TrackedSet",
    "Transaction",
    "active",
    "atomic",
    "keeps_state",
    "tracked",
]

T = TypeVar("T")

#: The transaction of the request this thread (or task) is serving, if any.
_ACTIVE: ContextVar[Transaction | None] = ContextVar("mockkit_stripe_transaction", default=None)


def active() -> Transaction | None:
    """The transaction changes are recorded in now, or None outside any `atomic()` block."""
    return _ACTIVE.get()


def keeps_state(exc: BaseException) -> bool:
    """Whether `exc` ends a block with its changes kept (a decline Stripe records)."""
    return getattr(exc, "keep_state", False) is True


class Transaction:
    """The undo log of one request, with savepoints for nested `atomic()` blocks.

    `first(key)` says whether the current savepoint has not seen `key` yet (so its state before
    the change must be recorded); `undo(fn)` records how to take a change back; `on_commit(fn)`
    defers work (telling listeners about events) until the outermost block commits.
    """

    __slots__ = ("_after", "_levels", "_undo")

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []
        self._after: list[Callable[[], None]] = []
        # Per savepoint: where its undo and after-commit entries start, and what it has seen.
        self._levels: list[tuple[int, int, set[Any]]] = [(0, 0, set())]

    def first(self, key: Any) -> bool:
        """True the first time the current savepoint sees `key` (then marks it seen)."""
        seen = self._levels[-1][2]
        if key in seen:
            return False
        seen.add(key)
        return True

    def undo(self, fn: Callable[[], None]) -> None:
        """Record how to take back a change just made (run in reverse order on rollback)."""
        self._undo.append(fn)

    def on_commit(self, fn: Callable[[], None]) -> None:
        """Run `fn` once the outermost block commits; never if the change is undone."""
        self._after.append(fn)

    def begin(self) -> None:
        """Open a savepoint (a nested `atomic()` block)."""
        self._levels.append((len(self._undo), len(self._after), set()))

    def release(self) -> None:
        """Close the innermost savepoint, keeping its changes as part of the enclosing one."""
        _, _, seen = self._levels.pop()
        self._levels[-1][2].update(seen)

    def rollback_savepoint(self) -> None:
        """Undo what the innermost savepoint changed and close it."""
        start, after, _ = self._levels.pop()
        self._run_undo(start)
        del self._after[after:]

    def rollback(self) -> None:
        """Undo everything, newest change first; nothing deferred runs."""
        self._run_undo(0)
        self._after.clear()

    def commit(self) -> None:
        """Keep everything and run what was deferred until now (in the order it was asked)."""
        after, self._after = self._after, []
        self._undo.clear()
        for fn in after:
            fn()

    def _run_undo(self, start: int) -> None:
        while len(self._undo) > start:
            self._undo.pop()()


class _Atomic:
    """The context manager `atomic()` returns (a class: it runs on every request)."""

    __slots__ = ("_nested", "_token", "_tx")

    def __enter__(self) -> Transaction:
        outer = _ACTIVE.get()
        if outer is not None:
            outer.begin()
            self._tx, self._nested = outer, True
            return outer
        tx = self._tx = Transaction()
        self._nested = False
        self._token = _ACTIVE.set(tx)
        return tx

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        tx = self._tx
        keep = exc is None or keeps_state(exc)
        if self._nested:
            if keep:
                tx.release()
            else:
                tx.rollback_savepoint()
            return
        # Listeners run outside the transaction: what they do is not part of the request.
        _ACTIVE.reset(self._token)
        if keep:
            tx.commit()
        else:
            tx.rollback()


def atomic() -> contextlib.AbstractContextManager[Transaction]:
    """Run the block as one change: kept when it ends normally, undone when it raises.

    An exception marked `keep_state` (see `keeps_state`) keeps the changes. Nested blocks are
    savepoints of the outermost one; only the outermost commit tells event listeners.
    """
    return _Atomic()


# ---- stored objects -------------------------------------------------------------------------


def _restore_dict(obj: dict[Any, Any], snapshot: dict[Any, Any]) -> None:
    dict.clear(obj)
    dict.update(obj, snapshot)


class Tracked(dict[str, Any]):
    """A stored Stripe object: a plain dict that records its state before a change in a request.

    Reading costs what reading a dict costs; the first change inside an `atomic()` block copies
    the object (shallowly: stored objects are changed at their top level only). `copy()`
    answers a plain dict, as before.
    """

    __slots__ = ()

    def _touch(self) -> None:
        tx = _ACTIVE.get()
        if tx is not None and tx.first(id(self)):
            tx.undo(partial(_restore_dict, self, dict(self)))

    def __setitem__(self, key: str, value: Any) -> None:
        self._touch()
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: str) -> None:
        self._touch()
        dict.__delitem__(self, key)

    def __ior__(self, other: Any) -> Tracked:  # type: ignore[override,misc]
        self._touch()
        dict.update(self, other)
        return self

    def update(self, *args: Any, **kwargs: Any) -> None:
        """`dict.update`, recorded."""
        self._touch()
        dict.update(self, *args, **kwargs)

    def pop(self, *args: Any) -> Any:
        """`dict.pop`, recorded."""
        self._touch()
        return dict.pop(self, *args)

    def popitem(self) -> tuple[str, Any]:
        """`dict.popitem`, recorded."""
        self._touch()
        return dict.popitem(self)

    def setdefault(self, key: str, default: Any = None) -> Any:
        """`dict.setdefault`, recorded."""
        if key not in self:
            self._touch()
        return dict.setdefault(self, key, default)

    def clear(self) -> None:
        """`dict.clear`, recorded."""
        self._touch()
        dict.clear(self)


# ---- a resource's own bookkeeping ---------------------------------------------------------


def _snapshot(value: Any) -> Any:
    """What to put back if `value` (read inside a block) is changed in place."""
    if isinstance(value, (Tracked, TrackedDict, TrackedList, TrackedSet)):
        return value  # records its own changes
    if isinstance(value, (str, int, float, bytes, tuple, frozenset, type(None))):
        return value
    try:
        return copy.copy(value)
    except Exception:  # an object that cannot be copied is put back as it is
        return value


_MISSING = object()


def _restore_key(d: dict[Any, Any], key: Any, value: Any) -> None:
    if value is _MISSING:
        dict.pop(d, key, None)
    else:
        dict.__setitem__(d, key, value)


K = TypeVar("K")
V = TypeVar("V")


class TrackedDict(dict[K, V]):
    """A dict whose changes inside an `atomic()` block are undone with the block.

    Each key is recorded the first time the block reads or writes it, with a copy of its value
    (see `_snapshot`), so values changed in place come back too. `values()` and `items()`
    record every key.
    """

    __slots__ = ()
    #: Whether values are copied when read (off for a store's index: stored objects are
    #: `Tracked` and record themselves).
    _copy_values = True

    def _touch(self, key: Any) -> None:
        tx = _ACTIVE.get()
        if tx is not None and tx.first((id(self), key)):
            old = dict.get(self, key, _MISSING)
            if old is not _MISSING and self._copy_values:
                old = _snapshot(old)
            tx.undo(partial(_restore_key, self, key, old))

    def _touch_all(self) -> None:
        if _ACTIVE.get() is not None:
            for key in list(dict.keys(self)):
                self._touch(key)

    def __getitem__(self, key: K) -> V:
        if self._copy_values:
            self._touch(key)
        return dict.__getitem__(self, key)

    def get(self, key: K, default: Any = None) -> Any:
        """`dict.get`, recorded."""
        if self._copy_values:
            self._touch(key)
        return dict.get(self, key, default)

    def __setitem__(self, key: K, value: V) -> None:
        self._touch(key)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: K) -> None:
        self._touch(key)
        dict.__delitem__(self, key)

    def __ior__(self, other: Any) -> TrackedDict[K, V]:  # type: ignore[override,misc]
        self.update(other)
        return self

    def setdefault(self, key: K, default: Any = None) -> Any:
        """`dict.setdefault`, recorded."""
        self._touch(key)
        return dict.setdefault(self, key, default)

    def pop(self, key: K, *default: Any) -> Any:
        """`dict.pop`, recorded."""
        self._touch(key)
        return dict.pop(self, key, *default)

    def popitem(self) -> tuple[K, V]:
        """`dict.popitem`, recorded."""
        self._touch_all()
        return dict.popitem(self)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """`dict.update`, recorded key by key."""
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def clear(self) -> None:
        """`dict.clear`, recorded."""
        self._touch_all()
        dict.clear(self)

    def values(self) -> Any:
        """`dict.values`; inside a block every value is recorded first."""
        if self._copy_values:
            self._touch_all()
        return dict.values(self)

    def items(self) -> Any:
        """`dict.items`; inside a block every value is recorded first."""
        if self._copy_values:
            self._touch_all()
        return dict.items(self)


def _restore_set(s: set[Any], snapshot: set[Any]) -> None:
    set.clear(s)
    set.update(s, snapshot)


class TrackedSet(set[T]):
    """A set whose changes inside an `atomic()` block are undone with the block."""

    __slots__ = ()

    def _touch(self) -> None:
        tx = _ACTIVE.get()
        if tx is not None and tx.first(id(self)):
            tx.undo(partial(_restore_set, self, set(self)))

    def add(self, item: T) -> None:
        """`set.add`, recorded."""
        if item not in self:
            self._touch()
        set.add(self, item)

    def discard(self, item: object) -> None:
        """`set.discard`, recorded."""
        if item in self:
            self._touch()
        set.discard(self, item)

    def remove(self, item: T) -> None:
        """`set.remove`, recorded."""
        self._touch()
        set.remove(self, item)

    def pop(self) -> T:
        """`set.pop`, recorded."""
        self._touch()
        return set.pop(self)

    def clear(self) -> None:
        """`set.clear`, recorded."""
        self._touch()
        set.clear(self)

    def update(self, *others: Iterable[T]) -> None:
        """`set.update`, recorded."""
        self._touch()
        set.update(self, *others)

    def difference_update(self, *others: Iterable[Any]) -> None:
        """`set.difference_update`, recorded."""
        self._touch()
        set.difference_update(self, *others)

    def intersection_update(self, *others: Iterable[Any]) -> None:
        """`set.intersection_update`, recorded."""
        self._touch()
        set.intersection_update(self, *others)

    def symmetric_difference_update(self, other: Iterable[T]) -> None:
        """`set.symmetric_difference_update`, recorded."""
        self._touch()
        set.symmetric_difference_update(self, other)

    def __ior__(self, other: Any) -> TrackedSet[T]:  # type: ignore[override,misc]
        self.update(other)
        return self

    def __iand__(self, other: Any) -> TrackedSet[T]:  # type: ignore[misc]
        self.intersection_update(other)
        return self

    def __isub__(self, other: Any) -> TrackedSet[T]:  # type: ignore[misc]
        self.difference_update(other)
        return self

    def __ixor__(self, other: Any) -> TrackedSet[T]:  # type: ignore[override,misc]
        self.symmetric_difference_update(other)
        return self


def _restore_list(lst: list[Any], snapshot: list[Any]) -> None:
    list.__setitem__(lst, slice(None), snapshot)


class TrackedList(list[T]):
    """A list whose changes inside an `atomic()` block are undone with the block."""

    __slots__ = ()

    def _touch(self) -> None:
        tx = _ACTIVE.get()
        if tx is not None and tx.first(id(self)):
            tx.undo(partial(_restore_list, self, list(self)))

    def __setitem__(self, index: Any, value: Any) -> None:
        self._touch()
        list.__setitem__(self, index, value)

    def __delitem__(self, index: Any) -> None:
        self._touch()
        list.__delitem__(self, index)

    def __iadd__(self, other: Iterable[T]) -> TrackedList[T]:  # type: ignore[override,misc]
        self.extend(other)
        return self

    def __imul__(self, n: SupportsIndex) -> TrackedList[T]:
        self._touch()
        list.__imul__(self, n)
        return self

    def append(self, item: T) -> None:
        """`list.append`, recorded."""
        self._touch()
        list.append(self, item)

    def extend(self, items: Iterable[T]) -> None:
        """`list.extend`, recorded."""
        self._touch()
        list.extend(self, items)

    def insert(self, index: SupportsIndex, item: T) -> None:
        """`list.insert`, recorded."""
        self._touch()
        list.insert(self, index, item)

    def pop(self, index: SupportsIndex = -1) -> T:
        """`list.pop`, recorded."""
        self._touch()
        return list.pop(self, index)

    def remove(self, item: T) -> None:
        """`list.remove`, recorded."""
        self._touch()
        list.remove(self, item)

    def clear(self) -> None:
        """`list.clear`, recorded."""
        self._touch()
        list.clear(self)

    def sort(self, *args: Any, **kwargs: Any) -> None:
        """`list.sort`, recorded."""
        self._touch()
        list.sort(self, *args, **kwargs)

    def reverse(self) -> None:
        """`list.reverse`, recorded."""
        self._touch()
        list.reverse(self)


def tracked(value: T) -> T:
    """`value` as a recorded container when it is a plain dict, set or list; else as it is.

    `Model` applies it to every attribute it is given, so a resource's bookkeeping is undone
    with a refused request without the resource asking for it.
    """
    kind = type(value)
    if kind is dict:
        return cast(T, TrackedDict(cast(dict[Any, Any], value)))
    if kind is set:
        return cast(T, TrackedSet(cast(set[Any], value)))
    if kind is list:
        return cast(T, TrackedList(cast(list[Any], value)))
    return value
