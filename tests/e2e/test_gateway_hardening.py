"""The gateway's limits and refusals (docs/gateway.md, "Limits and refusals"): paths that would
leave their public route, non-canonical ids, bad numbers, oversize bodies and spoofed client
addresses, each against every service running on the real servers."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from studio_gateway.main import create_app as create_gateway
from studio_gateway.settings import GatewaySettings
from studio_runtime.serve import proxy_options

from tests.support import media_samples
from tests.support.accounts import ACCOUNTS, new_email
from tests.support.apps import make_settings, running
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


async def _project(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/v1/projects", json={"name": "hardening"})
    assert response.status_code == 201, response.text
    project_id: str = response.json()["id"]
    return project_id


def _image_request(**overrides: Any) -> dict[str, Any]:
    return {"type": "text-to-image", "model_id": "local/image", "prompt": "a cat", **overrides}


def _locs(response: httpx.Response) -> list[list[Any]]:
    return [error["loc"] for error in response.json()["errors"]]


@pytest.mark.parametrize(
    "model_id", ["local/./image", "local/image-edit/../image", "local/../fal-ai/flux/dev"]
)
async def test_model_ids_with_dot_segments_are_refused(stack: FullStack, model_id: str) -> None:
    async with stack.client() as client:
        project = await _project(client)
        response = await client.post(
            f"/api/v1/projects/{project}/generations", json=_image_request(model_id=model_id)
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert _locs(response) == [["body", "model_id"]]
        assert (await client.get("/api/v1/generations")).json()["items"] == []


async def test_input_asset_ids_must_be_plain_ids(stack: FullStack) -> None:
    async with stack.client() as client:
        project = await _project(client)
        upload = await client.post(
            f"/api/v1/projects/{project}/assets", files={"file": ("a.png", media_samples.png())}
        )
        assert upload.status_code == 201, upload.text
        asset_id = upload.json()["id"]
        for bad in (f"../assets/{asset_id}", f"{asset_id}/content", f"./{asset_id}"):
            response = await client.post(
                f"/api/v1/projects/{project}/generations",
                json=_image_request(
                    type="image-to-image", model_id="local/image-edit", input_asset_ids=[bad]
                ),
            )
            assert response.status_code == 422, (bad, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert _locs(response) == [["body", "input_asset_ids", 0]]
        accepted = await client.post(
            f"/api/v1/projects/{project}/generations",
            json=_image_request(
                type="image-to-image", model_id="local/image-edit", input_asset_ids=[asset_id]
            ),
        )
        assert accepted.status_code == 202, accepted.text


async def test_non_standard_numbers_are_refused_with_a_problem(stack: FullStack) -> None:
    async with stack.client() as client:
        project = await _project(client)
        path = f"/api/v1/projects/{project}/generations"
        for number in ("NaN", "Infinity", "-Infinity"):
            body = (
                '{"type": "text-to-image", "model_id": "local/image", "prompt": "a cat", '
                f'"params": {{"guidance_scale": {number}}}}}'
            )
            response = await client.post(
                path, content=body, headers={"content-type": "application/json"}
            )
            assert response.status_code == 422, (number, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert number in response.json()["detail"]
        words = await client.post(path, json=_image_request(prompt="NaN, Infinity"))
        assert words.status_code == 202, words.text
        renamed = await client.patch(
            f"/api/v1/projects/{project}",
            content='{"name": NaN}',
            headers={"content-type": "application/json"},
        )
        assert renamed.status_code == 422, renamed.text


async def test_a_forwarded_for_header_does_not_reset_the_sign_up_limit(
    servers: Servers, tmp_path: Path
) -> None:
    async with (
        full_stack(
            servers,
            storage_url=(tmp_path / "s").as_uri(),
            workers=0,
            gateway={**ACCOUNTS, "signups_per_minute_per_ip": 2},
        ) as limited,
        limited.client() as client,
    ):
        statuses = [
            (await client.post("/api/v1/auth/signup", json=_account())).status_code
            for _ in range(3)
        ]
        assert statuses == [201, 201, 429]
        for n in range(5):
            spoofed = await client.post(
                "/api/v1/auth/signup",
                json=_account(),
                headers={"X-Forwarded-For": f"203.0.113.{n + 1}", "X-Real-IP": f"198.51.100.{n}"},
            )
            assert spoofed.status_code == 429, (n, spoofed.text)


def _account() -> dict[str, str]:
    return {"email": new_email("signup"), "password": "correct horse battery"}


async def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(
    servers: Servers, tmp_path: Path
) -> None:
    async with full_stack(
        servers,
        storage_url=(tmp_path / "s").as_uri(),
        workers=0,
        gateway={**ACCOUNTS, "signups_per_minute_per_ip": 1},
    ) as limited:
        app = create_gateway(make_settings(GatewaySettings, **limited.gateway_settings))
        async with (
            running(app, trusted_proxies="127.0.0.1") as proxied,
            httpx.AsyncClient(base_url=proxied, timeout=30) as client,
        ):
            for n in range(3):
                response = await client.post(
                    "/api/v1/auth/signup",
                    json=_account(),
                    headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
                )
                assert response.status_code == 201, (n, response.text)


def test_forwarded_headers_are_believed_only_from_configured_proxies() -> None:
    assert proxy_options("") == {"proxy_headers": False, "forwarded_allow_ips": ""}
    assert proxy_options(" 10.0.0.1, 10.1.0.0/16 ") == {
        "proxy_headers": True,
        "forwarded_allow_ips": ["10.0.0.1", "10.1.0.0/16"],
    }
