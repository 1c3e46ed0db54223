"""A 422's field errors through the gateway, in words a person reads rather than pydantic's own
("String should have at most 120 characters"), each still at its field (`loc`). A model's
parameters, checked against the catalog's schema rather than by pydantic, read the same way."""

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.full_stack import Servers, full_stack


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


async def test_a_bad_model_parameter_reads_like_every_other_field(
    servers: Servers, tmp_path: Path
) -> None:
    async with (
        full_stack(servers, storage_url=(tmp_path / "s").as_uri(), workers=0) as stack,
        stack.client() as client,
    ):
        project = (await client.post("/api/v1/projects", json={"name": "Params"})).json()["id"]
        response = await client.post(
            f"/api/v1/projects/{project}/generations",
            json={
                "type": "text-to-image",
                "model_id": "local/image",
                "params": {
                    "num_images": 9,
                    "image_size": "huge",
                    "seed": 1.5,
                    "guidance_scale": "high",
                    "output_format": "gif",
                },
            },
        )
    # The same words as the other fields' errors for the same meaning; `loc` and `type` kept.
    assert _errors(response) == [
        {"loc": ["body", "params", "num_images"], "msg": "At most 4.", "type": "out_of_range"},
        {
            "loc": ["body", "params", "image_size"],
            "msg": "Must be one of: square_hd, square, portrait_4_3, portrait_16_9, "
            "landscape_4_3, landscape_16_9.",
            "type": "enum",
        },
        {
            "loc": ["body", "params", "seed"],
            "msg": "Must be a whole number.",
            "type": "integer_type",
        },
        {
            "loc": ["body", "params", "guidance_scale"],
            "msg": "Must be a number.",
            "type": "number_type",
        },
        {
            "loc": ["body", "params", "output_format"],
            "msg": "Must be one of: png, webp.",
            "type": "enum",
        },
        {"loc": ["body", "prompt"], "msg": "Required.", "type": "missing"},
    ]
    assert response.json()["detail"] == (
        "params.num_images: At most 4; params.image_size: Must be one of: square_hd, square, "
        "portrait_4_3, portrait_16_9, landscape_4_3, landscape_16_9; params.seed: Must be a "
        "whole number; params.guidance_scale: Must be a number; params.output_format: Must be "
        "one of: png, webp. (and 1 more)"
    )
