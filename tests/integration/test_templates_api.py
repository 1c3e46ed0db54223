"""User templates over HTTP on a real port, against the real MongoDB and NATS servers."""

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import nats
import pytest
from studio_contracts.subjects import PROJECTS_STREAM
from studio_projects.main import create_app
from studio_projects.settings import ProjectsSettings
from studio_runtime.nats import declare_stream

from tests.support.apps import identity_headers, make_settings, running
from tests.support.stored_events import stored_events

ALICE = "user-alice"
BOB = "user-bob"
PROBLEM = "application/problem+json"
CAP = 5
FOX = {
    "name": "  Fox poster  ",
    "description": "orange and teal",
    "type": "text-to-image",
    "model_id": "fal-ai/flux/dev",
    "prompt": "a red fox in the snow",
    "params": {"image_size": "square_hd", "num_inference_steps": 28, "nested": {"a.b": [1, 2]}},
}


@pytest.fixture
def settings(
    mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str
) -> ProjectsSettings:
    return make_settings(
        ProjectsSettings,
        mongo_url=mongo_url,
        mongo_db=mongo_db_name,
        nats_url=nats_url,
        nats_prefix=nats_prefix,
        templates_per_user=CAP,
    )


@pytest.fixture
async def base_url(settings: ProjectsSettings) -> AsyncIterator[str]:
    async with running(create_app(settings)) as url:
        yield url


@pytest.fixture
async def alice(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, headers=identity_headers(ALICE)) as client:
        yield client


@pytest.fixture
async def bob(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, headers=identity_headers(BOB)) as client:
        yield client


