"""Assets: upload and download of a 20 MiB file through the gateway versus straight to the S3
server (target P4: ≥ 80 % of direct), and the first page of a 10,000-asset project's gallery
(p50/p99). Services run as separate processes against the session's real servers."""

import asyncio
import hashlib
import os
import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx
import pymongo
from studio_runtime.ids import new_id

from tests.perf.support import record, service_process
from tests.support import media_samples
from tests.support.apps import identity_headers
from tests.support.servers import S3Server

SIZE = 20 * 1024 * 1024
ROUNDS = 5
GALLERY = 10_000


def _file() -> bytes:
    header = media_samples.wav(seconds=0.01)
    return header + os.urandom(SIZE - len(header))


async def test_assets_throughput_and_gallery_latency(
    mongo_url: str,
    mongo_db_name: str,
    nats_url: str,
    nats_prefix: str,
    s3: S3Server,
    s3_bucket: str,
) -> None:
    data = _file()
    common = {
        "STUDIO_MONGO_URL": mongo_url,
        "STUDIO_NATS_URL": nats_url,
        "STUDIO_NATS_PREFIX": nats_prefix,
    }
    with service_process(
        "studio_projects", env={**common, "STUDIO_MONGO_DB": f"{mongo_db_name}_p"}
    ) as projects_url:
        assets_env = {
            **common,
            "STUDIO_MONGO_DB": f"{mongo_db_name}_a",
            "STUDIO_PROJECTS_URL": projects_url,
            "STUDIO_STORAGE_URL": (
                f"s3://{s3_bucket}?endpoint={s3.endpoint}&region={s3.region}"
                f"&public_endpoint={s3.endpoint}"
            ),
            "STUDIO_STORAGE_ACCESS_KEY": s3.access_key,
            "STUDIO_STORAGE_SECRET_KEY": s3.secret_key,
        }
        with service_process("studio_assets", env=assets_env) as assets_url:
            gateway_env = {
                **common,
                "STUDIO_MONGO_DB": f"{mongo_db_name}_gw",
                "STUDIO_PROJECTS_URL": projects_url,
                "STUDIO_ASSETS_URL": assets_url,
                "STUDIO_REQUESTS_PER_MINUTE": "0",
            }
            with service_process(
                "studio_gateway", env=gateway_env, ready_path="/healthz"
            ) as gateway_url:
                async with httpx.AsyncClient(base_url=gateway_url, timeout=120) as client:
                    project = (
                        await client.post("/api/v1/projects", json={"name": "bench"})
                    ).json()["id"]
                    upload_s, download_s, asset_id = await _through_gateway(client, project, data)
                    async with httpx.AsyncClient(
                        base_url=assets_url, headers=identity_headers("local"), timeout=120
                    ) as service_client:
                        service_up, service_down, _ = await _through_gateway(
                            service_client, project, data
                        )
                    direct_up, direct_down = await _direct(s3, s3_bucket, data)
                    redirected = await _download_redirected(client, asset_id, len(data))
                    gallery_project = (
                        await client.post("/api/v1/projects", json={"name": "gallery"})
                    ).json()["id"]
                    await asyncio.to_thread(
                        _seed_gallery, mongo_url, f"{mongo_db_name}_a", gallery_project
                    )
                    gallery = await _gallery_latency(client, gallery_project)
                    direct_gallery = await _gallery_latency_direct(assets_url, gallery_project)
    mib = SIZE / (1024 * 1024)
    upload_gateway = round(mib / statistics.median(upload_s), 1)
    upload_direct = round(mib / statistics.median(direct_up), 1)
    download_gateway = round(mib / statistics.median(download_s), 1)
    download_direct = round(mib / statistics.median(direct_down), 1)
    figures: dict[str, object] = {
        "file_mib": mib,
        "rounds": ROUNDS,
        "upload_gateway_mib_s": upload_gateway,
        "upload_direct_s3_mib_s": upload_direct,
        "upload_ratio": round(upload_gateway / upload_direct, 2),
        "download_gateway_mib_s": download_gateway,
        "download_direct_s3_mib_s": download_direct,
        "download_ratio": round(download_gateway / download_direct, 2),
        "download_gateway_presigned_redirect_mib_s": round(mib / statistics.median(redirected), 1),
        "upload_assets_service_direct_mib_s": round(mib / statistics.median(service_up), 1),
        "download_assets_service_direct_mib_s": round(mib / statistics.median(service_down), 1),
        "gallery_first_page_gateway_ms": gallery,
        "gallery_first_page_assets_direct_ms": direct_gallery,
    }
    record(
        "assets",
        figures,
        servers={"s3": s3.endpoint, "mongo": mongo_url, "storage": "S3 (SeaweedFS)"},
    )
    assert asset_id


