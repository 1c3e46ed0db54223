"""Two users sharing one installation, through the gateway in accounts mode: everything one
makes is invisible and untouchable for the other (404, never 403), lists and events included."""

from pathlib import Path
from typing import Any

import httpx

from tests.support import media_samples
from tests.support.accounts import ACCOUNTS, signed_in
from tests.support.full_stack import Servers, full_stack
from tests.support.sse import listening
from tests.support.waiting import eventually


async def _make_things(client: httpx.AsyncClient, label: str) -> dict[str, Any]:
    project = (await client.post("/api/v1/projects", json={"name": f"{label} project"})).json()
    upload = await client.post(
        f"/api/v1/projects/{project['id']}/assets",
        files={"file": (f"{label}.png", media_samples.png(40, 30))},
    )
    assert upload.status_code == 201, upload.text
    generation = await client.post(
        f"/api/v1/projects/{project['id']}/generations",
        json={
            "type": "image-to-image",
            "model_id": "local/image-edit",
            "prompt": f"{label} edit",
            "input_asset_ids": [upload.json()["id"]],
        },
    )
    assert generation.status_code == 202, generation.text
    return {"project": project, "asset": upload.json(), "generation": generation.json()}


async def test_two_users_see_and_touch_only_their_own_work(
    servers: Servers, tmp_path: Path
) -> None:
    async with (
        full_stack(servers, storage_url=(tmp_path / "s").as_uri(), gateway=ACCOUNTS) as stack,
        signed_in(stack.gateway, "alice") as alice,
        signed_in(stack.gateway, "bob") as bob,
        listening(alice) as alice_events,
        listening(bob) as bob_events,
    ):
        alices = await _make_things(alice, "alice")
        bobs = await _make_things(bob, "bob")
        # Alice's generation finishes, so there is an output asset to try to steal too.
        generation_url = f"/api/v1/generations/{alices['generation']['id']}"

        async def completed() -> bool:
            return bool((await alice.get(generation_url)).json()["status"] == "completed")

        await eventually(completed, within=30)
        output_id = (await alice.get(generation_url)).json()["outputs"][0]["asset_id"]

        project_id, asset_id = alices["project"]["id"], alices["asset"]["id"]
        attempts = [
            ("GET", f"/api/v1/projects/{project_id}", None),
            ("PATCH", f"/api/v1/projects/{project_id}", {"name": "mine now"}),
            ("DELETE", f"/api/v1/projects/{project_id}", None),
            ("GET", f"/api/v1/projects/{project_id}/assets", None),
            ("GET", f"/api/v1/projects/{project_id}/generations", None),
            ("GET", f"/api/v1/assets/{asset_id}", None),
            ("PATCH", f"/api/v1/assets/{asset_id}", {"name": "stolen.png"}),
            ("GET", f"/api/v1/assets/{asset_id}/content", None),
            ("GET", f"/api/v1/assets/{output_id}/content", None),
            ("GET", f"/api/v1/assets/{output_id}/thumbnail", None),
            ("DELETE", f"/api/v1/assets/{asset_id}", None),
            ("GET", generation_url, None),
            ("POST", f"{generation_url}/retry", {}),
            ("POST", f"{generation_url}/cancel", None),
            ("DELETE", generation_url, None),
        ]
        for method, path, body in attempts:
            response = await bob.request(method, path, json=body)
            assert response.status_code == 404, (method, path, response.status_code)
            assert response.headers["content-type"] == "application/problem+json"
            assert "alice" not in response.text

        # Bob cannot use Alice's project or asset for his own work either.
        into_hers = await bob.post(
            f"/api/v1/projects/{project_id}/generations",
            json={"type": "text-to-image", "model_id": "local/image", "prompt": "x"},
        )
        assert into_hers.status_code == 404
        upload_into_hers = await bob.post(
            f"/api/v1/projects/{project_id}/assets",
            files={"file": ("x.png", media_samples.png(8, 8))},
        )
        assert upload_into_hers.status_code == 404
        with_her_asset = await bob.post(
            f"/api/v1/projects/{bobs['project']['id']}/generations",
            json={
                "type": "image-to-image",
                "model_id": "local/image-edit",
                "prompt": "x",
                "input_asset_ids": [asset_id],
            },
        )
        # The same answer as for an asset that does not exist at all.
        assert with_her_asset.status_code == 422
        assert with_her_asset.json()["errors"][0]["type"] == "not_found"
        assert (
            with_her_asset.json()["detail"]
            == "this file is no longer in your library; choose another"
        )
        her_events = await bob.get("/api/v1/events", params={"project_id": project_id})
        assert her_events.status_code == 404

        # Lists hold only one's own.
        for path in ("/api/v1/projects", "/api/v1/assets", "/api/v1/generations"):
            mine = {item["id"] for item in (await bob.get(path)).json()["items"]}
            hers = {item["id"] for item in (await alice.get(path)).json()["items"]}
            assert mine and hers
            assert not mine & hers, path

        # Nothing of Alice's changed.
        still = await alice.get(f"/api/v1/projects/{project_id}")
        assert still.json()["name"] == "alice project"
        content = await alice.get(f"/api/v1/assets/{asset_id}/content")
        assert content.status_code == 200
        assert content.content == media_samples.png(40, 30)

        # Events: each stream carries only its owner's.
        alice_id = (await alice.get("/api/v1/me")).json()["user"]["id"]
        bob_id = (await bob.get("/api/v1/me")).json()["user"]["id"]
        await alice_events.wait_for(lambda e: e.event == "generation.completed")
        assert all(alice_id not in e.data for e in bob_events.events)
        assert all(bob_id not in e.data for e in alice_events.events)
        assert any(e.event == "asset.created" for e in bob_events.events)
