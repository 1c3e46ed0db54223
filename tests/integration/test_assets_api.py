"""The assets service through HTTP, against real MongoDB, NATS and S3 (SeaweedFS) servers."""

import hashlib
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import nats
import pytest
from minio import Minio
from nats.aio.msg import Msg
from PIL import Image
from pymongo import AsyncMongoClient
from studio_contracts import subjects
from studio_contracts.assets import OutputsRegistration
from studio_contracts.events import OutputFile
from studio_runtime.clock import from_ms
from studio_runtime.ids import new_id

from tests.support import media_samples
from tests.support.assets_stack import ASSETS_UPLOAD_LIMIT, AssetsStack
from tests.support.servers import S3Server
from tests.support.waiting import eventually


def bucket_keys(s3: S3Server, bucket: str) -> list[str]:
    client: Minio = s3.client()
    return sorted(
        o.object_name for o in client.list_objects(bucket, recursive=True) if o.object_name
    )


async def upload(
    client: httpx.AsyncClient,
    project_id: str,
    data: bytes,
    filename: str,
    declared: str = "application/octet-stream",
) -> httpx.Response:
    return await client.post(
        f"/api/v1/projects/{project_id}/assets", files={"file": (filename, data, declared)}
    )


async def test_upload_list_download_round_trip(
    stack: AssetsStack, s3: S3Server, s3_bucket: str
) -> None:
    project = await stack.new_project()
    data = media_samples.png(640, 480)
    async with stack.client() as client:
        created = await upload(client, project, data, "fox.png", "text/plain")
        assert created.status_code == 201, created.text
        asset = created.json()
        assert asset["media_type"] == "image"
        assert asset["content_type"] == "image/png"
        assert (asset["width"], asset["height"]) == (640, 480)
        assert asset["sha256"] == hashlib.sha256(data).hexdigest()
        assert asset["name"] == "fox.png"
        listed = (await client.get(f"/api/v1/projects/{project}/assets")).json()
        assert [a["id"] for a in listed["items"]] == [asset["id"]]
        content = await client.get(asset["content_url"])
        assert content.status_code == 200
        assert hashlib.sha256(content.content).hexdigest() == hashlib.sha256(data).hexdigest()
        assert content.headers["content-type"] == "image/png"
        assert content.headers["content-length"] == str(len(data))
        assert content.headers["etag"]
        assert content.headers["content-disposition"].startswith("inline")
        attachment = await client.get(asset["content_url"], params={"download": 1})
        assert attachment.headers["content-disposition"].startswith(
            'attachment; filename="fox.png"'
        )
        thumbnail = await client.get(asset["thumbnail_url"])
        assert thumbnail.headers["content-type"] == "image/webp"
        with Image.open(io.BytesIO(thumbnail.content)) as image:
            assert image.format == "WEBP"
            assert max(image.size) == 512
    assert len(bucket_keys(s3, s3_bucket)) == 2


async def test_a_new_asset_is_stored_with_its_time_in_milliseconds(
    stack: AssetsStack, mongo_url: str
) -> None:
    project = await stack.new_project()
    async with stack.client() as client:
        created = (await upload(client, project, media_samples.png(), "f.png")).json()
    stored = await _stored_record(stack, mongo_url, created["id"])
    assert "created_at" not in stored
    assert from_ms(stored["created_ms"]) == datetime.fromisoformat(created["created_at"])


async def test_an_asset_stored_with_a_date_by_an_earlier_version_reads_as_before(
    stack: AssetsStack, mongo_url: str
) -> None:
    project = await stack.new_project()
    asset_id = new_id()
    created_at = datetime(2026, 11, 30, 12, 34, 56, 789000, tzinfo=UTC)
    mongo = AsyncMongoClient[dict[str, Any]](mongo_url)
    try:
        await mongo[stack.settings.mongo_db]["assets"].insert_one(
            {
                "_id": asset_id,
                "owner": "user-1",
                "project_id": project,
                "kind": "upload",
                "media_type": "image",
                "content_type": "image/png",
                "size": 10,
                "sha256": "0" * 64,
                "name": "old.png",
                "tags": [],
                "favorite": False,
                "created_at": created_at,
                "object_key": f"user-1/{project}/uploads/{asset_id}.png",
                "dedup_key": f"upload:{asset_id}",
            }
        )
    finally:
        await mongo.close()
    async with stack.client() as client:
        asset = (await client.get(f"/api/v1/assets/{asset_id}")).json()
        assert datetime.fromisoformat(asset["created_at"]) == created_at
        listed = (await client.get(f"/api/v1/projects/{project}/assets")).json()["items"]
        assert [item["created_at"] for item in listed] == [asset["created_at"]]
        renamed = await client.patch(f"/api/v1/assets/{asset_id}", json={"name": "new.png"})
        assert renamed.json()["created_at"] == asset["created_at"]


