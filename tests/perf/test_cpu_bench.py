"""CPU per generation, per process: the figure that explains the others (PERFORMANCE.md).

A burst of `local/image` jobs through the gateway, every service its own process, with NATS and
the MongoDB-wire server started for this benchmark alone (so their CPU, NATS's message counters
and nothing else's load are measured). Completions are observed over one SSE connection. Before
and after the burst: each process's CPU seconds (/proc), each service's MongoDB commands (its
`/metrics`), and the NATS server's message counters (`/varz`). Reported per generation, for a
512x512 image and a 64x64 one (the trivial job), with each process's idle CPU (measured before
the burst) taken out and reported beside. Figures only."""

import asyncio
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import aconnect_sse
from studio_devtools.servers import ServerProcess, start_mongo, start_nats

from tests.perf.support import cpu_seconds, record
from tests.perf.test_generation_bench import pipeline

JOBS = 300
CONCURRENCY = 16
SIZES: dict[str, Any] = {"512px": "square", "64px": {"width": 64, "height": 64}}
_COMMAND = re.compile(r'^studio_mongo_commands_total\{command="([^"]+)"\} ([0-9.e+]+)$', re.M)


@pytest.mark.timeout(1800)
async def test_cpu_per_generation(tmp_path: Path) -> None:
    nats = start_nats(tmp_path / "nats")
    mongo = start_mongo(tmp_path / "mongo")
    figures: dict[str, object] = {}
    try:
        for label, size in SIZES.items():
            pids: dict[str, int] = {}
            with pipeline(
                mongo.url,
                f"cpu{label}",
                nats.url,
                f"cpu{label}",
                tmp_path / f"storage-{label}",
                workers=1,
                pids=pids,
            ) as urls:
                figures[label] = await _measure(urls, pids, nats, mongo, size)
                print(f"CPU per generation, {label}:", json.dumps(figures[label]), flush=True)
    finally:
        nats.stop()
        mongo.stop()
    record("cpu_per_generation", figures, servers={"mongo": mongo.name, "nats": "nats-server"})


async def _measure(
    urls: dict[str, str],
    pids: dict[str, int],
    nats: ServerProcess,
    mongo: ServerProcess,
    size: Any,
) -> dict[str, object]:
    body = {
        "type": "text-to-image",
        "model_id": "local/image",
        "prompt": "bench",
        "params": {"image_size": size},
    }
    names = {url: name for name, url in urls.items()}
    processes = {names[url]: pid for url, pid in pids.items()}
    processes["mongo"] = mongo.process.pid
    processes["nats"] = nats.process.pid
    async with httpx.AsyncClient(base_url=urls["gateway"], timeout=60) as client:
        project = (await client.post("/api/v1/projects", json={"name": "cpu"})).json()["id"]
        async with _completions(client, project) as completed:
            await _burst(urls["gateway"], project, body, 20)  # warm-up
            await _until(completed, 20)
            idle = await _idle_rates(processes)
            before = await _snapshot(processes, urls, nats)
            started = time.perf_counter()
            await _burst(urls["gateway"], project, body, JOBS)
            await _until(completed, 20 + JOBS)
            elapsed = time.perf_counter() - started
            await _quiet(processes, idle)  # what trails the last completion (stats) counts too
            after = await _snapshot(processes, urls, nats)
            measured_s = time.perf_counter() - started
    # What the processes spend doing nothing (timers, heartbeats; on a VM each wake-up can cost
    # a millisecond) is taken out: it depends on how long the burst took, not on the jobs.
    cpu_ms = {
        name: round(
            max(0.0, after["cpu"][name] - before["cpu"][name] - idle[name] * measured_s)
            * 1000
            / JOBS,
            2,
        )
        for name in processes
    }
    raw_ms = {
        name: round((after["cpu"][name] - before["cpu"][name]) * 1000 / JOBS, 2)
        for name in processes
    }
    db_ops = {
        key: round((after["db"][key] - before["db"].get(key, 0)) / JOBS, 2)
        for key in sorted(after["db"])
        if after["db"][key] - before["db"].get(key, 0) > 0
    }
    return {
        "jobs": JOBS,
        "cpu_ms_per_generation": {**cpu_ms, "total": round(sum(cpu_ms.values()), 1)},
        "cpu_ms_per_generation_with_idle": {**raw_ms, "total": round(sum(raw_ms.values()), 1)},
        "db_ops_per_generation": {**db_ops, "total": round(sum(db_ops.values()), 1)},
        "nats_msgs_per_generation": {
            key: round((after["nats"][key] - before["nats"][key]) / JOBS, 1)
            for key in ("in_msgs", "out_msgs")
        },
        "completions_per_second": round(JOBS / elapsed, 1),
        "idle_cpu_ms_per_second": {
            **{name: round(rate * 1000, 1) for name, rate in idle.items()},
            "total": round(sum(idle.values()) * 1000, 1),
        },
    }


