"""API edges from a sixth QA pass, over the gateway in accounts mode: a list narrowed to a project
that does not exist, or is someone else's, is an error rather than an empty list, and every
"not found" answer is a plain sentence naming what was missing; a request too long or malformed
for the server to read gets a problem body too."""

import asyncio
import json
from pathlib import Path

import httpx

from tests.support import media_samples
from tests.support.accounts import ACCOUNTS, signed_in
from tests.support.full_stack import Servers, full_stack

NO_SUCH_ID = "0123456789abcdef01234567"


def _assert_no_project(response: httpx.Response, project_id: str) -> None:
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "https://ai-studio.dev/problems/not-found"
    assert body["detail"] == f"No project with id {project_id} in your account."


async def _project_with_an_upload_and_a_generation(
    client: httpx.AsyncClient,
) -> tuple[str, str, str]:
    """A new project of `client`'s user holding one upload and one generation: their ids."""
    project = (await client.post("/api/v1/projects", json={"name": "alice's"})).json()["id"]
    upload = await client.post(
        f"/api/v1/projects/{project}/assets",
        files={"file": ("a.png", media_samples.png(16, 16))},
    )
    assert upload.status_code == 201, upload.text
    made = await client.post(
        f"/api/v1/projects/{project}/generations",
        json={"type": "text-to-image", "model_id": "local/image", "prompt": "x"},
    )
    assert made.status_code == 202, made.text
    return project, upload.json()["id"], made.json()["id"]


async def test_lists_narrowed_to_a_missing_or_anothers_project_answer_404(
    servers: Servers, tmp_path: Path
) -> None:
    async with (
        full_stack(servers, storage_url=(tmp_path / "s").as_uri(), gateway=ACCOUNTS) as stack,
        signed_in(stack.gateway, "alice") as alice,
        signed_in(stack.gateway, "bob") as bob,
    ):
        hers, _, _ = await _project_with_an_upload_and_a_generation(alice)
        empty = (await bob.post("/api/v1/projects", json={"name": "bob's"})).json()["id"]

        for path in ("/api/v1/assets", "/api/v1/generations"):
            # Someone else's project (which has items) and one that never existed: the same.
            theirs = await bob.get(path, params={"project_id": hers})
            _assert_no_project(theirs, hers)
            assert "alice" not in theirs.text
            _assert_no_project(await bob.get(path, params={"project_id": NO_SUCH_ID}), NO_SUCH_ID)
            # A project of one's own with nothing in it is still an empty list.
            own = await bob.get(path, params={"project_id": empty})
            assert own.status_code == 200, own.text
            assert own.json() == {"items": [], "next_cursor": None}
            # And the owner still lists her items.
            listed = await alice.get(path, params={"project_id": hers})
            assert listed.status_code == 200, listed.text
            assert len(listed.json()["items"]) >= 1


async def test_not_found_answers_name_what_was_missing_in_one_wording(
    servers: Servers, tmp_path: Path
) -> None:
    async with (
        full_stack(servers, storage_url=(tmp_path / "s").as_uri(), gateway=ACCOUNTS) as stack,
        signed_in(stack.gateway, "alice") as alice,
        signed_in(stack.gateway, "bob") as bob,
    ):
        project, asset, generation = await _project_with_an_upload_and_a_generation(alice)
        template = await alice.post(
            "/api/v1/templates",
            json={"name": "mine", "type": "text-to-image", "model_id": "local/image"},
        )
        assert template.status_code == 201, template.text
        token = await alice.post("/api/v1/tokens", json={"name": "cli"})
        assert token.status_code == 201, token.text
        hers = {
            "project": project,
            "asset": asset,
            "template": template.json()["id"],
            "API token": token.json()["id"],
            "generation": generation,
        }
        paths = {
            "project": ("GET", "/api/v1/projects/{}"),
            "asset": ("GET", "/api/v1/assets/{}/content"),
            "template": ("GET", "/api/v1/templates/{}"),
            "API token": ("DELETE", "/api/v1/tokens/{}"),
            "generation": ("POST", "/api/v1/generations/{}/cancel"),
        }
        for kind, (method, path) in paths.items():
            for record_id in (hers[kind], NO_SUCH_ID):
                response = await bob.request(method, path.format(record_id))
                assert response.status_code == 404, (kind, response.text)
                assert response.headers["content-type"] == "application/problem+json"
                detail = response.json()["detail"]
                assert detail == f"No {kind} with id {record_id} in your account.", detail
        events = await bob.get("/api/v1/events", params={"project_id": project})
        _assert_no_project(events, project)
        thumbnail = await bob.get(f"/api/v1/assets/{hers['asset']}/thumbnail")
        assert thumbnail.json()["detail"] == f"No asset with id {hers['asset']} in your account."


