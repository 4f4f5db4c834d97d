"""`block_network()` covers httpx (sync and async) and asyncio / anyio sockets too.

asyncio resolves names through `loop.getaddrinfo` (the `socket.getaddrinfo` of a worker thread)
and connects non-blocking sockets with `sock.connect`; anyio and httpcore's async backend build
on those. Each path below is refused at once, naming the host; loopback still works.
"""

from __future__ import annotations

import asyncio
import socket

import anyio
import httpx
import pytest

from mockkit import NetworkBlockedError, block_network

OUTSIDE = "203.0.113.7"  # TEST-NET-3: never routed, so nothing could answer anyway


def test_sync_httpx_is_refused_naming_the_host() -> None:
    with block_network(), pytest.raises(httpx.ConnectError, match="mockkit blocked"):
        httpx.get("https://api.example.com/", timeout=5)


async def test_async_httpx_is_refused_naming_the_host() -> None:
    with block_network():
        async with httpx.AsyncClient(timeout=5) as client:
            with pytest.raises(httpx.ConnectError, match="api.example.com"):
                await client.get("https://api.example.com/")


async def test_asyncio_name_lookup_and_connect_are_refused() -> None:
    loop = asyncio.get_running_loop()
    with block_network():
        with pytest.raises(NetworkBlockedError, match="DNS lookup of 'example.com'"):
            await loop.getaddrinfo("example.com", 443)
        with pytest.raises(NetworkBlockedError, match=OUTSIDE):
            await asyncio.open_connection(OUTSIDE, 443)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            with pytest.raises(NetworkBlockedError, match=OUTSIDE):
                await loop.sock_connect(sock, (OUTSIDE, 443))
        finally:
            sock.close()


async def test_anyio_connect_tcp_is_refused() -> None:
    with block_network():
        with pytest.raises(OSError, match="All connection attempts failed") as caught:
            await anyio.connect_tcp(OUTSIDE, 443)
        assert isinstance(caught.value.__cause__, NetworkBlockedError)  # anyio's own wrapper
        with pytest.raises(OSError, match="mockkit blocked"):
            await anyio.getaddrinfo("example.com", 443)


async def test_asyncio_loopback_still_works_under_the_guard() -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()

    with block_network():
        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            reader, writer = await asyncio.open_connection("localhost", port)
            writer.write(b"ping\n")
            assert await reader.readline() == b"ping\n"
            writer.close()
            await writer.wait_closed()
