"""Pure ASGI middleware (cheaper than BaseHTTPMiddleware on every request).

- `RequestContextMiddleware`: request id in and out, bound to every log line; one access line;
  Prometheus request metrics by route template; a read timeout for request bodies.
- `InternalIdentityMiddleware`: refuses calls that lack the gateway's signed identity.
- `HeadAsGetMiddleware`: answers HEAD wherever GET is answered (RFC 9110 9.3.2).
"""

import asyncio
import re
import time
import uuid

import structlog
from prometheus_client import Counter, Histogram
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from studio_runtime.errors import CLIENT_CLOSED_REQUEST, RequestTimeout, problem_response
from studio_runtime.internal_auth import IDENTITY_HEADER, InvalidIdentity, verify_identity

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
UNAUTHENTICATED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
BODY_READ_TIMEOUT_S = 30.0
"""Longest wait for the next piece of a request body. uvicorn has no such timeout: a client that
announces more bytes than it sends would otherwise hold the request open forever."""

REQUESTS = Counter("studio_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "studio_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
log = structlog.get_logger("studio.access")


def request_id_from(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER.encode():
            text: str = value.decode("latin-1")
            if _VALID_REQUEST_ID.match(text):
                return text
    return uuid.uuid4().hex


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, body_read_timeout_s: float = BODY_READ_TIMEOUT_S) -> None:
        self.app = app
        self.body_read_timeout_s = body_read_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        responded = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status = message["status"]
                responded = True
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        body = _BodyReader(receive, self.body_read_timeout_s)
        try:
            await self.app(scope, body.receive, send_with_id)
        except RequestTimeout as exc:
            # Raised wherever the body is read, a middleware outside the error handlers too.
            if responded:
                raise
            await problem_response(exc.status, exc.detail, code=exc.code, headers=exc.headers)(
                scope, body.receive, send_with_id
            )
        except ClientDisconnect:
            if responded:
                raise
        finally:
            if body.disconnected and not responded:
                # Nobody is left to answer: not a server error, whatever the app did about it.
                status = CLIENT_CLOSED_REQUEST
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            method = scope["method"]
            REQUESTS.labels(method, template, str(status)).inc()
            LATENCY.labels(method, template).observe(elapsed)
            if template not in UNAUTHENTICATED_PATHS:
                log.info(
                    "request.handled",
                    method=method,
                    path=scope["path"],
                    status=status,
                    ms=round(elapsed * 1000, 2),
                )


class _BodyReader:
    """`receive`, waiting at most `timeout_s` for each piece of the body (then RequestTimeout,
    408); once the body is complete, waits are not limited (a streaming answer waits for the
    disconnect). Notes whether the client went away."""

    def __init__(self, receive: Receive, timeout_s: float) -> None:
        self._receive = receive
        self._timeout_s = timeout_s
        self._body_done = False
        self.disconnected = False

    async def receive(self) -> Message:
        if self._body_done:
            message = await self._receive()
        else:
            try:
                async with asyncio.timeout(self._timeout_s):
                    message = await self._receive()
            except TimeoutError:
                raise RequestTimeout(
                    f"The request body stopped arriving: nothing came for {self._timeout_s:g} s "
                    "before its Content-Length was reached."
                ) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                self._body_done = True
        if message["type"] == "http.disconnect":
            self.disconnected = True
        return message


class InternalIdentityMiddleware:
    """Every route but health and metrics needs a valid `X-Studio-Identity` from the gateway."""

    def __init__(self, app: ASGIApp, *, secret: str) -> None:
        self.app = app
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNAUTHENTICATED_PATHS:
            await self.app(scope, receive, send)
            return
        token = next(
            (
                v.decode("latin-1")
                for k, v in scope.get("headers", ())
                if k == IDENTITY_HEADER.encode()
            ),
            None,
        )
        if token is None:
            await problem_response(401, "missing internal identity", code="unauthorized")(
                scope, receive, send
            )
            return
        try:
            identity = verify_identity(token, self.secret)
        except InvalidIdentity as exc:
            await problem_response(401, str(exc), code="unauthorized")(scope, receive, send)
            return
        scope.setdefault("state", {})["identity"] = identity
        structlog.contextvars.bind_contextvars(user_id=identity.user_id)
        await self.app(scope, receive, send)


HEAD_REQUEST = "studio.head_request"
"""Set in the scope of a HEAD request routed as GET: a route that streams a file skips reading it."""


class HeadAsGetMiddleware:
    """Routes HEAD as GET: FastAPI's routes answer GET only, while download tools ask HEAD for a
    file's size and type. The server (uvicorn) sends no body for HEAD, since the scope it holds
    still says HEAD; only the copy handed on says GET."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "HEAD":
            scope = {**scope, "method": "GET", HEAD_REQUEST: True}
        await self.app(scope, receive, send)
