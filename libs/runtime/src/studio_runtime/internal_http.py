"""Calling another service over HTTP as the user a request acts for (signed identity)."""

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from studio_runtime import tracing
from studio_runtime.client_pool import ClientPool
from studio_runtime.errors import ServiceUnavailable
from studio_runtime.http_transport import no_cookies, service_transport
from studio_runtime.internal_auth import IDENTITY_HEADER, Identity, sign_identity
from studio_runtime.middleware import REQUEST_ID_HEADER
from studio_runtime.settings import ServiceSettings


def internal_client(*, timeout_s: float, max_connections: int = 100) -> httpx.AsyncClient:
    """An HTTP client for calls between services (a `ClientPool` holds several of these).

    Never through a proxy: `trust_env=False` ignores `HTTP(S)_PROXY` (and netrc), which are set
    for outbound traffic (fal.ai) and would send a call to a neighbouring service, with its
    signed identity, to a proxy that cannot reach it."""
    client = httpx.AsyncClient(
        timeout=timeout_s,
        transport=service_transport(max_connections=max_connections),
        follow_redirects=False,
        trust_env=False,
        cookies=no_cookies(),
    )
    return tracing.instrument_client(client)


def signed_headers(identity: Identity, secret: str, *, ttl_s: float) -> dict[str, str]:
    """What every call to a service carries, from any caller: the identity it acts for, signed
    (valid `ttl_s` seconds, `STUDIO_INTERNAL_TOKEN_TTL_S`), and the request id it belongs to."""
    headers = {IDENTITY_HEADER: sign_identity(identity, secret, ttl_s=ttl_s)}
    if identity.request_id:
        headers[REQUEST_ID_HEADER] = identity.request_id
    return headers


class InternalService:
    """One internal service: its base URL, the shared signing secret and how long a signature
    stays valid. Calls go through `client`, or are spread over a `ClientPool`'s clients (for a
    caller with many calls at once: see `studio_runtime.client_pool`)."""

    def __init__(
        self,
        client: httpx.AsyncClient | ClientPool,
        base_url: str,
        *,
        secret: str,
        name: str,
        ttl_s: float,
    ) -> None:
        self._pick: Callable[[], httpx.AsyncClient] = (
            client.pick if isinstance(client, ClientPool) else lambda: client
        )
        self._base_url = base_url.rstrip("/")
        self._secret = secret
        self._ttl_s = ttl_s
        self.name = name

    @classmethod
    def from_settings(
        cls,
        client: httpx.AsyncClient | ClientPool,
        settings: ServiceSettings,
        base_url: str,
        *,
        name: str,
    ) -> "InternalService":
        """The service at `base_url`, signed with the caller's configured secret and TTL."""
        return cls(
            client,
            base_url,
            secret=settings.internal_secret.get_secret_value(),
            name=name,
            ttl_s=settings.internal_token_ttl_s,
        )

    async def request(
        self, method: str, path: str, identity: Identity, **kwargs: Any
    ) -> httpx.Response:
        """The service's answer, whatever its status; ServiceUnavailable if it cannot be reached."""
        try:
            return await self._pick().request(
                method, self._base_url + _encoded(path), headers=self._headers(identity), **kwargs
            )
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"the {self.name} service is unavailable; try again") from exc

    def stream(self, method: str, path: str, identity: Identity) -> Any:
        """`async with service.stream(...) as response`: for large bodies."""
        return self._pick().stream(
            method, self._base_url + _encoded(path), headers=self._headers(identity)
        )

    def _headers(self, identity: Identity) -> dict[str, str]:
        return signed_headers(identity, self._secret, ttl_s=self._ttl_s)


def _encoded(path: str) -> str:
    """`path` with anything a URL cannot hold percent-encoded: ids in paths come from callers,
    and an odd one must reach the service (which answers 404), not break the request."""
    return quote(path, safe="/:@!$&'()*+,;=-._~", errors="backslashreplace")