async def _stored_record(stack: AssetsStack, mongo_url: str, asset_id: str) -> dict[str, Any]:
    client = AsyncMongoClient[dict[str, Any]](mongo_url)
    try:
        stored = await client[stack.settings.mongo_db]["assets"].find_one({"_id": asset_id})
    finally:
        await client.close()
    assert stored is not None
    return stored


async def test_text_file_named_png_is_refused_and_leaves_nothing(
    stack: AssetsStack, s3: S3Server, s3_bucket: str
) -> None:
    project = await stack.new_project()
    async with stack.client() as client:
        response = await upload(
            client, project, b"just some text, honestly" * 10, "photo.png", "image/png"
        )
        assert response.status_code == 415
        assert response.headers["content-type"] == "application/problem+json"
        # Said as a sentence, as the studio's upload tray shows it.
        assert response.json()["detail"].startswith(
            "This file\N{RIGHT SINGLE QUOTATION MARK}s content is not an"
        )
        empty = await upload(client, project, b"", "nothing.png", "image/png")
        assert empty.status_code == 422
        assert empty.json()["detail"] == "The file is empty."
        assert (await client.get("/api/v1/assets")).json()["items"] == []
    assert bucket_keys(s3, s3_bucket) == []


async def test_video_and_audio_uploads_record_size_and_duration(stack: AssetsStack) -> None:
    project = await stack.new_project()
    async with stack.client() as client:
        video = await upload(client, project, media_samples.mp4(64, 32, frames=15), "clip.mp4")
        assert video.status_code == 201, video.text
        facts = video.json()
        assert facts["media_type"] == "video"
        assert (facts["width"], facts["height"], facts["duration"]) == (64, 32, 1.5)
        assert facts["waveform"] is None
        # Its first frame is its thumbnail (the gallery shows a picture, not an icon).
        poster = await client.get(facts["thumbnail_url"])
        assert poster.headers["content-type"] == "image/webp"
        assert Image.open(io.BytesIO(poster.content)).size == (64, 32)
        audio = await upload(client, project, media_samples.wav(seconds=2.25), "take.wav")
        assert audio.status_code == 201, audio.text
        assert audio.json()["duration"] == 2.25
        assert audio.json()["width"] is None
        assert audio.json()["waveform"] is None, "silence has no shape to show"
        tone = await upload(client, project, media_samples.tone_wav([0.1, 0.9]), "tone.wav")
        shape = tone.json()["waveform"]
        assert len(shape) == 64 and max(shape[:28]) < 15 and min(shape[36:]) > 80, shape
        assert tone.json()["thumbnail_url"] is None
        stored = await client.get(f"/api/v1/assets/{tone.json()['id']}")
        assert stored.json()["waveform"] == shape
        # Headers that cannot be read: stored all the same, without the facts.
        broken = b"\x00\x00\x00\x18ftypisom" + bytes(200)
        unreadable = await upload(client, project, broken, "broken.mp4")
        assert unreadable.status_code == 201, unreadable.text
        assert unreadable.json()["duration"] is None
        assert unreadable.json()["thumbnail_url"] is None
        assert audio.json()["thumbnail_url"] is None


