"""Calls between services over aiohttp's pool (`studio_runtime.http_transport`) against a real
HTTP server on a local socket: keep-alive reuse, streamed bodies both ways, and every way a
call can break surfacing as an httpx error (so callers' `except httpx.HTTPError` holds)."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from pydantic import SecretStr
from studio_runtime.client_pool import ClientPool
from studio_runtime.errors import ServiceUnavailable
from studio_runtime.http_transport import no_cookies, service_transport
from studio_runtime.internal_auth import Identity
from studio_runtime.internal_http import InternalService, internal_client
from studio_runtime.settings import ServiceSettings

Reply = Callable[[bytes, asyncio.StreamWriter], Awaitable[bool]]
"""Given a request's head and body, answer on the writer; False closes the connection."""


class _Server:
    def __init__(self, reply: Reply) -> None:
        self._reply = reply
        self.connections = 0
        self.bodies: list[bytes] = []
        self.heads: list[bytes] = []
        self.tasks: set[asyncio.Task[object]] = set()
        self.writers: list[asyncio.StreamWriter] = []

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        if (task := asyncio.current_task()) is not None:
            self.tasks.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                body = await _body(head, reader)
                self.heads.append(head)
                self.bodies.append(body)
                if not await self._reply(head, writer):
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()


async def _body(head: bytes, reader: asyncio.StreamReader) -> bytes:
    headers = head.decode("latin-1").lower()
    if "transfer-encoding: chunked" in headers:
        chunks = []
        while size := int((await reader.readline()).strip(), 16):
            chunks.append(await reader.readexactly(size))
            await reader.readline()
        await reader.readline()
        return b"".join(chunks)
    for line in headers.split("\r\n"):
        if line.startswith("content-length:"):
            return await reader.readexactly(int(line.split(":", 1)[1]))
    return b""


async def _ok(_head: bytes, writer: asyncio.StreamWriter) -> bool:
    writer.write(
        b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok":true}'
    )
    await writer.drain()
    return True


@asynccontextmanager
async def _serving(reply: Reply) -> AsyncIterator[tuple[_Server, str]]:
    handler = _Server(reply)
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield handler, f"http://127.0.0.1:{port}"
    finally:
        server.close()
        for writer in handler.writers:  # a handler still reading stops at the end of input
            writer.close()
        await asyncio.gather(*handler.tasks, return_exceptions=True)


def _service(client: httpx.AsyncClient | ClientPool, url: str) -> InternalService:
    settings = ServiceSettings(internal_secret=SecretStr("transport-test-secret-0123456789abc"))
    return InternalService.from_settings(client, settings, url, name="neighbour")


USER = Identity("user-1", "req-1")


async def test_calls_reuse_one_kept_alive_connection() -> None:
    async with _serving(_ok) as (server, url), internal_client(timeout_s=5) as client:
        service = _service(client, url)
        answers = [await service.request("GET", "/x", USER) for _ in range(5)]
    assert [answer.json() for answer in answers] == [{"ok": True}] * 5
    assert server.connections == 1


async def test_a_cookie_set_by_one_answer_is_not_sent_with_the_next_call() -> None:
    async def setting(_head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nset-cookie: session=alice\r\ncontent-length: 0\r\n\r\n")
        await writer.drain()
        return True

    clients: dict[str, httpx.AsyncClient | ClientPool] = {
        "internal client": internal_client(timeout_s=5),
        "service pool": ClientPool(shards=1, connections_per_shard=2, timeout_s=5),
        "outbound pool": ClientPool(shards=1, connections_per_shard=2, timeout_s=5, trust_env=True),
        "bare transport": httpx.AsyncClient(
            transport=service_transport(max_connections=2), cookies=no_cookies()
        ),
    }
    for name, client in clients.items():
        async with _serving(setting) as (server, url):
            try:
                pick = client.pick if isinstance(client, ClientPool) else lambda c=client: c
                for _ in range(2):
                    await pick().get(url + "/x")
            finally:
                await client.aclose()
        assert b"session=alice" not in server.heads[1], name


async def test_a_streamed_request_body_arrives_whole() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(50):
            yield bytes([i]) * 1000

    async with _serving(_ok) as (server, url), internal_client(timeout_s=5) as client:
        answer = await client.post(url + "/upload", content=chunks())
    assert answer.status_code == 200
    assert server.bodies == [b"".join(bytes([i]) * 1000 for i in range(50))]


async def test_a_large_answer_can_be_streamed() -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB

    async def large(_head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(payload) + payload)
        await writer.drain()
        return True

    pool = ClientPool(shards=2, connections_per_shard=4, timeout_s=5)
    try:
        async with (
            _serving(large) as (_, url),
            _service(pool, url).stream("GET", "/content", USER) as answer,
        ):
            received = b"".join([chunk async for chunk in answer.aiter_raw()])
    finally:
        await pool.aclose()
    assert received == payload


async def test_nothing_listening_is_a_connect_error_not_a_timeout() -> None:
    async with _serving(_ok) as (_, url):
        pass  # the port is free again
    async with internal_client(timeout_s=5) as client:
        # The gateway answers a ConnectError 502 (unavailable), a timeout 504.
        with pytest.raises(httpx.ConnectError):
            await client.get(url + "/x")
        with pytest.raises(ServiceUnavailable, match="neighbour"):
            await _service(client, url).request("GET", "/x", USER)


@pytest.mark.parametrize(
    "broken",
    [
        b"",  # closed without a word
        b"HTTP/1.1 200 OK\r\ncontent-len",  # closed half-way through the head
        b'HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"cut',  # and through the body
        b"NOT HTTP AT ALL\r\n\r\n",
    ],
    ids=["silence", "half-head", "half-body", "garbage"],
)
async def test_a_broken_answer_is_an_httpx_error(broken: bytes) -> None:
    async def reply(_head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(broken)
        await writer.drain()
        return False

    async with _serving(reply) as (_, url), internal_client(timeout_s=5) as client:
        with pytest.raises(httpx.TransportError) as raised:
            await client.get(url + "/x")  # reads the whole answer
        assert not isinstance(raised.value, httpx.TimeoutException), raised.value
        with pytest.raises(ServiceUnavailable):
            await _service(client, url).request("GET", "/x", USER)


async def test_no_answer_in_time_is_an_httpx_timeout() -> None:
    released = asyncio.Event()

    async def silent(_head: bytes, _writer: asyncio.StreamWriter) -> bool:
        await released.wait()  # no answer until the client has given up
        return False

    async with _serving(silent) as (_, url), internal_client(timeout_s=0.3) as client:
        try:
            with pytest.raises(httpx.TimeoutException):
                await client.get(url + "/x")
        finally:
            released.set()
