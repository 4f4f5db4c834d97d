"""The objects of one kind: O(1) lookup by id, listing newest first, cursor pages.

Adding and removing objects inside a request is undone with a refused request
(`mockkit.stripe.transaction`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from mockkit.stripe.transaction import TrackedDict, active

__all__ = ["Index", "Obj", "Store"]

#: A Stripe object as the fake keeps it: a dict shaped like Stripe's JSON (a `Tracked` one
#: when stored, see `mockkit.stripe.transaction`).
Obj = dict[str, Any]


class Index(TrackedDict[str, Obj]):
    """A store's objects by id: writes are undone with a refused request, reads cost nothing.

    Stored objects record their own changes (`Tracked`), so reading one copies nothing.
    """

    __slots__ = ()
    _copy_values = False
    __getitem__ = dict.__getitem__
    get = dict.get  # type: ignore[assignment]
    values = dict.values
    items = dict.items


class Store:
    """Objects of one kind: lookup by id in O(1), listing newest first by insertion position."""

    def __init__(self) -> None:
        self.by_id: Index = Index()
        self.order: list[str] = []
        self.pos: dict[str, int] = {}

    def add(self, obj: Obj) -> Obj:
        """Store `obj` (newest)."""
        oid = obj["id"]
        tx = active()
        if tx is not None:
            previous = (dict.get(self.by_id, oid), self.pos.get(oid))
            tx.undo(partial(self._unadd, oid, len(self.order), *previous))
            # New in this transaction: undoing the add forgets it, so its own changes need
            # no record.
            tx.first(id(obj))
        self.pos[oid] = len(self.order)
        self.order.append(oid)
        dict.__setitem__(self.by_id, oid, obj)
        return obj

    def _unadd(self, oid: str, length: int, obj: Obj | None, pos: int | None) -> None:
        # Objects are only ever appended, and undone newest first: cutting the order back to
        # its length before this add forgets exactly this add.
        del self.order[length:]
        if pos is None:
            self.pos.pop(oid, None)
        else:
            self.pos[oid] = pos
        if obj is None:
            dict.pop(self.by_id, oid, None)
        else:
            dict.__setitem__(self.by_id, oid, obj)

    def remove(self, oid: str) -> None:
        """Forget `oid` (its slot in the order stays as a tombstone, skipped by listings)."""
        self.by_id.pop(oid, None)

    def __len__(self) -> int:
        return len(self.by_id)

    def newest_first(self, before: int | None = None) -> Iterator[Obj]:
        """Stored objects from position `before - 1` (default: the newest) down to the oldest."""
        start = len(self.order) - 1 if before is None else before - 1
        order, by_id = self.order, self.by_id
        for i in range(start, -1, -1):
            obj = by_id.get(order[i])
            if obj is not None:
                yield obj

    def page(
        self,
        limit: int,
        starting_after: str | None,
        ending_before: str | None,
        keep: Callable[[Obj], bool] | None = None,
    ) -> tuple[list[Obj], bool]:
        """One page of a newest-first list and whether more follow in that direction.

        Cursors are found by position, so a page costs O(limit) when unfiltered.
        """
        if ending_before is not None:
            # The `limit` objects just newer than the cursor, still answered newest first.
            found: list[Obj] = []
            for i in range(self.pos[ending_before] + 1, len(self.order)):
                obj = self.by_id.get(self.order[i])
                if obj is not None and (keep is None or keep(obj)):
                    found.append(obj)
                    if len(found) > limit:
                        break
            has_more = len(found) > limit
            return list(reversed(found[:limit])), has_more
        before = self.pos[starting_after] if starting_after is not None else None
        out: list[Obj] = []
        for obj in self.newest_first(before):
            if keep is None or keep(obj):
                out.append(obj)
                if len(out) > limit:
                    break
        return out[:limit], len(out) > limit