@pytest.mark.parametrize("chunked", [False, True], ids=["with-length", "chunked"])
async def test_over_limit_upload_is_refused_and_leaves_nothing(
    stack: AssetsStack, s3: S3Server, s3_bucket: str, chunked: bool
) -> None:
    project = await stack.new_project()
    data = media_samples.noisy_png(400, 400)
    assert len(data) > ASSETS_UPLOAD_LIMIT
    async with stack.client() as client:
        if chunked:
            boundary = "studio-test-boundary"
            body = (
                (
                    f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n'
                    f"Content-Type: image/png\r\n\r\n"
                ).encode()
                + data
                + f"\r\n--{boundary}--\r\n".encode()
            )

            async def pieces() -> AsyncIterator[bytes]:
                for start in range(0, len(body), 65536):
                    yield body[start : start + 65536]

            response = await client.post(
                f"/api/v1/projects/{project}/assets",
                content=pieces(),
                headers={"content-type": f"multipart/form-data; boundary={boundary}"},
            )
        else:
            response = await upload(client, project, data, "big.png")
        assert response.status_code == 413
        assert response.json()["detail"] == "The file is larger than the upload limit of 300 KiB."
        assert (await client.get("/api/v1/assets")).json()["items"] == []
    assert bucket_keys(s3, s3_bucket) == []


async def test_corrupt_image_and_decompression_bomb_are_422_and_leave_nothing(
    stack: AssetsStack, s3: S3Server, s3_bucket: str
) -> None:
    project = await stack.new_project()
    corrupt = media_samples.png()[:40] + b"\x00" * 200
    bomb = media_samples.png(3000, 3000)
    async with stack.client() as client:
        broken = await upload(client, project, corrupt, "broken.png")
        assert broken.status_code == 422
        too_big = await upload(client, project, bomb, "bomb.png")
        assert too_big.status_code == 422
        assert "pixels" in too_big.json()["detail"]
        assert (await client.get("/api/v1/assets")).json()["items"] == []
    assert bucket_keys(s3, s3_bucket) == []


async def test_undecodable_image_problem_speaks_of_the_file_not_our_objects(
    stack: AssetsStack,
) -> None:
    """A GIF header and nothing else: Pillow's message names our temporary file object, which
    is nobody's business outside the service."""
    project = await stack.new_project()
    async with stack.client() as client:
        response = await upload(client, project, b"GIF89a" + b"\x00" * 30, "empty.gif")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail == (
        "The file could not be decoded as an image: it is damaged, truncated or incomplete."
    )
    for internal in ("SpooledTemporaryFile", "object at 0x", "<", "tempfile"):
        assert internal not in detail, detail


async def test_range_requests_return_the_right_slice(stack: AssetsStack) -> None:
    project = await stack.new_project()
    data = media_samples.wav(seconds=2)
    async with stack.client() as client:
        asset = (await upload(client, project, data, "tone.wav")).json()
        assert asset["media_type"] == "audio"
        assert asset["thumbnail_url"] is None
        part = await client.get(asset["content_url"], headers={"Range": "bytes=100-1099"})
        assert part.status_code == 206
        assert part.content == data[100:1100]
        assert part.headers["content-range"] == f"bytes 100-1099/{len(data)}"
        assert part.headers["content-length"] == "1000"
        tail = await client.get(asset["content_url"], headers={"Range": "bytes=-10"})
        assert tail.content == data[-10:]
        beyond = await client.get(
            asset["content_url"], headers={"Range": f"bytes={len(data) + 5}-"}
        )
        assert beyond.status_code == 416
        assert beyond.headers["content-range"] == f"bytes */{len(data)}"
        cached = await client.get(
            asset["content_url"], headers={"If-None-Match": part.headers["etag"]}
        )
        assert cached.status_code == 304


async def test_presigned_redirect_serves_the_bytes(stack: AssetsStack) -> None:
    project = await stack.new_project()
    data = media_samples.png()
    async with stack.client() as client:
        asset = (await upload(client, project, data, "a.png")).json()
        redirect = await client.get(asset["content_url"], params={"redirect": 1})
        assert redirect.status_code == 307
        async with httpx.AsyncClient() as anonymous:
            direct = await anonymous.get(redirect.headers["location"])
        assert direct.content == data


