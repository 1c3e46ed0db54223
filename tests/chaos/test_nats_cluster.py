"""The cluster path on one machine: a three-node JetStream cluster holding every stream with three
replicas, two gateways, two generation APIs and three workers. During a burst, the node leading
the generations stream and one worker die by SIGKILL; every accepted generation completes exactly
once with one asset, and people connected to either gateway keep getting their live events."""

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from studio_contracts.subjects import GENERATIONS_STREAM
from studio_gateway.main import create_app as create_gateway
from studio_gateway.settings import GatewaySettings
from studio_generation.main import create_app as create_generation
from studio_generation.settings import GenerationSettings

from tests.support.apps import make_settings, running
from tests.support.consumers import consumers_idle
from tests.support.full_stack import FullStack, Servers, full_stack
from tests.support.nats_cluster import NatsCluster, nats_cluster
from tests.support.paging import all_pages
from tests.support.sse import EventLog, listening, payload
from tests.support.waiting import eventually
from tests.support.worker_process import worker_process, workers_ready

SMALL = {"params": {"image_size": {"width": 64, "height": 64}}}
"""For jobs whose image size does not matter: a 64 px image instead of the default 1024 px."""

JOBS = 150
JOB_SECONDS = 2
IN_FLIGHT_BEFORE_KILL = 10


@asynccontextmanager
async def _second_entry(stack: FullStack) -> AsyncIterator[str]:
    """Another generation API, and another gateway in front of it (as a load balancer spreads
    people over replicas)."""
    fields = GenerationSettings.model_fields
    api_settings = {
        **{k: v for k, v in stack.worker_settings.items() if k in fields},
        "relay_interval_s": 0.5,
        "relay_min_age_s": 0.5,
        "requeue_after_s": 1,
        "max_active_per_user": 0,
    }
    async with AsyncExitStack() as exits:
        api = await exits.enter_async_context(
            running(create_generation(make_settings(GenerationSettings, **api_settings)))
        )
        gateway_settings = {**stack.gateway_settings, "generation_url": api}
        yield await exits.enter_async_context(
            running(create_gateway(make_settings(GatewaySettings, **gateway_settings)))
        )


def _completed(log: EventLog) -> set[str]:
    return {str(payload(e)["generation_id"]) for e in log.named("generation.completed")}


# Its own waits (each bounded) add up to more than the suite's default 120 s: on a busy
# machine the burst alone can take that long, and the test must fail on a lost generation,
# not on the clock.
@pytest.mark.timeout(600)
async def test_a_nats_node_and_a_worker_die_during_a_burst_and_nothing_is_lost(
    servers: Servers, tmp_path: Path
) -> None:
    with nats_cluster(tmp_path / "nats") as cluster:
        await eventually(cluster.ready, within=60, what="a three-node JetStream cluster")
        clustered = replace(servers, nats_url=cluster.url, nats_stream_replicas=3)
        async with (
            full_stack(clustered, storage_url=(tmp_path / "s").as_uri(), workers=0) as stack,
            _second_entry(stack) as second_gateway,
            stack.client() as first,
            httpx.AsyncClient(base_url=second_gateway, timeout=30) as second,
            # A gateway whose NATS node dies ends its open streams while it reconnects; the
            # browser opens them again from its last event id, and so do these readers.
            listening(first, reconnect=True) as first_log,
            listening(second, reconnect=True) as second_log,
        ):
            await _burst(stack, cluster, clustered, first, second, tmp_path)
            ids = [g["id"] for g in await all_pages(first, "/api/v1/generations")]
            assert len(ids) == JOBS

            # Live events kept flowing through both gateways across the node's death.
            await eventually(
                lambda: _completed(first_log) >= set(ids) and _completed(second_log) >= set(ids),
                within=120,
                what="every completion seen live through both gateways",
            )

            survivor = cluster.running()[0].url
            await eventually(
                lambda: consumers_idle(survivor, servers.nats_prefix),
                within=60,
                what="every consumer idle",
            )
            print(f"streams reopened: {first_log.reconnects} and {second_log.reconnects} times")
            assets = await all_pages(first, "/api/v1/assets", kind="output")
            assert sorted(str(a["generation_id"]) for a in assets) == sorted(ids), (
                "exactly one output asset per generation"
            )


async def _burst(
    stack: FullStack,
    cluster: NatsCluster,
    clustered: Servers,
    first: httpx.AsyncClient,
    second: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    workers = [worker_process(stack, tmp_path, i, local_latency_s=JOB_SECONDS) for i in range(3)]
    submissions: asyncio.Future[list[None]] | None = None
    try:
        await workers_ready([url for _, url in workers])
        project = (await first.post("/api/v1/projects", json={"name": "cluster"})).json()["id"]
        submitting = asyncio.Semaphore(8)
        accepted: list[str] = []

        async def submit(n: int) -> None:
            client = (first, second)[n % 2]
            async with submitting:
                response = await client.post(
                    f"/api/v1/projects/{project}/generations",
                    json={"type": "text-to-image", "model_id": "local/image", "prompt": f"n{n}"}
                    | SMALL,
                )
            assert response.status_code == 202, response.text
            accepted.append(response.json()["id"])

        submissions = asyncio.gather(*(submit(n) for n in range(JOBS)))

        async def some_processing() -> bool:
            page = await first.get("/api/v1/generations", params={"status": "processing"})
            return len(page.json()["items"]) >= IN_FLIGHT_BEFORE_KILL

        await eventually(
            some_processing,
            within=120,
            what=f"{IN_FLIGHT_BEFORE_KILL} generations processing at once",
        )
        stream = GENERATIONS_STREAM.with_prefix(clustered.nats_prefix).name
        leader = cluster.stream_leader(stream)
        assert leader is not None, f"the cluster names a leader for {stream}"
        cluster.kill(leader)
        victim, _ = workers[0]
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        await submissions
        assert len(accepted) == JOBS

        async def all_completed() -> bool:
            statuses = [
                (await first.get(f"/api/v1/generations/{g}")).json()["status"] for g in accepted
            ]
            return all(status == "completed" for status in statuses)

        await eventually(all_completed, within=240, what="every generation completed")
        # A delivery deferred while its job changed hands ("running elsewhere") comes back
        # after the job completed, and a worker must be there to take it (and ack it: the job
        # is done). Stopped first, the workers would leave it waiting for ever.
        await eventually(
            lambda: consumers_idle(cluster.running()[0].url, clustered.nats_prefix),
            within=60,
            what="every consumer idle while the workers run",
        )
    finally:
        if submissions is not None and not submissions.done():
            submissions.cancel()
            await asyncio.gather(submissions, return_exceptions=True)
        for process, _ in workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(20)
