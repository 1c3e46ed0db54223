"""QA pass 11 on the assets service's uploads and downloads: malformed and cut-short multipart
bodies, file names with control characters, If-Range, data hidden after an image."""

import io
import os

import httpx
import pytest
from minio import Minio
from PIL import Image

from tests.support import media_samples
from tests.support.assets_stack import AssetsStack
from tests.support.servers import S3Server

BOUNDARY = "bb"
FILE_HEADERS = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="v.mp4"\r\n\r\n'
).encode()
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42"


def bucket_keys(s3: S3Server, bucket: str) -> list[str]:
    client: Minio = s3.client()
    return sorted(
        o.object_name for o in client.list_objects(bucket, recursive=True) if o.object_name
    )


def file_part(filename: bytes, data: bytes, boundary: str = BOUNDARY) -> bytes:
    """A `file` part written byte for byte as given (httpx would escape the name)."""
    return (
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="file"; filename="'
        + filename
        + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
        + data
    )


def closed(part: bytes, boundary: str = BOUNDARY) -> bytes:
    return part + f"\r\n--{boundary}--\r\n".encode()


async def post_raw(
    client: httpx.AsyncClient, project: str, body: bytes, boundary: str = BOUNDARY
) -> httpx.Response:
    return await client.post(
        f"/api/v1/projects/{project}/assets",
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )


async def assert_refused_leaving_nothing(
    client: httpx.AsyncClient, response: httpx.Response, s3: S3Server, bucket: str
) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert (await client.get("/api/v1/assets")).json()["items"] == []
    assert bucket_keys(s3, bucket) == []


MALFORMED = {
    "boundary-not-found": ("abc", b"--zzz\r\nfoo\r\n"),
    "file-name-over-the-header-limit": (
        BOUNDARY,
        closed(file_part(b"a" * 5000 + b".png", media_samples.png())),
    ),
    "boundary-longer-than-the-parser-takes": ("b" * 300, closed(b"", "b" * 300)),
    "second-part-with-a-20-kb-header": (
        BOUNDARY,
        file_part(b"ok.png", media_samples.png())
        + f"\r\n--{BOUNDARY}\r\nX-Filler: {'x' * 20_000}\r\n\r\nmore\r\n--{BOUNDARY}--\r\n".encode(),
    ),
}