async def test_a_renamed_asset_downloads_with_its_types_extension(stack: AssetsStack) -> None:
    project = await stack.new_project()
    async with stack.client() as client:
        asset = (await upload(client, project, media_samples.png(), "fox.png")).json()
        await client.patch(f"/api/v1/assets/{asset['id']}", json={"name": "My hero shot"})
        attachment = await client.get(asset["content_url"], params={"download": 1})
        assert attachment.headers["content-disposition"] == (
            "attachment; filename=\"My_hero_shot.png\"; filename*=UTF-8''My%20hero%20shot.png"
        )
        redirect = await client.get(asset["content_url"], params={"download": 1, "redirect": 1})
        assert "filename%3D%22My_hero_shot.png%22" in redirect.headers["location"]


async def test_a_file_name_with_double_quotes_keeps_them(stack: AssetsStack) -> None:
    # httpx escapes the quotes as browsers do (`filename="my %22best%22 shot.png"`).
    project = await stack.new_project()
    async with stack.client() as client:
        created = await upload(client, project, media_samples.png(), 'my "best" shot.png')
        assert created.json()["name"] == 'my "best" shot.png'
        assert created.json()["original_filename"] == 'my "best" shot.png'


async def test_another_users_assets_answer_404(stack: AssetsStack) -> None:
    project = await stack.new_project("alice")
    async with stack.client("alice") as alice, stack.client("mallory") as mallory:
        asset = (await upload(alice, project, media_samples.png(), "mine.png")).json()
        for method, path in [
            ("GET", f"/api/v1/assets/{asset['id']}"),
            ("PATCH", f"/api/v1/assets/{asset['id']}"),
            ("DELETE", f"/api/v1/assets/{asset['id']}"),
            ("GET", f"/api/v1/assets/{asset['id']}/content"),
            ("GET", f"/api/v1/assets/{asset['id']}/thumbnail"),
            ("GET", f"/api/v1/projects/{project}/assets"),
        ]:
            response = await mallory.request(
                method, path, json={"favorite": True} if method == "PATCH" else None
            )
            assert response.status_code == 404, (method, path)
        assert (await mallory.get("/api/v1/assets")).json()["items"] == []
        assert (await upload(mallory, project, media_samples.png(), "x.png")).status_code == 404
        assert (await alice.get(f"/api/v1/assets/{asset['id']}")).json()["favorite"] is False


async def test_update_filters_search_and_pagination(stack: AssetsStack) -> None:
    project = await stack.new_project()
    async with stack.client() as client:
        ids = []
        for i in range(5):
            ids.append(
                (
                    await upload(
                        client, project, media_samples.png(colour=(i, 0, 0)), f"shot-{i}.png"
                    )
                ).json()["id"]
            )
        sound = (await upload(client, project, media_samples.wav(), "rain.wav")).json()["id"]
        updated = await client.patch(
            f"/api/v1/assets/{ids[1]}",
            json={"tags": ["  hero ", "night"], "favorite": True, "name": "Hero shot"},
        )
        assert updated.status_code == 200
        assert updated.json()["tags"] == ["hero", "night"]
        assert (
            await client.patch(f"/api/v1/assets/{ids[1]}", json={"owner": "x"})
        ).status_code == 422
        favourites = (await client.get("/api/v1/assets", params={"favorite": True})).json()["items"]
        assert [a["id"] for a in favourites] == [ids[1]]
        audio = (await client.get("/api/v1/assets", params={"media_type": "audio"})).json()["items"]
        assert [a["id"] for a in audio] == [sound]
        by_tag = (await client.get("/api/v1/assets", params={"q": "HERO"})).json()["items"]
        assert [a["id"] for a in by_tag] == [ids[1]]
        by_filename = (await client.get("/api/v1/assets", params={"q": "shot-3"})).json()["items"]
        assert [a["id"] for a in by_filename] == [ids[3]]
        pages, cursor = [], None
        while True:
            params: dict[str, str | int] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            body = (await client.get(f"/api/v1/projects/{project}/assets", params=params)).json()
            pages.append([a["id"] for a in body["items"]])
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert [i for page in pages for i in page] == [sound, *reversed(ids)]
        assert all(len(page) <= 2 for page in pages)
        assert (
            await client.get("/api/v1/assets", params={"cursor": "nonsense"})
        ).status_code == 422
        assert (await client.get("/api/v1/assets", params={"limit": 0})).status_code == 422


