"""The generation pipeline end to end, through the gateway: request → JetStream → worker →
provider → storage → assets, with every service running against the real servers."""

import asyncio
import io
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from pymongo import AsyncMongoClient
from studio_contracts.subjects import GENERATIONS_STREAM
from studio_runtime.clock import now_ms
from studio_runtime.ids import new_id

from tests.support import media_samples
from tests.support.consumers import consumers_idle
from tests.support.full_stack import FullStack, Servers, full_stack, s3_storage
from tests.support.servers import S3Server
from tests.support.sse import listening
from tests.support.waiting import eventually

MAGIC = {
    "image": lambda b: b.startswith(b"\x89PNG") or (b[:4] == b"RIFF" and b[8:12] == b"WEBP"),
    "video": lambda b: b[4:8] == b"ftyp" or b.startswith(b"\x1a\x45\xdf\xa3"),
    "audio": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WAVE",
    "model3d": lambda b: b.startswith(b"glTF"),
}


@pytest.fixture
async def stack(
    servers: Servers,
    s3: S3Server,
    s3_bucket: str,
) -> AsyncIterator[FullStack]:
    """Everything on the real servers, outputs in S3 (SeaweedFS)."""
    async with full_stack(
        servers,
        **s3_storage(s3, s3_bucket),
    ) as running_stack:
        yield running_stack


