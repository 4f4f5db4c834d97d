"""Wire fidelity: parameter encodings, headers, idempotency, auth, errors, retries, threads."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests
import stripe

from mockkit.stripe import StripeFake
from mockkit.stripe.models.customers import Customers
from mockkit.transport import no_retry_sleep
from tests.stripe.driver import CARD, KEY, Driver, ServerError

API = "https://api.stripe.com"
AUTH = {"Authorization": f"Bearer {KEY}"}


def test_both_expand_styles_in_body_and_query(fake: StripeFake) -> None:
    customer = stripe.Customer.create(email="w@example.com")
    body = f"amount=1000&currency=usd&customer={customer.id}&expand[]=customer&metadata[k]=v"
    r = requests.post(
        f"{API}/v1/payment_intents",
        data=body,
        headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200
    pi = r.json()
    assert pi["customer"]["email"] == "w@example.com" and pi["metadata"] == {"k": "v"}
    # Query strings arrive percent-escaped: expand%5B0%5D= and expand%5B%5D= both work.
    for query in ("expand%5B0%5D=customer", "expand%5B%5D=customer", "expand[]=customer"):
        got = requests.get(f"{API}/v1/payment_intents/{pi['id']}?{query}", headers=AUTH).json()
        assert got["customer"]["id"] == customer.id, query
    logged = fake.request_log[1]
    assert logged.params == {
        "amount": "1000",
        "currency": "usd",
        "customer": customer.id,
        "expand": {"0": "customer"},
        "metadata": {"k": "v"},
    }


def test_nested_line_item_params_as_the_sdk_encodes_them(fake: StripeFake) -> None:
    stripe.checkout.Session.create(
        mode="payment",
        success_url="https://x.example/ok",
        line_items=[
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 700,
                    "product_data": {"name": "Pin"},
                },
                "quantity": 3,
            }
        ],
    )
    raw = fake.requests[-1].text
    assert "line_items[0][price_data][currency]=usd" in raw  # unescaped in the body
    params = fake.request_log[-1].params
    assert params["line_items"]["0"]["price_data"]["product_data"]["name"] == "Pin"
    assert next(iter(fake.checkout_sessions.values()))["amount_total"] == 2100


def test_every_response_has_a_request_id_and_echoes_the_version(fake: StripeFake) -> None:
    ok = requests.get(f"{API}/v1/customers", headers={**AUTH, "Stripe-Version": "2024-06-20"})
    missing = requests.get(f"{API}/v1/customers/cus_x", headers=AUTH)
    unknown = requests.get(f"{API}/v1/nothing", headers=AUTH)
    noauth = requests.get(f"{API}/v1/customers")
    for r in (ok, missing, unknown, noauth):
        assert r.headers["Request-Id"].startswith("req_")
    assert ok.headers["Stripe-Version"] == "2024-06-20"
    assert missing.json()["error"]["request_log_url"].endswith(missing.headers["Request-Id"])
    customer = stripe.Customer.create()
    assert customer.last_response.request_id.startswith("req_")


def test_same_idempotency_key_replays_the_first_response(sdk: Driver) -> None:
    if sdk.style == "module":
        first = stripe.Customer.create(email="idem@example.com", idempotency_key="key-1")
        again = stripe.Customer.create(email="idem@example.com", idempotency_key="key-1")
    else:
        assert sdk.client is not None
        opts: Any = {"idempotency_key": "key-1"}
        first = sdk.client.v1.customers.create({"email": "idem@example.com"}, opts)
        again = sdk.client.v1.customers.create({"email": "idem@example.com"}, opts)
    assert again.id == first.id
    assert len(sdk.fake.customers) == 1
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert again.last_response.headers["Original-Request"] == first.last_response.request_id
    assert [e["type"] for e in sdk.fake.events] == ["customer.created"]


def test_same_key_with_other_params_is_an_idempotency_error(fake: StripeFake) -> None:
    stripe.Customer.create(email="a@example.com", idempotency_key="key-2")
    with pytest.raises(stripe.IdempotencyError) as info:
        stripe.Customer.create(email="b@example.com", idempotency_key="key-2")
    assert info.value.http_status == 400
    assert "key-2" in str(info.value.user_message)
    assert len(fake.customers) == 1


def test_the_same_parameters_in_another_order_replay_but_reordered_items_do_not(
    fake: StripeFake,
) -> None:
    # "The same parameters" are the same values: names may come in any order (a hand-built
    # body, another client), but the order of an array's items is part of the value.
    first = stripe.Customer.create(
        email="order@example.com",
        name="Ada",
        metadata={"a": "1", "b": "2"},
        preferred_locales=["en", "fr"],
        idempotency_key="key-order",
    )
    again = stripe.Customer.create(
        preferred_locales=["en", "fr"],
        metadata={"b": "2", "a": "1"},
        name="Ada",
        email="order@example.com",
        idempotency_key="key-order",
    )
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    with pytest.raises(stripe.IdempotencyError):
        stripe.Customer.create(
            email="order@example.com",
            name="Ada",
            metadata={"a": "1", "b": "2"},
            preferred_locales=["fr", "en"],
            idempotency_key="key-order",
        )
    assert len(fake.customers) == 1


def test_what_a_key_remembers_does_not_change_with_the_request_log(fake: StripeFake) -> None:
    first = stripe.Customer.create(email="log@example.com", idempotency_key="key-log")
    fake.request_log[-1].params["email"] = "other@example.com"  # a test's own tinkering
    fake.requests[-1].params.clear()
    again = stripe.Customer.create(email="log@example.com", idempotency_key="key-log")
    assert again.id == first.id
    with pytest.raises(stripe.IdempotencyError):
        stripe.Customer.create(email="other@example.com", idempotency_key="key-log")


def test_validation_errors_are_not_saved_but_declines_are(fake: StripeFake) -> None:
    with pytest.raises(stripe.InvalidRequestError):
        stripe.PaymentIntent.create(amount="ten", currency="usd", idempotency_key="key-3")
    fixed = stripe.PaymentIntent.create(
        amount=1000, currency="usd", idempotency_key="key-3", **CARD
    )
    assert fixed.status == "requires_payment_method"

    for _ in range(2):
        with pytest.raises(stripe.CardError) as info:
            stripe.PaymentIntent.confirm(
                fixed.id, payment_method="pm_card_chargeDeclined", idempotency_key="key-4"
            )
    assert info.value.headers["Idempotent-Replayed"] == "true"
    assert len([c for c in fake.charges.values() if c["status"] == "failed"]) == 1


def test_a_500_then_retry_with_the_same_key_creates_one_object(
    fake: StripeFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Module style retries twice by default from stripe-python 11 on (10: not at all).
    monkeypatch.setattr(stripe, "max_network_retries", 2)
    rule = fake.inject(ServerError(), method="POST", path="/v1/customers")
    customer = stripe.Customer.create(email="retry@example.com")
    assert rule.fired == 1
    posts = [r for r in fake.request_log if r.method == "POST"]
    assert [r.status for r in posts] == [500, 200]
    assert posts[0].idempotency_key == posts[1].idempotency_key  # the SDK reuses its key
    assert list(fake.customers) == [customer.id]


def test_retries_keep_their_count_but_cost_no_sleep(
    fake: StripeFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stripe, "max_network_retries", 2)  # 10's default is 0
    fake.inject(ServerError(), method="POST", path="/v1/customers", times=None)
    with no_retry_sleep() as sleeps:
        before = len(sleeps)
        with pytest.raises(stripe.APIError):
            stripe.Customer.create()
        asked = sleeps[before:]
    assert len(fake.request_log) == 3  # two retries
    assert len(asked) == 2 and all(s >= 0.5 for s in asked)  # requested, not slept
    assert fake.customers == {}


def test_a_bug_in_the_fake_is_a_500_that_is_not_retried(
    fake: StripeFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> Any:
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(Customers.of(fake.state), "create", broken)
    with pytest.raises(stripe.APIError) as info:
        stripe.Customer.create()
    assert info.value.http_status == 500
    assert "ZeroDivisionError" in str(info.value.user_message)
    assert len(fake.request_log) == 1


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        (None, "You did not provide an API key"),
        ("sk_live_123456789abcdef", "test mode only"),
        ("rk_live_123456789abcdef", "test mode only"),
        ("pk_test_123456789abcdef", "publishable API key"),
        ("nonsense", "Invalid API Key provided"),
    ],
)
def test_bad_keys_raise_authentication_error(
    fake: StripeFake, monkeypatch: pytest.MonkeyPatch, key: str | None, fragment: str
) -> None:
    monkeypatch.setattr(stripe, "api_key", None)
    if key is None:
        with pytest.raises(stripe.AuthenticationError):
            stripe.Customer.list()  # the SDK refuses before sending
        r = requests.get(f"{API}/v1/customers")
    else:
        with pytest.raises(stripe.AuthenticationError) as info:
            stripe.Customer.list(api_key=key)
        assert fragment in str(info.value.user_message)
        assert info.value.http_status == 401
        r = requests.get(f"{API}/v1/customers", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 401 and fragment in r.json()["error"]["message"]


def test_a_fake_with_a_fixed_key_refuses_other_test_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stripe, "api_base", "https://api.stripe.com")
    with StripeFake(api_key="sk_test_right"):
        assert stripe.Customer.list(api_key="sk_test_right").data == []
        with pytest.raises(stripe.AuthenticationError):
            stripe.Customer.list(api_key="sk_test_wrong")
    with pytest.raises(ValueError, match="test mode"):
        StripeFake(api_key="sk_live_x")


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        ({"currency": "usd"}, "amount", "parameter_missing"),
        ({"amount": "ten", "currency": "usd"}, "amount", "parameter_invalid_integer"),
        ({"amount": 1000, "currency": "usd", "colour": "red"}, "colour", "parameter_unknown"),
        ({"amount": 1000, "currency": "usd", "capture_method": "later"}, "capture_method", None),
        ({"amount": 1000, "currency": "usd", "confirm": "maybe"}, "confirm", None),
        ({"amount": 1000, "currency": "xxx"}, "currency", None),
        (
            {"amount": 1000, "currency": "usd", "customer": "cus_nope"},
            "customer",
            "resource_missing",
        ),
        (
            {"amount": 1000, "currency": "usd", "payment_method": "pm_x"},
            "payment_method",
            "resource_missing",
        ),
    ],
)
def test_bad_parameters_are_400_naming_the_param(
    sdk: Driver, params: dict[str, Any], param: str, code: str | None
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create("payment_intents", **params)
    assert info.value.http_status == 400
    assert info.value.param == param
    assert info.value.code == code


def test_unknown_param_suggests_the_right_one(fake: StripeFake) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Customer.create(emial="x@example.com")
    assert "Did you mean email?" in str(info.value.user_message)


def test_unsupported_endpoint_names_method_path_and_closest(sdk: Driver) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        if sdk.style == "module":
            stripe.SubscriptionSchedule.create(customer="cus_x")
        else:
            assert sdk.client is not None
            sdk.client.v1.subscription_schedules.create({"customer": "cus_x"})
    message = str(info.value.user_message)
    assert info.value.http_status == 404
    assert "POST: /v1/subscription_schedules" in message
    assert "does not emulate this endpoint" in message
    assert "closest supported: POST /v1/" in message
    with pytest.raises(stripe.InvalidRequestError, match="emulated for GET, POST only"):
        # PaymentIntents cannot be deleted: send the DELETE through the SDK's raw request.
        stripe.PaymentIntent._static_request("delete", "/v1/payment_intents/pi_1")
    with pytest.raises(stripe.InvalidRequestError, match="does not emulate"):
        stripe.Refund._static_request("get", "/v1/refunds/search", params={"query": "x"})


def test_same_key_from_many_threads_makes_one_object() -> None:
    fake = StripeFake()
    results: list[str] = []
    errors: list[BaseException] = []

    def create(client: stripe.StripeClient) -> None:
        try:
            c = client.v1.customers.create({"email": "t@example.com"}, {"idempotency_key": "same"})
            results.append(c.id)
        except BaseException as exc:  # report in the main thread
            errors.append(exc)

    with no_retry_sleep(), fake.serve() as server:
        client = stripe.StripeClient(KEY, base_addresses={"api": server.url})
        threads = [threading.Thread(target=create, args=(client,)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        distinct = [
            threading.Thread(target=lambda: client.v1.customers.create({"email": "d@x.io"}))
            for _ in range(8)
        ]
        for t in distinct:
            t.start()
        for t in distinct:
            t.join(10)
    assert not errors
    assert len(results) == 8 and len(set(results)) == 1
    assert len(fake.customers) == 1 + 8


def test_reset_forgets_everything(fake: StripeFake) -> None:
    stripe.Customer.create(idempotency_key="k")
    fake.reset()
    assert fake.customers == {} and fake.events == [] and fake.request_log == []
    again = stripe.Customer.create(idempotency_key="k")
    assert again.last_response.headers.get("Idempotent-Replayed") is None


def test_connect_requests_are_refused_not_silently_answered(fake: StripeFake) -> None:
    with pytest.raises(stripe.InvalidRequestError, match="does not emulate Connect"):
        stripe.Customer.create(stripe_account="acct_123")
    assert fake.customers == {}


def test_overlong_idempotency_key_is_refused(fake: StripeFake) -> None:
    with pytest.raises(stripe.InvalidRequestError, match="at most 255"):
        stripe.Customer.create(idempotency_key="k" * 256)
    assert fake.customers == {}


def test_test_api_returns_copies_that_cannot_corrupt_state(fake: StripeFake) -> None:
    customer = stripe.Customer.create(metadata={"a": "1"})
    copy = fake.get(customer.id)
    copy["metadata"]["a"] = "changed"
    assert stripe.Customer.retrieve(customer.id).metadata["a"] == "1"
    with pytest.raises(KeyError):
        fake.get("cus_unknown")


def test_two_stripe_fakes_cannot_both_answer_in_process(fake: StripeFake) -> None:
    other = StripeFake()
    with pytest.raises(RuntimeError, match="another StripeFake"):
        other.start()
    stripe.Customer.create()
    assert len(fake.customers) == 1 and len(other.customers) == 0


@pytest.mark.parametrize("key", ["sk_live_0123456789abcdef", "pk_test_0123456789abcdef"])
def test_bad_keys_on_every_style_and_transport(sdk: Driver, key: str) -> None:
    with pytest.raises(stripe.AuthenticationError) as info:
        if sdk.style == "module":
            stripe.PaymentIntent.create(amount=1000, currency="usd", api_key=key)
        else:
            base = stripe.api_base
            bad = stripe.StripeClient(key, base_addresses={"api": base})
            bad.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    assert info.value.http_status == 401
    assert sdk.fake.payment_intents == {}


@pytest.mark.parametrize(
    "path", ["amount", "latest_charge.nonsense", "customer.a.b.c.d", "payment_method_options"]
)
def test_a_bad_expand_path_creates_nothing(fake: StripeFake, path: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.PaymentIntent.create(amount=1000, currency="usd", expand=[path])
    assert info.value.param == "expand"
    assert fake.payment_intents == {} and fake.events == []


def test_idempotency_keys_are_forgotten_after_24_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_800_000_000.0]
    monkeypatch.setattr(stripe, "api_key", KEY)
    monkeypatch.setattr(stripe, "api_base", API)
    with StripeFake(clock=lambda: now[0]) as fake:
        first = stripe.Customer.create(email="a@example.com", idempotency_key="day")
        now[0] += 23 * 3600
        assert stripe.Customer.create(email="a@example.com", idempotency_key="day").id == first.id
        now[0] += 2 * 3600
        later = stripe.Customer.create(email="b@example.com", idempotency_key="day")
        assert later.id != first.id and len(fake.customers) == 2