async def test_a_tag_given_twice_is_kept_once_in_its_first_spelling(stack: AssetsStack) -> None:
    project = await stack.new_project()
    async with stack.client() as client:
        asset = (await upload(client, project, media_samples.png(), "dune.png")).json()
        updated = await client.patch(
            f"/api/v1/assets/{asset['id']}",
            json={"tags": ["dup", "Night", "dup", " night ", "DUP", "sand"]},
        )
        assert updated.status_code == 200, updated.text
        assert updated.json()["tags"] == ["dup", "Night", "sand"]
        stored = await client.get(f"/api/v1/assets/{asset['id']}")
        assert stored.json()["tags"] == ["dup", "Night", "sand"]


async def test_delete_removes_object_thumbnail_and_record(
    stack: AssetsStack, s3: S3Server, s3_bucket: str, nats_url: str, nats_prefix: str
) -> None:
    project = await stack.new_project()
    nc = await nats.connect(nats_url)
    received: list[bytes] = []

    async def collect(message: Msg) -> None:
        received.append(message.data)

    await nc.subscribe(subjects.subject(subjects.ASSET_DELETED, nats_prefix), cb=collect)
    try:
        async with stack.client() as client:
            asset = (await upload(client, project, media_samples.png(), "gone.png")).json()
            assert len(bucket_keys(s3, s3_bucket)) == 2
            assert (await client.delete(f"/api/v1/assets/{asset['id']}")).status_code == 204
            assert (await client.get(f"/api/v1/assets/{asset['id']}")).status_code == 404
            assert (await client.delete(f"/api/v1/assets/{asset['id']}")).status_code == 404
        assert bucket_keys(s3, s3_bucket) == []
        await eventually(lambda: len(received) == 1)
        assert asset["id"].encode() in received[0]
    finally:
        await nc.close()


async def test_an_update_is_announced_with_what_changed_and_the_result(
    stack: AssetsStack, nats_url: str, nats_prefix: str
) -> None:
    project = await stack.new_project()
    nc = await nats.connect(nats_url)
    received: list[dict[str, Any]] = []

    async def collect(message: Msg) -> None:
        received.append(json.loads(message.data))

    await nc.subscribe(subjects.subject(subjects.ASSET_UPDATED, nats_prefix), cb=collect)
    try:
        async with stack.client() as client:
            asset = (await upload(client, project, media_samples.png(), "dune.png")).json()
            changed = await client.patch(
                f"/api/v1/assets/{asset['id']}", json={"favorite": True, "tags": ["sand"]}
            )
            assert changed.status_code == 200
            # Nothing to change: nothing announced.
            same = await client.patch(f"/api/v1/assets/{asset['id']}", json={})
            assert same.status_code == 200
            renamed = await client.patch(f"/api/v1/assets/{asset['id']}", json={"name": "Dune"})
            assert renamed.status_code == 200
        await eventually(lambda: len(received) == 2)
        first, second = received
        assert first["asset_id"] == asset["id"] and first["project_id"] == project
        assert first["fields"] == ["favorite", "tags"]
        assert (first["name"], first["tags"], first["favorite"]) == ("dune.png", ["sand"], True)
        assert second["fields"] == ["name"]
        assert (second["name"], second["tags"], second["favorite"]) == ("Dune", ["sand"], True)
        assert first["event_id"] != second["event_id"]
    finally:
        await nc.close()


