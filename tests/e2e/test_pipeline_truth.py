"""What a client sees is true at once: a completed generation's outputs are served the moment
it says so, a cancel reaches the running job without waiting for a heartbeat, and the
active-generation limit holds under a burst."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from tests.fakes.fal_server import running_fake_fal
from tests.support.full_stack import FullStack, Servers, full_stack
from tests.support.sse import listening, payload
from tests.support.waiting import eventually, patience

JOBS_EACH_WAY = 100
WAVE = 10
SLOW_HEARTBEAT = {"heartbeat_s": 60, "lease_s": 180, "ack_wait_s": 180}
"""A heartbeat far longer than any wait below: a cancel that lands in time came by message."""


@pytest.fixture
async def stack(servers: Servers, tmp_path: Path) -> AsyncIterator[FullStack]:
    async with full_stack(servers, storage_url=(tmp_path / "files").as_uri()) as running:
        yield running


async def new_project(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/v1/projects", json={"name": "Truth"})
    assert response.status_code == 201, response.text
    project_id: str = response.json()["id"]
    return project_id


async def request_image(client: httpx.AsyncClient, project: str, prompt: str) -> httpx.Response:
    return await client.post(
        f"/api/v1/projects/{project}/generations",
        json={
            "type": "text-to-image",
            "model_id": "local/image",
            "prompt": prompt,
            # Larger than a thumbnail, so one is made; a quarter of the default 1024 px's work.
            "params": {"image_size": {"width": 640, "height": 384}},
        },
    )


async def fetch_outputs(client: httpx.AsyncClient, outputs: list[dict[str, Any]]) -> list[int]:
    """Status of each output's content and thumbnail, asked for at once."""
    statuses = []
    for output in outputs:
        asset = f"/api/v1/assets/{output['asset_id']}"
        statuses.append((await client.get(f"{asset}/content")).status_code)
        statuses.append((await client.get(f"{asset}/thumbnail")).status_code)
    return statuses


