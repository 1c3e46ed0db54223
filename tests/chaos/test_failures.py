"""Failures that must lose nothing: the broker down when a generation is accepted, and a worker
killed in the middle of a job."""

import asyncio
import signal
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from studio_devtools.servers import ServerProcess, free_port, start_nats

from tests.support.consumers import consumers_idle
from tests.support.full_stack import Servers, full_stack
from tests.support.paging import all_pages
from tests.support.sse import listening, payload
from tests.support.waiting import eventually
from tests.support.worker_process import worker_process, workers_ready

# Hundreds of 512 px jobs, workers and brokers killed and started again: on a loaded machine
# (the suite's other workers beside it) a test here runs for minutes, as its siblings do.
pytestmark = pytest.mark.timeout(600)

SMALL = {"params": {"image_size": {"width": 64, "height": 64}}}
"""For jobs whose image size does not matter: a 64 px image instead of the default 1024 px."""

JOB_SECONDS = 4
"""How long each job of the kill test takes: long enough that jobs are still in flight when
the victim dies, however slowly a busy machine accepts the 200 submissions."""
IN_FLIGHT_BEFORE_KILL = 20


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[ServerProcess]:
    """A NATS server this test may stop and start again (same port, same store)."""
    server = start_nats(tmp_path / "nats", free_port())
    yield server
    server.stop()


async def _status(client: httpx.AsyncClient, generation_id: str) -> str:
    status: str = (await client.get(f"/api/v1/generations/{generation_id}")).json()["status"]
    return status


async def _project(client: httpx.AsyncClient) -> str:
    project_id: str = (await client.post("/api/v1/projects", json={"name": "chaos"})).json()["id"]
    return project_id


async def test_nats_restart_while_requests_arrive_loses_no_accepted_generation(
    own_nats: ServerProcess, servers: Servers, tmp_path: Path
) -> None:
    async with (
        full_stack(
            replace(servers, nats_url=own_nats.url),
            storage_url=(tmp_path / "s").as_uri(),
        ) as stack,
        stack.client() as client,
    ):
        project = await _project(client)
        accepted: list[str] = []

        async def submit(n: int) -> None:
            for _ in range(n):
                response = await client.post(
                    f"/api/v1/projects/{project}/generations",
                    json={"type": "text-to-image", "model_id": "local/image", "prompt": "storm"}
                    | SMALL,
                )
                if response.status_code == 202:
                    accepted.append(response.json()["id"])
                await asyncio.sleep(0.05)

        await submit(10)
        own_nats.stop()
        await submit(10)  # the broker is down: accepted, queued later by the relay
        restarted = start_nats(own_nats.data_dir, own_nats.ports["client"])
        try:
            await submit(10)
            assert len(accepted) == 30

            async def all_completed() -> bool:
                statuses = [await _status(client, generation_id) for generation_id in accepted]
                return all(status == "completed" for status in statuses)

            await eventually(all_completed, within=60)

            # Every output's asset.created reached the projects service too, including those
            # registered while the broker was down (published later by the assets service).
            async def all_counted() -> bool:
                stats = (await client.get(f"/api/v1/projects/{project}")).json()
                return bool(stats["asset_count"] == 30 and stats["generation_count"] == 30)

            await eventually(all_counted, within=60)
        finally:
            restarted.stop()


async def test_cancel_and_delete_work_while_the_broker_is_down(
    own_nats: ServerProcess, servers: Servers, tmp_path: Path
) -> None:
    """The record is the truth: with NATS gone, a cancel or a deletion is stored and answered
    as done (only the events wait), not a 500 for a change that happened anyway."""
    async with (
        full_stack(
            replace(servers, nats_url=own_nats.url),
            storage_url=(tmp_path / "s").as_uri(),
            workers=0,  # nothing runs: the generations stay pending
        ) as stack,
        stack.client() as client,
    ):
        project = await _project(client)
        path = f"/api/v1/projects/{project}/generations"
        body = {"type": "text-to-image", "model_id": "local/image", "prompt": "calm"} | SMALL
        kept, gone = [(await client.post(path, json=body)).json()["id"] for _ in range(2)]
        own_nats.stop()
        cancelled = await client.post(f"/api/v1/generations/{kept}/cancel")
        assert cancelled.status_code == 202, cancelled.text
        assert await _status(client, kept) == "cancelled"
        deleted = await client.delete(f"/api/v1/generations/{gone}")
        assert deleted.status_code == 409  # still pending: cancel first
        assert (await client.post(f"/api/v1/generations/{gone}/cancel")).status_code == 202
        assert (await client.delete(f"/api/v1/generations/{gone}")).status_code == 204
        assert (await client.get(f"/api/v1/generations/{gone}")).status_code == 404


