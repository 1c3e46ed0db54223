"""The transport under every httpx client that calls a neighbouring service: aiohttp's pool.

httpx's own transport (httpcore over anyio) spends 0.5 to 1 ms of CPU on each call, and more the
more connections its pool holds, since it polls every idle one before each request; aiohttp's
pool spends 0.2 to 0.3 ms (measured: 4,000 POSTs to a local uvicorn, 16 at a time). Callers keep
httpx's API, its timeouts and its errors: aiohttp's errors are mapped onto httpx's here (more
precisely than `httpx-aiohttp` does), so a caller's `except httpx.HTTPError` still holds and a
refused connection is not taken for a timeout.

Only for calls between services: the transport ignores proxies from the environment, which
outbound traffic (fal.ai) must honour, so those clients keep httpx's own transport."""

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from studio_runtime.tls import shared_tls_context


def no_cookies() -> CookieJar:
    """A jar that keeps nothing, for a client whose calls are made for many users: a cookie set
    by one answer must never ride along with the next call (httpx keeps them by default)."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


class _Transport(AiohttpTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with _as_httpx_errors(request):
            response = await super().handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Body(response.stream, request)
        return response


class _Body(httpx.AsyncByteStream):
    """An answer's body, read with the same errors as the call itself."""

    def __init__(self, inner: httpx.AsyncByteStream, request: httpx.Request) -> None:
        self._inner = inner
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors(self._request):
            async for chunk in self._inner:
                yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


@contextmanager
def _as_httpx_errors(request: httpx.Request) -> Iterator[None]:
    """aiohttp's errors as the httpx errors callers expect. The library's own table is redone
    here: it calls a refused connection and a server hanging up `ConnectTimeout`, which the
    gateway would answer as 504 (no answer in time) instead of 502 (unavailable)."""
    try:
        yield
    except (httpx.TransportError, aiohttp.ClientError) as exc:
        cause = exc if isinstance(exc, aiohttp.ClientError) else exc.__cause__
        if not isinstance(cause, aiohttp.ClientError):
            raise
        raise _httpx_error(cause)(str(cause) or type(cause).__name__, request=request) from cause


def _httpx_error(error: aiohttp.ClientError) -> type[httpx.TransportError]:
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout
    if isinstance(error, aiohttp.SocketTimeoutError):
        return httpx.ReadTimeout
    if isinstance(error, aiohttp.ServerTimeoutError):
        return httpx.TimeoutException
    if isinstance(error, aiohttp.ClientConnectorError):  # refused, unreachable, no such host
        return httpx.ConnectError
    if isinstance(error, aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError
    if isinstance(error, aiohttp.ClientPayloadError | aiohttp.ClientOSError):
        return httpx.ReadError
    return httpx.TransportError


def service_transport(*, max_connections: int) -> httpx.AsyncBaseTransport:
    """A pool of up to `max_connections` keep-alive connections (each kept 5 s when idle, well
    inside the services' own 75 s, so none is reused as the server closes it)."""

    def session() -> aiohttp.ClientSession:
        # Made on the first call, inside the running loop. No cookie jar: one pool carries
        # calls made for every user, so nothing one answer sets may ride along with the next.
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=max_connections, keepalive_timeout=5.0, ssl=shared_tls_context()
            ),
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    return _Transport(client=session)
