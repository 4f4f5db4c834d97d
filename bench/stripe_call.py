"""Benchmark 1: the cost of one `PaymentIntent.create` through the unmodified stripe-python.

Four sides make the very same call (`StripeClient.v1.payment_intents.create` with
`payloads.PAYMENT_INTENT_PARAMS`), so the only difference between them is what answers it:

- ``sdk floor``: an in-memory `stripe.HTTPClient` that hands back a canned body. What the SDK
  itself costs (encoding, headers, telemetry, JSON parsing, object construction); nothing that
  intercepts HTTP can be cheaper.
- ``responses stub``: one static `responses` stub for the URL, the cheapest thing people use
  today; the baseline of the budget.
- ``fake in-process``: `mockkit.stripe.StripeFake` through its in-process `requests` adapter.
- ``fake served``: the same fake over loopback HTTP, reached by the SDK's own `requests`
  client (a keep-alive session), pointed at it with `base_addresses`.
- on httpx, the async call (`create_async` through `stripe.HTTPXClient`, on one event loop
  kept for the whole run): ``httpx floor`` (an httpx transport handing back the same body,
  no mock: what the SDK and httpx cost, so what respx and the fake each add shows),
  ``respx stub`` (one static respx route, the httpx baseline) and ``fake in-process (httpx)``.

When the fake is available, the stub and the floor return the fake's own body for this call,
so every side parses the same bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import responses
import stripe
from requests.structures import CaseInsensitiveDict

from bench import payloads
from bench.timing import Row, Side, interleave, ratios

NAME = "stripe_call"
TITLE = "1. PaymentIntent.create"
API_KEY = "sk_test_mockkitbench0000000000000000"
URL = "https://api.stripe.com/v1/payment_intents"
BUDGET = 1.0
SERVED_BUDGET = 2.0
HTTPX_BUDGET = 1.0


class MemoryHTTPClient(stripe.HTTPClient):
    """The SDK's floor: answers every request with the same body, without any HTTP."""

    name = "mockkit-bench-memory"

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self._body = body
        self._headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(
            {"Content-Type": "application/json", "Request-Id": "req_bench"}
        )

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        **_: Any,
    ) -> tuple[bytes, int, Mapping[str, str]]:
        return self._body, 200, self._headers

    def close(self) -> None:
        pass


def _create(client: stripe.StripeClient) -> Callable[[], Any]:
    params = payloads.PAYMENT_INTENT_PARAMS

    def op() -> Any:
        return client.v1.payment_intents.create(params=params)  # type: ignore[arg-type]

    return op


def _create_async(
    client: stripe.StripeClient, loop: asyncio.AbstractEventLoop
) -> Callable[[], Any]:
    params = payloads.PAYMENT_INTENT_PARAMS

    def op() -> Any:
        coro = client.v1.payment_intents.create_async(params=params)  # type: ignore[arg-type]
        return loop.run_until_complete(coro)

    return op


def load_fake() -> type | None:
    """`mockkit.stripe.StripeFake`, or None while it does not exist yet."""
    try:
        from mockkit.stripe import StripeFake
    except ImportError:
        return None
    return StripeFake


def reference_body(fake_cls: type | None) -> bytes:
    """The body the fake returns for the benchmark's call, else a realistic stand-in."""
    if fake_cls is not None:
        with fake_cls() as fake:
            obj = _create(stripe.StripeClient(API_KEY))()
            body = fake_body_of(obj)
            fake.reset()
            if body:
                return body
    return payloads.dumps(payloads.payment_intent())


def fake_body_of(obj: Any) -> bytes:
    """The raw JSON the SDK parsed `obj` from (the fake's exact bytes)."""
    last = getattr(obj, "last_response", None) or getattr(obj, "_last_response", None)
    body = getattr(last, "body", None)
    if isinstance(body, str):
        return body.encode("utf-8")
    return body or b""