@pytest.mark.parametrize(("boundary", "body"), MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_multipart_body_is_422_and_leaves_nothing(
    stack: AssetsStack, s3: S3Server, s3_bucket: str, boundary: str, body: bytes
) -> None:
    project = await stack.new_project()
    async with stack.client() as client:
        response = await post_raw(client, project, body, boundary)
        await assert_refused_leaving_nothing(client, response, s3, s3_bucket)
        assert response.json()["detail"].startswith("The form could not be read")


CUT_SHORT = {
    "no-closing-boundary": b"",
    "garbage-after-the-closing-boundary": f"\r\n--{BOUNDARY}--garbage\r\n--bx".encode(),
}


@pytest.mark.parametrize("ending", CUT_SHORT.values(), ids=CUT_SHORT.keys())
async def test_a_body_without_its_proper_end_is_not_stored_as_a_complete_file(
    stack: AssetsStack, s3: S3Server, s3_bucket: str, ending: bytes
) -> None:
    project = await stack.new_project()
    body = FILE_HEADERS + MP4_HEAD + os.urandom(200 * 1024) + ending
    async with stack.client() as client:
        response = await post_raw(client, project, body)
        await assert_refused_leaving_nothing(client, response, s3, s3_bucket)
        assert "incomplete" in response.json()["detail"]


async def test_a_body_ending_with_its_closing_boundary_is_stored(stack: AssetsStack) -> None:
    project = await stack.new_project()
    async with stack.client() as client:
        for ending in (b"", b"\r\n", b"  \r\n\r\n"):
            body = FILE_HEADERS + MP4_HEAD + bytes(200) + f"\r\n--{BOUNDARY}--".encode() + ending
            response = await post_raw(client, project, body)
            assert response.status_code == 201, (ending, response.text)
            assert response.json()["size"] == len(MP4_HEAD) + 200


ODD_NAMES = {
    "terminal-escapes-and-tab": (b"a\x1b[31mred\tb\x07.png", "a[31mredb.png"),
    "right-to-left-override": ("a\u202egnp.exe".encode(), "agnp.exe"),
    "nul": (b"sh\x00ot.png", "shot.png"),
    "invalid-utf-8": (b"caf\xe9 \xff.png", "caf .png"),
    "spaces-around": (b"  dune.png  ", "dune.png"),
}


@pytest.mark.parametrize(("raw", "expected"), ODD_NAMES.values(), ids=ODD_NAMES.keys())
async def test_an_upload_with_an_odd_file_name_is_stored_under_a_name_the_rules_accept(
    stack: AssetsStack, raw: bytes, expected: str
) -> None:
    project = await stack.new_project()
    async with stack.client() as client:
        created = await post_raw(client, project, closed(file_part(raw, media_samples.png())))
        assert created.status_code == 201, created.text
        asset = created.json()
        assert (asset["name"], asset["original_filename"]) == (expected, expected)
        # The name it was stored under is one a rename may set.
        renamed = await client.patch(f"/api/v1/assets/{asset['id']}", json={"name": asset["name"]})
        assert renamed.status_code == 200, renamed.text


async def test_a_file_name_of_control_characters_only_falls_back_to_the_default(
    stack: AssetsStack,
) -> None:
    project = await stack.new_project()
    async with stack.client() as client:
        created = await post_raw(
            client, project, closed(file_part(b"\x07\x1b", media_samples.png()))
        )
        assert created.status_code == 201, created.text
        assert (created.json()["name"], created.json()["original_filename"]) == (
            "upload.png",
            None,
        )


async def test_if_range_answers_the_whole_file_unless_it_names_the_current_etag(
    stack: AssetsStack,
) -> None:
    project = await stack.new_project()
    data = media_samples.wav(seconds=1)
    async with stack.client() as client:
        created = await client.post(
            f"/api/v1/projects/{project}/assets", files={"file": ("t.wav", data)}
        )
        url = created.json()["content_url"]
        etag = (await client.head(url)).headers["etag"]
        for stale in ('"zz"', f"W/{etag}", "Tue, 01 Jan 2030 00:00:00 GMT"):
            whole = await client.get(url, headers={"Range": "bytes=0-4", "If-Range": stale})
            assert whole.status_code == 200, stale
            assert whole.content == data
            assert "content-range" not in whole.headers
        part = await client.get(url, headers={"Range": "bytes=0-4", "If-Range": etag})
        assert part.status_code == 206
        assert part.content == data[:5]
        # The range is not asked for at all when If-Range does not match: no 416 either.
        beyond = f"bytes={len(data) + 10}-"
        not_asked = await client.get(url, headers={"Range": beyond, "If-Range": '"zz"'})
        assert not_asked.status_code == 200


async def test_a_png_with_data_after_its_end_is_refused_and_leaves_nothing(
    stack: AssetsStack, s3: S3Server, s3_bucket: str
) -> None:
    project = await stack.new_project()
    hidden = media_samples.png(256, 256) + os.urandom(200 * 1024)
    async with stack.client() as client:
        response = await client.post(
            f"/api/v1/projects/{project}/assets", files={"file": ("p.png", hidden)}
        )
        await assert_refused_leaving_nothing(client, response, s3, s3_bucket)
        assert response.json()["detail"] == (
            "The file has 200 KiB of other data after the end of its PNG image; "
            "save the image again and upload that."
        )


async def test_a_jpeg_with_data_after_its_end_is_accepted_as_phones_write_motion_photos(
    stack: AssetsStack,
) -> None:
    """Motion photos (Android) are a JPEG with the video appended after its end."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(out, format="JPEG")
    photo = out.getvalue() + MP4_HEAD + os.urandom(1024)
    project = await stack.new_project()
    async with stack.client() as client:
        response = await client.post(
            f"/api/v1/projects/{project}/assets", files={"file": ("m.jpg", photo)}
        )
        assert response.status_code == 201, response.text
        assert response.json()["size"] == len(photo)
