"""The projects API over HTTP on a real port, against the real MongoDB and NATS servers."""

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


async def create(client: httpx.AsyncClient, name: str, description: str = "") -> dict[str, Any]:
    response = await client.post(
        "/api/v1/projects", json={"name": name, "description": description}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def list_all(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/projects", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


# --- create and read ---------------------------------------------------------------------


async def test_create_answers_the_project_and_get_returns_it(alice: httpx.AsyncClient) -> None:
    response = await alice.post("/api/v1/projects", json={"name": "  Launch film  "})
    assert response.status_code == 201, response.text
    project = response.json()
    assert response.headers["location"] == f"/api/v1/projects/{project['id']}"
    assert project["name"] == "Launch film"  # trimmed
    assert project["description"] == ""
    assert project["generation_count"] == 0
    assert project["asset_count"] == 0
    assert project["last_activity_at"] is None
    assert project["cover_asset_id"] is None
    assert project["created_at"] == project["updated_at"]
    assert "owner" not in project
    assert set(project) == {
        "id",
        "name",
        "description",
        "created_at",
        "updated_at",
        "generation_count",
        "asset_count",
        "last_activity_at",
        "cover_asset_id",
    }

    fetched = await alice.get(f"/api/v1/projects/{project['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == project


async def test_list_pages_newest_first_with_a_cursor(alice: httpx.AsyncClient) -> None:
    created = [(await create(alice, f"project {i}"))["id"] for i in range(7)]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        response = await alice.get("/api/v1/projects", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(page["items"]) == 3
    assert pages == 3
    assert seen == list(reversed(created))


async def test_list_defaults_to_twenty(alice: httpx.AsyncClient) -> None:
    await asyncio.gather(*(create(alice, f"p{i}") for i in range(21)))
    page = (await alice.get("/api/v1/projects")).json()
    assert len(page["items"]) == 20
    assert page["next_cursor"] is not None


async def test_list_searches_name_and_description_ignoring_case(alice: httpx.AsyncClient) -> None:
    fox = await create(alice, "Fox film")
    snow = await create(alice, "Winter", "A FOX in the snow")
    draft = await create(alice, "Poster (draft)", "a.b")
    await create(alice, "Cats")

    assert {p["id"] for p in await list_all(alice, q="fox")} == {fox["id"], snow["id"]}
    assert [p["id"] for p in await list_all(alice, q="(DRAFT")] == [draft["id"]]
    # Regex characters are matched literally.
    assert [p["id"] for p in await list_all(alice, q="a.b")] == [draft["id"]]
    assert await list_all(alice, q=".*") == []
    assert len(await list_all(alice, q="")) == 4


# --- update --------------------------------------------------------------------------------


async def test_patch_changes_only_the_given_fields(alice: httpx.AsyncClient) -> None:
    project = await create(alice, "Old", "keep me")
    await asyncio.sleep(0.01)  # updated_at is in milliseconds
    response = await alice.patch(f"/api/v1/projects/{project['id']}", json={"name": " New "})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["name"] == "New"
    assert updated["description"] == "keep me"
    assert updated["created_at"] == project["created_at"]
    # As times, not as text: a time on a whole second is written without a fraction.
    assert datetime.fromisoformat(updated["updated_at"]) > datetime.fromisoformat(
        project["updated_at"]
    )

    response = await alice.patch(f"/api/v1/projects/{project['id']}", json={"description": ""})
    assert response.json()["description"] == ""
    assert (await alice.get(f"/api/v1/projects/{project['id']}")).json()["name"] == "New"


async def test_empty_patch_changes_nothing(alice: httpx.AsyncClient) -> None:
    project = await create(alice, "Same")
    response = await alice.patch(f"/api/v1/projects/{project['id']}", json={})
    assert response.status_code == 200
    assert response.json() == project


# --- delete --------------------------------------------------------------------------------


async def test_delete_removes_the_project(alice: httpx.AsyncClient) -> None:
    kept = await create(alice, "kept")
    gone = await create(alice, "gone")
    response = await alice.delete(f"/api/v1/projects/{gone['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await alice.get(f"/api/v1/projects/{gone['id']}"), 404)
    assert_problem(await alice.delete(f"/api/v1/projects/{gone['id']}"), 404)
    assert_problem(await alice.patch(f"/api/v1/projects/{gone['id']}", json={"name": "x"}), 404)
    assert [p["id"] for p in await list_all(alice)] == [kept["id"]]


async def test_delete_is_refused_and_undone_when_the_event_cannot_be_published(
    alice: httpx.AsyncClient, nats_url: str, settings: ProjectsSettings
) -> None:
    project = await create(alice, "stays")
    stream = PROJECTS_STREAM.with_prefix(settings.nats_prefix)
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await js.delete_stream(stream.name)  # publishing now gets "no responders"

        problem = assert_problem(await alice.delete(f"/api/v1/projects/{project['id']}"), 503)
        assert "try again" in problem["detail"]
        assert (await alice.get(f"/api/v1/projects/{project['id']}")).json() == project
        assert [p["id"] for p in await list_all(alice)] == [project["id"]]

        await declare_stream(js, stream)
        assert (await alice.delete(f"/api/v1/projects/{project['id']}")).status_code == 204
    finally:
        await nc.close()
    assert await list_all(alice) == []


async def test_a_change_is_announced_with_its_fields_and_the_new_name(
    alice: httpx.AsyncClient, nats_url: str, settings: ProjectsSettings
) -> None:
    project = await create(alice, "Moodboard")
    path = f"/api/v1/projects/{project['id']}"
    assert (await alice.patch(path, json={"name": "Mood board"})).status_code == 200
    assert (await alice.patch(path, json={})).status_code == 200  # no change, no event
    assert (await alice.patch(path, json={"description": "spring"})).status_code == 200
    events = await stored_events(
        nats_url, PROJECTS_STREAM, settings.nats_prefix, "project.updated", 2
    )
    assert [(e["project_id"], e["fields"], e["name"]) for _, e in events] == [
        (project["id"], ["name"], "Mood board"),
        (project["id"], ["description"], "Mood board"),
    ]


async def test_a_change_is_refused_and_undone_when_it_cannot_be_announced(
    alice: httpx.AsyncClient, nats_url: str, settings: ProjectsSettings
) -> None:
    project = await create(alice, "stays")
    path = f"/api/v1/projects/{project['id']}"
    stream = PROJECTS_STREAM.with_prefix(settings.nats_prefix)
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await js.delete_stream(stream.name)  # publishing now gets "no responders"
        problem = assert_problem(await alice.patch(path, json={"name": "renamed"}), 503)
        assert "try again" in problem["detail"]
        assert (await alice.get(path)).json() == project  # nothing half-written
        await declare_stream(js, stream)
        renamed = await alice.patch(path, json={"name": "renamed"})
        assert renamed.status_code == 200
    finally:
        await nc.close()
    assert renamed.json()["name"] == (await alice.get(path)).json()["name"] == "renamed"


async def test_create_is_undone_when_the_event_cannot_be_published(
    alice: httpx.AsyncClient, nats_url: str, settings: ProjectsSettings
) -> None:
    nc = await nats.connect(nats_url)
    try:
        await nc.jetstream().delete_stream(PROJECTS_STREAM.with_prefix(settings.nats_prefix).name)
    finally:
        await nc.close()
    assert_problem(await alice.post("/api/v1/projects", json={"name": "never"}), 503)
    assert await list_all(alice) == []


# --- ownership -----------------------------------------------------------------------------


async def test_another_users_project_is_not_found(
    alice: httpx.AsyncClient, bob: httpx.AsyncClient
) -> None:
    project = await create(alice, "private", "alice only")
    path = f"/api/v1/projects/{project['id']}"

    unknown = assert_problem(await bob.get("/api/v1/projects/" + "0" * 24), 404)
    foreign = assert_problem(await bob.get(path), 404)
    assert foreign["title"] == unknown["title"] == "Not Found"
    assert_problem(await bob.patch(path, json={"name": "mine now"}), 404)
    assert_problem(await bob.delete(path), 404)
    assert await list_all(bob) == []
    assert await list_all(bob, q="private") == []

    assert (await alice.get(path)).json() == project


@pytest.mark.parametrize("project_id", ["nope", "0" * 23, "Z" * 24, "0" * 25])
async def test_a_malformed_id_is_not_found(alice: httpx.AsyncClient, project_id: str) -> None:
    path = f"/api/v1/projects/{project_id}"
    assert_problem(await alice.get(path), 404)
    assert_problem(await alice.patch(path, json={"name": "x"}), 404)
    assert_problem(await alice.delete(path), 404)


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "loc", "error_type"),
    [
        ({"name": ""}, ["body", "name"], "string_too_short"),
        ({"name": "   \t "}, ["body", "name"], "string_too_short"),
        ({"name": "x" * 121}, ["body", "name"], "string_too_long"),
        ({"name": "ok", "description": "d" * 2001}, ["body", "description"], "string_too_long"),
        ({"name": "ok", "owner": "someone"}, ["body", "owner"], "extra_forbidden"),
        ({}, ["body", "name"], "missing"),
        ({"name": 5}, ["body", "name"], "string_type"),
        ({"name": "a\x00b"}, ["body", "name"], "value_error"),
        ({"name": "two\nlines"}, ["body", "name"], "value_error"),
        ({"name": "ok", "description": "a\u202eb"}, ["body", "description"], "value_error"),
    ],
)
async def test_create_refuses_invalid_input_with_one_error_per_field(
    alice: httpx.AsyncClient, body: dict[str, Any], loc: list[str], error_type: str
) -> None:
    problem = assert_problem(await alice.post("/api/v1/projects", json=body), 422)
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [(loc, error_type)]
    assert await list_all(alice) == []


async def test_limits_are_inclusive(alice: httpx.AsyncClient) -> None:
    padded = " " + "x" * 120 + " "
    assert (await create(alice, padded))["name"] == "x" * 120
    assert (await create(alice, "d", "d" * 2000))["description"] == "d" * 2000


async def test_a_bad_body_reports_every_bad_field(alice: httpx.AsyncClient) -> None:
    body = {"name": "", "description": "d" * 2001, "extra": 1}
    problem = assert_problem(await alice.post("/api/v1/projects", json=body), 422)
    assert sorted(e["loc"][1] for e in problem["errors"]) == ["description", "extra", "name"]


@pytest.mark.parametrize(
    ("body", "loc", "error_type"),
    [
        ({"name": " "}, ["body", "name"], "string_too_short"),
        ({"name": "x" * 121}, ["body", "name"], "string_too_long"),
        ({"description": "d" * 2001}, ["body", "description"], "string_too_long"),
        ({"name": None}, ["body", "name"], "value_error"),
        ({"name": "a\u202eb"}, ["body", "name"], "value_error"),
        ({"status": "archived"}, ["body", "status"], "extra_forbidden"),
    ],
)
async def test_patch_refuses_invalid_input(
    alice: httpx.AsyncClient, body: dict[str, Any], loc: list[str], error_type: str
) -> None:
    project = await create(alice, "valid")
    response = await alice.patch(f"/api/v1/projects/{project['id']}", json=body)
    problem = assert_problem(response, 422)
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [(loc, error_type)]
    assert (await alice.get(f"/api/v1/projects/{project['id']}")).json() == project


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": 101}, ["query", "limit"]),
        ({"limit": "ten"}, ["query", "limit"]),
        ({"cursor": "not-a-cursor"}, ["query", "cursor"]),
        ({"q": "x" * 201}, ["query", "q"]),
    ],
)
async def test_list_refuses_bad_query_parameters(
    alice: httpx.AsyncClient, params: dict[str, Any], loc: list[str]
) -> None:
    problem = assert_problem(await alice.get("/api/v1/projects", params=params), 422)
    assert [e["loc"] for e in problem["errors"]] == [loc]


async def test_limit_bounds_are_accepted(alice: httpx.AsyncClient) -> None:
    await create(alice, "one")
    for limit in (1, 100):
        response = await alice.get("/api/v1/projects", params={"limit": limit})
        assert response.status_code == 200


async def test_calls_without_the_gateway_identity_are_refused(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as anonymous:
        assert_problem(await anonymous.get("/api/v1/projects"), 401)
        assert_problem(await anonymous.post("/api/v1/projects", json={"name": "x"}), 401)