async def test_outputs_are_served_the_instant_completion_is_seen_by_polling(
    stack: FullStack,
) -> None:
    answers: list[int] = []
    async with stack.client() as client:
        project = await new_project(client)

        async def watch(generation_id: str) -> None:
            while True:
                current = (await client.get(f"/api/v1/generations/{generation_id}")).json()
                if current["status"] == "completed":
                    answers.extend(await fetch_outputs(client, current["outputs"]))
                    return
                assert current["status"] in ("pending", "processing"), current
                await asyncio.sleep(0.01)

        # In waves, so that each is watched from before it completes (a machine busy with
        # other work still answers every poll in time).
        for wave in range(JOBS_EACH_WAY // WAVE):
            ids = []
            for n in range(WAVE):
                accepted = await request_image(client, project, f"polled {wave}.{n}")
                assert accepted.status_code == 202, accepted.text
                ids.append(accepted.json()["id"])
            async with asyncio.timeout(60 * patience()):
                await asyncio.gather(*(watch(i) for i in ids))
    assert len(answers) == 2 * JOBS_EACH_WAY
    assert [a for a in answers if a != 200] == []


async def test_outputs_are_served_the_instant_completion_arrives_over_sse(
    stack: FullStack,
) -> None:
    async with stack.client() as client, stack.client() as fetcher:
        project = await new_project(client)
        answers: list[int] = []
        fetches: list[asyncio.Task[None]] = []
        async with listening(client, params={"project_id": project}) as log:
            seen = 0

            async def on_completed(event: dict[str, Any]) -> None:
                answers.extend(await fetch_outputs(fetcher, event["outputs"]))

            for n in range(JOBS_EACH_WAY):
                assert (await request_image(client, project, f"streamed {n}")).status_code == 202

            def all_fetched() -> bool:
                nonlocal seen
                completed = log.named("generation.completed")
                # Fetch as soon as each event is read, not after the burst.
                for event in completed[seen:]:
                    fetches.append(asyncio.create_task(on_completed(payload(event))))
                seen = len(completed)
                return seen == JOBS_EACH_WAY

            await eventually(all_fetched, within=120)
            await asyncio.gather(*fetches)
    assert len(answers) == 2 * JOBS_EACH_WAY
    assert [a for a in answers if a != 200] == []


async def test_cancel_reaches_a_running_local_job_long_before_its_heartbeat(
    servers: Servers, tmp_path: Path
) -> None:
    async with (
        full_stack(
            servers,
            storage_url=(tmp_path / "files").as_uri(),
            worker={"local_latency_s": 120, "local_progress_steps": 4, **SLOW_HEARTBEAT},
        ) as stack,
        stack.client() as client,
    ):
        project = await new_project(client)
        job = (await request_image(client, project, "slow")).json()

        async def processing() -> bool:
            current = (await client.get(f"/api/v1/generations/{job['id']}")).json()
            return bool(current["status"] == "processing")

        await eventually(processing, within=30)
        async with listening(client, params={"project_id": project}) as log:
            assert (await client.post(f"/api/v1/generations/{job['id']}/cancel")).status_code == 202
            await log.wait_for(lambda e: e.event == "generation.cancelled", within=10)
        final = (await client.get(f"/api/v1/generations/{job['id']}")).json()
        assert final["status"] == "cancelled"
        assert final["outputs"] == []


async def test_cancel_of_a_job_queued_at_fal_cancels_it_there(
    servers: Servers, tmp_path: Path
) -> None:
    async with running_fake_fal() as fal:
        fal.script(queue_s=120, queue_position=3)
        async with (
            full_stack(
                servers,
                storage_url=(tmp_path / "files").as_uri(),
                worker=fal.worker_settings(**SLOW_HEARTBEAT),
            ) as stack,
            stack.client() as client,
        ):
            project = await new_project(client)
            accepted = await client.post(
                f"/api/v1/projects/{project}/generations",
                json={"type": "text-to-image", "model_id": "fal-ai/flux/dev", "prompt": "queued"},
            )
            assert accepted.status_code == 202, accepted.text
            job = accepted.json()
            await eventually(lambda: bool(fal.submits()), within=30)

            async def submitted_and_stored() -> bool:
                current = (await client.get(f"/api/v1/generations/{job['id']}")).json()
                return bool(current["status"] == "processing" and current["progress"])

            await eventually(submitted_and_stored, within=30)
            async with listening(client, params={"project_id": project}) as log:
                cancel = await client.post(f"/api/v1/generations/{job['id']}/cancel")
                assert cancel.status_code == 202
                await log.wait_for(lambda e: e.event == "generation.cancelled", within=10)
            (held,) = fal.jobs.values()
            assert held.cancelled_at is not None  # fal took the cancel: nothing to pay for
            assert [r.path for r in fal.requests("PUT")] == [
                f"/fal-ai/flux/requests/{held.request_id}/cancel"
            ]
            final = (await client.get(f"/api/v1/generations/{job['id']}")).json()
            assert final["status"] == "cancelled"


async def test_a_burst_cannot_overrun_the_active_limit(servers: Servers, tmp_path: Path) -> None:
    limit = 50
    async with (
        full_stack(
            servers,
            storage_url=(tmp_path / "files").as_uri(),
            worker={"local_latency_s": 120},
            generation_api={"max_active_per_user": limit},
        ) as stack,
        stack.client() as client,
    ):
        project = await new_project(client)
        assert (await request_image(client, project, "first")).status_code == 202
        burst = await asyncio.gather(
            *(request_image(client, project, f"burst {n}") for n in range(60))
        )
        statuses = sorted(r.status_code for r in burst)
        assert statuses.count(202) == limit - 1, statuses
        assert statuses.count(429) == 60 - (limit - 1)
        refused = next(r for r in burst if r.status_code == 429)
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert int(refused.headers["retry-after"]) > 0
        listed = await client.get(
            "/api/v1/generations", params={"project_id": project, "limit": 100}
        )
        assert len(listed.json()["items"]) == limit  # refused requests left no record
        # A slot comes back when a generation ends.
        await client.post(f"/api/v1/generations/{listed.json()['items'][0]['id']}/cancel")
        assert (await request_image(client, project, "after a cancel")).status_code == 202
        assert (await request_image(client, project, "one too many")).status_code == 429


async def test_a_counter_left_too_high_by_a_crash_is_corrected(
    servers: Servers, tmp_path: Path
) -> None:
    limit = 3
    async with (
        full_stack(
            servers,
            storage_url=(tmp_path / "files").as_uri(),
            generation_api={"max_active_per_user": limit},
        ) as stack,
        stack.client() as client,
    ):
        project = await new_project(client)
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
        try:
            counters = mongo[f"{servers.mongo_db_name}_g"]["generations"]
            # As if a process died after each of three generations ended, before it gave
            # the slot back: the counter says full, the records say nothing is active.
            await counters.update_one(
                {"_id": "active-count:local"}, {"$set": {"count": limit}}, upsert=True
            )
            accepted = await request_image(client, project, "after the crash")
            assert accepted.status_code == 202, accepted.text
            counter = await counters.find_one({"_id": "active-count:local"})
            assert counter is not None
            assert counter["count"] in (0, 1)  # 1 until the job ends, then given back
        finally:
            await mongo.close()
