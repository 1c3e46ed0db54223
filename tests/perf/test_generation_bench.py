"""The generation pipeline's own overhead (P1, P2, P3a in PERFORMANCE.md): every service a
separate process against the session's real servers, trivial jobs (the local provider with no
latency and its smallest image), load from httpx on the same machine. Figures only."""

import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import nats
import pytest
from httpx_sse import aconnect_sse
from nats.aio.msg import Msg
from studio_contracts import subjects
from studio_devtools.servers import free_port

from tests.perf.support import record, run_load, service_process

TRIVIAL = {
    "type": "text-to-image",
    "model_id": "local/image",
    "prompt": "bench",
    # PERFORMANCE.md's trivial job: the local provider's smallest image, 64x64.
    "params": {"image_size": {"width": 64, "height": 64}},
}


@contextmanager
def pipeline(
    mongo_url: str,
    db: str,
    nats_url: str,
    prefix: str,
    storage: Path,
    workers: int,
    *,
    generation_env: dict[str, str] | None = None,
    worker_env: dict[str, str] | None = None,
    catalog_env: dict[str, str] | None = None,
    gateway_env: dict[str, str] | None = None,
    pids: dict[str, int] | None = None,
) -> Iterator[dict[str, str]]:
    common = {
        "STUDIO_MONGO_URL": mongo_url,
        "STUDIO_NATS_URL": nats_url,
        "STUDIO_NATS_PREFIX": prefix,
    }
    with ExitStack() as stack:
        urls: dict[str, str] = {}
        urls["catalog"] = stack.enter_context(
            service_process("studio_catalog", env=catalog_env, pids=pids)
        )
        urls["projects"] = stack.enter_context(
            service_process(
                "studio_projects", env={**common, "STUDIO_MONGO_DB": f"{db}_p"}, pids=pids
            )
        )
        urls["assets"] = stack.enter_context(
            service_process(
                "studio_assets",
                env={
                    **common,
                    "STUDIO_MONGO_DB": f"{db}_a",
                    "STUDIO_PROJECTS_URL": urls["projects"],
                    "STUDIO_STORAGE_URL": storage.as_uri(),
                },
                pids=pids,
            )
        )
        links = {
            "STUDIO_CATALOG_URL": urls["catalog"],
            "STUDIO_PROJECTS_URL": urls["projects"],
            "STUDIO_ASSETS_URL": urls["assets"],
        }
        # The benchmarks are one user sending far more than a person would: no per-user limits.
        generation = {
            **common,
            **links,
            "STUDIO_MONGO_DB": f"{db}_g",
            "STUDIO_MAX_ACTIVE_PER_USER": "0",
            **(generation_env or {}),
        }
        urls["generation"] = stack.enter_context(
            service_process("studio_generation", "api", env=generation, pids=pids)
        )
        for i in range(workers):
            urls[f"worker{i}"] = stack.enter_context(
                service_process(
                    "studio_generation",
                    "worker",
                    env={
                        **generation,
                        "STUDIO_STORAGE_URL": storage.as_uri(),
                        **(worker_env or {}),
                    },
                    pids=pids,
                )
            )
        urls["gateway"] = stack.enter_context(
            service_process(
                "studio_gateway",
                env={
                    **common,
                    **links,
                    "STUDIO_MONGO_DB": f"{db}_gw",
                    "STUDIO_GENERATION_URL": urls["generation"],
                    "STUDIO_REQUESTS_PER_MINUTE": "0",
                    **(gateway_env or {}),
                },
                ready_path="/healthz",
                pids=pids,
            )
        )
        yield urls


async def _project(client: httpx.AsyncClient) -> str:
    project_id: str = (await client.post("/api/v1/projects", json={"name": "bench"})).json()["id"]
    return project_id


@pytest.mark.timeout(900)
async def test_generation_pipeline_overhead(
    mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str, tmp_path: Path
) -> None:
    figures: dict[str, object] = {}
    with pipeline(
        mongo_url, mongo_db_name, nats_url, nats_prefix, tmp_path / "storage", workers=1
    ) as urls:
        async with httpx.AsyncClient(base_url=urls["gateway"], timeout=30) as client:
            project = await _project(client)
            figures["p2_request_to_completed_ms"] = await _latency(client, project)
        figures["p1_accepted"] = await _accept_rate(urls["gateway"], project)
        print("P1", figures["p1_accepted"], flush=True)
    with pipeline(
        mongo_url,
        f"{mongo_db_name}x",
        nats_url,
        f"{nats_prefix}x",
        tmp_path / "storage3",
        workers=3,
    ) as urls:
        async with httpx.AsyncClient(base_url=urls["gateway"], timeout=60) as client:
            project = await _project(client)
            figures["p3a_500_jobs_3_workers"] = await _burst(
                client, project, nats_url, f"{nats_prefix}x", jobs=500
            )
    record(
        "generation",
        figures,
        servers={"mongo": mongo_url, "nats": nats_url, "storage": "directory"},
    )


