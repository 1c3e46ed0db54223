"""The gateway's limits and refusals (docs/gateway.md, "Limits and refusals"): paths that would
leave their public route, non-canonical ids, bad numbers, oversize bodies and spoofed client
addresses, each against every service running on the real servers."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.full_stack import FullStack, Servers, full_stack


@pytest.fixture
async def stack(servers: Servers, tmp_path: Path) -> AsyncIterator[FullStack]:
    async with full_stack(servers, storage_url=(tmp_path / "s").as_uri(), workers=0) as running:
        yield running


async def raw_request(
    base_url: str, method: str, path: str, body: bytes = b"", content_type: str = ""
) -> tuple[int, bytes]:
    """(status, body) for `path` sent byte for byte: HTTP clients normalise `..` away."""
    url = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    head = [f"{method} {path} HTTP/1.1", f"Host: {url.netloc}", "Connection: close"]
    if body or method in ("POST", "PUT", "PATCH"):
        head.append(f"Content-Length: {len(body)}")
    if content_type:
        head.append(f"Content-Type: {content_type}")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()
    response = await reader.read()
    writer.close()
    await writer.wait_closed()
    status_line, _, rest = response.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


INTERNAL = ("metrics", "openapi.json", "docs", "readyz", "healthz", "internal/v1/generations/x")


@pytest.mark.parametrize(
    "path",
    [
        *(f"/api/v1/models/../../../{internal}" for internal in INTERNAL),
        "/api/v1/models/./../../../metrics",
        "/api/v1/models/local/../../../../metrics",
        "/api/v1/models/%2e%2e/%2e%2e/%2e%2e/metrics",
        "/api/v1/models/..%2f..%2f..%2fmetrics",
        "/api/v1/models/local%2Fimage",
        "/api/v1/assets/../content",
        "/api/v1/generations/..",
        "/api/v1/projects/../generations",
    ],
)
async def test_paths_that_leave_their_route_are_refused(stack: FullStack, path: str) -> None:
    status, body = await raw_request(stack.gateway, "GET", path)
    assert status == 404, (path, body[:200])
    assert b"studio_http_requests_total" not in body
    assert b'"openapi"' not in body


async def test_ids_holding_dots_still_reach_their_route(stack: FullStack) -> None:
    """Dots inside a segment are no dot segment: model versions like `v1.1` keep working."""
    status, body = await raw_request(stack.gateway, "GET", "/api/v1/models/local/image")
    assert status == 200, body[:200]
    status, _ = await raw_request(stack.gateway, "GET", "/api/v1/models/local/image..x")
    assert status == 404
