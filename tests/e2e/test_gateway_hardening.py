"""The gateway's limits and refusals (docs/gateway.md, "Limits and refusals"): paths that would
leave their public route, non-canonical ids, bad numbers, oversize bodies and spoofed client
addresses, each against every service running on the real servers."""

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from pymongo import AsyncMongoClient
from studio_gateway.main import create_app as create_gateway
from studio_gateway.settings import GatewaySettings
from studio_generation.service import refuse_unpublishable
from studio_runtime.errors import PayloadTooLarge
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
        # A trailing slash, encoded or not, is no redirect to the path without it.
        "/api/v1/projects/..%2F",
        "/api/v1/projects/abc%2F",
        "/api/v1/projects/",
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


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


async def test_a_body_that_is_no_json_gets_a_precise_problem(stack: FullStack) -> None:
    async with stack.client() as client:
        for content_type in ("text/plain", "application/xml", "application/x-www-form-urlencoded"):
            sent = await client.post(
                "/api/v1/projects", content='{"name": "x"}', headers={"content-type": content_type}
            )
            assert "application/json" in _problem(sent, 415)["detail"], content_type
        latin = await client.post(
            "/api/v1/projects",
            content='{"name": "caf\u00e9"}'.encode("latin-1"),
            headers={"content-type": "application/json; charset=latin-1"},
        )
        assert _problem(latin, 422)["errors"][0]["type"] == "json_invalid"
        cut = await client.post(
            "/api/v1/projects", content='{"name":', headers={"content-type": "application/json"}
        )
        error = _problem(cut, 422)["errors"][0]
        assert error["loc"] == ["body"] and "not valid JSON" in error["msg"], error
        assert (await client.get("/api/v1/projects")).json()["items"] == []  # nothing stored


async def test_head_is_answered_wherever_get_is(stack: FullStack) -> None:
    async with stack.client() as client:
        project = await _project(client)
        png = media_samples.png(40, 30)
        uploaded = await client.post(
            f"/api/v1/projects/{project}/assets", files={"file": ("a.png", png, "image/png")}
        )
        content = f"/api/v1/assets/{uploaded.json()['id']}/content"
        head = await client.head(content)
        assert head.status_code == 200
        assert (head.headers["content-length"], head.headers["content-type"]) == (
            str(len(png)),
            "image/png",
        )
        assert head.content == b""
        listed = await client.head("/api/v1/projects")
        assert listed.status_code == 200 and listed.content == b""
        # A Range header that is no byte range is ignored (RFC 9110 14.2): the whole file.
        whole = await client.get(content, headers={"range": "bytes=abc"})
        assert whole.status_code == 200 and whole.content == png


async def test_wrong_methods_and_unknown_paths_get_worded_problems(stack: FullStack) -> None:
    async with stack.client() as client:
        project = await _project(client)
        put = _problem(await client.put(f"/api/v1/projects/{project}", json={}), 405)
        assert "PUT is not allowed" in put["detail"]
        allowed = (await client.put(f"/api/v1/projects/{project}", json={})).headers["allow"]
        assert {"GET", "PATCH", "DELETE"} <= {m.strip() for m in allowed.split(",")}
        unknown = _problem(await client.get(f"/api/v1/projects/{project}/nothing"), 404)
        assert unknown["detail"].startswith("no route")
        long_id = _problem(await client.get("/api/v1/projects/" + "x" * 5000), 404)
        assert len(long_id["detail"]) <= 500


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


async def test_every_string_parameter_is_capped(stack: FullStack) -> None:
    async with stack.client() as client:
        project = await _project(client)
        path = f"/api/v1/projects/{project}/generations"
        hidden_prompt = await client.post(
            path, json=_image_request(prompt="", params={"prompt": "q" * 10_001})
        )
        assert hidden_prompt.status_code == 422, hidden_prompt.text
        assert [e["type"] for e in hidden_prompt.json()["errors"]] == ["string_too_long"]
        long_negative = await client.post(
            path, json=_image_request(params={"negative_prompt": "n" * 10_001})
        )
        assert long_negative.status_code == 422, long_negative.text
        assert _locs(long_negative) == [["body", "params", "negative_prompt"]]
        at_the_cap = await client.post(
            path, json=_image_request(prompt="p" * 10_000, params={"negative_prompt": "n" * 10_000})
        )
        assert at_the_cap.status_code == 202, at_the_cap.text


@pytest.mark.parametrize("size", [300_000, 1_100_000, 3_000_000])
async def test_oversize_generation_requests_are_refused_before_they_are_stored(
    stack: FullStack, size: int
) -> None:
    async with stack.client() as client:
        project = await _project(client)
        path = f"/api/v1/projects/{project}/generations"
        for prompt, params in (
            ("a cat", {"negative_prompt": "n" * size}),
            ("", {"prompt": "q" * size}),
        ):
            response = await client.post(path, json=_image_request(prompt=prompt, params=params))
            assert response.status_code == 413, response.text[:300]
            assert response.headers["content-type"].startswith("application/problem+json")
        # Without a Content-Length (chunked), the body is counted as it arrives.
        chunked = await client.post(
            path,
            content=_chunks(json.dumps(_image_request(params={"negative_prompt": "n" * size}))),
            headers={"content-type": "application/json"},
        )
        assert chunked.status_code == 413, chunked.text[:300]
        assert (await client.get("/api/v1/generations")).json()["items"] == []


async def _chunks(text: str) -> AsyncIterator[bytes]:
    data = text.encode()
    for start in range(0, len(data), 64 * 1024):
        yield data[start : start + 64 * 1024]


def test_a_request_that_would_not_fit_its_event_is_refused() -> None:
    refuse_unpublishable("p" * 10_000, {"negative_prompt": "n" * 10_000}, ["0" * 24])
    with pytest.raises(PayloadTooLarge):
        refuse_unpublishable("", {"a": "é" * 200_000, "b": "é" * 100_000}, [])


async def test_a_stored_request_with_non_canonical_ids_is_not_retried(
    stack: FullStack, servers: Servers
) -> None:
    async with stack.client() as client:
        project = await _project(client)
        accepted = await client.post(
            f"/api/v1/projects/{project}/generations", json=_image_request()
        )
        assert accepted.status_code == 202, accepted.text
        generation_id = accepted.json()["id"]
        # As stored before model ids had to be canonical.
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
        try:
            generations = mongo[f"{servers.mongo_db_name}_g"]["generations"]
            updated = await generations.update_one(
                {"_id": generation_id}, {"$set": {"model_id": "local/./image"}}
            )
            assert updated.modified_count == 1
        finally:
            await mongo.close()
        retried = await client.post(f"/api/v1/generations/{generation_id}/retry")
        assert retried.status_code == 409, retried.text
        assert retried.headers["content-type"].startswith("application/problem+json")