async def _latency(client: httpx.AsyncClient, project: str, rounds: int = 100) -> dict[str, float]:
    """P2: one at a time, POST through the gateway → `generation.completed` read from the
    gateway's SSE stream, as the studio sees it."""
    completed: asyncio.Queue[str] = asyncio.Queue()
    ready = asyncio.Event()

    async def read() -> None:
        async with aconnect_sse(
            client,
            "GET",
            "/api/v1/events",
            params={"project_id": project},
            timeout=httpx.Timeout(10, read=None),
        ) as source:
            async for event in source.aiter_sse():
                ready.set()
                if event.event == "generation.completed":
                    await completed.put(event.json()["generation_id"])

    reader = asyncio.create_task(read())
    timings = []
    try:
        await asyncio.wait_for(ready.wait(), 30)
        for i in range(rounds + 10):
            started = time.perf_counter()
            response = await client.post(f"/api/v1/projects/{project}/generations", json=TRIVIAL)
            assert response.status_code == 202
            while await asyncio.wait_for(completed.get(), 30) != response.json()["id"]:
                pass
            if i >= 10:  # warm-up
                timings.append(time.perf_counter() - started)
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
    q = statistics.quantiles(timings, n=100)
    return {"rounds": rounds, "p50": round(q[49] * 1000, 2), "p99": round(q[98] * 1000, 2)}


async def _accept_rate(gateway: str, project: str) -> dict[str, object]:
    """P1: 64 concurrent clients POSTing generations (the single worker drains them meanwhile)."""
    stats = await run_load(
        lambda c, i: c.post(f"/api/v1/projects/{project}/generations", json=TRIVIAL),
        base_url=gateway,
        total=2000,
        concurrency=64,
        warmup=50,
    )
    return {
        "per_second": stats.per_second,
        "p50_ms": stats.p50_ms,
        "p99_ms": stats.p99_ms,
        "errors": stats.errors,
        "requests": stats.requests,
    }


async def _burst(
    client: httpx.AsyncClient, project: str, nats_url: str, prefix: str, jobs: int
) -> dict[str, object]:
    """P3a: `jobs` trivial jobs queued at once; time until every output is an asset."""
    nc = await nats.connect(nats_url)
    created = 0
    all_done = asyncio.Event()

    async def on_asset(_message: Msg) -> None:
        nonlocal created
        created += 1
        if created >= jobs:
            all_done.set()

    await nc.subscribe(subjects.subject(subjects.ASSET_CREATED, prefix), cb=on_asset)
    try:
        started = time.perf_counter()
        limits = asyncio.Semaphore(64)

        async def submit() -> None:
            async with limits:
                response = await client.post(
                    f"/api/v1/projects/{project}/generations", json=TRIVIAL
                )
                assert response.status_code == 202

        await asyncio.gather(*(submit() for _ in range(jobs)))
        queued = time.perf_counter() - started
        await asyncio.wait_for(all_done.wait(), 300)
        elapsed = time.perf_counter() - started
    finally:
        await nc.close()
    return {
        "jobs": jobs,
        "workers": 3,
        "queued_in_s": round(queued, 2),
        "all_assets_in_s": round(elapsed, 2),
        "completions_per_s": round(jobs / elapsed, 1),
    }


