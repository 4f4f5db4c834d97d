"""Stripe's list endpoints: `limit`, both cursors and `created` filters, newest first."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mockkit.stripe.errors import no_such, param_error
from mockkit.stripe.objects import list_object
from mockkit.stripe.params import INT, STR, Coercer, Hash, Int
from mockkit.stripe.state import StripeState

__all__ = ["LIST_SPEC", "PAGE_SPEC", "RANGE", "paginate"]


def _timestamp(value: Any, name: str) -> int:
    # An empty value is no timestamp: refused (INT would read it as unset and leave a None
    # to compare with every object's time).
    if value == "":
        raise param_error(
            f"Invalid integer: {name} is empty; pass a Unix timestamp.",
            name,
            "parameter_invalid_integer",
        )
    number: int = INT(value, name)
    return number


class _Range(Hash):
    """A timestamp filter: `created=1700000000` (that second) or `created[gte]=...` bounds.

    A `Hash` of the bounds that also takes a plain integer, so a walk of the spec sees which
    keys it takes (`mockkit.stripe.nested`).
    """

    def __init__(self) -> None:
        super().__init__({op: _timestamp for op in ("gt", "gte", "lt", "lte")}, empty_unsets=False)

    def __call__(self, value: Any, name: str) -> Any:
        if isinstance(value, dict):
            bounds: dict[str, int] = super().__call__(value, name)
            if not bounds:
                raise param_error(f"Invalid {name}: pass gt, gte, lt or lte.", name)
            return bounds
        number = _timestamp(value, name)
        return {"gte": number, "lte": number}


#: A timestamp filter of a list (`created`, `due_date`, ...): an integer (that exact second)
#: or a hash of `gt` / `gte` / `lt` / `lte`; an empty value is Stripe's 400 naming it.
RANGE: Coercer = _Range()

#: A list's page: `limit` and the cursors (the lists of an object's parts and a few others).
PAGE_SPEC: dict[str, Coercer] = {
    "limit": Int(1, 100),
    "starting_after": STR,
    "ending_before": STR,
}
#: A list of a resource that Stripe filters by `created` too.
LIST_SPEC: dict[str, Coercer] = {**PAGE_SPEC, "created": RANGE}


def paginate(
    s: StripeState,
    kind: str,
    p: dict[str, Any],
    url: str,
    filters: Mapping[str, Any] | None = None,
    keep: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    """A list envelope of `kind`, newest first, honouring limit and both cursors.

    `filters` are exact matches on top-level fields (None values are ignored); `keep` is any
    further predicate.
    """
    store = s.stores[kind]
    after, before = p.get("starting_after"), p.get("ending_before")
    if after is not None and before is not None:
        raise param_error(
            "You may only specify one of these parameters: ending_before, starting_after.",
            "ending_before",
        )
    for name, cursor in (("starting_after", after), ("ending_before", before)):
        if cursor is not None and cursor not in store.pos:
            raise no_such(kind, cursor, name, 400)
    checks = [(k, v) for k, v in (filters or {}).items() if v is not None]
    created = p.get("created")
    extra = keep
    if checks or created or extra:

        def keep(obj: dict[str, Any]) -> bool:
            if extra is not None and not extra(obj):
                return False
            for key, value in checks:
                if obj.get(key) != value:
                    return False
            if created:
                c = obj["created"]
                if "gt" in created and not c > created["gt"]:
                    return False
                if "gte" in created and not c >= created["gte"]:
                    return False
                if "lt" in created and not c < created["lt"]:
                    return False
                if "lte" in created and not c <= created["lte"]:
                    return False
            return True

    limit = p.get("limit") or 10
    data, has_more = store.page(limit, after, before, keep)
    return list_object(data, url, has_more)