def run(quick: bool) -> list[Row]:
    rounds, inner, blocks = (6, 80, 4) if quick else (15, 300, 10)
    fake_cls = load_fake()
    body = reference_body(fake_cls)

    with contextlib.ExitStack() as stack:
        floor_client = stripe.StripeClient(API_KEY, http_client=MemoryHTTPClient(body))
        http_client = stripe.StripeClient(API_KEY)

        @contextlib.contextmanager
        def floor() -> Iterator[Callable[[], Any]]:
            yield _create(floor_client)

        @contextlib.contextmanager
        def stub() -> Iterator[Callable[[], Any]]:
            with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
                mock.add(
                    responses.POST,
                    URL,
                    body=body,
                    status=200,
                    content_type="application/json",
                    headers={"Request-Id": "req_bench"},
                )
                yield _create(http_client)

        sides = [Side("sdk floor", floor), Side("responses stub", stub)]

        if fake_cls is not None:
            fake = fake_cls()
            served_fake = fake_cls()
            server = stack.enter_context(served_fake.serve())
            served_client = stripe.StripeClient(API_KEY, base_addresses={"api": server.url})

            @contextlib.contextmanager
            def in_process() -> Iterator[Callable[[], Any]]:
                fake.reset()  # every block starts from the same (empty) state
                with fake:
                    yield _create(http_client)

            @contextlib.contextmanager
            def served() -> Iterator[Callable[[], Any]]:
                served_fake.reset()
                yield _create(served_client)

            sides += [Side("fake in-process", in_process), Side("fake served", served)]

            import respx

            loop = asyncio.new_event_loop()
            stack.callback(loop.close)
            async_client = stripe.StripeClient(API_KEY, http_client=stripe.HTTPXClient())

            @contextlib.contextmanager
            def respx_stub() -> Iterator[Callable[[], Any]]:
                with respx.mock(assert_all_called=False) as router:
                    router.post(URL).respond(
                        200,
                        content=body,
                        headers={"Content-Type": "application/json", "Request-Id": "req_bench"},
                    )
                    yield _create_async(async_client, loop)

            @contextlib.contextmanager
            def in_process_httpx() -> Iterator[Callable[[], Any]]:
                fake.reset()
                with fake:
                    yield _create_async(async_client, loop)

            import httpx

            canned_headers = [("Content-Type", "application/json"), ("Request-Id", "req_bench")]

            class CannedTransport(httpx.AsyncBaseTransport):
                """The same answer for every request: what httpx itself costs, no mock."""

                async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                    await request.aread()
                    return httpx.Response(200, headers=canned_headers, content=body)

            floor_httpx = stripe.HTTPXClient()
            # stripe-python builds its own AsyncClient and takes no transport for it.
            floor_httpx._client_async = httpx.AsyncClient(transport=CannedTransport())
            stack.callback(lambda: loop.run_until_complete(floor_httpx._client_async.aclose()))
            httpx_floor_client = stripe.StripeClient(API_KEY, http_client=floor_httpx)

            @contextlib.contextmanager
            def httpx_floor() -> Iterator[Callable[[], Any]]:
                yield _create_async(httpx_floor_client, loop)

            sides += [
                Side("httpx floor", httpx_floor),
                Side("respx stub", respx_stub),
                Side("fake in-process (httpx)", in_process_httpx),
            ]

        times = interleave(sides, rounds=rounds, inner=inner, blocks=blocks)

    stub_times = times["responses stub"]
    rows = [
        Row(
            NAME,
            "sdk floor (in-memory client)",
            times["sdk floor"],
            "responses stub",
            ratios(times["sdk floor"], stub_times),
            "x stub",
            note=f"{len(body)} B body",
        ),
        Row(NAME, "responses stub (baseline)", stub_times),
    ]
    if fake_cls is None:
        rows.append(Row(NAME, "fake in-process", note="skipped: mockkit.stripe.StripeFake absent"))
        return rows
    fake_ratio = ratios(times["fake in-process"], stub_times)
    fake_row = Row(
        NAME,
        "fake in-process",
        times["fake in-process"],
        "responses stub",
        fake_ratio,
        "x stub",
        budget=f"<= {BUDGET}x stub",
    )
    summary = fake_row.ratio
    fake_row.met = summary is not None and summary.median <= BUDGET
    rows.append(fake_row)
    served_row = Row(
        NAME,
        "fake served (loopback)",
        times["fake served"],
        "responses stub",
        ratios(times["fake served"], stub_times),
        "x stub",
        budget=f"<= {SERVED_BUDGET}x stub",
    )
    summary = served_row.ratio
    served_row.met = summary is not None and summary.median <= SERVED_BUDGET
    rows.append(served_row)
    respx_times = times["respx stub"]
    rows.append(
        Row(
            NAME,
            "httpx, async: floor (canned transport)",
            times["httpx floor"],
            "respx stub",
            ratios(times["httpx floor"], respx_times),
            "x respx",
        )
    )
    rows.append(Row(NAME, "httpx, async: respx stub (baseline)", respx_times))
    httpx_row = Row(
        NAME,
        "httpx, async: fake in-process",
        times["fake in-process (httpx)"],
        "respx stub",
        ratios(times["fake in-process (httpx)"], respx_times),
        "x respx",
        budget=f"<= {HTTPX_BUDGET}x respx",
    )
    summary = httpx_row.ratio
    httpx_row.met = summary is not None and summary.median <= HTTPX_BUDGET
    rows.append(httpx_row)
    return rows