async def _raw(gateway: str, request: bytes) -> tuple[str, dict[str, str], bytes]:
    """Send bytes as they are (httpx would not send a malformed request) and read the answer
    up to the connection's close: status line, headers, body."""
    url = httpx.URL(gateway)
    reader, writer = await asyncio.open_connection(url.host, url.port)
    try:
        writer.write(request)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 30)
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.decode().split("\r\n")
    headers = {
        name.strip().lower(): value.strip()
        for name, value in (line.split(":", 1) for line in lines)
    }
    return status, headers, body


async def test_a_request_too_long_or_malformed_to_read_answers_a_problem(
    servers: Servers, tmp_path: Path
) -> None:
    async with full_stack(servers, storage_url=(tmp_path / "s").as_uri()) as stack:
        long_query = b"q=" + b"a" * 70_000
        status, headers, body = await _raw(
            stack.gateway,
            b"GET /api/v1/assets?" + long_query + b" HTTP/1.1\r\nHost: studio\r\n\r\n",
        )
        assert status == "HTTP/1.1 400 Bad Request"
        assert headers["content-type"] == "application/problem+json"
        assert int(headers["content-length"]) == len(body)
        problem = json.loads(body)
        assert problem["status"] == 400
        assert problem["detail"] == (
            "The request's address (path and query) is longer than the 65,535 bytes this "
            "server reads; send long input in the request body."
        )

        status, headers, body = await _raw(stack.gateway, b"GET /api v1 HTTP/1.1\r\n\r\n")
        assert status == "HTTP/1.1 400 Bad Request"
        assert headers["content-type"] == "application/problem+json"
        assert "could not be read as HTTP/1.1" in json.loads(body)["detail"]

        # Just under the limit, the request reaches the API, which answers it as usual.
        async with stack.client() as client:
            fits = await client.get("/api/v1/assets", params={"q": "a" * 60_000})
        assert fits.status_code == 422
        assert fits.headers["content-type"] == "application/problem+json"


async def test_a_generation_in_the_wrong_state_is_refused_in_a_sentence(
    servers: Servers, tmp_path: Path
) -> None:
    # No worker: the generation stays pending until it is cancelled.
    async with (
        full_stack(servers, storage_url=(tmp_path / "s").as_uri(), workers=0) as stack,
        stack.client() as client,
    ):
        project = (await client.post("/api/v1/projects", json={"name": "p"})).json()["id"]
        made = await client.post(
            f"/api/v1/projects/{project}/generations",
            json={"type": "text-to-image", "model_id": "local/image", "prompt": "x"},
        )
        assert made.status_code == 202, made.text
        url = f"/api/v1/generations/{made.json()['id']}"
        generation_id = made.json()["id"]

        active = await client.delete(url)
        assert active.status_code == 409, active.text
        assert active.json()["detail"] == (
            f"Generation {generation_id} is still pending; cancel it before deleting it."
        )
        assert (await client.post(f"{url}/cancel")).status_code == 202
        again = await client.post(f"{url}/cancel")
        assert again.status_code == 409, again.text
        assert again.json()["detail"] == (
            f"Generation {generation_id} is already cancelled; there is nothing to cancel."
        )
