"""Gateway benchmarks, gateway and projects service as their own processes:

- SSE fan-out: 500 and 1,000 clients connected to `/api/v1/events`; events published to JetStream one at
  a time; for each, the time from publishing to each client receiving it (p50/p99 over every
  delivery, and over each event's last client).
- Overhead: the same request (`GET /api/v1/projects/{id}`) through the gateway and straight to
  the projects service with a signed identity, in the same run.
"""

import asyncio
import json
import statistics
import time
from datetime import UTC, datetime

import httpx
import nats
import pytest
from studio_contracts.events import GenerationCompleted
from studio_contracts.subjects import STREAMS, subject
from studio_runtime.nats import declare_stream

from tests.perf.support import record, run_load, service_process
from tests.support.apps import identity_headers

CLIENT_COUNTS = (500, 1000)
EVENTS = 20


@pytest.mark.timeout(600)
async def test_sse_fan_out_and_gateway_overhead(
    mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str
) -> None:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    for spec in STREAMS:
        await declare_stream(js, spec.with_prefix(nats_prefix))
    common = {
        "STUDIO_MONGO_URL": mongo_url,
        "STUDIO_NATS_URL": nats_url,
        "STUDIO_NATS_PREFIX": nats_prefix,
    }
    try:
        with service_process(
            "studio_projects", env={**common, "STUDIO_MONGO_DB": f"{mongo_db_name}_p"}
        ) as projects_url:
            gateway_env = {
                **common,
                "STUDIO_MONGO_DB": f"{mongo_db_name}_gw",
                "STUDIO_PROJECTS_URL": projects_url,
                "STUDIO_REQUESTS_PER_MINUTE": "0",
                # Every stream here is the one local user's: the fan-out is the point, so the
                # per-user cap on open streams (20 by default) is lifted.
                "STUDIO_SSE_CONNECTIONS_PER_USER": "0",
            }
            # Only projects runs behind it: ready enough when it follows the event streams.
            with service_process(
                "studio_gateway", env=gateway_env, ready_path="/healthz"
            ) as gateway_url:
                await _following_events(gateway_url)
                fan_out = {
                    f"sse_fan_out_{clients}": await _fan_out(gateway_url, js, nats_prefix, clients)
                    for clients in CLIENT_COUNTS
                }
                overhead = await _overhead(gateway_url, projects_url)
    finally:
        await nc.close()
    record(
        "gateway",
        {**fan_out, **overhead},
        servers={"gateway": "uvicorn, 1 process", "nats": nats_url, "mongo": mongo_url},
    )


async def _following_events(gateway_url: str) -> None:
    async with httpx.AsyncClient(base_url=gateway_url) as client:
        for _ in range(300):
            checks = (await client.get("/readyz")).json().get("checks", {})
            if checks.get("events") == "ok":
                return
            await asyncio.sleep(0.1)
    raise AssertionError("the gateway did not start following the event streams")


async def _fan_out(gateway_url: str, js: object, prefix: str, clients: int) -> dict[str, object]:
    received: dict[str, list[float]] = {}
    connected = 0
    all_connected = asyncio.Event()

    async def reader(http: httpx.AsyncClient) -> None:
        nonlocal connected
        async with http.stream("GET", "/api/v1/events") as response:
            assert response.status_code == 200
            event_name = ""
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    event_name = line[7:]
                elif line.startswith("data: ") and event_name == "ready":
                    connected += 1
                    if connected == clients:
                        all_connected.set()
                elif line.startswith("data: ") and event_name == "generation.completed":
                    arrived = time.perf_counter()
                    received.setdefault(json.loads(line[6:])["generation_id"], []).append(arrived)

    limits = httpx.Limits(max_connections=clients + 10)
    timeout = httpx.Timeout(30, read=None)
    async with httpx.AsyncClient(base_url=gateway_url, limits=limits, timeout=timeout) as http:
        readers = [asyncio.create_task(reader(http)) for _ in range(clients)]
        try:
            await _until_connected(all_connected, readers, timeout_s=120)
            published: dict[str, float] = {}
            for i in range(EVENTS):
                generation_id = f"bench{i:04d}"
                event = GenerationCompleted(
                    user_id="local",
                    generation_id=generation_id,
                    project_id="p",
                    occurred_at=datetime.now(UTC),
                    model_id="local/image",
                    prompt="fan-out",
                    outputs=[],
                )
                published[generation_id] = time.perf_counter()
                await js.publish(  # type: ignore[attr-defined]
                    subject(event.subject, prefix), event.model_dump_json().encode()
                )
                deadline = time.monotonic() + 30
                while len(received.get(generation_id, ())) < clients:
                    if time.monotonic() > deadline:
                        raise AssertionError(
                            f"{len(received.get(generation_id, ()))} of {clients} clients "
                            f"received {generation_id}"
                        )
                    await asyncio.sleep(0.005)
                await asyncio.sleep(0.2)
        finally:
            for task in readers:
                task.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
    every = sorted(t - published[g] for g, times in received.items() for t in times)
    last = sorted(max(times) - published[g] for g, times in received.items())
    every_q = statistics.quantiles(every, n=100)
    return {
        "clients": clients,
        "events": EVENTS,
        "delivery_p50_ms": round(every_q[49] * 1000, 1),
        "delivery_p99_ms": round(every_q[98] * 1000, 1),
        "last_client_p50_ms": round(statistics.median(last) * 1000, 1),
        "last_client_max_ms": round(last[-1] * 1000, 1),
    }


async def _until_connected(
    connected: asyncio.Event, readers: list[asyncio.Task[None]], *, timeout_s: float
) -> None:
    """Until every reader has its stream; a reader that ended (refused, say) fails it at once
    with its own error rather than after the timeout."""
    waiting = asyncio.create_task(connected.wait())
    try:
        done, _ = await asyncio.wait(
            {waiting, *readers}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        waiting.cancel()
    if waiting not in done:
        ended = next((task for task in done if task in readers), None)
        if ended is not None:
            ended.result()  # raises what ended it
            raise AssertionError("an event stream ended before every client was connected")
        raise AssertionError(f"not every client connected within {timeout_s:g} s")


async def _overhead(gateway_url: str, projects_url: str) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=gateway_url) as http:
        project = (await http.post("/api/v1/projects", json={"name": "bench"})).json()["id"]
    path = f"/api/v1/projects/{project}"

    async def get(client: httpx.AsyncClient, _: int) -> httpx.Response:
        return await client.get(path)

    figures: dict[str, object] = {}
    for concurrency in (1, 32):
        total = 1000 if concurrency == 1 else 4000
        direct = await run_load(
            get,
            base_url=projects_url,
            total=total,
            concurrency=concurrency,
            headers=identity_headers("local"),
        )
        gateway = await run_load(get, base_url=gateway_url, total=total, concurrency=concurrency)
        assert direct.errors == 0 and gateway.errors == 0
        figures[f"get_project_direct_c{concurrency}"] = direct
        figures[f"get_project_gateway_c{concurrency}"] = gateway
        figures[f"gateway_overhead_p50_ms_c{concurrency}"] = round(
            gateway.p50_ms - direct.p50_ms, 2
        )
    return figures