@pytest.mark.timeout(1200)
async def test_worker_concurrency_with_a_slow_provider(
    mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str, tmp_path: Path
) -> None:
    """P3b: jobs that take 2 s at the (fake) fal provider. Jobs are queued first, then the
    workers start; completions/s and the most jobs in flight at once, for 1 and 3 workers."""
    port = free_port()
    figures: dict[str, object] = {}
    with fake_fal_process(port):
        worker_env = {
            "STUDIO_FAL_KEY": "fal-test-key",
            "STUDIO_FAL_BASE_URL": f"http://127.0.0.1:{port}",
            "STUDIO_FAL_POLL_INTERVAL_S": "0.5",
        }
        # Completions should follow jobs in flight (32 → 600 per worker) until the CPU is spent.
        for workers, jobs, concurrency in ((1, 200, 32), (1, 600, 600), (3, 1500, 600)):
            run = f"workers_{workers}_concurrency_{concurrency}"
            prefix = f"{nats_prefix}w{workers}c{concurrency}"
            with pipeline(
                mongo_url,
                f"{mongo_db_name}{run}",
                nats_url,
                prefix,
                tmp_path / run,
                workers=0,
                catalog_env={"STUDIO_FAL_CONFIGURED": "true"},  # the fake fal runs them
            ) as urls:
                async with httpx.AsyncClient(base_url=urls["gateway"], timeout=60) as client:
                    project = await _project(client)
                    await _queue(
                        client,
                        project,
                        jobs,
                        {
                            "type": "text-to-image",
                            "model_id": "fal-ai/flux/schnell",
                            "prompt": "slow",
                        },
                    )
                generation = {
                    "STUDIO_MONGO_URL": mongo_url,
                    "STUDIO_NATS_URL": nats_url,
                    "STUDIO_NATS_PREFIX": prefix,
                    "STUDIO_MONGO_DB": f"{mongo_db_name}{run}_g",
                    "STUDIO_ASSETS_URL": urls["assets"],
                    "STUDIO_STORAGE_URL": (tmp_path / run).as_uri(),
                    "STUDIO_WORKER_CONCURRENCY": str(concurrency),
                    **worker_env,
                }
                figures[run] = await _drain(nats_url, prefix, jobs, workers, generation)
                print(f"P3b {run}", figures[run], flush=True)
    record(
        "generation_slow_provider",
        figures,
        servers={"fal": "tests.fakes.fal_server, 2 s per job", "mongo": mongo_url},
    )


@contextmanager
def fake_fal_process(port: int) -> Iterator[None]:
    """The fake fal queue server in its own process, every job taking 2 s."""
    command = [
        sys.executable,
        "-m",
        "tests.fakes.fal_server",
        "--port",
        str(port),
        "--run-s",
        "2",
        "--no-record",
    ]
    fake = subprocess.Popen(command)
    try:
        yield
    finally:
        fake.terminate()
        fake.wait(10)


async def _queue(
    client: httpx.AsyncClient, project: str, jobs: int, body: dict[str, object]
) -> None:
    limits = asyncio.Semaphore(32)

    async def submit() -> None:
        async with limits:
            response = await client.post(f"/api/v1/projects/{project}/generations", json=body)
            assert response.status_code == 202, response.text

    await asyncio.gather(*(submit() for _ in range(jobs)))


async def _drain(
    nats_url: str, prefix: str, jobs: int, workers: int, env: dict[str, str]
) -> dict[str, object]:
    nc = await nats.connect(nats_url)
    counts = {"started": 0, "completed": 0, "failed": 0, "max_in_flight": 0}
    done = asyncio.Event()

    async def on_event(message: Msg) -> None:
        kind = message.subject.rsplit(".", 1)[-1]
        if kind in counts:
            counts[kind] += 1
        counts["max_in_flight"] = max(
            counts["max_in_flight"], counts["started"] - counts["completed"] - counts["failed"]
        )
        if counts["completed"] + counts["failed"] >= jobs:
            done.set()

    await nc.subscribe(subjects.subject("generation.*", prefix), cb=on_event)
    try:
        with ExitStack() as stack:
            started = time.perf_counter()
            for _ in range(workers):
                # In a thread: waiting for a worker to be ready must not stall this loop, which
                # is reading the events (a stalled reader is cut off by NATS as a slow consumer).
                await asyncio.to_thread(
                    stack.enter_context, service_process("studio_generation", "worker", env=env)
                )
            await asyncio.wait_for(done.wait(), 900)
            elapsed = time.perf_counter() - started
    finally:
        await nc.close()
    return {
        "jobs": jobs,
        "seconds": round(elapsed, 1),
        "completions_per_s": round(counts["completed"] / elapsed, 1),
        "failed": counts["failed"],
        "max_in_flight": counts["max_in_flight"],
        "max_in_flight_per_worker": round(counts["max_in_flight"] / workers),
    }
