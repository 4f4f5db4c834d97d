"""Every mutating Stripe endpoint, driven from the route table: a refused request changes nothing.

For each POST and DELETE the fake emulates (Billing's too, as their routes are declared),
hypothesis builds requests from the endpoint's own parameter spec: each parameter's coercer
says what values to try (amounts around every currency's minimum, ids of objects that exist,
enum choices and near misses, nested hashes, metadata past its limits, invalid emails, URLs
and statement descriptors), so requests reach deep into the resource's rules before they are
refused. stripe-python sends them (`StripeClient.raw_request`, the SDK's own encoding and
error classes). After every request:

- the answer is a 2xx or one of Stripe's 4xx, never a 5xx;
- a refused request left every store, the event list and every resource's bookkeeping as they
  were (a decline Stripe records, a 402 naming its failed charge, is the one exception);
- every event was emitted once and heard once by a listener (a webhook forwarder would send
  it once), and none of a refused request's;
- every amount is an integer number of the currency's smallest unit; no charge has more
  refunded or captured than its amount;
- every stored object records its own changes (it was built with `objects.build()`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st

from mockkit.stripe import StripeFake, incoming, params
from mockkit.stripe.resource import declared
from mockkit.stripe.routes import ROUTES
from mockkit.stripe.routing import Endpoint
from mockkit.stripe.transaction import Tracked, TrackedDict, TrackedList, TrackedSet
from tests.reliability.fuzzing import FUZZ, Tally
from tests.stripe.driver import CARD

pytestmark = pytest.mark.fuzz

KEY = "sk_test_atomicity"
EXAMPLES = 600

#: Every endpoint that may change the account.
MUTATING: list[Endpoint] = sorted(
    (ep for ep in ROUTES.endpoints() if ep.method in ("POST", "DELETE")),
    key=lambda ep: (ep.template, ep.method),
)

#: SDK calls that give the account something of every kind to aim at (service, params).
SEED: list[tuple[str, dict[str, Any]]] = [
    ("/v1/customers", {"email": "seed@example.com", "payment_method": "pm_card_visa"}),
    ("/v1/customers", {"email": "other@example.com", "metadata": {"k": "v"}}),
    ("/v1/products",
     {"name": "Seed", "default_price_data": {"currency": "usd", "unit_amount": 900}}),
    ("/v1/prices", {"currency": "sek", "unit_amount": 5000, "product_data": {"name": "Fika"}}),
    (
        "/v1/prices",
        {"currency": "usd", "unit_amount": 1200, "recurring": {"interval": "month"},
         "product_data": {"name": "Plan"}},
    ),
    ("/v1/payment_intents", {"amount": 700, "currency": "eur"}),
    (
        "/v1/payment_intents",
        {"amount": 2500, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
         "capture_method": "manual", **CARD},
    ),
    (
        "/v1/payment_intents",
        {"amount": 4000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
         **CARD},
    ),
    (
        "/v1/payment_intents",
        {"amount": 3000, "currency": "usd", "payment_method": "pm_card_threeDSecure2Required",
         "confirm": True, "return_url": "https://shop.example/back"},
    ),
    (
        "/v1/checkout/sessions",
        {"mode": "payment", "success_url": "https://shop.example/ok",
         "line_items": [{"price_data": {"currency": "usd", "unit_amount": 1500,
                                        "product_data": {"name": "Mug"}}, "quantity": 2}]},
    ),
]  # fmt: skip

CURRENCIES = ["usd", "eur", "gbp", "sek", "huf", "jpy", "czk", "USD", "xyz", ""]
TEST_IDS = [
    "pm_card_visa",
    "pm_card_chargeDeclined",
    "pm_card_chargeDeclinedInsufficientFunds",
    "pm_card_threeDSecure2Required",
    "tok_visa",
    "pm_nope",
    "cus_nope",
]
AMOUNTS = [0, 1, 29, 30, 49, 50, 299, 300, 1499, 1500, 17499, 17500, 99_999_999, 100_000_000, -1]
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=10)

#: Ids of what the account holds, by kind ("" for all), refreshed before every example.
#: Strategies pick from it by position, so what hypothesis draws has the same shape whatever
#: the account holds.
POOLS: dict[str, list[str]] = {}
#: A parameter or path segment named like a kind (`customer`, `default_payment_method`,
#: `price`) takes ids of that kind, mostly.
_SHORT = {kind.rsplit(".", 1)[-1]: kind for kind in declared() if declared()[kind].stored}


def _pick(kind: str, i: int) -> str:
    pool = POOLS.get(kind) or POOLS.get("") or ["cus_nope"]
    return pool[i % len(pool)]


def ids_of(kind: str = "") -> st.SearchStrategy[str]:
    """An id of an object of `kind` the account holds (any kind when `kind` is empty)."""
    return st.integers(0, 1 << 16).map(lambda i: _pick(kind, i))


existing = ids_of()


def kind_named(name: str) -> str | None:
    """The stored kind a parameter named `name` refers to (`default_price` -> `price`)."""
    for short, kind in _SHORT.items():
        if name == short or name.endswith("_" + short):
            return kind
    return None


# ---- values from a parameter's coercer ------------------------------------------------------


def strategy_for(coerce: Any, depth: int = 0, name: str = "") -> st.SearchStrategy[Any]:
    """Values to send for a parameter `name` validated by `coerce` (any coercer of `params`)."""
    strings = st.one_of(existing, st.sampled_from(CURRENCIES), st.sampled_from(TEST_IDS), words)
    kind = kind_named(name)
    if kind is not None:
        strings = st.one_of(ids_of(kind), ids_of(kind), ids_of(kind), strings)
    elif name == "currency":
        strings = st.one_of(st.sampled_from(CURRENCIES), strings)
    if isinstance(coerce, params.Hash):
        if depth >= 3:
            return st.just({})
        return hashes(coerce.spec, coerce.required, depth + 1)
    if isinstance(coerce, params.Arr):
        return st.lists(strategy_for(coerce.item, depth + 1), max_size=3)
    if isinstance(coerce, params.Enum):
        return st.one_of(st.sampled_from(coerce.choices), st.just("not_a_choice"))
    if isinstance(coerce, params.Int):
        return st.one_of(st.sampled_from(AMOUNTS), st.integers(-5, 10**6))
    if isinstance(coerce, params.StatementDescriptor):
        return st.sampled_from(["MOCKKIT SHOP", "O 42", "Shop <b>", "x" * 23, "1234", "Bob's"])
    if coerce is params.BOOL:
        return st.booleans()
    if coerce is params.METADATA:
        return st.one_of(
            st.dictionaries(words, st.one_of(words, st.just("")), max_size=3),
            st.just({f"k{i}": "v" for i in range(51)}),
            st.just({f"m{i}": "v" for i in range(30)}),
            st.just({"": "v"}),
            st.just({"k": "v" * 501}),
        )
    if coerce is params.EMAIL:
        return st.sampled_from(["a@example.com", "not-an-email", "a@b", "x y@z.co"])
    if coerce is params.URL:
        return st.sampled_from(["https://shop.example/r", "javascript:alert(1)", "/relative"])
    if coerce is params.DECIMAL:
        return st.sampled_from(["12.5", "1000", "0.001", "abc"])
    if isinstance(coerce, params.Str):
        return strings
    # ANY, and coercers a resource defines for itself: plain strings, ids and numbers.
    return st.one_of(strings, st.sampled_from(AMOUNTS).map(str))


def hashes(
    spec: Any, required: tuple[str, ...], depth: int = 0
) -> st.SearchStrategy[dict[str, Any]]:
    """A hash of parameters for `spec`: its required ones (mostly), some optional ones."""
    names = [n for n in spec if n != "expand"]
    optional = {n: strategy_for(spec[n], depth, n) for n in names if n not in required}
    needed = {n: strategy_for(spec[n], depth, n) for n in required}

    def drop_one(pair: tuple[dict[str, Any], int]) -> dict[str, Any]:
        values, roll = pair
        if needed and roll == 0:  # now and then a required parameter is missing
            values.pop(sorted(needed)[0], None)
        return values

    base = st.fixed_dictionaries(needed, optional=optional)
    return st.tuples(base, st.integers(0, 9)).map(drop_one)


_UNKNOWN = st.sampled_from(["nope_123", "cus_nope"])


def fill(endpoint: Endpoint, data: st.DataObject) -> str:
    """The template's `{...}` segments replaced by ids of objects that exist: of the kind the
    endpoint answers for `{id}`, of the kind a segment is named after otherwise (now and then
    of any kind, or unknown ones).
    """

    def segment(match: re.Match[str]) -> str:
        name = match.group(1)
        kind = endpoint.kind if name == "id" else kind_named(name)
        if kind not in declared():
            kind = ""
        return data.draw(st.one_of(ids_of(kind or ""), ids_of(kind or ""), existing, _UNKNOWN))

    return re.sub(r"\{(\w+)\}", segment, endpoint.template)


#: Each endpoint's parameter strategy, built once.
BODIES = {id(ep): hashes(ep.spec, ep.required) for ep in MUTATING}


# ---- what the account holds ----------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A comparable form of bookkeeping: dicts and sets without their order, the rest by repr."""
    if isinstance(value, dict):
        return sorted((repr(k), _plain(v)) for k, v in value.items())
    if isinstance(value, (set, frozenset)):
        return sorted(repr(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return repr(value)


Snapshot = dict[str, str]


def snapshot(fake: StripeFake) -> Snapshot:
    """Every stored object, the event list and each resource's tracked bookkeeping, as texts."""
    texts: Snapshot = {"events": json.dumps([e["id"] for e in fake.events])}
    for kind, store in fake.state.stores.items():
        for oid, obj in store.by_id.items():
            texts[f"{kind} {oid}"] = json.dumps(obj, sort_keys=True, default=repr)
    for kind, model in fake.state.models.items():
        for name, value in vars(model).items():
            if isinstance(value, (TrackedDict, TrackedSet, TrackedList)):
                texts[f"{kind} bookkeeping {name}"] = repr(_plain(value))
    return texts


def changes(before: Snapshot, after: Snapshot) -> list[str]:
    """What differs between two snapshots, by name (short: it goes in a failure message)."""
    names = sorted(set(before) | set(after))
    return [n for n in names if before.get(n) != after.get(n)][:10]


_MONEY = re.compile(r"(^|_)(amount|total|subtotal|balance|unit_amount)(_|$)")


def check_invariants(fake: StripeFake, heard: list[str]) -> None:
    """What holds after every request, refused or not (see the module docstring)."""
    ids = [e["id"] for e in fake.events]
    assert len(set(ids)) == len(ids), "an event was emitted twice"
    assert heard == ids, "listeners did not hear exactly the committed events, once each"
    assert len(fake.state.stores["event"]) == len(ids)
    for kind, store in fake.state.stores.items():
        for obj in store.by_id.values():
            assert isinstance(obj, Tracked), f"a stored {kind} was not built with build()"
            for key, value in obj.items():
                if _MONEY.search(key) and isinstance(value, (int, float)):
                    assert type(value) is int, f"{kind}.{key} = {value!r} is not whole units"
    for charge in fake.charges.values():
        assert 0 <= charge["amount_captured"] <= charge["amount"]
        assert 0 <= charge["amount_refunded"] <= charge["amount"]
        refunded = sum(r["amount"] for r in fake.refunds.values() if r["charge"] == charge["id"])
        assert refunded <= charge["amount_captured"], "refunded more than was captured"


@pytest.fixture
def seeded() -> Iterator[tuple[WatchedFake, stripe.StripeClient, list[str]]]:
    """An in-process fake holding something of every seeded kind, a client and a listener."""
    fake = WatchedFake(KEY, seed=17)
    fake.errors = []
    heard: list[str] = []
    fake.state.listeners.append(lambda event: heard.append(event["id"]))
    client = stripe.StripeClient(
        KEY, base_addresses={"api": "https://api.stripe.com"}, max_network_retries=0
    )
    with fake:
        for path, body in SEED:
            client.raw_request("post", path, **body)
        yield fake, client, heard


def refresh_pools(fake: StripeFake) -> None:
    """`POOLS` from what the account holds now (events excepted), sorted for reproducible draws."""
    POOLS.clear()
    everything: list[str] = []
    for kind, store in fake.state.stores.items():
        if kind != "event":
            POOLS[kind] = sorted(store.by_id)
            everything += POOLS[kind]
    POOLS[""] = sorted(everything)


class WatchedFake(StripeFake):
    """A StripeFake that notes how each error it answers came about."""

    #: Per error answered: whether it came from running the endpoint, and whether it keeps state.
    errors: list[tuple[bool, bool]]

    def _error(self, error: Any, rid: str, request: Any) -> Any:
        self.errors.append((isinstance(request.parsed, incoming.Parsed), error.keep_state))
        return super()._error(error, rid, request)


Outcomes = dict[str, int]


def send(
    fake: WatchedFake,
    client: stripe.StripeClient,
    heard: list[str],
    endpoint: Endpoint,
    path: str,
    body: dict[str, Any],
    outcomes: Outcomes,
) -> None:
    """Send one request through stripe-python and check what must hold after it."""
    before = snapshot(fake)
    where = f"{endpoint.method} {path} {body!r}"[:600]
    fake.errors.clear()
    try:
        client.raw_request(endpoint.method.lower(), path, **body)
        outcomes["ok"] += 1
    except stripe.StripeError as exc:
        status = exc.http_status or 0
        assert 400 <= status < 500, f"{where} -> {status}: {exc}"
        ((running, kept),) = fake.errors
        if kept:
            outcomes["kept"] += 1  # a decline Stripe records: the attempt stays
        else:
            outcomes["refused"] += 1
            outcomes["refused while running"] += running
            changed = changes(before, snapshot(fake))
            assert not changed, f"{where} -> {status} changed {changed}"
    check_invariants(fake, heard)


def new_outcomes() -> Outcomes:
    """Counts of what the requests of one test met."""
    return {"ok": 0, "refused": 0, "refused while running": 0, "kept": 0}


def test_a_refused_request_to_any_endpoint_changes_nothing(
    seeded: tuple[WatchedFake, stripe.StripeClient, list[str]], tally: Tally
) -> None:
    """Random requests, deep into each endpoint's rules."""
    fake, client, heard = seeded
    outcomes = new_outcomes()
    tried: set[str] = set()

    @settings(FUZZ, max_examples=EXAMPLES)
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        tally.add("stripe refused requests change nothing (random, every mutating endpoint)")
        refresh_pools(fake)
        endpoint = data.draw(st.sampled_from(MUTATING), label="endpoint")
        tried.add(f"{endpoint.method} {endpoint.template}")
        path = fill(endpoint, data)
        body = data.draw(BODIES[id(endpoint)], label="params")
        send(fake, client, heard, endpoint, path, body, outcomes)

    check()
    # The run went deep (requests that did something, refusals while running) and wide.
    assert outcomes["ok"] > 10 and outcomes["refused while running"] > 50, outcomes
    assert len(tried) >= 0.75 * len(MUTATING), f"only {len(tried)} of {len(MUTATING)} tried"


def plausible(coerce: Any, name: str = "") -> Any:
    """A value `coerce` accepts, of the right kind when `name` names one (first ids first)."""
    kind = kind_named(name)
    if kind is not None:
        return _pick(kind, 0)
    if isinstance(coerce, params.Hash):
        return {n: plausible(coerce.spec[n], n) for n in coerce.required}
    if isinstance(coerce, params.Arr):
        return [plausible(coerce.item, name)]
    if isinstance(coerce, params.Enum):
        return coerce.choices[0]
    if isinstance(coerce, params.Int):
        return 1000
    if isinstance(coerce, params.StatementDescriptor):
        return "MOCKKIT SHOP"
    known = {
        params.BOOL: True,
        params.METADATA: {"k": "v"},
        params.EMAIL: "a@example.com",
        params.URL: "https://shop.example/r",
        params.DECIMAL: "1000",
    }
    if coerce in known:
        return known[coerce]
    return "usd" if name == "currency" else "plausible"


def test_every_mutating_endpoint_refuses_without_a_trace(
    seeded: tuple[WatchedFake, stripe.StripeClient, list[str]], tally: Tally
) -> None:
    """Each endpoint by name, three requests: nothing, its required parameters (ids of the
    right kind), and those with metadata past its limit; whatever is refused leaves no trace."""
    fake, client, heard = seeded
    outcomes = new_outcomes()
    for endpoint in MUTATING:
        refresh_pools(fake)
        path = endpoint.template
        for name in re.findall(r"\{(\w+)\}", endpoint.template):
            kind = endpoint.kind if name == "id" else kind_named(name) or ""
            path = path.replace("{" + name + "}", _pick(kind if kind in declared() else "", 0))
        required = {n: plausible(endpoint.spec[n], n) for n in endpoint.required}
        bodies: list[dict[str, Any]] = [{}, required]
        if "metadata" in endpoint.spec:
            bodies.append({**required, "metadata": {f"k{i}": "v" for i in range(60)}})
        for body in bodies:
            tally.add("stripe refused requests change nothing (each mutating endpoint)")
            send(fake, client, heard, endpoint, path, body, outcomes)
    assert outcomes["refused"] >= len(MUTATING), outcomes
