"""The Stripe fake's state: one test-mode account composed of one `Model` per resource.

Knows nothing of HTTP. `StripeState` holds what every resource shares (the stores, the clock,
the id generator, the event log, the request being served); each resource's rules live in its
own module, `mockkit.stripe.models.<resource>`, as a `Model` subclass that declares its
`Resource`. Subclassing `Model` registers it: every `StripeState` made afterwards has one
instance of it (`Customers.of(state)`), and a store if the resource is stored.

Model methods take parameters already decoded and type-checked by the routes
(`mockkit.stripe.routes`) and either return the object to answer with or raise `StripeError`
(which carries Stripe's status and error shape). Every state change emits an Event.

Every request runs in `state.transaction()` (`mockkit.stripe.transaction.atomic`): what it
changed is undone when it is refused, so a model may check as it goes and still leave nothing
behind. A `Model`'s own dicts, sets and lists (what Stripe keeps but does not show) are
recorded too: they become tracked containers when assigned.

Objects are plain dicts shaped like Stripe's. A stored object is never mutated below its top
level: changes replace top-level values (a new `metadata` dict, a new `refunds` list), so a
shallow copy is a faithful snapshot (event payloads, idempotent replays).
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar, cast

from mockkit.stripe.billing.settings import BillingSettings
from mockkit.stripe.clock import AccountClock
from mockkit.stripe.errors import invalid_request, no_such
from mockkit.stripe.eventlog import EventLog, RequestContext
from mockkit.stripe.ids import new_id
from mockkit.stripe.params import METADATA_KEYS
from mockkit.stripe.resource import Resource, declared, register
from mockkit.stripe.store import Obj, Store
from mockkit.stripe.transaction import Transaction, atomic, tracked
from mockkit.stripe.versions import default_version

if TYPE_CHECKING:
    from mockkit.stripe.billing.schedule import Due

__all__ = ["Model", "Obj", "Params", "StripeState"]

#: Request parameters as the routes hand them over: decoded, validated, coerced.
Params = dict[str, Any]

M = TypeVar("M", bound="Model")

#: Every `Model` subclass, in definition order (filled by `Model.__init_subclass__`).
_MODELS: list[type[Model]] = []


class StripeState:
    """Everything a Stripe account in test mode holds: stores, clock, ids, events, resources."""

    def __init__(self, clock: Callable[[], float] | None = None, seed: int | None = None) -> None:
        self._clock = AccountClock(clock)
        self.rng = random.Random(seed)
        self.stores: dict[str, Store] = {
            kind: Store() for kind, resource in declared().items() if resource.stored
        }
        self.context = RequestContext()
        #: The account's default API version: what a request without `Stripe-Version` and
        #: the account's events are answered as (`StripeFake(api_version=...)`).
        self.api_version = default_version()
        #: The account's Billing settings (retry schedule, ...): `fake.billing`.
        self.billing = BillingSettings()
        self.log = EventLog(self.stores["event"], self._clock, self.rng)
        self._models: dict[type[Model], Model] = {}
        #: The state of each resource by kind (see `model()` for typed access).
        self.models: dict[str, Model] = {}
        for cls in _MODELS:
            model = cls(self)
            self._models[cls] = model
            self.models[cls.resource.kind] = model

    @property
    def clock(self) -> Callable[[], float]:
        """The callable giving the account's Unix time (replaceable)."""
        return self._clock.source

    @clock.setter
    def clock(self, value: Callable[[], float]) -> None:
        self._clock.source = value

    @property
    def events(self) -> list[Obj]:
        """Every event emitted, oldest first."""
        return self.log.events

    @property
    def listeners(self) -> list[Callable[[Obj], None]]:
        """Callables told about each new event (webhook forwarders)."""
        return self.log.listeners

    @listeners.setter
    def listeners(self, value: list[Callable[[Obj], None]]) -> None:
        self.log.listeners = value

    def serving(
        self,
        request_id: str | None = None,
        idempotency_key: str | None = None,
        *,
        base_url: str | None = None,
        served: bool = False,
        api_version: str | None = None,
    ) -> AbstractContextManager[RequestContext]:
        """The request being served, while the block runs (events name it, pages link to it)."""
        ctx = self.context
        ctx.request_id, ctx.idempotency_key = request_id, idempotency_key
        ctx.base_url, ctx.served = base_url, served
        ctx.api_version = api_version
        return _Serving(ctx)

    def version(self) -> str:
        """The API version the request being served is answered as (else the account's)."""
        return self.context.api_version or self.api_version

    def transaction(self) -> contextlib.AbstractContextManager[Transaction]:
        """One request's changes, kept when the block ends normally and undone when it raises.

        See `mockkit.stripe.transaction`: an exception with `keep_state` (a decline Stripe
        records) keeps them; listeners hear of the events once the outermost block commits.
        """
        return atomic()

    def model(self, cls: type[M]) -> M:
        """This account's instance of the resource state `cls` (e.g. `Customers`)."""
        return cast(M, self._models[cls])

    def now(self) -> int:
        """The fake's current time, in Unix seconds."""
        return self._clock.now()

    def pinned(self, t: int) -> AbstractContextManager[None]:
        """While inside, `now()` answers `t` (see `AccountClock.pinned`)."""
        return self._clock.pinned(t)

    def advance(self, seconds: int) -> None:
        """Move the account's own clock forward (due work runs on the next request)."""
        if seconds < 0:
            raise ValueError("the fake's clock cannot go backwards")
        self._clock.offset += int(seconds)

    def new_id(self, kind: str, length: int | None = None) -> str:
        """A fresh id for `kind` (or a raw prefix such as `txn_`), from the account's seed."""
        return new_id(kind, length, self.rng)

    def get(self, kind: str, oid: str, param: str = "id", status: int = 404) -> Obj:
        """The stored object, or Stripe's `resource_missing` error naming `param`."""
        obj = self.stores[kind].by_id.get(oid)
        if obj is None:
            raise no_such(kind, oid, param, status)
        return obj

    def ref(self, kind: str, oid: str, param: str) -> Obj:
        """An object referenced from a request body: unknown ids are a 400 naming `param`."""
        return self.get(kind, oid, param, 400)

    def emit(self, type: str, obj: Obj, previous: dict[str, Any] | None = None) -> Obj:
        """Record an Event of `type` about `obj` for the request being served."""
        return self.log.emit(type, obj, previous, self.context)


