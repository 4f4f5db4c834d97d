"""Cassettes record httpx traffic (stripe-python's async client) and replay it offline."""

from __future__ import annotations

from pathlib import Path

import pytest
import stripe

from mockkit.cassettes import CassetteMiss, load_cassette, use
from mockkit.stripe import StripeFake

KEY = "sk_test_mockkit_cassette_httpx"


async def _create(client: stripe.StripeClient) -> str:
    intent = await client.v1.payment_intents.create_async(
        params={"amount": 2500, "currency": "usd"}
    )
    return str(intent.id)


async def test_record_with_httpx_against_a_served_fake_then_replay_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The test records on purpose: CI's replay-only default must not turn it into a miss.
    for name in ("CI", "MOCKKIT_RECORD_MODE", "MOCKKIT_SANDBOX"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "httpx.yaml"
    served = StripeFake()
    with served.serve() as server:
        # The served fake keeps the connection alive, as Stripe does: the client is closed
        # before the server stops, or its pooled socket would be left open.
        http_client = stripe.HTTPXClient()
        recording = stripe.StripeClient(
            KEY, http_client=http_client, base_addresses={"api": server.url}
        )
        try:
            with use(path, "rewrite", hosts={server.url: "https://api.stripe.com"}):
                recorded_id = await _create(recording)
        finally:
            await http_client.close_async()
    saved = load_cassette(path).interactions
    assert [i["request"]["uri"] for i in saved] == ["https://api.stripe.com/v1/payment_intents"]
    assert KEY not in path.read_text()  # scrubbed before it was written

    # Replay: the canonical host, no server, network blocked; httpx gets the recorded answer.
    replaying = stripe.StripeClient(KEY, http_client=stripe.HTTPXClient())
    with use(path) as cassette:
        assert cassette.replaying
        assert await _create(replaying) == recorded_id
        with pytest.raises(stripe.APIConnectionError) as caught:
            await replaying.v1.customers.list_async()
    # The miss diagnostic reaches the test through the SDK, naming the unrecorded request.
    assert isinstance(caught.value.__cause__, CassetteMiss)
    assert "/v1/customers" in str(caught.value.__cause__)
