"""The catalog through the gateway: same paths, request ids, problem bodies unchanged."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from studio_catalog.main import create_app as create_catalog
from studio_catalog.settings import CatalogSettings
from studio_devtools.servers import free_port
from studio_gateway.main import create_app as create_gateway
from studio_gateway.settings import GatewaySettings

from tests.support.apps import make_settings, running
from tests.support.full_stack import Servers, full_stack


def gateway_settings(mongo_url: str, nats_url: str, catalog_url: str) -> GatewaySettings:
    """A gateway whose only service is the catalog (its own database and subjects unused)."""
    return make_settings(
        GatewaySettings,
        catalog_url=catalog_url,
        mongo_url=mongo_url,
        mongo_db="gateway_catalog_tests",
        nats_url=nats_url,
        nats_prefix="gwcatalog",
    )


@pytest.fixture(scope="module")
async def gateway(mongo_url: str, nats_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_catalog(make_settings(CatalogSettings))) as catalog_url:
        settings = gateway_settings(mongo_url, nats_url, catalog_url)
        async with (
            running(create_gateway(settings)) as url,
            httpx.AsyncClient(base_url=url) as client,
        ):
            yield client


async def test_video_models_are_listed_through_the_gateway(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/api/v1/models", params={"type": "text-to-video"})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] >= 5
    assert all(m["output"] == "video" for m in body["items"])


async def test_model_ids_with_slashes_and_validate_pass_through(gateway: httpx.AsyncClient) -> None:
    model = await gateway.get("/api/v1/models/fal-ai/flux/dev")
    assert model.json()["id"] == "fal-ai/flux/dev"
    validated = await gateway.post(
        "/api/v1/models/local/audio/validate",
        json={"type": "text-to-audio", "params": {"prompt": "rain"}},
    )
    assert validated.status_code == 200
    assert validated.json()["params"]["seconds_total"] == 3


async def test_problem_bodies_pass_through_unchanged(gateway: httpx.AsyncClient) -> None:
    missing = await gateway.get("/api/v1/models/fal-ai/does-not-exist")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["detail"] == "No model with id fal-ai/does-not-exist in the catalog."
    bad = await gateway.get("/api/v1/models", params={"limit": "many"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["query", "limit"]


async def test_request_id_is_returned_generated_or_echoed(gateway: httpx.AsyncClient) -> None:
    generated = await gateway.get("/api/v1/generation-types")
    assert len(generated.headers["x-request-id"]) == 32
    echoed = await gateway.get("/api/v1/generation-types", headers={"X-Request-ID": "trace-abc.1"})
    assert echoed.headers["x-request-id"] == "trace-abc.1"
    unsafe = await gateway.get(
        "/api/v1/generation-types", headers={"X-Request-ID": "bad id\twith spaces"}
    )
    assert unsafe.headers["x-request-id"] != "bad id\twith spaces"


async def test_gateway_answers_502_problem_when_the_catalog_is_down(
    mongo_url: str, nats_url: str
) -> None:
    settings = gateway_settings(mongo_url, nats_url, f"http://127.0.0.1:{free_port()}")
    async with running(create_gateway(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.get("/api/v1/models")
        assert response.status_code == 502
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "the catalog service is unavailable"
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["catalog"] != "ok"


async def test_unknown_public_path_is_a_404_problem(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_hosted_model_on_a_server_without_a_key_is_refused_at_once(
    servers: Servers, tmp_path: Path
) -> None:
    # The full stack's catalog has no fal key (tests never read the developer's environment).
    async with (
        full_stack(servers, storage_url=(tmp_path / "s").as_uri(), workers=0) as stack,
        stack.client() as client,
    ):
        flux = (await client.get("/api/v1/models/fal-ai/flux/dev")).json()
        assert flux["available"] is False
        project = (await client.post("/api/v1/projects", json={"name": "no key"})).json()["id"]
        generations = f"/api/v1/projects/{project}/generations"
        refused = await client.post(
            generations,
            json={"type": "text-to-image", "model_id": "fal-ai/flux/dev", "prompt": "a fox"},
        )
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        [error] = refused.json()["errors"]
        assert error["loc"] == ["body", "model_id"]
        assert error["type"] == "provider_not_configured"
        assert "FAL_KEY" in error["msg"]
        assert (await client.get(generations)).json()["items"] == []
        assert (await client.get("/api/v1/generations")).json()["items"] == []
        # The offline model of the same type is accepted.
        accepted = await client.post(
            generations,
            json={"type": "text-to-image", "model_id": "local/image", "prompt": "a fox"},
        )
        assert accepted.status_code == 202, accepted.text


async def test_starter_templates_are_public_through_the_gateway(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.get("/api/v1/starter-templates", params={"type": "image-to-3d"})
    assert response.status_code == 200
    starters = response.json()["items"]
    assert starters and all(s["type"] == "image-to-3d" for s in starters)
    offline = [s for s in starters if s["model_id"].startswith("local/")]
    assert offline and all(s["available"] for s in offline)


async def test_the_families_the_studio_cannot_offer_say_why_and_what_stands_in(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.get("/api/v1/unavailable-models")
    assert response.status_code == 200, response.text
    families = {f["family"]: f for f in response.json()["items"]}
    assert set(families) == {"Sora 2", "Runway Gen-4"}
    sora = families["Sora 2"]
    assert sora["provider"] == "OpenAI"
    assert "shut the Sora 2 API down" in sora["reason"]
    for family in families.values():
        assert family["stand_ins"]
        for model_id in family["stand_ins"]:
            found = await gateway.get(f"/api/v1/models/{model_id}")
            assert found.status_code == 200, model_id
            assert found.json()["types"][0] in ("text-to-video", "image-to-video")
