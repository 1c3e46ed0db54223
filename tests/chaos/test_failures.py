"""Failures that must lose nothing: the broker down when a generation is accepted, and a worker
killed in the middle of a job."""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from studio_devtools.servers import ServerProcess, free_port, start_nats

from tests.support.apps import INTERNAL_SECRET
from tests.support.full_stack import FullStack, full_stack
from tests.support.waiting import eventually

FAST_TAKEOVER = {"lease_s": 2, "heartbeat_s": 0.5, "ack_wait_s": 2}


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


async def test_generation_accepted_while_the_broker_is_down_still_runs(
    own_nats: ServerProcess, mongo_url: str, mongo_db_name: str, nats_prefix: str, tmp_path: Path
) -> None:
    async with (
        full_stack(
            mongo_url=mongo_url,
            mongo_db_name=mongo_db_name,
            nats_url=own_nats.url,
            nats_prefix=nats_prefix,
            storage_url=(tmp_path / "s").as_uri(),
        ) as stack,
        stack.client() as client,
    ):
        project = await _project(client)
        own_nats.stop()
        accepted = await client.post(
            f"/api/v1/projects/{project}/generations",
            json={"type": "text-to-image", "model_id": "local/image", "prompt": "while down"},
        )
        assert accepted.status_code == 202
        generation_id = accepted.json()["id"]
        assert await _status(client, generation_id) == "pending"
        restarted = start_nats(own_nats.data_dir, own_nats.ports["client"])
        try:

            async def completed() -> bool:
                return await _status(client, generation_id) == "completed"

            await eventually(completed, within=30)
        finally:
            restarted.stop()


def _worker_process(stack: FullStack, tmp_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    settings = {
        **stack.worker_settings,
        **FAST_TAKEOVER,
        "local_latency_s": 4,
        "local_progress_steps": 8,
        "port": port,
    }
    env.update({f"STUDIO_{k.upper()}": str(v) for k, v in settings.items()})
    env["STUDIO_INTERNAL_SECRET"] = INTERNAL_SECRET
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "studio_generation", "worker"], env=env, stdout=log, stderr=log
    )
    return process, f"http://127.0.0.1:{port}"


async def test_a_killed_worker_s_job_is_taken_over_and_completes(
    mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str, tmp_path: Path
) -> None:
    async with (
        full_stack(
            mongo_url=mongo_url,
            mongo_db_name=mongo_db_name,
            nats_url=nats_url,
            nats_prefix=nats_prefix,
            storage_url=(tmp_path / "s").as_uri(),
            workers=0,
        ) as stack,
        stack.client() as client,
    ):
        process, worker_url = _worker_process(stack, tmp_path)
        try:

            async def worker_ready() -> bool:
                try:
                    return (await client.get(worker_url + "/readyz")).status_code == 200
                except httpx.HTTPError:
                    return False

            await eventually(worker_ready, within=30)
            project = await _project(client)
            job = (
                await client.post(
                    f"/api/v1/projects/{project}/generations",
                    json={"type": "text-to-image", "model_id": "local/image", "prompt": "survive"},
                )
            ).json()

            async def processing() -> bool:
                return await _status(client, job["id"]) == "processing"

            await eventually(processing, within=15)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(10)
        await stack.add_worker(**FAST_TAKEOVER)

        async def completed() -> bool:
            return await _status(client, job["id"]) == "completed"

        await eventually(completed, within=30)
        done = (await client.get(f"/api/v1/generations/{job['id']}")).json()
        assert done["attempts"] == 2
        assert len(done["outputs"]) == 1
