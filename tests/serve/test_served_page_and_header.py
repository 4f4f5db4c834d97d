"""A served fake says what it is: a page for a browser at its root, a header for recorders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
import stripe
import yaml

import mockkit.cassettes
from mockkit import providers
from mockkit.identity import HEADER

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.mark.parametrize("name", list(providers.PROVIDERS))
def test_the_root_url_in_a_browser_is_a_page_saying_what_it_is(name: str) -> None:
    provider = providers.get(name)
    fake: Any = provider.fake_class()()
    with fake.serve() as server:
        url = server.url
        page = requests.get(url + "/", headers=BROWSER, timeout=5)
        api = requests.get(url + "/", headers={"Accept": "application/json"}, timeout=5)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert f"mockkit's {provider.title} fake" in page.text
    assert provider.hosts[0] in page.text
    assert url in page.text  # where to point the app
    # An API client still gets the provider's own answer, not the page.
    assert "text/html" not in api.headers.get("Content-Type", "") or api.status_code != 200
    # The page is not provider traffic: the fake's request log holds the API call only.
    assert [r.headers.get("Accept") for r in fake.requests] == ["application/json"]


def test_the_stripe_page_names_the_api_base_and_the_test_key() -> None:
    fake: Any = providers.get("stripe").fake_class()()
    with fake.serve() as server:
        url = server.url
        page = requests.get(url + "/", headers=BROWSER, timeout=5).text
    assert f"<code>{url}</code>" in page
    assert "sk_test_mockkit" in page


def test_served_answers_name_the_provider_in_process_ones_do_not() -> None:
    fake: Any = providers.get("stripe").fake_class()(api_key="sk_test_mockkit")
    with fake.serve() as server:
        served = requests.get(server.url + "/v1/customers", auth=("sk_test_mockkit", ""), timeout=5)
    assert served.headers[HEADER] == "stripe https://api.stripe.com"
    with fake:
        in_process = requests.get(
            "https://api.stripe.com/v1/customers", auth=("sk_test_mockkit", ""), timeout=5
        )
    assert in_process.status_code == 200
    assert HEADER not in in_process.headers


def test_recording_through_a_served_fake_stores_the_canonical_host_without_hosts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    path = tmp_path / "served.yaml"
    fake: Any = providers.get("stripe").fake_class()()
    with fake.serve() as server:
        url = server.url
        client = stripe.StripeClient(
            "sk_test_mockkit", base_addresses={"api": server.url}, max_network_retries=0
        )
        # No hosts= mapping: the served fake's answers say what it stands for.
        with mockkit.cassettes.use(path, record_mode="once"):
            session = client.v1.checkout.sessions.create(
                params={
                    "mode": "payment",
                    "success_url": "https://shop.example/ok",
                    "line_items": [
                        {
                            "quantity": 1,
                            "price_data": {
                                "currency": "usd",
                                "unit_amount": 500,
                                "product_data": {"name": "Hoodie"},
                            },
                        }
                    ],
                }
            )
    assert session.url.startswith(url + "/c/pay/")
    text = path.read_text()
    assert "127.0.0.1" not in text and HEADER not in text
    stored = yaml.safe_load(text)["interactions"][0]
    assert stored["request"]["uri"] == "https://api.stripe.com/v1/checkout/sessions"
    body = stored["response"]["body"]["string"]
    # The hosted page's URL maps to the host it stands for, by the registry's paths.
    assert "https://checkout.stripe.com/c/pay/" in body

    # And the cassette replays for an app configured for the real provider.
    with mockkit.cassettes.use(path, record_mode="none"):
        replayed = stripe.StripeClient(
            "sk_test_mockkit", max_network_retries=0
        ).v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "success_url": "https://shop.example/ok",
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": 500,
                            "product_data": {"name": "Hoodie"},
                        },
                    }
                ],
            }
        )
    assert replayed.id == session.id
