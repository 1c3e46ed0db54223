"""The transport under every httpx client that calls a neighbouring service: aiohttp's pool.

httpx's own transport (httpcore over anyio) spends 0.5 to 1 ms of CPU on each call, and more the
more connections its pool holds, since it polls every idle one before each request; aiohttp's
pool spends 0.2 to 0.3 ms (measured: 4,000 POSTs to a local uvicorn, 16 at a time). Callers keep
httpx's API, its timeouts and its errors: `httpx-aiohttp` maps aiohttp's errors onto httpx's,
and what it leaves unmapped is mapped here, so a caller's `except httpx.HTTPError` still holds.

Only for calls between services: the transport ignores proxies from the environment, which
outbound traffic (fal.ai) must honour, so those clients keep httpx's own transport."""

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
        try:
            return await super().handle_async_request(request)
        except aiohttp.ClientError as exc:
            raise httpx.TransportError(str(exc) or type(exc).__name__, request=request) from exc


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
