"""Templates through the gateway, as the web studio uses them: pick a starter, generate with it,
save the settings as one's own template, find it again; another user never sees it."""

from pathlib import Path
from typing import Any

from tests.support.accounts import ACCOUNTS, signed_in
from tests.support.full_stack import Servers, full_stack


async def test_starter_to_generation_to_own_template_and_back(
    servers: Servers, tmp_path: Path
) -> None:
    async with (
        full_stack(
            servers, storage_url=(tmp_path / "s").as_uri(), workers=0, gateway=ACCOUNTS
        ) as stack,
        signed_in(stack.gateway, "alice") as alice,
        signed_in(stack.gateway, "bob") as bob,
    ):
        starters = (
            await alice.get("/api/v1/starter-templates", params={"type": "text-to-image"})
        ).json()["items"]
        starter = next(s for s in starters if s["available"])
        assert starter["model_id"].startswith("local/")  # no fal key on this server

        project = (await alice.post("/api/v1/projects", json={"name": "From a starter"})).json()
        generation = await alice.post(
            f"/api/v1/projects/{project['id']}/generations",
            json={
                "type": starter["type"],
                "model_id": starter["model_id"],
                "prompt": starter["prompt"],
                "params": starter["params"],
            },
        )
        assert generation.status_code == 202, generation.text

        body: dict[str, Any] = {
            "name": "My poster look",
            "description": f"from the starter {starter['id']}",
            "type": starter["type"],
            "model_id": starter["model_id"],
            "prompt": starter["prompt"],
            "params": generation.json()["params"],
            "source_generation_id": generation.json()["id"],
        }
        without_csrf = await alice.post(
            "/api/v1/templates", json=body, headers={"X-CSRF-Token": ""}
        )
        assert without_csrf.status_code == 403
        created = await alice.post("/api/v1/templates", json=body)
        assert created.status_code == 201, created.text
        template = created.json()
        path = f"/api/v1/templates/{template['id']}"
        assert created.headers["location"] == path
        assert template["source_generation_id"] == generation.json()["id"]

        found = (await alice.get("/api/v1/templates", params={"q": "POSTER LOOK"})).json()
        assert [t["id"] for t in found["items"]] == [template["id"]]
        assert found["next_cursor"] is None
        renamed = await alice.patch(path, json={"name": "Night poster"})
        assert renamed.status_code == 200, renamed.text
        assert renamed.json()["name"] == "Night poster"

        # Bob: the same 404 as for a template that does not exist, and an empty list.
        for method, json_body in (("GET", None), ("PATCH", {"name": "mine"}), ("DELETE", None)):
            response = await bob.request(method, path, json=json_body)
            assert response.status_code == 404, (method, response.text)
            assert response.headers["content-type"] == "application/problem+json"
        assert (await bob.get("/api/v1/templates")).json() == {"items": [], "next_cursor": None}

        invalid = await alice.post("/api/v1/templates", json=body | {"model_id": "local/../x"})
        assert invalid.status_code == 422
        assert invalid.json()["errors"][0]["loc"] == ["body", "model_id"]

        assert (await alice.delete(path)).status_code == 204
        assert (await alice.get(path)).status_code == 404


async def test_the_api_document_describes_the_template_routes(
    servers: Servers, tmp_path: Path
) -> None:
    async with (
        full_stack(servers, storage_url=(tmp_path / "s").as_uri(), workers=0) as stack,
        stack.client() as client,
    ):
        document = (await client.get("/api/v1/openapi.json")).json()
    paths = document["paths"]
    assert set(paths["/api/v1/templates"]) == {"get", "post"}
    assert set(paths["/api/v1/templates/{template_id}"]) == {"get", "patch", "delete"}
    assert set(paths["/api/v1/starter-templates"]) == {"get"}
    created = paths["/api/v1/templates"]["post"]["responses"]
    assert created["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/Template")
    assert "409" in created and "422" in created
    schemas = document["components"]["schemas"]
    assert {"Template", "TemplateCreate", "TemplateUpdate", "StarterTemplate"} <= set(schemas)
