"""P5: the first page (50) of a project's generation history and of its gallery, with 100,000
of each in the project, through the gateway and straight to the owning service.

Records are cloned in the databases from one real generation and one real upload (made through
the API first, so their shape is exactly what the services write): making 100,000 through HTTP
would measure the writes, not the page."""

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pymongo
import pytest
from studio_runtime.ids import new_id

from tests.perf.support import record
from tests.perf.test_generation_bench import pipeline
from tests.support import media_samples
from tests.support.apps import identity_headers

RECORDS = 100_000
REQUESTS = 100


@pytest.mark.timeout(900)
async def test_history_and_gallery_first_page_with_100k_records(
    mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str, tmp_path: Path
) -> None:
    with pipeline(
        mongo_url, mongo_db_name, nats_url, nats_prefix, tmp_path / "storage", workers=0
    ) as urls:
        async with httpx.AsyncClient(base_url=urls["gateway"], timeout=30) as client:
            project = (await client.post("/api/v1/projects", json={"name": "P5"})).json()["id"]
            generation = await client.post(
                f"/api/v1/projects/{project}/generations",
                json={"type": "text-to-image", "model_id": "local/image", "prompt": "seed"},
            )
            upload = await client.post(
                f"/api/v1/projects/{project}/assets",
                files={"file": ("seed.png", media_samples.png(32, 32))},
            )
            assert generation.status_code == 202 and upload.status_code == 201
            seconds = _clone(
                mongo_url,
                {
                    f"{mongo_db_name}_g": ("generations", generation.json()["id"], _generation),
                    f"{mongo_db_name}_a": ("assets", upload.json()["id"], _asset),
                },
            )
            figures: dict[str, object] = {"records": RECORDS, "seeding_s": seconds}
            print(f"P5 seeded {RECORDS:,} generations and assets in {seconds} s", flush=True)
            pages = {
                "history": (f"/api/v1/projects/{project}/generations", "generation"),
                "gallery": (f"/api/v1/projects/{project}/assets", "assets"),
            }
            for name, (path, service) in pages.items():
                figures[f"{name}_gateway"] = await _first_page(client, path)
                print(f"P5 {name} through the gateway", figures[f"{name}_gateway"], flush=True)
                async with httpx.AsyncClient(
                    base_url=urls[service], headers=identity_headers("local"), timeout=30
                ) as direct:
                    figures[f"{name}_direct"] = await _first_page(direct, path)
    record("history", figures, servers={"mongo": mongo_url, "nats": nats_url})


def _generation(doc: dict[str, Any], i: int) -> dict[str, Any]:
    return {**doc, "_id": new_id(), "status": "completed", "prompt": f"prompt {i}"}


def _asset(doc: dict[str, Any], i: int) -> dict[str, Any]:
    return {**doc, "_id": new_id(), "name": f"render-{i}.png", "dedup_key": f"bench:{i}"}


def _clone(
    mongo_url: str,
    sources: dict[str, tuple[str, str, Callable[[dict[str, Any], int], dict[str, Any]]]],
) -> float:
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(mongo_url)
    started = time.perf_counter()
    try:
        for db_name, (collection_name, record_id, make) in sources.items():
            collection = client[db_name][collection_name]
            original = collection.find_one({"_id": record_id})
            assert original is not None
            for start in range(0, RECORDS, 10_000):
                batch = [make(original, i) for i in range(start, min(start + 10_000, RECORDS))]
                collection.insert_many(batch, ordered=False)
    finally:
        client.close()
    return round(time.perf_counter() - started, 1)


async def _first_page(client: httpx.AsyncClient, path: str) -> dict[str, float]:
    timings = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = await client.get(path, params={"limit": 50})
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
        assert len(response.json()["items"]) == 50
    quantiles = statistics.quantiles(timings, n=100)
    return {"p50_ms": round(quantiles[49] * 1000, 2), "p99_ms": round(quantiles[98] * 1000, 2)}
