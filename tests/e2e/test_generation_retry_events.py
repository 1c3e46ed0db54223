"""A hosted job that fal does not answer, followed through the gateway's live events against the
fake fal queue: fal's quick retries are told while the job runs, and the job put back in line
says it is pending again (events 1.4.0), so a live card can show what a reloaded page shows."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.fal_server import FakeFal
from tests.support.full_stack import FullStack, Servers, full_stack
from tests.support.sse import listening
from tests.support.waiting import eventually

SCHNELL = "fal-ai/flux/schnell"


@pytest.fixture
async def stack(servers: Servers, tmp_path: Path, fal: FakeFal) -> AsyncIterator[FullStack]:
    """Two quick retries of a fal call, then the attempt fails and the job is tried again."""
    async with full_stack(
        servers,
        storage_url=(tmp_path / "s").as_uri(),
        worker=fal.worker_settings(max_attempts=2, fal_request_retries=2),
    ) as running:
        yield running


async def test_retries_are_told_and_a_job_put_back_in_line_says_it_is_pending(
    stack: FullStack, fal: FakeFal
) -> None:
    # The first attempt's three tries fail; the second attempt's first one is taken.
    fal.script(SCHNELL, failing_calls=3, failure_status=503, retry_after=None)
    async with stack.client() as client, listening(client) as events:
        project = (await client.post("/api/v1/projects", json={"name": "fal"})).json()["id"]
        accepted = await client.post(
            f"/api/v1/projects/{project}/generations",
            json={"type": "text-to-image", "model_id": SCHNELL, "prompt": "a heron"},
        )
        assert accepted.status_code == 202, accepted.text
        generation_id = accepted.json()["id"]
        await events.wait_for(
            lambda e: e.event == "generation.completed" and generation_id in e.data
        )
        progress = [e.json() for e in events.of("generation_id", generation_id)]
        said = [
            (p["status"], p["logs"][0])
            for p in progress
            if p.get("logs") and "queue_position" in p  # the progress events
        ]
        # The first quick retry is told at once (later ones may fall in the same second).
        assert said[0] == (
            "processing",
            "fal.ai answered HTTP 503; asking again in about 1 s (request 2 of 3)",
        ), said
        waiting = [line for status, line in said if status == "pending"]
        assert len(waiting) == 1, said
        assert waiting[0].startswith("Trying again in about "), said
        # fal answered (503): not "did not answer".
        assert waiting[0].endswith(
            "(attempt 2 of 2): fal.ai had an error (HTTP 503, runner_connection_error)"
        ), said

        record: dict[str, object] = {}

        async def completed() -> bool:
            record.update((await client.get(f"/api/v1/generations/{generation_id}")).json())
            return record["status"] == "completed"

        await eventually(completed, within=10)
        assert record["attempts"] == 2
