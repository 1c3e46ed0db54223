"""The catalog's HTTP API, called as the gateway calls it (signed identity, real socket)."""

from collections.abc import AsyncIterator

import httpx
import pytest
from studio_catalog.main import create_app
from studio_catalog.settings import CatalogSettings

from tests.support.apps import identity_headers, make_settings, running


@pytest.fixture(scope="module")
async def catalog() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(CatalogSettings))
    async with (
        running(app) as url,
        httpx.AsyncClient(base_url=url, headers=identity_headers()) as client,
    ):
        yield client


async def test_generation_types_lists_the_seven_with_inputs_and_output(
    catalog: httpx.AsyncClient,
) -> None:
    types = (await catalog.get("/api/v1/generation-types")).json()
    assert [t["id"] for t in types] == [
        "text-to-image",
        "image-to-image",
        "text-to-video",
        "image-to-video",
        "video-to-video",
        "text-to-audio",
        "image-to-3d",
    ]
    by_id = {t["id"]: t for t in types}
    assert by_id["image-to-video"] == {
        "id": "image-to-video",
        "label": "Image to video",
        "inputs": ["image"],
        "output": "video",
    }


async def test_models_filtered_by_type_with_total(catalog: httpx.AsyncClient) -> None:
    body = (
        await catalog.get("/api/v1/models", params={"type": "text-to-video", "limit": 2})
    ).json()
    assert len(body["items"]) == 2
    assert body["total"] > 2
    assert all("text-to-video" in m["types"] for m in body["items"])
    model = body["items"][0]
    assert {
        "id",
        "name",
        "provider",
        "types",
        "output",
        "quality",
        "recommended",
        "description",
        "price",
        "params",
    } <= set(model)


async def test_models_search_provider_and_quality(catalog: httpx.AsyncClient) -> None:
    local = (await catalog.get("/api/v1/models", params={"provider": "local"})).json()
    assert local["total"] == 7
    assert {m["runtime"] for m in local["items"]} == {"local"}
    searched = (await catalog.get("/api/v1/models", params={"q": "KLING", "quality": "pro"})).json()
    assert searched["total"] >= 1
    assert all("kling" in m["id"] and m["quality"] == "pro" for m in searched["items"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"type": "text-to-smell"}, "type"),
        ({"limit": 0}, "limit"),
        ({"limit": 1000}, "limit"),
        ({"offset": -1}, "offset"),
        ({"quality": "best"}, "quality"),
        ({"provider": "Bad Provider!"}, "provider"),
    ],
)
async def test_bad_query_values_answer_422_problem(
    catalog: httpx.AsyncClient, params: dict[str, str | int], field: str
) -> None:
    response = await catalog.get("/api/v1/models", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422
    assert [e["loc"] for e in body["errors"]] == [["query", field]]


async def test_get_model_by_id_with_slashes(catalog: httpx.AsyncClient) -> None:
    response = await catalog.get("/api/v1/models/fal-ai/flux/dev")
    assert response.status_code == 200
    assert response.json()["id"] == "fal-ai/flux/dev"
    assert response.json()["provider"]["id"] == "black-forest-labs"


async def test_unknown_model_is_404_problem(catalog: httpx.AsyncClient) -> None:
    response = await catalog.get("/api/v1/models/fal-ai/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "fal-ai/nope" in response.json()["detail"]
    validate = await catalog.post(
        "/api/v1/models/fal-ai/nope/validate", json={"type": "text-to-image"}
    )
    assert validate.status_code == 404


async def test_recommended_models_per_type(catalog: httpx.AsyncClient) -> None:
    body = (await catalog.get("/api/v1/models/recommended", params={"type": "image-to-3d"})).json()
    assert body
    assert all(m["recommended"] and "image-to-3d" in m["types"] for m in body)


async def test_validate_fills_defaults(catalog: httpx.AsyncClient) -> None:
    response = await catalog.post(
        "/api/v1/models/local/image/validate",
        json={"type": "text-to-image", "params": {"prompt": "a red fox", "seed": 7}},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["params"]["seed"] == 7
    assert body["params"]["image_size"] == "square_hd"
    assert body["runtime"] == "local"


async def test_validate_reports_one_error_per_bad_field(catalog: httpx.AsyncClient) -> None:
    response = await catalog.post(
        "/api/v1/models/fal-ai/flux/dev/validate",
        json={
            "type": "text-to-video",
            "params": {"prompt": "x", "num_inference_steps": 0, "image_size": "huge", "lora": 1},
        },
    )
    assert response.status_code == 422
    locs = {tuple(e["loc"]): e["type"] for e in response.json()["errors"]}
    assert locs == {
        ("body", "type"): "unsupported_type",
        ("body", "params", "num_inference_steps"): "out_of_range",
        ("body", "params", "image_size"): "enum",
        ("body", "params", "lora"): "unknown_parameter",
    }


async def test_validate_with_malformed_body_is_422(catalog: httpx.AsyncClient) -> None:
    response = await catalog.post("/api/v1/models/local/image/validate", json={"params": []})
    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["errors"]} == {
        ("body", "type"),
        ("body", "params"),
    }