class _Serving:
    """What `StripeState.serving` returns (a class: it runs on every request)."""

    __slots__ = ("ctx",)

    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx

    def __enter__(self) -> RequestContext:
        return self.ctx

    def __exit__(self, *exc: object) -> None:
        ctx = self.ctx
        ctx.request_id = ctx.idempotency_key = ctx.base_url = ctx.api_version = None
        ctx.served = False


class Model:
    """The state of one resource: its declaration, its store and the rules that change it.

    Subclasses set `resource`; defining the subclass registers it (see the module docstring).
    """

    resource: ClassVar[Resource]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "resource" in cls.__dict__:
            register(cls.resource)
            _MODELS.append(cls)

    def __setattr__(self, name: str, value: Any) -> None:
        # A resource's own bookkeeping is undone with a refused request like its objects.
        object.__setattr__(self, name, tracked(value))

    def __init__(self, state: StripeState) -> None:
        self.state = state
        #: This resource's objects (an empty store for resources that are not stored).
        store = state.stores.get(self.resource.kind)
        self.store = store if store is not None else Store()

    @classmethod
    def of(cls, state: StripeState) -> Self:
        """`state`'s instance of this resource's state."""
        return state.model(cls)

    def get(self, oid: str, param: str = "id", status: int = 404) -> Obj:
        """A stored object of this resource, or Stripe's `resource_missing` error."""
        obj = self.store.by_id.get(oid)
        if obj is None:
            raise no_such(self.resource.kind, oid, param, status)
        return obj

    def create(self, p: Params) -> Obj:
        """Create an object of this resource from validated parameters (if it can be created).

        Lets a resource create another without importing it when that would make an import
        cycle (a product's `default_price_data` makes a price; a price's `product_data`, a
        product).
        """
        raise NotImplementedError(f"{self.resource.kind} objects are not created directly")

    def on_due(self, due: Due) -> None:
        """Run work this resource scheduled on a clock (see `mockkit.stripe.billing.schedule`)."""
        raise NotImplementedError(f"{self.resource.kind} schedules no work")

    def expand_list(self, field: str, obj: Obj) -> Obj:
        """The list `field` of `obj` opens when expanded (for `"list:<kind>"` expansions)."""
        raise KeyError(field)

    @staticmethod
    def update(obj: Obj, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply top-level `changes`; return the previous values of the keys that changed."""
        previous = {}
        for key, value in changes.items():
            old = obj.get(key)
            if old != value:
                previous[key] = old
                obj[key] = value
        return previous

    @staticmethod
    def merge_metadata(old: dict[str, str], new: dict[str, str | None]) -> dict[str, str]:
        """Stripe's metadata update: keys merge, an empty value deletes a key, `""` clears all.

        Refused when the object would end up with more than 50 keys: the limit is on what it
        holds, not on what one request sends.
        """
        if not new:
            return {}
        merged = dict(old)
        for key, value in new.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        if len(merged) > METADATA_KEYS:
            raise invalid_request(
                f"Metadata can have at most {METADATA_KEYS} keys: this update would leave "
                f"{len(merged)}. Remove keys by setting them to an empty string.",
                param="metadata",
            )
        return merged

    def apply(self, obj: Obj, p: Params, fields: tuple[str, ...]) -> dict[str, Any]:
        """Update `fields` (and `metadata`, merged) of `obj` from `p`; return what changed."""
        changes = {k: p[k] for k in fields if k in p}
        if "metadata" in p:
            changes["metadata"] = self.merge_metadata(obj["metadata"] or {}, p["metadata"])
        return self.update(obj, changes)
