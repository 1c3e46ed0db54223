"""The pipeline's metrics move with the work: a completed and a cancelled generation, an
upload and a download each show up in /metrics (read as Prometheus would, before and after)."""

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support import media_samples
from tests.support.full_stack import Servers, full_stack
from tests.support.waiting import eventually

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def _scrape(url: str) -> Samples:
    async with httpx.AsyncClient(timeout=10) as client:
        text = (await client.get(f"{url}/metrics")).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    wanted = set(labels.items())

    def total(samples: Samples) -> float:
        return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)

    return total(after) - total(before)


async def _generate(client: httpx.AsyncClient, project: str, **extra: object) -> str:
    response = await client.post(
        f"/api/v1/projects/{project}/generations",
        json={
            "type": "text-to-image",
            "model_id": "local/image",
            "prompt": "metered",
            "params": {"image_size": {"width": 64, "height": 64}},  # the size does not matter
            **extra,
        },
    )
    assert response.status_code == 202, response.text
    generation_id: str = response.json()["id"]
    return generation_id


async def test_the_pipeline_metrics_count_what_happened(servers: Servers, tmp_path: Path) -> None:
    async with (
        full_stack(servers, storage_url=(tmp_path / "s").as_uri()) as stack,
        stack.client() as client,
    ):
        worker = stack.workers[0]
        before = await _scrape(worker)
        project = (await client.post("/api/v1/projects", json={"name": "metered"})).json()["id"]
        done = await _generate(client, project)
        await _wait_status(client, done, "completed")
        uploaded = await client.post(
            f"/api/v1/projects/{project}/assets",
            files={"file": ("tiny.png", media_samples.png(), "image/png")},
        )
        assert uploaded.status_code == 201, uploaded.text
        asset = uploaded.json()
        assert (await client.get(f"/api/v1/assets/{asset['id']}/content")).status_code == 200
        after = await _scrape(worker)

    model = {"type": "text-to-image", "model": "local/image", "runtime": "local"}
    assert _delta(before, after, "studio_generations_total", status="completed", **model) == 1
    assert _delta(before, after, "studio_generation_queue_wait_seconds_count") >= 1
    assert _delta(before, after, "studio_generation_run_seconds_count", status="completed") >= 1
    assert _delta(before, after, "studio_provider_call_seconds_count", provider="local") >= 1
    assert _delta(before, after, "studio_asset_bytes_stored_total", kind="upload") == asset["size"]
    assert _delta(before, after, "studio_asset_bytes_stored_total", kind="output") > 0
    assert _delta(before, after, "studio_asset_upload_seconds_count", outcome="stored") == 1
    assert _delta(before, after, "studio_asset_download_first_byte_seconds_count") >= 1
    assert after[("studio_worker_jobs_in_flight", frozenset())] == 0
    pending = [v for (n, ls), v in after.items() if n == "studio_consumer_pending_messages"]
    assert pending and min(pending) == 0


async def _wait_status(client: httpx.AsyncClient, generation_id: str, status: str) -> None:
    async def reached() -> bool:
        record = (await client.get(f"/api/v1/generations/{generation_id}")).json()
        return bool(record["status"] == status)

    await eventually(reached, what=f"generation {status}")


async def test_a_cancelled_generation_is_counted_cancelled(
    servers: Servers, tmp_path: Path
) -> None:
    async with (
        full_stack(servers, storage_url=(tmp_path / "s").as_uri(), workers=0) as stack,
        stack.client() as client,
    ):
        before = await _scrape(stack.urls["generation"])
        project = (await client.post("/api/v1/projects", json={"name": "metered"})).json()["id"]
        queued = await _generate(client, project)
        assert (await client.post(f"/api/v1/generations/{queued}/cancel")).status_code == 202
        after = await _scrape(stack.urls["generation"])
    assert _delta(before, after, "studio_generations_total", status="cancelled") == 1