@contextlib.asynccontextmanager
async def _completions(client: httpx.AsyncClient, project: str) -> AsyncIterator[list[int]]:
    """Counts `generation.completed` events over one SSE connection, as a browser would."""
    counter = [0]
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
                    counter[0] += 1

    task = asyncio.create_task(read())
    try:
        await asyncio.wait_for(ready.wait(), 30)
        yield counter
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _until(completed: list[int], count: int) -> None:
    async with asyncio.timeout(600):
        while completed[0] < count:  # noqa: ASYNC110 (a counter fed by the SSE reader)
            await asyncio.sleep(0.05)


async def _cpu_rates(processes: dict[str, int], window_s: float) -> dict[str, float]:
    """Each process's CPU seconds per second over the next `window_s`."""
    start = {name: cpu_seconds(pid) for name, pid in processes.items()}
    await asyncio.sleep(window_s)
    return {name: (cpu_seconds(pid) - start[name]) / window_s for name, pid in processes.items()}


async def _idle_rates(processes: dict[str, int]) -> dict[str, float]:
    """What each process spends while the stack does nothing: measured once two windows in a
    row agree (the warm-up's trailing work is over)."""
    async with asyncio.timeout(120):
        previous = await _cpu_rates(processes, 1.0)
        while True:
            current = await _cpu_rates(processes, 1.0)
            then, now = sum(previous.values()), sum(current.values())
            if abs(now - then) <= max(0.01, 0.15 * then):
                return {name: min(previous[name], current[name]) for name in processes}
            previous = current


async def _quiet(processes: dict[str, int], idle: dict[str, float]) -> None:
    """Wait until the stack is back to what it spends doing nothing (within 10 ms/s)."""
    baseline = sum(idle.values())
    async with asyncio.timeout(120):
        while sum((await _cpu_rates(processes, 0.5)).values()) > baseline * 1.3 + 0.01:
            pass


async def _burst(gateway: str, project: str, body: dict[str, Any], jobs: int) -> None:
    """`jobs` requests from CONCURRENCY clients, each with its own connection."""
    remaining = iter(range(jobs))

    async def client_loop() -> None:
        async with httpx.AsyncClient(base_url=gateway, timeout=60) as client:
            for _ in remaining:
                answer = await client.post(f"/api/v1/projects/{project}/generations", json=body)
                assert answer.status_code == 202, answer.text

    await asyncio.gather(*(client_loop() for _ in range(CONCURRENCY)))


async def _snapshot(
    processes: dict[str, int], urls: dict[str, str], nats: ServerProcess
) -> dict[str, dict[str, float]]:
    async with httpx.AsyncClient(timeout=10) as client:
        db: dict[str, float] = {}
        for name, url in urls.items():
            metrics = (await client.get(f"{url}/metrics")).text
            for command, count in _COMMAND.findall(metrics):
                db[f"{name}.{command}"] = float(count)
        varz = (await client.get(f"http://127.0.0.1:{nats.ports['monitor']}/varz")).json()
    return {
        "cpu": {name: cpu_seconds(pid) for name, pid in processes.items()},
        "db": db,
        "nats": {key: float(varz[key]) for key in ("in_msgs", "out_msgs")},
    }