async def test_registering_outputs_twice_creates_one_asset_each_served_at_once(
    stack: AssetsStack, nats_url: str, nats_prefix: str
) -> None:
    project = await stack.new_project()
    generation_id = new_id()
    image = media_samples.png(800, 600)
    output = await stack.stored_output(project, generation_id, image, "image/png", 800, 600)
    registration = OutputsRegistration(
        generation_id=generation_id, project_id=project, prompt="a red square", outputs=[output]
    )
    nc = await nats.connect(nats_url)
    created: list[Msg] = []
    try:
        await nc.subscribe(
            subjects.subject(subjects.ASSET_CREATED, nats_prefix), cb=_append(created)
        )
        async with stack.client() as client:
            path = f"/internal/v1/generations/{generation_id}/outputs"
            body = registration.model_dump(mode="json")
            first = await client.put(path, json=body)
            assert first.status_code == 200, first.text
            asset = first.json()["assets"][0]
            # Served the moment the registration answers: content and thumbnail.
            assert (await client.get(asset["content_url"])).content == image
            assert (await client.get(asset["thumbnail_url"])).status_code == 200
            again = await client.put(path, json=body)  # a job re-run after a crash
            assert again.json()["assets"][0]["id"] == asset["id"]
            items = (await client.get("/api/v1/assets", params={"kind": "output"})).json()["items"]
            assert [item["id"] for item in items] == [output.asset_id]
            assert items[0]["generation_id"] == generation_id
            assert items[0]["prompt"] == "a red square"
            assert items[0]["name"] == "a-red-square-1.png"  # from the prompt, not an id
            found = (await client.get("/api/v1/assets", params={"q": "red square"})).json()
            assert found["items"][0]["id"] == asset["id"]
            await eventually(lambda: len(created) >= 2)
            # Both announcements carry the same event id: downstream counts the asset once.
            ids = {msg.headers.get("Nats-Msg-Id") for msg in created if msg.headers}
            assert ids == {f"{asset['id']}.created"}
    finally:
        await nc.close()


async def test_a_registered_video_output_is_shown_by_its_first_frame(stack: AssetsStack) -> None:
    project = await stack.new_project()
    generation_id = new_id()
    clip = media_samples.mp4(96, 64, frames=10)
    output = await stack.stored_output(project, generation_id, clip, "video/mp4", 96, 64)
    registration = OutputsRegistration(
        generation_id=generation_id, project_id=project, prompt="waves", outputs=[output]
    )
    async with stack.client() as client:
        answer = await client.put(
            f"/internal/v1/generations/{generation_id}/outputs",
            json=registration.model_dump(mode="json"),
        )
        assert answer.status_code == 200, answer.text
        asset = answer.json()["assets"][0]
        assert asset["name"] == "waves-1.mp4"
        poster = await client.get(asset["thumbnail_url"])
        assert poster.status_code == 200
        assert poster.headers["content-type"] == "image/webp"
        assert Image.open(io.BytesIO(poster.content)).size == (96, 64)


async def test_registering_outputs_outside_the_generations_folder_is_refused(
    stack: AssetsStack,
) -> None:
    project = await stack.new_project()
    generation_id = new_id()
    output = OutputFile(
        index=0,
        object_key=f"someone-else/{project}/{generation_id}/0.png",
        media_type="image",
        content_type="image/png",
        size=1,
        sha256="0" * 64,
    )
    registration = OutputsRegistration(
        generation_id=generation_id, project_id=project, outputs=[output]
    )
    async with stack.client() as client:
        answer = await client.put(
            f"/internal/v1/generations/{generation_id}/outputs",
            json=registration.model_dump(mode="json"),
        )
        assert answer.status_code == 422
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert (await client.get("/api/v1/assets")).json()["items"] == []


def _append(into: list[Msg]) -> Callable[[Msg], Awaitable[None]]:
    async def received(msg: Msg) -> None:
        into.append(msg)

    return received


async def test_deleting_a_project_removes_its_assets(
    stack: AssetsStack, s3: S3Server, s3_bucket: str, nats_url: str, nats_prefix: str
) -> None:
    keep = await stack.new_project(name="keep")
    doomed = await stack.new_project(name="doomed")
    async with stack.client() as client:
        for project in (keep, doomed, doomed):
            assert (await upload(client, project, media_samples.png(), "f.png")).status_code == 201
        async with httpx.AsyncClient(
            base_url=stack.projects_url, headers=client.headers
        ) as projects:
            assert (await projects.delete(f"/api/v1/projects/{doomed}")).status_code == 204

        async def only_kept() -> bool:
            items = (await client.get("/api/v1/assets")).json()["items"]
            return {a["project_id"] for a in items} == {keep}

        await eventually(only_kept)
    assert len(bucket_keys(s3, s3_bucket)) == 2
    assert all(key.split("/")[1] == keep for key in bucket_keys(s3, s3_bucket))
