"""The catalog's HTTP API, called as the gateway calls it (signed identity, real socket)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from studio_catalog.main import create_app
from studio_catalog.settings import CatalogSettings

from tests.support.apps import identity_headers, make_settings, running


@asynccontextmanager
async def catalog_client(settings: CatalogSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        running(create_app(settings)) as url,
        httpx.AsyncClient(base_url=url, headers=identity_headers()) as client,
    ):
        yield client


@pytest.fixture(scope="module")
async def catalog() -> AsyncIterator[httpx.AsyncClient]:
    """A server whose operator says hosted models are configured (as a fal key would)."""
    async with catalog_client(make_settings(CatalogSettings, fal_configured=True)) as client:
        yield client


@pytest.fixture(scope="module")
async def keyless() -> AsyncIterator[httpx.AsyncClient]:
    """A first run: no fal key, no override."""
    async with catalog_client(make_settings(CatalogSettings)) as client:
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


@pytest.mark.parametrize(
    "model_id", ["fal-ai/flux/dev", "fal-ai/flux/schnell", "fal-ai/flux-2-pro"]
)
async def test_hosted_flux_models_take_a_custom_size(
    catalog: httpx.AsyncClient, model_id: str
) -> None:
    # fal takes {width, height} for these; they were offered as presets only (no Custom size).
    spec = (await catalog.get(f"/api/v1/models/{model_id}")).json()["params"]["image_size"]
    assert (spec["type"], spec["minimum"], spec["maximum"]) == ("image_size", 64, 2048)
    size = {"width": 1280, "height": 720}
    fits = await catalog.post(
        f"/api/v1/models/{model_id}/validate",
        json={"type": "text-to-image", "params": {"prompt": "x", "image_size": size}},
    )
    assert fits.status_code == 200, fits.text
    assert fits.json()["params"]["image_size"] == size
    too_big = await catalog.post(
        f"/api/v1/models/{model_id}/validate",
        json={
            "type": "text-to-image",
            "params": {"prompt": "x", "image_size": {"width": 4096, "height": 720}},
        },
    )
    assert too_big.status_code == 422
    [error] = too_big.json()["errors"]
    assert (error["loc"], error["type"]) == (["body", "params", "image_size"], "out_of_range")


async def test_validate_with_malformed_body_is_422(catalog: httpx.AsyncClient) -> None:
    response = await catalog.post("/api/v1/models/local/image/validate", json={"params": []})
    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["errors"]} == {
        ("body", "type"),
        ("body", "params"),
    }


# --- availability: hosted models need a key on this server ----------------------------------


async def test_without_a_key_hosted_models_are_listed_as_unavailable(
    keyless: httpx.AsyncClient,
) -> None:
    everything = (await keyless.get("/api/v1/models", params={"limit": 200})).json()["items"]
    assert {m["runtime"] for m in everything} == {"fal", "local"}
    for model in everything:
        assert model["available"] is (model["runtime"] == "local"), model["id"]
    flux = (await keyless.get("/api/v1/models/fal-ai/flux/dev")).json()
    assert flux["available"] is False
    assert (await keyless.get("/api/v1/models/local/image")).json()["available"] is True


async def test_available_filter(keyless: httpx.AsyncClient) -> None:
    runnable = (await keyless.get("/api/v1/models", params={"available": "true"})).json()
    assert runnable["total"] == 7
    assert {m["runtime"] for m in runnable["items"]} == {"local"}
    needs_key = (
        await keyless.get("/api/v1/models", params={"available": "false", "limit": 200})
    ).json()
    assert needs_key["total"] >= 45
    assert all(m["runtime"] == "fal" and not m["available"] for m in needs_key["items"])
    bad = await keyless.get("/api/v1/models", params={"available": "maybe"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["query", "available"]


async def test_without_a_key_recommended_models_start_with_an_offline_one(
    keyless: httpx.AsyncClient,
) -> None:
    for generation_type in ("text-to-image", "text-to-video", "image-to-3d"):
        body = (
            await keyless.get("/api/v1/models/recommended", params={"type": generation_type})
        ).json()
        assert body[0]["runtime"] == "local" and body[0]["available"] is True
        assert all(m["available"] is (m["runtime"] == "local") for m in body)


async def test_without_a_key_validating_a_hosted_model_says_how_to_add_one(
    keyless: httpx.AsyncClient,
) -> None:
    response = await keyless.post(
        "/api/v1/models/fal-ai/flux/dev/validate",
        json={"type": "text-to-image", "params": {"prompt": "a fox"}},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["loc"] == ["body", "model_id"]
    assert error["type"] == "provider_not_configured"
    assert "FAL_KEY" in error["msg"] and "restart" in error["msg"]
    local = await keyless.post(
        "/api/v1/models/local/image/validate",
        json={"type": "text-to-image", "params": {"prompt": "a fox"}},
    )
    assert local.status_code == 200


async def test_with_hosted_models_configured_every_model_is_available(
    catalog: httpx.AsyncClient,
) -> None:
    everything = (await catalog.get("/api/v1/models", params={"limit": 200})).json()
    assert all(m["available"] for m in everything["items"])
    needs_key = (await catalog.get("/api/v1/models", params={"available": "false"})).json()
    assert needs_key == {"items": [], "total": 0}


# --- starter templates -------------------------------------------------------------------------


async def test_starter_templates_are_listed_and_filtered_by_type(
    catalog: httpx.AsyncClient,
) -> None:
    response = await catalog.get("/api/v1/starter-templates")
    assert response.status_code == 200
    page = response.json()
    assert page["next_cursor"] is None
    starters = page["items"]
    assert 12 <= len(starters) <= 20
    assert set(starters[0]) == {
        "id",
        "name",
        "description",
        "type",
        "model_id",
        "prompt",
        "params",
        "available",
    }
    videos = (
        await catalog.get("/api/v1/starter-templates", params={"type": "text-to-video"})
    ).json()["items"]
    assert videos and all(s["type"] == "text-to-video" for s in videos)
    assert {s["id"] for s in videos} < {s["id"] for s in starters}
    bad = await catalog.get("/api/v1/starter-templates", params={"type": "text-to-smell"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["query", "type"]


async def test_starters_say_whether_their_model_runs_here_and_validate_as_given(
    keyless: httpx.AsyncClient,
) -> None:
    starters = (await keyless.get("/api/v1/starter-templates")).json()["items"]
    for starter in starters:
        assert starter["available"] is starter["model_id"].startswith("local/"), starter["id"]
    for starter in (s for s in starters if s["available"]):
        params = starter["params"] | ({"prompt": starter["prompt"]} if starter["prompt"] else {})
        validated = await keyless.post(
            f"/api/v1/models/{starter['model_id']}/validate",
            json={"type": starter["type"], "params": params},
        )
        assert validated.status_code == 200, (starter["id"], validated.text)
