"""The objects of one kind: O(1) lookup by id, listing newest first, cursor pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["Obj", "Store"]

#: A Stripe object as the fake keeps it: a plain dict shaped like Stripe's JSON.
Obj = dict[str, Any]


class Store:
    """Objects of one kind: lookup by id in O(1), listing newest first by insertion position."""

    def __init__(self) -> None:
        self.by_id: dict[str, Obj] = {}
        self.order: list[str] = []
        self.pos: dict[str, int] = {}

    def add(self, obj: Obj) -> Obj:
        """Store `obj` (newest)."""
        oid = obj["id"]
        self.pos[oid] = len(self.order)
        self.order.append(oid)
        self.by_id[oid] = obj
        return obj

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
