"""Calling the services: forwarding a public request to the one that owns it, and the gateway's
own questions to them (does this project exist for this user, your OpenAPI document).

Every call, forwarded or the gateway's own, streamed or read whole, goes out the same way: with
the runtime's `signed_headers` (the caller's identity signed for `STUDIO_INTERNAL_TOKEN_TTL_S`,
the request id), as every service-to-service call does, and one mapping of a service that cannot
be reached (502) or does not answer in time (504) to a problem body. The runtime's
`InternalService` itself is not used here: a forward must send the path exactly as the client
did (it encodes it), stream the body both ways, and spread calls over the pool's clients.

A forwarded request carries only the headers a service needs (checked in `headers`), and the
service's answer (problem bodies included) comes back unchanged. Small bodies are read whole;
large ones (downloads) stream through without being held in memory.
"""

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager

import httpx
import structlog
from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask
from studio_runtime.errors import DomainError, NotFound
from studio_runtime.internal_auth import Identity
from studio_runtime.internal_http import signed_headers

from studio_gateway.proxy.headers import forwarded_headers

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
        "allow",
    }
)
_BUFFER_LIMIT = 1 << 20
PUBLIC_PREFIX = "/api/v1/"
_ENCODED_SEPARATORS = ("%2f", "%2e", "%5c")
"""Percent-encoded `/`, `.` and `\\`: a service decodes them, so an id holding one could
become a different path there than the one the gateway matched."""

log = structlog.get_logger(__name__)


class UpstreamUnavailable(DomainError):
    status = 502
    code = "upstream-unavailable"


class UpstreamTimeout(DomainError):
    status = 504
    code = "upstream-timeout"


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
    def __init__(
        self,
        pick_client: Callable[[], httpx.AsyncClient],
        upstreams: dict[str, str],
        *,
        secret: str,
        token_ttl_s: float,
        pick_streaming_client: Callable[[], httpx.AsyncClient] | None = None,
    ) -> None:
        """`pick_client`: the client for the next call (`ClientPool.pick` spreads calls over
        several small pools); `upstreams`: service name -> base URL. `pick_streaming_client`:
        the client for a request whose body is passed on as it arrives (an upload), one that
        reads the body in the caller's task (httpx's own transport), so that a limit stopping
        the body midway reaches the caller as itself (413), not as a broken call."""
        self._pick_client = pick_client
        self._pick_streaming_client = pick_streaming_client or pick_client
        self._upstreams = upstreams
        self._secret = secret
        self._token_ttl_s = token_ttl_s

    async def get(self, service: str, path: str, identity: Identity) -> httpx.Response:
        """`service`'s answer to a GET of `path` as `identity`, read whole, whatever its status
        (e.g. 404: not theirs)."""
        with _mapped_errors(service):
            return await self._pick_client().get(
                self._upstreams[service] + path, headers=self._signed(identity)
            )

    async def forward(self, request: Request, *, service: str, identity: Identity) -> Response:
        headers = forwarded_headers(request.headers)
        headers.update(self._signed(identity))
        has_body = request.method in ("POST", "PUT", "PATCH")
        if has_body and "content-length" in request.headers:
            # Lets the service refuse an oversize upload before reading it.
            headers["content-length"] = request.headers["content-length"]
        # The path as the client sent it (still percent-encoded), not the decoded one.
        path = forwardable_path(
            request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        )
        content: bytes | AsyncIterator[bytes] | None = None
        if not has_body:
            client = self._pick_client()
        elif _small(request.headers.get("content-length")):
            # Read here: a limit or a client gone midway stops this call, as it should.
            content, client = await request.body(), self._pick_client()
        else:
            content, client = request.stream(), self._pick_streaming_client()
        upstream_request = client.build_request(
            request.method,
            self._upstreams[service] + path,
            params=request.url.query,
            headers=headers,
            content=content,
        )
        if not upstream_request.url.raw_path.decode("latin-1").startswith(path):
            # httpx rewrote the path (normalisation): never send what the router did not match.
            raise NotFound(f"no route {path!r}")
        with _mapped_errors(service):
            upstream = await client.send(upstream_request, stream=True)
        response_headers = {
            k: v for k, v in upstream.headers.items() if k in RETURNED_RESPONSE_HEADERS
        }
        length = upstream.headers.get("content-length")
        if length is not None and int(length) <= _BUFFER_LIMIT:
            try:
                with _mapped_errors(service):
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

    def _signed(self, identity: Identity) -> dict[str, str]:
        return signed_headers(identity, self._secret, ttl_s=self._token_ttl_s)


def _small(content_length: str | None) -> bool:
    """Whether a body of this announced length is read whole before it is passed on."""
    return (
        content_length is not None
        and content_length.isdigit()
        and int(content_length) <= _BUFFER_LIMIT
    )


@contextmanager
def _mapped_errors(service: str) -> Iterator[None]:
    """A service that cannot be reached, or does not answer in time, as the problem the client
    gets (the same for a forward and for the gateway's own calls)."""
    try:
        yield
    except httpx.TimeoutException as exc:
        log.warning("upstream.timed_out", service=service)
        raise UpstreamTimeout(f"the {service} service did not answer in time") from exc
    except httpx.TransportError as exc:
        # The error's type says which step failed (connect, write, read, protocol): str() of a
        # read or write error is often empty.
        log.warning(
            "upstream.unreachable", service=service, error=type(exc).__name__, detail=str(exc)
        )
        raise UpstreamUnavailable(f"the {service} service is unavailable") from exc
