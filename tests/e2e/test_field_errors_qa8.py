"""A 422's field errors through the gateway, in words a person reads rather than pydantic's own
("String should have at most 120 characters"), each still at its field (`loc`)."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.support.assets_stack import gateway_over_assets


@pytest.fixture
async def gateway(
    mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str, tmp_path: object
) -> AsyncIterator[httpx.AsyncClient]:
    async with gateway_over_assets(
        mongo_url, mongo_db_name, nats_url, nats_prefix, tmp_path
    ) as client:
        yield client


def _errors(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors: list[dict[str, Any]] = response.json()["errors"]
    return errors


async def test_a_too_long_name_says_how_long_it_may_be(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post("/api/v1/projects", json={"name": "x" * 121})
    assert _errors(response) == [
        {"loc": ["body", "name"], "msg": "At most 120 characters.", "type": "string_too_long"}
    ]
    assert response.json()["detail"] == "body.name: At most 120 characters."


async def test_a_missing_or_empty_name_is_required(gateway: httpx.AsyncClient) -> None:
    missing = await gateway.post("/api/v1/projects", json={"description": "refs"})
    assert _errors(missing) == [{"loc": ["body", "name"], "msg": "Required.", "type": "missing"}]
    empty = await gateway.post("/api/v1/projects", json={"name": "   "})
    assert [(e["loc"], e["msg"]) for e in _errors(empty)] == [(["body", "name"], "Required.")]


async def test_an_unknown_field_is_named_as_not_accepted(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post("/api/v1/projects", json={"name": "Moodboard", "colour": "red"})
    assert _errors(response) == [
        {"loc": ["body", "colour"], "msg": "Not a field this accepts.", "type": "extra_forbidden"}
    ]


@pytest.mark.parametrize(
    ("query", "msg"),
    [
        ("limit=0", "At least 1."),
        ("limit=101", "At most 100."),
        ("limit=ten", "Must be a whole number."),
    ],
)
async def test_a_limit_out_of_range_gives_the_range(
    gateway: httpx.AsyncClient, query: str, msg: str
) -> None:
    response = await gateway.get(f"/api/v1/assets?{query}")
    assert [(e["loc"], e["msg"]) for e in _errors(response)] == [(["query", "limit"], msg)]


async def test_a_wrong_choice_lists_the_choices(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/api/v1/assets?media_type=painting&kind=gift")
    assert [(e["loc"], e["msg"]) for e in _errors(response)] == [
        (["query", "media_type"], "Must be one of: image, video, audio, model3d."),
        (["query", "kind"], "Must be one of: upload, output."),
    ]
