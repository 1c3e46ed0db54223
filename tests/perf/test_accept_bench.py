"""P8: the cost of accepting a generation does not grow with the user's history. Accept latency
and rate through the gateway, active limit on, with 0, 10,000 and 100,000 earlier generations of
the same user in the database. No worker runs: only the accept path is measured. Figures only."""

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from studio_runtime.ids import new_id

from tests.perf.support import record, run_load
from tests.perf.test_generation_bench import TRIVIAL, pipeline

HISTORIES = (0, 10_000, 100_000)
LIMIT = "1000000"
"""On (the counter is taken and given back), but never reached by the load."""


@pytest.mark.timeout(1800)
async def test_accept_cost_is_flat_in_history_size(
    mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str, tmp_path: Path
) -> None:
    figures: dict[str, object] = {}
    with pipeline(
        mongo_url,
        mongo_db_name,
        nats_url,
        nats_prefix,
        tmp_path / "storage",
        workers=0,
        generation_env={"STUDIO_MAX_ACTIVE_PER_USER": LIMIT},
    ) as urls:
        async with httpx.AsyncClient(base_url=urls["gateway"], timeout=30) as client:
            project = (await client.post("/api/v1/projects", json={"name": "P8"})).json()["id"]
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
        try:
            generations = mongo[f"{mongo_db_name}_g"]["generations"]
            stored = await generations.count_documents({"owner": "local"})
            for history in HISTORIES:
                started = time.perf_counter()
                await _seed(generations, project, history - stored)
                stored = history
                seeded_s = round(time.perf_counter() - started, 1)
                stats = await run_load(
                    lambda c, i: c.post(f"/api/v1/projects/{project}/generations", json=TRIVIAL),
                    base_url=urls["gateway"],
                    total=1000,
                    concurrency=16,
                    warmup=50,
                )
                assert stats.errors == 0
                stored += 1050
                figures[f"history_{history}"] = {
                    "per_second": stats.per_second,
                    "p50_ms": stats.p50_ms,
                    "p99_ms": stats.p99_ms,
                    "seeded_s": seeded_s,
                }
                print(f"P8 history {history}:", figures[f"history_{history}"], flush=True)
        finally:
            await mongo.close()
    record("accept_history", figures, servers={"mongo": mongo_url, "nats": nats_url})


async def _seed(generations: Any, project: str, count: int) -> None:
    """Finished generations of the local user, as the API would have stored them."""
    batch: list[dict[str, Any]] = []
    for n in range(max(count, 0)):
        batch.append(
            {
                "_id": (generation_id := new_id()),
                "sort_id": generation_id,
                "owner": "local",
                "project_id": project,
                "type": "text-to-image",
                "model_id": "local/image",
                "runtime": "local",
                "output": "image",
                "prompt": f"seeded {n}",
                "params": {"prompt": f"seeded {n}", "image_size": "square", "seed": n},
                "input_asset_ids": [],
                "input_bindings": {},
                "status": "completed",
                "attempts": 1,
                "created_ms": n,
                "completed_ms": n + 1,
                "published": True,
                "outputs": [],
            }
        )
        if len(batch) == 5000:
            await generations.insert_many(batch)
            batch = []
    if batch:
        await generations.insert_many(batch)
