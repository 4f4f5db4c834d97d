"""What each Stripe resource declares about itself, once, and the lists derived from it.

A resource's state module (`mockkit.stripe.models.<name>`) declares a `Resource`: Stripe's
`object` value (its kind), the id prefix, which fields `expand` can open, and the event types
it emits. Every index the fake needs (the stores it keeps, the id prefixes, the expansion
table, the known event types) is derived from these declarations, never written by hand.

This module imports nothing else of mockkit: everything in `mockkit.stripe` may read it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import overload

__all__ = [
    "KINDS",
    "Expansion",
    "Resource",
    "declared",
    "declares_event",
    "event_types",
    "expandable",
    "register",
    "resource_of",
]

#: What `expand` can do with a field: a stored kind (`"customer"`: the field holds its id), an
#: embedded object whose own fields expand (`"hash:price"`, `"hash:list:refund"`), a nested
#: hash with its own expandable fields (a mapping), or a list the resource's state computes on
#: demand (`"list:item"`, see `Model.expand_list`).
Expansion = str | Mapping[str, "Expansion"]


@dataclass(frozen=True)
class Resource:
    """One Stripe object type as the fake knows it.

    `kind` is Stripe's `object` value (`"customer"`, `"checkout.session"`); `prefix` starts
    its ids and `id_length` is the length of their random part, as Stripe's ids have it.
    `expandable` maps each field `expand` accepts to what it opens (see `Expansion`); `events`
    lists every event type the resource emits. `stored=False` declares an object that only
    lives inside another (a Checkout line item): it has ids but no store and no routes.
    `deleted_stub=True`: a missing object of this kind expands (and is retrieved, by its
    routes) as Stripe's `{"id", "object", "deleted": true}` stub.
    """

    kind: str
    prefix: str
    id_length: int = 24
    expandable: Mapping[str, Expansion] = field(default_factory=dict)
    events: tuple[str, ...] = ()
    stored: bool = True
    deleted_stub: bool = False
    #: The dotted prefix of its event types when it is not the kind itself (subscriptions
    #: emit `customer.subscription.*`).
    event_prefix: str = ""


_RESOURCES: dict[str, Resource] = {}
_EXPANDABLE: dict[str, dict[str, str]] = {}
_EVENT_TYPES: set[str] = set()


def register(resource: Resource) -> Resource:
    """Add `resource` to the registry (once per kind); returns it."""
    existing = _RESOURCES.get(resource.kind)
    if existing is not None and existing != resource:
        raise ValueError(f"Stripe resource kind {resource.kind!r} is declared twice")
    _RESOURCES[resource.kind] = resource
    _flatten(resource.kind, resource.expandable)
    _EVENT_TYPES.update(resource.events)
    return resource


def _flatten(kind: str, fields: Mapping[str, Expansion]) -> None:
    # Nested hashes become pseudo-kinds ("customer.invoice_settings") so the expansion code
    # walks one flat table whatever the depth.
    table: dict[str, str] = {}
    for name, target in fields.items():
        if isinstance(target, str):
            table[name] = target
        else:
            sub = f"{kind}.{name}"
            _flatten(sub, target)
            table[name] = f"hash:{sub}"
    _EXPANDABLE[kind] = table


def declared() -> Mapping[str, Resource]:
    """Every declared resource by kind, in declaration order."""
    return _RESOURCES


def resource_of(kind: str) -> Resource | None:
    """The declaration of `kind`, or None if no resource declares it."""
    return _RESOURCES.get(kind)


def expandable(kind: str) -> Mapping[str, str]:
    """The expandable fields of `kind` (or of a nested hash such as `customer.invoice_settings`)."""
    return _EXPANDABLE.get(kind, {})


def declares_event(type: str) -> bool:
    """Whether some declared resource emits events of `type`."""
    return type in _EVENT_TYPES


def event_types() -> frozenset[str]:
    """Every event type some declared resource emits."""
    return frozenset(_EVENT_TYPES)


class _Kinds(Sequence[str]):
    """The declared kinds, read when used (declarations register as their modules load)."""

    def _all(self) -> tuple[str, ...]:
        return tuple(_RESOURCES)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(_RESOURCES)

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __contains__(self, value: object) -> bool:
        return value in _RESOURCES

    def __repr__(self) -> str:
        return repr(self._all())


#: Every declared resource kind (stored ones and embedded ones such as `item`).
KINDS: Sequence[str] = _Kinds()
