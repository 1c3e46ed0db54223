"""Catalog search through the gateway: requests/s and p50/p99, beside the catalog called
directly in the same run (the gateway's own overhead). Figures only; nothing asserted on time."""

import httpx

from tests.perf.support import record, run_load, service_process
from tests.support.apps import identity_headers

QUERIES: list[dict[str, str | int]] = [
    {"type": "text-to-video"},
    {"q": "flux"},
    {"q": "veo fast"},
    {"provider": "kling"},
    {"type": "text-to-image", "quality": "pro", "limit": 10},
    {"q": "upscale"},
]
TOTAL = 5000
CONCURRENCY = 64


async def test_catalog_search_throughput_and_latency(mongo_url: str, nats_url: str) -> None:
    async def search(client: httpx.AsyncClient, i: int) -> httpx.Response:
        return await client.get("/api/v1/models", params=QUERIES[i % len(QUERIES)])

    with service_process("studio_catalog") as catalog_url:
        direct = await run_load(
            search,
            base_url=catalog_url,
            total=TOTAL,
            concurrency=CONCURRENCY,
            headers=identity_headers(),
        )
        with service_process(
            "studio_gateway",
            env={
                "STUDIO_CATALOG_URL": catalog_url,
                "STUDIO_MONGO_URL": mongo_url,
                "STUDIO_MONGO_DB": "bench_catalog_gateway",
                "STUDIO_NATS_URL": nats_url,
                "STUDIO_NATS_PREFIX": "benchcatalog",
                "STUDIO_REQUESTS_PER_MINUTE": "0",
            },
            ready_path="/healthz",
        ) as gateway_url:
            through_gateway = await run_load(
                search, base_url=gateway_url, total=TOTAL, concurrency=CONCURRENCY
            )
    assert through_gateway.errors == 0
    assert direct.errors == 0
    record(
        "catalog_search",
        {"through_gateway": through_gateway, "catalog_direct": direct},
        servers={
            "gateway": "uvicorn+uvloop+httptools, 1 process",
            "catalog": "uvicorn+uvloop+httptools, 1 process",
        },
    )