async def create(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/templates", json=FOX | fields)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def list_all(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/templates", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


async def template_events(nats_url: str, prefix: str, count: int) -> list[tuple[str, Any]]:
    """The first `count` template events on the PROJECTS stream: (subject, payload)."""
    return await stored_events(nats_url, PROJECTS_STREAM, prefix, "template.>", count)


# --- create, read, update, delete -----------------------------------------------------------


async def test_create_answers_the_template_and_get_returns_it(alice: httpx.AsyncClient) -> None:
    response = await alice.post("/api/v1/templates", json=FOX | {"source_generation_id": "0" * 24})
    assert response.status_code == 201, response.text
    template = response.json()
    assert response.headers["location"] == f"/api/v1/templates/{template['id']}"
    assert template["name"] == "Fox poster"  # trimmed
    assert template["params"] == FOX["params"]  # kept exactly, odd keys and nesting included
    assert template["source_generation_id"] == "0" * 24
    assert template["created_at"] == template["updated_at"]
    assert set(template) == {
        "id",
        "name",
        "description",
        "type",
        "model_id",
        "prompt",
        "params",
        "source_generation_id",
        "created_at",
        "updated_at",
    }
    fetched = await alice.get(f"/api/v1/templates/{template['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == template


async def test_the_smallest_template_takes_defaults(alice: httpx.AsyncClient) -> None:
    response = await alice.post(
        "/api/v1/templates",
        json={"name": "a", "type": "text-to-audio", "model_id": "local/audio"},
    )
    assert response.status_code == 201, response.text
    template = response.json()
    assert (template["description"], template["prompt"], template["params"]) == ("", "", {})
    assert template["source_generation_id"] is None


async def test_patch_changes_only_the_given_fields(alice: httpx.AsyncClient) -> None:
    template = await create(alice)
    path = f"/api/v1/templates/{template['id']}"
    await asyncio.sleep(0.01)  # updated_at is in milliseconds
    response = await alice.patch(
        path, json={"name": " Fox v2 ", "params": {"seed": 7}, "prompt": "a fox at night"}
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["name"] == "Fox v2"
    assert updated["params"] == {"seed": 7}
    assert updated["prompt"] == "a fox at night"
    assert updated["description"] == FOX["description"]
    assert updated["model_id"] == FOX["model_id"]
    assert updated["created_at"] == template["created_at"]
    # As times, not as text: a time on a whole second is written without a fraction
    # ("…46Z"), and "…46.019000Z" sorts before it as text.
    assert datetime.fromisoformat(updated["updated_at"]) > datetime.fromisoformat(
        template["updated_at"]
    )
    assert (await alice.get(path)).json() == updated
    assert (await alice.patch(path, json={})).json() == updated


async def test_delete_removes_the_template(alice: httpx.AsyncClient) -> None:
    kept = await create(alice, name="kept")
    gone = await create(alice, name="gone")
    path = f"/api/v1/templates/{gone['id']}"
    response = await alice.delete(path)
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await alice.get(path), 404)
    assert_problem(await alice.delete(path), 404)
    assert_problem(await alice.patch(path, json={"name": "x"}), 404)
    assert [t["id"] for t in await list_all(alice)] == [kept["id"]]


async def test_every_change_is_announced_on_the_projects_stream(
    alice: httpx.AsyncClient, nats_url: str, settings: ProjectsSettings
) -> None:
    template = await create(alice)
    path = f"/api/v1/templates/{template['id']}"
    await alice.patch(path, json={"description": "new"})
    await alice.patch(path, json={})  # no change, no event
    await alice.delete(path)
    events = await template_events(nats_url, settings.nats_prefix, 3)
    assert [name for name, _ in events] == [
        "template.created",
        "template.updated",
        "template.deleted",
    ]
    assert all(e["user_id"] == ALICE and e["template_id"] == template["id"] for _, e in events)
    created, updated = events[0][1], events[1][1]
    assert (created["name"], created["type"], created["model_id"]) == (
        "Fox poster",
        "text-to-image",
        "fal-ai/flux/dev",
    )
    assert updated["fields"] == ["description"]


async def test_changes_are_refused_and_undone_when_they_cannot_be_announced(
    alice: httpx.AsyncClient, nats_url: str, settings: ProjectsSettings
) -> None:
    template = await create(alice)
    path = f"/api/v1/templates/{template['id']}"
    stream = PROJECTS_STREAM.with_prefix(settings.nats_prefix)
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await js.delete_stream(stream.name)  # publishing now gets "no responders"
        assert_problem(await alice.post("/api/v1/templates", json=FOX), 503)
        assert_problem(await alice.patch(path, json={"name": "changed"}), 503)
        assert_problem(await alice.delete(path), 503)
        assert await list_all(alice) == [template]  # nothing half-written
        await declare_stream(js, stream)
        assert (await alice.delete(path)).status_code == 204
    finally:
        await nc.close()
    assert await list_all(alice) == []


# --- lists ----------------------------------------------------------------------------------


async def test_list_pages_newest_first_with_a_cursor(alice: httpx.AsyncClient) -> None:
    created = [(await create(alice, name=f"t{i}"))["id"] for i in range(CAP)]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        response = await alice.get("/api/v1/templates", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(created))


async def test_list_searches_name_and_prompt_and_filters_by_type(
    alice: httpx.AsyncClient,
) -> None:
    fox = await create(alice, name="Fox", prompt="snow")
    winter = await create(alice, name="Winter", prompt="A FOX (in the snow)", description="")
    clip = await create(
        alice, name="Clip", type="text-to-video", model_id="local/video", prompt="waves.*"
    )
    await create(alice, name="Cats", prompt="cats", description="fox in the description")

    assert {t["id"] for t in await list_all(alice, q="fox")} == {fox["id"], winter["id"]}
    assert [t["id"] for t in await list_all(alice, q="(IN THE")] == [winter["id"]]
    assert [t["id"] for t in await list_all(alice, q=".*")] == [clip["id"]]  # literal
    assert [t["id"] for t in await list_all(alice, type="text-to-video")] == [clip["id"]]
    assert await list_all(alice, type="text-to-video", q="fox") == []
    assert len(await list_all(alice, q="")) == 4


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": 101}, ["query", "limit"]),
        ({"cursor": "../x"}, ["query", "cursor"]),
        ({"q": "x" * 201}, ["query", "q"]),
        ({"type": "text-to-smell"}, ["query", "type"]),
    ],
)
async def test_list_refuses_bad_query_parameters(
    alice: httpx.AsyncClient, params: dict[str, Any], loc: list[str]
) -> None:
    problem = assert_problem(await alice.get("/api/v1/templates", params=params), 422)
    assert [e["loc"] for e in problem["errors"]] == [loc]


# --- ownership and the cap ------------------------------------------------------------------


async def test_another_users_template_is_not_found(
    alice: httpx.AsyncClient, bob: httpx.AsyncClient
) -> None:
    template = await create(alice, name="private")
    path = f"/api/v1/templates/{template['id']}"
    unknown = assert_problem(await bob.get("/api/v1/templates/" + "0" * 24), 404)
    foreign = assert_problem(await bob.get(path), 404)
    assert foreign["title"] == unknown["title"] == "Not Found"
    assert_problem(await bob.patch(path, json={"name": "mine now"}), 404)
    assert_problem(await bob.delete(path), 404)
    assert await list_all(bob) == []
    assert await list_all(bob, q="private") == []
    assert (await alice.get(path)).json() == template