async def new_project(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/v1/projects", json={"name": "Pipeline"})
    assert response.status_code == 201
    project_id: str = response.json()["id"]
    return project_id


async def generate(client: httpx.AsyncClient, project: str, **body: Any) -> dict[str, Any]:
    response = await client.post(f"/api/v1/projects/{project}/generations", json=body)
    assert response.status_code == 202, response.text
    generation: dict[str, Any] = response.json()
    return generation


async def finished(
    client: httpx.AsyncClient, generation_id: str, within: float = 30
) -> dict[str, Any]:
    result: dict[str, Any] = {}

    async def done() -> bool:
        result.update((await client.get(f"/api/v1/generations/{generation_id}")).json())
        return result["status"] in ("completed", "failed", "cancelled")

    await eventually(done, within=within)
    return result


async def upload(client: httpx.AsyncClient, project: str, data: bytes, name: str) -> str:
    response = await client.post(f"/api/v1/projects/{project}/assets", files={"file": (name, data)})
    assert response.status_code == 201, response.text
    asset_id: str = response.json()["id"]
    return asset_id


async def test_every_generation_type_completes_with_the_local_provider(stack: FullStack) -> None:
    async with stack.client() as client:
        project = await new_project(client)
        image = await upload(client, project, media_samples.png(320, 240), "ref.png")
        video_job = await generate(
            client,
            project,
            type="text-to-video",
            model_id="local/video",
            prompt="waves",
            params={"duration": "1"},
        )
        video_done = await finished(client, video_job["id"])
        assert video_done["status"] == "completed", video_done
        source_video = video_done["outputs"][0]["asset_id"]
        cases = [
            ("text-to-image", "local/image", [], {"image_size": "square"}),
            ("image-to-image", "local/image-edit", [image], {}),
            ("image-to-video", "local/image-to-video", [image], {"duration": "1"}),
            ("video-to-video", "local/video-to-video", [source_video], {}),
            ("text-to-audio", "local/audio", [], {"seconds_total": 1}),
            ("image-to-3d", "local/3d", [image], {}),
        ]
        jobs = [
            (
                kind,
                await generate(
                    client,
                    project,
                    type=kind,
                    model_id=model,
                    prompt="a lighthouse at dusk",
                    params=params,
                    input_asset_ids=inputs,
                ),
            )
            for kind, model, inputs, params in cases
        ]
        for kind, job in jobs:
            assert job["status"] == "pending"
            done = await finished(client, job["id"])
            assert done["status"] == "completed", (kind, done)
            assert done["attempts"] == 1
            assert done["started_at"] and done["completed_at"]
            output = done["outputs"][0]
            asset = await _eventually_asset(client, output["asset_id"])
            assert asset["generation_id"] == job["id"]
            assert asset["kind"] == "output"
            content = (await client.get(asset["content_url"])).content
            assert MAGIC[output["media_type"]](content), kind
            assert len(content) == output["size"]
            # A sound shows its shape, unless it is silent (the local melody may be all rests);
            # nothing else has one.
            if output["media_type"] == "audio" and _has_sound(content):
                assert len(asset["waveform"]) == 64 and max(asset["waveform"]) > 0, asset
            else:
                assert asset["waveform"] is None, kind
            # The generation carries what the asset has, so the history can draw it at once.
            assert output["waveform"] == asset["waveform"], kind
            # ...and whether it has a preview, which an image always has.
            assert output["thumbnail"] == (asset["thumbnail_url"] is not None), kind
            if output["media_type"] == "image":
                assert output["thumbnail"] is True, kind
        listed = (await client.get(f"/api/v1/projects/{project}/generations")).json()["items"]
        assert len(listed) == 7
        assert all(g["status"] == "completed" for g in listed)


def _has_sound(wav: bytes) -> bool:
    with wave.open(io.BytesIO(wav)) as sound:
        return any(sound.readframes(sound.getnframes()))


async def _eventually_asset(client: httpx.AsyncClient, asset_id: str) -> dict[str, Any]:
    found: dict[str, Any] = {}

    async def registered() -> bool:
        response = await client.get(f"/api/v1/assets/{asset_id}")
        if response.status_code == 200:
            found.update(response.json())
        return response.status_code == 200

    await eventually(registered)
    return found


async def test_seed_is_recorded_and_retry_keeps_or_rerolls_it(stack: FullStack) -> None:
    async with stack.client() as client:
        project = await new_project(client)
        first = await generate(
            client, project, type="text-to-image", model_id="local/image", prompt="fox"
        )
        seed = first["params"]["seed"]
        assert isinstance(seed, int)
        assert first["params"]["image_size"] == "square_hd"
        same = (await client.post(f"/api/v1/generations/{first['id']}/retry", json={})).json()
        assert same["id"] != first["id"]
        assert same["params"]["seed"] == seed
        rerolled = (
            await client.post(
                f"/api/v1/generations/{first['id']}/retry", json={"reroll_seed": True}
            )
        ).json()
        assert rerolled["params"]["seed"] != seed
        outputs = [(await finished(client, g["id"]))["outputs"][0] for g in (first, same)]
        contents = []
        for output in outputs:
            asset = await _eventually_asset(client, output["asset_id"])
            contents.append((await client.get(asset["content_url"])).content)
        assert contents[0] == contents[1], "same model, prompt, seed and params give the same bytes"


async def test_twenty_concurrent_duplicates_make_one_generation(stack: FullStack) -> None:
    async with stack.client() as client:
        project = await new_project(client)
        body = {"type": "text-to-image", "model_id": "local/image", "prompt": "once"}
        responses = await asyncio.gather(
            *(
                client.post(
                    f"/api/v1/projects/{project}/generations",
                    json=body,
                    headers={"Idempotency-Key": "click-1"},
                )
                for _ in range(20)
            )
        )
        assert {r.status_code for r in responses} == {202}
        assert len({r.json()["id"] for r in responses}) == 1
        listed = (await client.get(f"/api/v1/projects/{project}/generations")).json()["items"]
        assert len(listed) == 1
        other_key = await client.post(
            f"/api/v1/projects/{project}/generations",
            json=body,
            headers={"Idempotency-Key": "click-2"},
        )
        assert other_key.json()["id"] != responses[0].json()["id"]
        # The same key with another request is a client's mistake, not a repeat.
        reused = await client.post(
            f"/api/v1/projects/{project}/generations",
            json={**body, "prompt": "twice"},
            headers={"Idempotency-Key": "click-1"},
        )
        assert reused.status_code == 422, reused.text
        [reused_error] = reused.json()["errors"]
        assert reused_error["type"] == "idempotency_key_reused"
        assert reused_error["msg"] == "This key was used for a different request; send a new one."
        too_long = await client.post(
            f"/api/v1/projects/{project}/generations",
            json=body,
            headers={"Idempotency-Key": "k" * 201},
        )
        assert too_long.status_code == 422, too_long.text
        assert too_long.json()["detail"] == "Idempotency-Key must be 1 to 200 printable characters."
        [too_long_error] = too_long.json()["errors"]
        assert too_long_error["msg"] == "Use 1 to 200 printable characters."
        listed = (await client.get(f"/api/v1/projects/{project}/generations")).json()["items"]
        assert len(listed) == 2


async def test_a_key_left_by_a_request_that_failed_is_taken_over(
    stack: FullStack, servers: Servers
) -> None:
    """A request that took an Idempotency-Key and failed while the database was down could not
    give the key back: every retry answered 409 "still being accepted" until the key expired,
    a day later. A key held for a minute with no record is carried out by the retry, under the
    id the first request had chosen."""
    async with stack.client() as client:
        project = await new_project(client)
        body = {"type": "text-to-image", "model_id": "local/image", "prompt": "after an outage"}
        first = await generate(client, project, **body)
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
        try:
            database = mongo[f"{servers.mongo_db_name}_g"]
            record = await database["generations"].find_one({"_id": first["id"]})
            assert record is not None
            chosen = new_id()
            await database["idempotency_keys"].insert_one(
                {
                    "_id": f"{record['owner']}:outage-1",
                    "generation_id": chosen,
                    "created_ms": now_ms() - 120_000,  # the failed request, two minutes ago
                    "fingerprint": None,
                }
            )
        finally:
            await mongo.close()
        path = f"/api/v1/projects/{project}/generations"
        retried = await client.post(path, json=body, headers={"Idempotency-Key": "outage-1"})
        assert retried.status_code == 202, retried.text
        assert retried.json()["id"] == chosen
        again = await client.post(path, json=body, headers={"Idempotency-Key": "outage-1"})
        assert again.status_code == 202, again.text
        assert again.json()["id"] == chosen  # a repeat from now on, as for any key
        assert (await finished(client, chosen))["status"] == "completed"
        listed = (await client.get(path)).json()["items"]
        assert sorted(g["id"] for g in listed) == sorted([first["id"], chosen])


@pytest.mark.parametrize(
    ("body", "loc", "kind"),
    [
        (
            {"type": "text-to-image", "model_id": "fal-ai/nope", "prompt": "x"},
            ["body", "model_id"],
            "unknown_model",
        ),
        (
            {"type": "text-to-video", "model_id": "local/image", "prompt": "x"},
            ["body", "type"],
            "unsupported_type",
        ),
        (
            {
                "type": "text-to-image",
                "model_id": "local/image",
                "prompt": "x",
                "params": {"num_inference_steps": 999},
            },
            ["body", "params", "num_inference_steps"],
            "out_of_range",
        ),
        (
            {"type": "image-to-video", "model_id": "local/image-to-video", "prompt": "x"},
            ["body", "input_asset_ids"],
            "missing_input",
        ),
        (
            {
                "type": "image-to-3d",
                "model_id": "local/3d",
                "input_asset_ids": ["0123456789abcdef01234567"],
            },
            ["body", "input_asset_ids", 0],
            "not_found",
        ),
        (
            {"type": "text-to-image", "model_id": "local/image"},
            ["body", "prompt"],
            "missing",
        ),
    ],
)
async def test_bad_requests_answer_422_with_field_errors(
    stack: FullStack, body: dict[str, Any], loc: list[Any], kind: str
) -> None:
    async with stack.client() as client:
        project = await new_project(client)
        response = await client.post(f"/api/v1/projects/{project}/generations", json=body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        errors = response.json()["errors"]
        assert {"loc": loc, "type": kind} in [{"loc": e["loc"], "type": e["type"]} for e in errors]
        assert (await client.get(f"/api/v1/projects/{project}/generations")).json()["items"] == []


async def test_someone_elses_asset_and_project_are_not_usable(stack: FullStack) -> None:
    async with (
        stack.service("projects", "mallory") as projects,
        stack.service("assets", "mallory") as assets,
    ):
        theirs = (await projects.post("/api/v1/projects", json={"name": "theirs"})).json()["id"]
        asset = (
            await assets.post(
                f"/api/v1/projects/{theirs}/assets", files={"file": ("a.png", media_samples.png())}
            )
        ).json()["id"]
    async with stack.client() as client:
        project = await new_project(client)
        borrowed = await client.post(
            f"/api/v1/projects/{project}/generations",
            json={"type": "image-to-3d", "model_id": "local/3d", "input_asset_ids": [asset]},
        )
        assert borrowed.status_code == 422
        assert borrowed.json()["errors"][0]["type"] == "not_found"
        foreign = await client.post(
            f"/api/v1/projects/{theirs}/generations",
            json={"type": "text-to-image", "model_id": "local/image", "prompt": "x"},
        )
        assert foreign.status_code == 404


async def test_wrong_media_type_input_is_refused(stack: FullStack) -> None:
    async with stack.client() as client:
        project = await new_project(client)
        sound = await upload(client, project, media_samples.wav(), "a.wav")
        response = await client.post(
            f"/api/v1/projects/{project}/generations",
            json={
                "type": "image-to-video",
                "model_id": "local/image-to-video",
                "prompt": "x",
                "input_asset_ids": [sound],
            },
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["type"] == "wrong_media_type"


async def test_cancel_a_running_generation(servers: Servers, tmp_path: Path) -> None:
    async with (
        full_stack(
            servers,
            storage_url=(tmp_path / "s").as_uri(),
            worker={"local_latency_s": 30, "local_progress_steps": 30},
        ) as stack,
        stack.client() as client,
    ):
        project = await new_project(client)
        job = await generate(
            client, project, type="text-to-image", model_id="local/image", prompt="slow"
        )

        async def running() -> bool:
            current = (await client.get(f"/api/v1/generations/{job['id']}")).json()
            return bool(current["status"] == "processing")

        await eventually(running)
        cancelled = await client.post(f"/api/v1/generations/{job['id']}/cancel")
        assert cancelled.status_code == 202
        # Asked, not yet done: the record says so until the worker has stopped the job.
        assert cancelled.json()["status"] == "processing"
        assert cancelled.json()["cancel_requested"] is True
        done = await finished(client, job["id"], within=15)
        assert done["status"] == "cancelled"
        assert done["outputs"] == []
        assert done["cancel_requested"] is False
        again = await client.post(f"/api/v1/generations/{job['id']}/cancel")
        assert again.status_code == 409


async def test_cancel_a_pending_generation_and_delete_it(servers: Servers, tmp_path: Path) -> None:
    async with (
        full_stack(
            servers,
            storage_url=(tmp_path / "s").as_uri(),
            workers=0,
        ) as stack,
        stack.client() as client,
        listening(client) as events,
    ):
        project = await new_project(client)
        job = await generate(
            client, project, type="text-to-image", model_id="local/image", prompt="never run"
        )
        assert (await client.delete(f"/api/v1/generations/{job['id']}")).status_code == 409
        cancelled = await client.post(f"/api/v1/generations/{job['id']}/cancel")
        assert cancelled.json()["status"] == "cancelled"
        await stack.add_worker()
        # The worker was handed the queued request and dropped it: every consumer is idle.
        await eventually(lambda: consumers_idle(servers.nats_url, servers.nats_prefix))
        assert (await client.get(f"/api/v1/generations/{job['id']}")).json()[
            "status"
        ] == "cancelled"
        assert (await client.delete(f"/api/v1/generations/{job['id']}")).status_code == 204
        assert (await client.get(f"/api/v1/generations/{job['id']}")).status_code == 404
        # Said to every open tab, and the project no longer counts it.
        await eventually(
            lambda: any(
                e.json()["generation_id"] == job["id"] for e in events.named("generation.deleted")
            )
        )

        async def uncounted() -> bool:
            answer = await client.get(f"/api/v1/projects/{project}")
            return bool(answer.json()["generation_count"] == 0)

        await eventually(uncounted)


async def test_a_deleted_output_leaves_its_generation(stack: FullStack) -> None:
    async with stack.client() as client:
        project = await new_project(client)
        job = await generate(
            client,
            project,
            type="text-to-image",
            model_id="local/image",
            prompt="three foxes",
            params={"num_images": 3},
        )
        outputs = (await finished(client, job["id"]))["outputs"]
        assert len(outputs) == 3
        gone = outputs[1]["asset_id"]
        assert (await client.delete(f"/api/v1/assets/{gone}")).status_code == 204

        async def forgotten() -> bool:
            listed = (await client.get(f"/api/v1/generations/{job['id']}")).json()["outputs"]
            return [o["asset_id"] for o in listed] == [
                outputs[0]["asset_id"],
                outputs[2]["asset_id"],
            ]

        # The history lists only what can still be fetched.
        await eventually(forgotten)
        for output in (outputs[0], outputs[2]):
            content = await client.get(f"/api/v1/assets/{output['asset_id']}/content")
            assert content.status_code == 200


async def test_deleting_the_project_removes_its_generations(stack: FullStack) -> None:
    async with stack.client() as client:
        project = await new_project(client)
        job = await generate(
            client, project, type="text-to-image", model_id="local/image", prompt="bye"
        )
        await finished(client, job["id"])
        assert (await client.delete(f"/api/v1/projects/{project}")).status_code == 204

        async def gone() -> bool:
            return (await client.get(f"/api/v1/generations/{job['id']}")).status_code == 404

        await eventually(gone)
        # The API remembered the project was there; the deletion must make it forget.
        late = await client.post(
            f"/api/v1/projects/{project}/generations",
            json={"type": "text-to-image", "model_id": "local/image", "prompt": "too late"},
        )
        assert late.status_code == 404


async def test_lists_filter_by_status_and_type(stack: FullStack) -> None:
    async with stack.client() as client:
        project = await new_project(client)
        image = await generate(
            client, project, type="text-to-image", model_id="local/image", prompt="a"
        )
        audio = await generate(
            client,
            project,
            type="text-to-audio",
            model_id="local/audio",
            prompt="b",
            params={"seconds_total": 1},
        )
        for job in (image, audio):
            await finished(client, job["id"])
        only_audio = (
            await client.get("/api/v1/generations", params={"type": "text-to-audio"})
        ).json()["items"]
        assert [g["id"] for g in only_audio] == [audio["id"]]
        completed = (
            await client.get("/api/v1/generations", params={"status": "completed", "limit": 1})
        ).json()
        assert len(completed["items"]) == 1
        assert completed["next_cursor"]
        assert (
            await client.get("/api/v1/generations", params={"status": "exploded"})
        ).status_code == 422


async def test_a_job_past_its_deadline_fails_with_a_timeout(
    servers: Servers, tmp_path: Path
) -> None:
    async with (
        full_stack(
            servers,
            storage_url=(tmp_path / "s").as_uri(),
            worker={"local_latency_s": 20, "job_deadline_s": 1},
        ) as stack,
        stack.client() as client,
        listening(client) as events,
    ):
        project = await new_project(client)
        job = await generate(
            client, project, type="text-to-image", model_id="local/image", prompt="slow"
        )
        done = await finished(client, job["id"], within=15)
        assert done["status"] == "failed"
        assert done["error"]["code"] == "timeout"
        assert "1 s" in done["error"]["message"]
        # `started` is announced while the job runs, yet always before its outcome.
        await events.wait_for(lambda e: e.event == "generation.failed")
        lifecycle = [
            e.event
            for e in events.of("generation_id", job["id"])
            if e.event != "generation.progress"
        ]
        assert lifecycle == ["generation.requested", "generation.started", "generation.failed"]


async def test_a_job_whose_deliveries_ran_out_is_requeued_or_given_up(
    servers: Servers, tmp_path: Path
) -> None:
    """A worker died on every delivery until NATS stopped redelivering: the record is left
    `processing` with an old lease and no message. The relay queues it again; the next worker
    takes it over, or fails it once it has used up its attempts."""
    async with (
        full_stack(
            servers, storage_url=(tmp_path / "s").as_uri(), workers=0, worker={"max_attempts": 3}
        ) as stack,
        stack.client() as client,
    ):
        project = await new_project(client)
        jobs = [
            await generate(client, project, type="text-to-image", model_id="local/image", prompt=p)
            for p in ("resumed", "given up")
        ]
        nc = await nats.connect(servers.nats_url)
        try:
            stream = GENERATIONS_STREAM.with_prefix(servers.nats_prefix).name
            await nc.jetstream().purge_stream(stream)
        finally:
            await nc.close()
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
        try:
            records = mongo[f"{servers.mongo_db_name}_g"]["generations"]
            for job, attempts in zip(jobs, (1, 3), strict=True):
                await records.update_one(
                    {"_id": job["id"]},
                    {"$set": {"status": "processing", "lease_until_ms": 1, "attempts": attempts}},
                )
        finally:
            await mongo.close()
        await stack.add_worker()
        resumed = await finished(client, jobs[0]["id"], within=20)
        assert resumed["status"] == "completed"
        assert resumed["attempts"] == 2
        assert len(resumed["outputs"]) == 1
        lost = await finished(client, jobs[1]["id"], within=20)
        assert lost["status"] == "failed"
        assert lost["error"]["code"] == "worker_lost"
        assert "interrupted too many times" in lost["error"]["message"]


async def test_a_request_still_queued_when_the_relay_looks_is_queued_only_once(
    servers: Servers, tmp_path: Path
) -> None:
    """Accepting writes nothing once the request is queued. The relay publishes a record still
    pending after its min age again, which JetStream drops as a repeat (same message id), and
    flags it so that it never publishes it again: each job is on the queue once, run once."""
    async with (
        full_stack(
            servers,
            storage_url=(tmp_path / "s").as_uri(),
            workers=0,
            generation_api={"relay_min_age_s": 2},
        ) as stack,
        stack.client() as client,
    ):
        project = await new_project(client)
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
        try:
            records = mongo[f"{servers.mongo_db_name}_g"]["generations"]
            ids = []
            for prompt in ("one", "two", "three"):
                job = await generate(
                    client, project, type="text-to-image", model_id="local/image", prompt=prompt
                )
                ids.append(job["id"])
                # Queued, and nothing written since: the relay looks only after 2 s.
                stored = await records.find_one({"_id": job["id"]})
                assert stored is not None and stored["published"] is False

            async def relayed() -> bool:
                flagged = records.find({"_id": {"$in": ids}, "published": True}, {"_id": 1})
                return len(await flagged.to_list()) == len(ids)

            await eventually(relayed, within=15)
        finally:
            await mongo.close()
        nc = await nats.connect(servers.nats_url)
        try:
            stream = GENERATIONS_STREAM.with_prefix(servers.nats_prefix)
            subject = f"{servers.nats_prefix}.generation.requested"
            info = await nc.jetstream().stream_info(stream.name, subjects_filter=subject)
        finally:
            await nc.close()
        assert info.state.subjects == {subject: len(ids)}
        await stack.add_worker()
        for generation_id in ids:
            done = await finished(client, generation_id)
            assert (done["status"], done["attempts"]) == ("completed", 1)


async def test_a_prompt_given_in_params_is_the_generations_prompt(stack: FullStack) -> None:
    async with stack.client() as client:
        project = await new_project(client)
        params = {"prompt": "a red fox in snow", "image_size": {"width": 64, "height": 64}}
        accepted = await generate(
            client, project, type="text-to-image", model_id="local/image", params=params
        )
        assert accepted["prompt"] == "a red fox in snow"
        done = await finished(client, accepted["id"])
        assert done["status"] == "completed", done
        assert done["prompt"] == "a red fox in snow"
        assert done["params"]["prompt"] == "a red fox in snow"
        [output] = done["outputs"]
        asset = (await client.get(f"/api/v1/assets/{output['asset_id']}")).json()
        assert asset["prompt"] == "a red fox in snow"
        assert asset["name"].startswith("a-red-fox"), asset["name"]
        found = (await client.get("/api/v1/assets", params={"q": "fox"})).json()["items"]
        assert [a["id"] for a in found] == [output["asset_id"]]

        # Given both ways, the prompt of the request's top level is the one used.
        both = await generate(
            client,
            project,
            type="text-to-image",
            model_id="local/image",
            prompt="a grey heron",
            params=params,
        )
        assert both["prompt"] == both["params"]["prompt"] == "a grey heron"

        # A template keeps it once, as its prompt (in its params too, it showed twice).
        template = await client.post(
            "/api/v1/templates",
            json={
                "name": "Fox",
                "type": "text-to-image",
                "model_id": "local/image",
                "params": params,
            },
        )
        assert template.status_code == 201, template.text
        assert template.json()["prompt"] == "a red fox in snow"
        assert template.json()["params"] == {"image_size": {"width": 64, "height": 64}}
