"""Every call the gateway makes to a service, forwarded or its own, read whole or streamed:
the caller's identity signed by the runtime, the request id, and one mapping of a service that
is down (502) or too slow (504). In-process, against `httpx.MockTransport`."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from studio_gateway.proxy.upstream import UpstreamProxy, UpstreamTimeout, UpstreamUnavailable
from studio_runtime.internal_auth import IDENTITY_HEADER, Identity, verify_identity
from studio_runtime.middleware import REQUEST_ID_HEADER

SECRET = "unit-test-secret-0123456789abcdef0123"
CALLER = Identity(user_id="user-1", request_id="request-1")
Handler = Callable[[httpx.Request], Any]
"""What `httpx.MockTransport` takes: a function answering a request, plain or async."""


def _proxy(handler: Handler) -> UpstreamProxy:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return UpstreamProxy(
        lambda: client, {"catalog": "http://catalog"}, secret=SECRET, token_ttl_s=60
    )


def _public_request(path: str) -> Request:
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [],
    }
    return Request(scope)


async def _answer_streamed(request: httpx.Request) -> httpx.Response:
    async def body() -> Any:
        yield b"{}"

    return httpx.Response(200, content=body())  # no Content-Length: streamed through


@pytest.mark.parametrize("streamed", [False, True], ids=["read-whole", "streamed"])
async def test_a_forward_carries_the_signed_caller_and_the_request_id(streamed: bool) -> None:
    seen: list[httpx.Request] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return await _answer_streamed(request) if streamed else httpx.Response(200, json={})

    response = await _proxy(answer).forward(
        _public_request("/api/v1/models"), service="catalog", identity=CALLER
    )

    assert response.status_code == 200
    assert verify_identity(seen[0].headers[IDENTITY_HEADER], SECRET) == CALLER
    assert seen[0].headers[REQUEST_ID_HEADER] == "request-1"


async def test_the_gateways_own_calls_carry_them_too() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(404)

    response = await _proxy(answer).get("catalog", "/api/v1/models/x", CALLER)

    assert response.status_code == 404
    assert verify_identity(seen[0].headers[IDENTITY_HEADER], SECRET) == CALLER
    assert seen[0].headers[REQUEST_ID_HEADER] == "request-1"


def _failing(error: type[httpx.RequestError]) -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        raise error("no answer", request=request)

    return answer


@pytest.mark.parametrize(
    ("error", "mapped"),
    [(httpx.ConnectError, UpstreamUnavailable), (httpx.ReadTimeout, UpstreamTimeout)],
    ids=["unreachable-502", "timed-out-504"],
)
async def test_a_service_down_or_slow_is_the_same_problem_for_every_call(
    error: type[httpx.RequestError], mapped: type[Exception]
) -> None:
    proxy = _proxy(_failing(error))
    with pytest.raises(mapped):
        await proxy.forward(_public_request("/api/v1/models"), service="catalog", identity=CALLER)
    with pytest.raises(mapped):
        await proxy.get("catalog", "/api/v1/models", CALLER)