@pytest.mark.parametrize("template_id", ["nope", "0" * 23, "Z" * 24, "0" * 25, "..", "%2e%2e"])
async def test_a_malformed_id_is_not_found(alice: httpx.AsyncClient, template_id: str) -> None:
    path = f"/api/v1/templates/{template_id}"
    assert_problem(await alice.get(path), 404)
    assert_problem(await alice.patch(path, json={"name": "x"}), 404)
    assert_problem(await alice.delete(path), 404)


async def test_templates_per_user_are_capped(
    alice: httpx.AsyncClient, bob: httpx.AsyncClient
) -> None:
    for i in range(CAP):
        await create(alice, name=f"t{i}")
    problem = assert_problem(await alice.post("/api/v1/templates", json=FOX), 409)
    assert f"{CAP} templates" in problem["detail"] and "delete" in problem["detail"]
    assert len(await list_all(alice)) == CAP
    await create(bob)  # the cap is per user
    oldest = (await list_all(alice))[-1]
    assert (await alice.delete(f"/api/v1/templates/{oldest['id']}")).status_code == 204
    await create(alice, name="room again")


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "loc", "error_type"),
    [
        ({"name": ""}, ["body", "name"], "string_too_short"),
        ({"name": "  \t "}, ["body", "name"], "string_too_short"),
        ({"name": "x" * 101}, ["body", "name"], "string_too_long"),
        ({"description": "d" * 1001}, ["body", "description"], "string_too_long"),
        ({"prompt": "p" * 10_001}, ["body", "prompt"], "string_too_long"),
        ({"type": "text-to-smell"}, ["body", "type"], "enum"),
        ({"model_id": "fal-ai/../x"}, ["body", "model_id"], "string_pattern_mismatch"),
        ({"model_id": "fal-ai/./flux"}, ["body", "model_id"], "string_pattern_mismatch"),
        ({"model_id": "flux"}, ["body", "model_id"], "string_pattern_mismatch"),
        ({"model_id": "/etc/passwd"}, ["body", "model_id"], "string_pattern_mismatch"),
        ({"params": []}, ["body", "params"], "dict_type"),
        ({"params": {"x": "y" * 16_400}}, ["body", "params"], "params_too_large"),
        (
            {"source_generation_id": "../a"},
            ["body", "source_generation_id"],
            "string_pattern_mismatch",
        ),
        ({"owner": "someone"}, ["body", "owner"], "extra_forbidden"),
    ],
)
async def test_create_refuses_invalid_input_with_one_error_per_field(
    alice: httpx.AsyncClient, fields: dict[str, Any], loc: list[str], error_type: str
) -> None:
    problem = assert_problem(await alice.post("/api/v1/templates", json=FOX | fields), 422)
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [(loc, error_type)]
    assert await list_all(alice) == []


async def test_required_fields_and_inclusive_limits(alice: httpx.AsyncClient) -> None:
    problem = assert_problem(await alice.post("/api/v1/templates", json={}), 422)
    assert sorted(e["loc"][1] for e in problem["errors"]) == ["model_id", "name", "type"]
    assert all(e["type"] == "missing" for e in problem["errors"])
    big = {"x": "y" * (16 * 1024 - len('{"x":""}'))}
    template = await create(
        alice, name="n" * 100, description="d" * 1000, prompt="p" * 10_000, params=big
    )
    assert template["params"] == big


@pytest.mark.parametrize(
    ("body", "loc", "error_type"),
    [
        ({"name": " "}, ["body", "name"], "string_too_short"),
        ({"name": None}, ["body", "name"], "value_error"),
        ({"params": None}, ["body", "params"], "value_error"),
        ({"prompt": "p" * 10_001}, ["body", "prompt"], "string_too_long"),
        ({"params": {"x": "y" * 16_400}}, ["body", "params"], "params_too_large"),
        ({"model_id": "local/image"}, ["body", "model_id"], "extra_forbidden"),
        ({"type": "text-to-video"}, ["body", "type"], "extra_forbidden"),
    ],
)
async def test_patch_refuses_invalid_input(
    alice: httpx.AsyncClient, body: dict[str, Any], loc: list[str], error_type: str
) -> None:
    template = await create(alice)
    path = f"/api/v1/templates/{template['id']}"
    problem = assert_problem(await alice.patch(path, json=body), 422)
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [(loc, error_type)]
    assert (await alice.get(path)).json() == template


async def test_without_a_signed_identity_nothing_is_served(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as anonymous:
        assert_problem(await anonymous.get("/api/v1/templates"), 401)
        assert_problem(await anonymous.post("/api/v1/templates", json=FOX), 401)