async def test_killing_one_of_three_workers_loses_nothing_and_duplicates_nothing(
    servers: Servers, tmp_path: Path
) -> None:
    jobs = 200
    async with (
        full_stack(
            servers,
            storage_url=(tmp_path / "s").as_uri(),
            workers=0,
        ) as stack,
        stack.client() as client,
    ):
        workers = [
            worker_process(stack, tmp_path, i, local_latency_s=JOB_SECONDS) for i in range(3)
        ]
        submissions: asyncio.Future[list[None]] | None = None
        try:
            await workers_ready([url for _, url in workers])
            project = await _project(client)
            ids: list[str] = []
            # A few submissions at a time: on a busy machine, one by one is slow enough that
            # the workers finish jobs about as fast as they arrive and few are ever in flight.
            submitting = asyncio.Semaphore(8)

            async def submit() -> None:
                async with submitting:
                    response = await client.post(
                        f"/api/v1/projects/{project}/generations",
                        json={
                            "type": "text-to-image",
                            "model_id": "local/image",
                            "prompt": "crowd",
                            "params": {"image_size": "square"},
                        },
                    )
                assert response.status_code == 202, response.text
                ids.append(response.json()["id"])

            submissions = asyncio.gather(*(submit() for _ in range(jobs)))

            async def some_processing() -> bool:
                page = (
                    await client.get(
                        "/api/v1/generations", params={"status": "processing", "limit": 100}
                    )
                ).json()
                return len(page["items"]) >= IN_FLIGHT_BEFORE_KILL

            # The precondition of the test, waited for on positive evidence: jobs in flight.
            await eventually(
                some_processing,
                within=120,
                what=f"{IN_FLIGHT_BEFORE_KILL} generations processing at once",
            )
            victim, _ = workers[0]
            victim.send_signal(signal.SIGKILL)
            victim.wait(10)
            await submissions
            assert len(ids) == jobs

            async def all_completed() -> bool:
                statuses = [await _status(client, generation_id) for generation_id in ids]
                return all(status == "completed" for status in statuses)

            try:
                await eventually(all_completed, within=120)
            except TimeoutError:
                docs = [(await client.get(f"/api/v1/generations/{g}")).json() for g in ids]
                stuck = [(d["status"], d["attempts"]) for d in docs if d["status"] != "completed"]
                pytest.fail(f"not all completed: {len(stuck)} stuck, e.g. {stuck[:10]}")
        finally:
            if submissions is not None and not submissions.done():
                submissions.cancel()
                await asyncio.gather(submissions, return_exceptions=True)
            for process, _ in workers:
                if process.poll() is None:
                    process.terminate()
                    process.wait(15)

        assets: list[dict[str, Any]] = []

        async def output_assets() -> list[dict[str, Any]]:
            return await all_pages(client, "/api/v1/assets", kind="output")

        async def all_registered() -> bool:
            # The assets service registers outputs from `generation.completed`, a moment later.
            assets[:] = await output_assets()
            return len(assets) >= jobs

        await eventually(all_registered, within=60)
        # A duplicate would come from an event handled twice: once every consumer has been
        # handed all its events and acked them, none is on its way.
        await eventually(
            lambda: consumers_idle(servers.nats_url, servers.nats_prefix),
            what="every consumer idle",
        )
        assets[:] = await output_assets()
        assert len(assets) == jobs, "exactly one output asset per generation"
        assert sorted(str(a["generation_id"]) for a in assets) == sorted(ids)
        retaken = [
            g for g in ids if (await client.get(f"/api/v1/generations/{g}")).json()["attempts"] > 1
        ]
        assert retaken, "the killed worker had jobs in flight that others took over"


async def test_live_events_flow_again_after_the_broker_restarts(
    own_nats: ServerProcess, servers: Servers, tmp_path: Path
) -> None:
    """While the broker is away, open streams end and new ones are refused (503), so a studio
    says it is offline instead of waiting on a stream that stays silent; once the broker is
    back, a client resuming with Last-Event-ID (as EventSource does) gets what it missed."""
    async with (
        full_stack(
            replace(servers, nats_url=own_nats.url), storage_url=(tmp_path / "s").as_uri()
        ) as stack,
        stack.client() as client,
        listening(client, reconnect=True) as browser,
    ):
        async with listening(client) as log:
            project = await _project(client)
            await log.wait_for(lambda e: e.event == "project.created")
            last_seen = log.events[-1].id
            own_nats.stop()
            await eventually(lambda: log.ended, within=15)
        async with listening(client) as refused:
            assert refused.status == 503
        restarted = start_nats(own_nats.data_dir, own_nats.ports["client"])
        try:
            response = await client.post(
                f"/api/v1/projects/{project}/generations",
                json={"type": "text-to-image", "model_id": "local/image", "prompt": "after"}
                | SMALL,
            )
            assert response.status_code == 202
            job = response.json()["id"]

            async def streams_again() -> bool:
                async with listening(client) as probe:
                    return probe.status == 200

            await eventually(streams_again, within=30)
            async with listening(client, last_event_id=last_seen) as resumed:
                completed = await resumed.wait_for(
                    lambda e: (
                        e.event == "generation.completed" and payload(e)["generation_id"] == job
                    ),
                    within=60,
                )
            assert payload(completed)["outputs"]
            # A reader that reconnects by itself, as a browser does, gets it too.
            await browser.wait_for(lambda e: e.id == completed.id, within=60)
            assert browser.reconnects >= 1
        finally:
            restarted.stop()
