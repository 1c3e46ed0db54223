"""P5: the first page (50) of a project's generation history and of its gallery, with 100,000
of each in the project, through the gateway and straight to the owning service; and a page from
the middle, as scrolling down reaches it (its cursor from the 50,000th record).

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
            seconds, middles = _clone(
                mongo_url,
                {
                    f"{mongo_db_name}_g": ("generations", generation.json()["id"], _generation),
                    f"{mongo_db_name}_a": ("assets", upload.json()["id"], _asset),
                },
            )
            figures: dict[str, object] = {"records": RECORDS, "seeding_s": seconds}
            print(f"P5 seeded {RECORDS:,} generations and assets in {seconds} s", flush=True)
            pages = {
                "history": (
                    f"/api/v1/projects/{project}/generations",
                    "generation",
                    middles[f"{mongo_db_name}_g"],
                ),
                "gallery": (
                    f"/api/v1/projects/{project}/assets",
                    "assets",
                    middles[f"{mongo_db_name}_a"],
                ),
            }
            for name, (path, service, middle) in pages.items():
                figures[f"{name}_gateway"] = await _page(client, path)
                print(f"P5 {name} through the gateway", figures[f"{name}_gateway"], flush=True)
                figures[f"{name}_middle_gateway"] = await _page(client, path, middle)
                print(f"P5 {name}, middle page", figures[f"{name}_middle_gateway"], flush=True)
                async with httpx.AsyncClient(
                    base_url=urls[service], headers=identity_headers("local"), timeout=30
                ) as direct:
                    figures[f"{name}_direct"] = await _page(direct, path)
    record("history", figures, servers={"mongo": mongo_url, "nats": nats_url})


def _generation(doc: dict[str, Any], i: int) -> dict[str, Any]:
    record_id = new_id()
    return {
        **doc,
        "_id": record_id,
        "sort_id": record_id,
        "status": "completed",
        "prompt": f"prompt {i}",
    }


def _asset(doc: dict[str, Any], i: int) -> dict[str, Any]:
    record_id = new_id()
    return {
        **doc,
        "_id": record_id,
        "sort_id": record_id,
        "name": f"render-{i}.png",
        "dedup_key": f"bench:{i}",
    }


def _clone(
    mongo_url: str,
    sources: dict[str, tuple[str, str, Callable[[dict[str, Any], int], dict[str, Any]]]],
) -> tuple[float, dict[str, str]]:
    """(seconds taken, the id of the middle record of each database): records are made in id
    order, so the middle one's id is the cursor of a page halfway down."""
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(mongo_url)
    started = time.perf_counter()
    middles: dict[str, str] = {}
    try:
        for db_name, (collection_name, record_id, make) in sources.items():
            collection = client[db_name][collection_name]
            original = collection.find_one({"_id": record_id})
            assert original is not None
            for start in range(0, RECORDS, 10_000):
                batch = [make(original, i) for i in range(start, min(start + 10_000, RECORDS))]
                if start == RECORDS // 2:
                    middles[db_name] = batch[0]["_id"]
                collection.insert_many(batch, ordered=False)
    finally:
        client.close()
    return round(time.perf_counter() - started, 1), middles


async def _page(
    client: httpx.AsyncClient, path: str, cursor: str | None = None
) -> dict[str, float]:
    timings = []
    params: dict[str, str | int] = {"limit": 50}
    if cursor is not None:
        params["cursor"] = cursor
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = await client.get(path, params=params)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
        assert len(response.json()["items"]) == 50
    quantiles = statistics.quantiles(timings, n=100)
    return {"p50_ms": round(quantiles[49] * 1000, 2), "p99_ms": round(quantiles[98] * 1000, 2)}
