"""The API's larger JSON answers travel gzipped, and the model catalog is revalidated rather than
sent again (QA 13: the catalog alone, 124 KB uncompressed on every project page, broke the
studio's page budget). Files, small records and the event stream are left as they are."""

import gzip
import json
from pathlib import Path

import httpx

from tests.support import media_samples
from tests.support.full_stack import Servers, full_stack

GZIP = {"Accept-Encoding": "gzip"}


async def raw_get(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> httpx.Response:
    """The answer as it travelled (not decoded by httpx), read whole."""
    async with client.stream("GET", path, headers=headers) as response:
        response._content = b"".join([chunk async for chunk in response.aiter_raw()])
    return response


async def test_the_catalog_is_gzipped_and_revalidated(servers: Servers, tmp_path: Path) -> None:
    async with (
        full_stack(servers, storage_url=(tmp_path / "s").as_uri(), workers=0) as stack,
        stack.client() as client,
    ):
        plain = await raw_get(client, "/api/v1/models?limit=200", {"Accept-Encoding": "identity"})
        packed = await raw_get(client, "/api/v1/models?limit=200", GZIP)
        again = await raw_get(
            client, "/api/v1/models?limit=200", {**GZIP, "If-None-Match": packed.headers["etag"]}
        )
        one = await raw_get(client, "/api/v1/models/local/image", GZIP)
        one_again = await raw_get(
            client, "/api/v1/models/local/image", {"If-None-Match": one.headers["etag"]}
        )
        other_page = await raw_get(
            client, "/api/v1/models?limit=5", {"If-None-Match": packed.headers["etag"]}
        )

    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert len(plain.content) > 50_000  # the whole catalog, as the studio asks for it
    # Before: the same 124 KB whatever the client accepted, and no entity tag.
    assert packed.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in packed.headers["vary"].lower()
    assert len(packed.content) < len(plain.content) / 4
    assert json.loads(gzip.decompress(packed.content)) == json.loads(plain.content)
    # The tag of the bytes that travelled: weak, as they are the compressed form of the tagged.
    assert packed.headers["etag"] == "W/" + plain.headers["etag"]
    assert packed.headers["cache-control"] == plain.headers["cache-control"] == "public, no-cache"
    assert again.status_code == 304 and again.content == b""
    assert one_again.status_code == 304 and one_again.content == b""
    assert other_page.status_code == 200  # another body, another tag


async def test_files_small_records_and_the_event_stream_are_not_compressed(
    servers: Servers, tmp_path: Path
) -> None:
    async with (
        full_stack(servers, storage_url=(tmp_path / "s").as_uri()) as stack,
        stack.client() as client,
    ):
        project = (await client.post("/api/v1/projects", json={"name": "Plain"})).json()["id"]
        image = media_samples.png(512, 512)
        uploaded = await client.post(
            f"/api/v1/projects/{project}/assets", files={"file": ("big.png", image)}
        )
        asset = uploaded.json()["id"]
        content = await raw_get(client, f"/api/v1/assets/{asset}/content", GZIP)
        record = await raw_get(client, f"/api/v1/projects/{project}", GZIP)
        for number in range(40):
            await client.post(
                f"/api/v1/projects/{project}/assets",
                files={"file": (f"n{number}.png", media_samples.png(8, 8, (number, 0, 0)))},
            )
        listed = await raw_get(client, f"/api/v1/projects/{project}/assets?limit=40", GZIP)
        async with client.stream("GET", "/api/v1/events", headers=GZIP) as stream:
            stream_headers = stream.headers

    assert content.status_code == 200 and content.content == image
    assert "content-encoding" not in content.headers
    assert record.status_code == 200 and "content-encoding" not in record.headers
    # A page of 40 assets is worth compressing, and is.
    assert listed.headers.get("content-encoding") == "gzip"
    assert len(json.loads(gzip.decompress(listed.content))["items"]) == 40
    assert stream_headers["content-type"].startswith("text/event-stream")
    assert "content-encoding" not in stream_headers
