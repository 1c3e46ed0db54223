"""P9: cancel of a running job → `cancelled`, p50/p99 over 100 jobs. Every service its own
process; the offline provider made slow (`STUDIO_LOCAL_LATENCY_S`) and the worker's heartbeat
left at its default (10 s), so what is measured is the cancel message, not the lease renewal.
Figures only."""

import asyncio
import json
import statistics
import time
from pathlib import Path

import httpx
import nats
import pytest
from nats.aio.msg import Msg
from studio_contracts import subjects

from tests.perf.support import record
from tests.perf.test_generation_bench import TRIVIAL, pipeline

ROUNDS = 100


@pytest.mark.timeout(900)
async def test_cancel_to_cancelled(
    mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str, tmp_path: Path
) -> None:
    with pipeline(
        mongo_url,
        mongo_db_name,
        nats_url,
        nats_prefix,
        tmp_path / "storage",
        workers=1,
        worker_env={"STUDIO_LOCAL_LATENCY_S": "60"},
    ) as urls:
        nc = await nats.connect(nats_url)
        seen: dict[str, asyncio.Queue[str]] = {
            "started": asyncio.Queue(),
            "cancelled": asyncio.Queue(),
        }

        def into(queue: asyncio.Queue[str]):  # type: ignore[no-untyped-def]
            async def received(message: Msg) -> None:
                await queue.put(json.loads(message.data)["generation_id"])

            return received

        for name in seen:
            await nc.subscribe(
                subjects.subject(f"generation.{name}", nats_prefix), cb=into(seen[name])
            )
        timings: list[float] = []
        try:
            async with httpx.AsyncClient(base_url=urls["gateway"], timeout=30) as client:
                project = (await client.post("/api/v1/projects", json={"name": "P9"})).json()["id"]
                for _ in range(ROUNDS):
                    accepted = await client.post(
                        f"/api/v1/projects/{project}/generations", json=TRIVIAL
                    )
                    generation_id = accepted.json()["id"]
                    assert await asyncio.wait_for(seen["started"].get(), 30) == generation_id
                    started = time.perf_counter()
                    answer = await client.post(f"/api/v1/generations/{generation_id}/cancel")
                    assert answer.status_code == 202, answer.text
                    assert await asyncio.wait_for(seen["cancelled"].get(), 30) == generation_id
                    timings.append(time.perf_counter() - started)
        finally:
            await nc.close()
    q = statistics.quantiles(timings, n=100)
    record(
        "cancel",
        {
            "p9_cancel_to_cancelled_ms": {
                "rounds": ROUNDS,
                "p50": round(q[49] * 1000, 2),
                "p99": round(q[98] * 1000, 2),
                "max": round(max(timings) * 1000, 2),
            }
        },
        servers={"mongo": mongo_url, "nats": nats_url, "storage": "directory"},
    )
