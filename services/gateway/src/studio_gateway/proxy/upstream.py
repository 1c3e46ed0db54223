"""Forwarding a public request to the service that owns it.

The gateway adds the caller's signed identity and the request id, forwards only the headers a
service needs, and passes the service's answer (problem bodies included) back unchanged. Small
bodies are read whole; large ones (downloads) stream through without being held in memory.
"""

from typing import Any

import httpx
import structlog
from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask
from studio_runtime.client_pool import ClientPool
from studio_runtime.errors import NotFound, ServiceUnavailable, problem_response
from studio_runtime.internal_auth import IDENTITY_HEADER, Identity, sign_identity
from studio_runtime.middleware import REQUEST_ID_HEADER

FORWARDED_REQUEST_HEADERS = (
    "content-type",
    "accept",
    "idempotency-key",
    "range",
    "if-none-match",
    "if-match",
    "if-modified-since",
    "last-event-id",
)
RETURNED_RESPONSE_HEADERS = frozenset(
    {
        "content-type",
        "content-length",
        "content-range",
        "accept-ranges",
        "content-disposition",
        "etag",
        "last-modified",
        "cache-control",
        "location",
        "retry-after",
    }
)
_BUFFER_LIMIT = 1 << 20
PUBLIC_PREFIX = "/api/v1/"
_ENCODED_SEPARATORS = ("%2f", "%2e", "%5c")
"""Percent-encoded `/`, `.` and `\\`: a service decodes them, so an id holding one could
become a different path there than the one the gateway matched."""

log = structlog.get_logger(__name__)


def forwardable_path(raw_path: str) -> str:
    """The path to forward, exactly as the client sent it, if it stays inside the public route
    it matched; NotFound otherwise.

    The router matches the path as sent, but the upstream URL is normalised (`a/../b` is `b`)
    and decoded by the service, so a dot segment or an encoded separator in an id could reach
    any route of the service, internal ones (`/metrics`, `/openapi.json`, `/internal/...`)
    included. No public id contains them, so they are refused rather than normalised."""
    lowered = raw_path.lower()
    segments = raw_path.split("/")
    if (
        not raw_path.startswith(PUBLIC_PREFIX)
        or any(segment in (".", "..") for segment in segments)
        or any(sep in lowered for sep in _ENCODED_SEPARATORS)
        or "\\" in raw_path
    ):
        raise NotFound(f"no route {raw_path!r}")
    return raw_path


class UpstreamProxy:
    def __init__(self, clients: ClientPool, *, secret: str, token_ttl_s: float) -> None:
        self._clients = clients
        self._secret = secret
        self._token_ttl_s = token_ttl_s

    async def status_of(self, url: str, identity: Identity) -> int:
        """The status a service answers a GET with, as `identity` (e.g. 404: not theirs)."""
        try:
            response = await self._clients.pick().get(url, headers=self._identity_headers(identity))
        except httpx.HTTPError as exc:
            raise ServiceUnavailable("A service needed for this answer is unavailable.") from exc
        return response.status_code

    async def get_json(self, url: str, identity: Identity) -> Any:
        response = await self._clients.pick().get(url, headers=self._identity_headers(identity))
        response.raise_for_status()
        return response.json()

    def _identity_headers(self, identity: Identity) -> dict[str, str]:
        headers = {IDENTITY_HEADER: sign_identity(identity, self._secret, ttl_s=self._token_ttl_s)}
        if identity.request_id:
            headers[REQUEST_ID_HEADER] = identity.request_id
        return headers

    async def forward(
        self, request: Request, *, service: str, base_url: str, identity: Identity
    ) -> Response:
        headers = {
            name: request.headers[name]
            for name in FORWARDED_REQUEST_HEADERS
            if name in request.headers
        }
        headers.update(self._identity_headers(identity))
        has_body = request.method in ("POST", "PUT", "PATCH")
        if has_body and "content-length" in request.headers:
            # Lets the service refuse an oversize upload before reading it.
            headers["content-length"] = request.headers["content-length"]
        # The path as the client sent it (still percent-encoded), not the decoded one.
        path = forwardable_path(
            request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        )
        client = self._clients.pick()
        upstream_request = client.build_request(
            request.method,
            base_url + path,
            params=request.url.query,
            headers=headers,
            content=request.stream() if has_body else None,
        )
        if not upstream_request.url.raw_path.decode("latin-1").startswith(path):
            # httpx rewrote the path (normalisation): never send what the router did not match.
            raise NotFound(f"no route {path!r}")
        try:
            upstream = await client.send(upstream_request, stream=True)
        except httpx.TimeoutException:
            log.warning("upstream.timed_out", service=service)
            return problem_response(
                504, f"the {service} service did not answer in time", code="upstream-timeout"
            )
        except httpx.TransportError as exc:
            log.warning("upstream.unreachable", service=service, error=str(exc))
            return problem_response(
                502, f"the {service} service is unavailable", code="upstream-unavailable"
            )
        response_headers = {
            k: v for k, v in upstream.headers.items() if k in RETURNED_RESPONSE_HEADERS
        }
        length = upstream.headers.get("content-length")
        if length is not None and int(length) <= _BUFFER_LIMIT:
            try:
                body = await upstream.aread()
            finally:
                await upstream.aclose()
            return Response(body, status_code=upstream.status_code, headers=response_headers)
        return StreamingResponse(
            upstream.aiter_raw(),
            status_code=upstream.status_code,
            headers=response_headers,
            background=BackgroundTask(upstream.aclose),
        )