async def _through_gateway(
    client: httpx.AsyncClient, project: str, data: bytes
) -> tuple[list[float], list[float], str]:
    uploads, downloads, asset_id = [], [], ""
    digest = hashlib.sha256(data).hexdigest()
    for _ in range(ROUNDS):
        started = time.perf_counter()
        response = await client.post(
            f"/api/v1/projects/{project}/assets", files={"file": ("big.wav", data, "audio/wav")}
        )
        uploads.append(time.perf_counter() - started)
        assert response.status_code == 201, response.text
        asset_id = response.json()["id"]
        started = time.perf_counter()
        size = 0
        async with client.stream("GET", f"/api/v1/assets/{asset_id}/content") as stream:
            async for chunk in stream.aiter_raw():
                size += len(chunk)
        downloads.append(time.perf_counter() - started)
        assert size == len(data)
    # Checked once, outside the timing: the direct S3 reads are not hashed either.
    content = await client.get(f"/api/v1/assets/{asset_id}/content")
    assert hashlib.sha256(content.content).hexdigest() == digest
    return uploads, downloads, asset_id


async def _direct(s3: S3Server, bucket: str, data: bytes) -> tuple[list[float], list[float]]:
    """Straight to the S3 server with the same HTTP client (presigned PUT and GET URLs), so the
    comparison measures our services, not two different client libraries."""
    signer = s3.client()
    uploads, downloads = [], []
    async with httpx.AsyncClient(timeout=120) as client:
        for i in range(ROUNDS):
            key = f"direct/{i}.wav"
            put_url = signer.presigned_put_object(bucket, key)
            started = time.perf_counter()
            response = await client.put(
                put_url, content=data, headers={"content-type": "audio/wav"}
            )
            uploads.append(time.perf_counter() - started)
            response.raise_for_status()
            get_url = signer.presigned_get_object(bucket, key)
            started = time.perf_counter()
            size = 0
            async with client.stream("GET", get_url) as stream:
                async for chunk in stream.aiter_raw():
                    size += len(chunk)
            downloads.append(time.perf_counter() - started)
            assert size == len(data)
    return uploads, downloads


async def _download_redirected(client: httpx.AsyncClient, asset_id: str, size: int) -> list[float]:
    """`?redirect=1`: the gateway answers 307 to a presigned URL and the bytes come from S3."""
    timings = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        answer = await client.get(f"/api/v1/assets/{asset_id}/content", params={"redirect": 1})
        assert answer.status_code == 307
        received = 0
        async with client.stream("GET", answer.headers["location"]) as stream:
            async for chunk in stream.aiter_raw():
                received += len(chunk)
        timings.append(time.perf_counter() - started)
        assert received == size
    return timings


def _seed_gallery(mongo_url: str, db_name: str, project: str) -> None:
    """10,000 asset records written straight to the assets database (uploading them one by one
    through HTTP would measure uploads, not the gallery)."""
    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(mongo_url)
    start = datetime.now(UTC) - timedelta(days=1)
    docs = []
    for i in range(GALLERY):
        asset_id = new_id()
        docs.append(
            {
                "_id": asset_id,
                "owner": "local",
                "project_id": project,
                "kind": "output",
                "media_type": "image",
                "content_type": "image/png",
                "size": 1000,
                "sha256": "0" * 64,
                "name": f"render-{i}.png",
                "tags": [],
                "favorite": False,
                "created_at": start + timedelta(seconds=i),
                "object_key": f"local/{project}/x/{i}.png",
                "dedup_key": f"output:bench:{i}",
                "prompt": f"prompt number {i}",
            }
        )
    client[db_name]["assets"].insert_many(docs, ordered=False)
    client.close()


async def _gallery_latency(
    client: httpx.AsyncClient, project: str, requests: int = 200
) -> dict[str, float]:
    latencies = []
    for _ in range(requests):
        started = time.perf_counter()
        response = await client.get(f"/api/v1/projects/{project}/assets", params={"limit": 50})
        latencies.append(time.perf_counter() - started)
        assert len(response.json()["items"]) == 50
    q = statistics.quantiles(latencies, n=100)
    return {"p50": round(q[49] * 1000, 2), "p99": round(q[98] * 1000, 2)}


async def _gallery_latency_direct(assets_url: str, project: str) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=assets_url, headers=identity_headers("local")) as client:
        return await _gallery_latency(client, project)
