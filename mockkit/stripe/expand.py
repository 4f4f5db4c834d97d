"""`expand`: replacing ids in an answer by the objects they name, as Stripe does, up to 4 levels.

What each kind can expand is declared by its resource (`Resource.expandable`); a path is
checked whole before the request runs (`check_expand`), then applied to the answer
(`expand`). Objects are copied along the expanded path, never changed.
"""

from __future__ import annotations

from typing import Any

from mockkit.stripe.errors import param_error
from mockkit.stripe.resource import expandable, resource_of
from mockkit.stripe.state import StripeState

__all__ = ["check_expand", "expand"]


def _answers_deleted(kind: str) -> bool:
    resource = resource_of(kind)
    return resource is not None and resource.deleted_stub


def _lookup(s: StripeState, kind: str, oid: str) -> Any:
    found = s.stores[kind].by_id.get(oid)
    if found is not None:
        return found
    if _answers_deleted(kind):
        return {"id": oid, "object": kind, "deleted": True}
    return oid


def _searched(kind: str, paths: list[str]) -> tuple[str, list[str]]:
    # A search result expands as a list does, and `total_count` is the search's own to add.
    if kind.startswith("search:"):
        return "list:" + kind[7:], [p for p in paths if p != "total_count"]
    return kind, paths


def check_expand(kind: str, paths: list[str]) -> None:
    """Refuse paths that cannot be expanded, before the request changes anything.

    Stripe validates `expand` up front: a create with a bad path creates nothing.
    """
    kind, paths = _searched(kind, paths)
    for path in paths:
        segments = path.split(".")
        if len(segments) > 4:
            raise param_error(
                f"You cannot expand more than 4 levels of a property. Property: {path}", "expand"
            )
        current = kind
        for i, field in enumerate(segments):
            if current.startswith("list:"):
                if field != "data":
                    hint = (
                        f" You may want to try expanding 'data.{path}' instead." if i == 0 else ""
                    )
                    raise param_error(f"This property cannot be expanded ({path}).{hint}", "expand")
                if i == len(segments) - 1:
                    raise param_error(f"This property cannot be expanded ({path}).", "expand")
                current = current[5:]
                continue
            target = expandable(current).get(field)
            if target is None:
                raise param_error(f"This property cannot be expanded ({path}).", "expand")
            if target.startswith("list:"):
                current = target
            elif target.startswith("hash:"):
                if i == len(segments) - 1:
                    raise param_error(f"This property cannot be expanded ({path}).", "expand")
                current = target[5:]
            else:
                current = target


def expand(s: StripeState, obj: dict[str, Any], kind: str, paths: list[str]) -> dict[str, Any]:
    """`obj` with each dotted path in `paths` expanded (objects are copied, never changed)."""
    kind, paths = _searched(kind, paths)
    for path in paths:
        segments = path.split(".")
        if len(segments) > 4:
            raise param_error(
                f"You cannot expand more than 4 levels of a property. Property: {path}", "expand"
            )
        if kind.startswith("list:") and segments[0] != "data":
            raise param_error(
                f"This property cannot be expanded ({path}). You may want to try expanding "
                f"'data.{path}' instead.",
                "expand",
            )
        obj = _expand(s, obj, kind, segments, path)
    return obj


def _expand(
    s: StripeState, obj: dict[str, Any], kind: str, segments: list[str], path: str
) -> dict[str, Any]:
    field, rest = segments[0], segments[1:]
    if kind.startswith("list:") and field == "data":
        item_kind = kind[5:]
        if not rest:
            raise param_error(f"This property cannot be expanded ({path}).", "expand")
        out = obj.copy()
        out["data"] = [_expand(s, item, item_kind, rest, path) for item in obj["data"]]
        return out
    target = expandable(kind).get(field)
    if target is None:
        raise param_error(f"This property cannot be expanded ({path}).", "expand")
    value = obj.get(field)
    sub_kind = target
    if target.startswith("list:"):
        value = s.models[kind].expand_list(field, obj)
    elif target.startswith("hash:"):
        sub_kind = target[5:]
        if not rest:
            raise param_error(f"This property cannot be expanded ({path}).", "expand")
    elif isinstance(value, str):
        value = _lookup(s, target, value)
    elif isinstance(value, list):
        # A list of ids (`subscription.discounts`): each one expands.
        value = [_lookup(s, target, v) if isinstance(v, str) else v for v in value]
        if rest:
            value = [
                _expand(s, v, sub_kind, rest, path) if isinstance(v, dict) else v for v in value
            ]
    if rest and isinstance(value, dict):
        value = _expand(s, value, sub_kind, rest, path)
    out = obj.copy()
    out[field] = value
    return out
