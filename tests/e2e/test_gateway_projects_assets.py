"""Projects and assets through the gateway: the public API a browser or script uses."""

import hashlib

import httpx

from tests.support import media_samples


async def test_project_upload_list_download_through_the_gateway(gateway: httpx.AsyncClient) -> None:
    created = await gateway.post(
        "/api/v1/projects", json={"name": "  Moodboard  ", "description": "refs"}
    )
    assert created.status_code == 201
    project = created.json()
    assert project["name"] == "Moodboard"
    listed = (await gateway.get("/api/v1/projects")).json()
    assert project["id"] in [p["id"] for p in listed["items"]]
    data = media_samples.png(300, 200)
    uploaded = await gateway.post(
        f"/api/v1/projects/{project['id']}/assets", files={"file": ("ref.png", data, "image/png")}
    )
    assert uploaded.status_code == 201, uploaded.text
    asset = uploaded.json()
    page = (await gateway.get(f"/api/v1/projects/{project['id']}/assets")).json()
    assert [a["id"] for a in page["items"]] == [asset["id"]]
    assert (await gateway.get("/api/v1/assets", params={"media_type": "image"})).json()["items"][0][
        "id"
    ] == asset["id"]
    content = await gateway.get(asset["content_url"])
    assert hashlib.sha256(content.content).digest() == hashlib.sha256(data).digest()
    ranged = await gateway.get(asset["content_url"], headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206
    assert ranged.content == data[:100]
    assert ranged.headers["content-range"] == f"bytes 0-99/{len(data)}"
    thumbnail = await gateway.get(asset["thumbnail_url"])
    assert thumbnail.headers["content-type"] == "image/webp"
    patched = await gateway.patch(f"/api/v1/assets/{asset['id']}", json={"favorite": True})
    assert patched.json()["favorite"] is True
    renamed = await gateway.patch(
        f"/api/v1/projects/{project['id']}", json={"name": "Moodboard v2"}
    )
    assert renamed.json()["name"] == "Moodboard v2"
    assert (await gateway.delete(f"/api/v1/assets/{asset['id']}")).status_code == 204
    assert (await gateway.get(f"/api/v1/assets/{asset['id']}")).status_code == 404
    assert (await gateway.delete(f"/api/v1/projects/{project['id']}")).status_code == 204
    assert (await gateway.get(f"/api/v1/projects/{project['id']}")).status_code == 404


async def test_problem_bodies_from_projects_and_assets_pass_through(
    gateway: httpx.AsyncClient,
) -> None:
    invalid = await gateway.post("/api/v1/projects", json={"name": "   "})
    assert invalid.status_code == 422
    assert invalid.headers["content-type"] == "application/problem+json"
    assert invalid.json()["errors"][0]["loc"][-1] == "name"
    project = (await gateway.post("/api/v1/projects", json={"name": "p"})).json()
    refused = await gateway.post(
        f"/api/v1/projects/{project['id']}/assets",
        files={"file": ("x.png", b"not an image at all", "image/png")},
    )
    assert refused.status_code == 415
    assert refused.headers["content-type"] == "application/problem+json"
    missing = await gateway.get("/api/v1/assets/0123456789abcdef01234567")
    assert missing.status_code == 404
