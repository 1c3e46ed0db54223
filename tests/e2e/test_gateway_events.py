"""Live events over SSE through the gateway, with every service running on the real servers:
a generation's lifecycle in order, template changes, per-user filtering, resume with
Last-Event-ID on another gateway instance, heartbeats, a shutdown with clients connected."""

import asyncio
import itertools
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from studio_devtools.servers import free_port

from tests.support import media_samples
from tests.support.accounts import ACCOUNTS, signed_in
from tests.support.apps import INTERNAL_SECRET
from tests.support.full_stack import FullStack, Servers, full_stack
from tests.support.sse import listening, payload, positions
from tests.support.waiting import eventually, patience


@pytest.fixture
async def stack(servers: Servers, tmp_path: Path) -> AsyncIterator[FullStack]:
    async with full_stack(
        servers,
        storage_url=(tmp_path / "s").as_uri(),
        worker={"local_latency_s": 1.5, "local_progress_steps": 3},
        gateway={**ACCOUNTS, "sse_heartbeat_s": 0.3},
    ) as running_stack:
        yield running_stack


async def _project(client: httpx.AsyncClient, name: str) -> str:
    response = await client.post("/api/v1/projects", json={"name": name})
    assert response.status_code == 201, response.text
    project_id: str = response.json()["id"]
    return project_id


async def _generate(client: httpx.AsyncClient, project: str, prompt: str) -> str:
    response = await client.post(
        f"/api/v1/projects/{project}/generations",
        json={
            "type": "text-to-image",
            "model_id": "local/image",
            "prompt": prompt,
            "params": {"image_size": {"width": 64, "height": 64}},  # the size does not matter
        },
    )
    assert response.status_code == 202, response.text
    generation_id: str = response.json()["id"]
    return generation_id


async def _user_id(client: httpx.AsyncClient) -> str:
    user_id: str = (await client.get("/api/v1/me")).json()["user"]["id"]
    return user_id


def _ids_increase(events: list[Any]) -> None:
    seen = [positions(e) for e in events]
    for before, after in itertools.pairwise(seen):
        assert all(b <= a for b, a in zip(before, after, strict=True)), (before, after)
        assert before != after, [(e.event, e.id, e.data[:80]) for e in events]


async def test_a_generation_lifecycle_arrives_in_order_and_only_to_its_owner(
    stack: FullStack,
) -> None:
    async with (
        signed_in(stack.gateway, "alice") as alice,
        signed_in(stack.gateway, "bob") as bob,
        listening(alice) as alice_events,
        listening(bob) as bob_events,
    ):
        alice_id, bob_id = await _user_id(alice), await _user_id(bob)
        assert alice_events.events[0].event == "ready"
        # Interleaved work by both users.
        alice_project = await _project(alice, "Alice's")
        bob_project = await _project(bob, "Bob's")
        upload = await alice.post(
            f"/api/v1/projects/{alice_project}/assets",
            files={"file": ("ref.png", media_samples.png(64, 64))},
        )
        assert upload.status_code == 201
        bob_job = await _generate(bob, bob_project, "bob's cat")
        alice_job = await _generate(alice, alice_project, "alice's dog")

        def completed_event(log: Any, job: str) -> Any:
            return lambda e: (
                e.event == "generation.completed" and payload(e)["generation_id"] == job
            )

        await alice_events.wait_for(completed_event(alice_events, alice_job))
        await bob_events.wait_for(completed_event(bob_events, bob_job))

        lifecycle = [e.event for e in alice_events.of("generation_id", alice_job)]
        assert lifecycle[:2] == ["generation.requested", "generation.started"]
        assert lifecycle.index("generation.completed") > lifecycle.index("generation.started")
        # The output is an asset before the generation says it is completed.
        assert lifecycle.index("asset.created") < lifecycle.index("generation.completed")
        assert "generation.progress" in lifecycle
        progress = [payload(e) for e in alice_events.named("generation.progress")]
        assert all(p["generation_id"] == alice_job for p in progress)
        completed = payload(alice_events.named("generation.completed")[0])
        assert completed["outputs"][0]["asset_id"]
        assert "object_key" not in completed["outputs"][0]  # storage layout stays internal
        names = {e.event for e in alice_events.events}
        assert {"project.created", "asset.created"} <= names
        _ids_increase(alice_events.events)

        for log, owner, other in ((alice_events, alice_id, bob_id), (bob_events, bob_id, alice_id)):
            data = [payload(e) for e in log.events if e.event not in ("ready", "reset")]
            assert data, "each user saw their own events"
            assert all(d["user_id"] == owner for d in data)
            assert not any(other in e.data for e in log.events)


async def test_template_changes_arrive_like_every_other_event(stack: FullStack) -> None:
    async with signed_in(stack.gateway, "fay") as fay, listening(fay) as log:
        created = await fay.post(
            "/api/v1/templates",
            json={"name": "Live", "type": "text-to-image", "model_id": "local/image"},
        )
        assert created.status_code == 201, created.text
        path = f"/api/v1/templates/{created.json()['id']}"
        assert (await fay.patch(path, json={"name": "Renamed"})).status_code == 200
        assert (await fay.delete(path)).status_code == 204

        await log.wait_for(lambda e: e.event == "template.deleted")
        changes = [e.event for e in log.of("template_id", created.json()["id"])]
        assert changes == ["template.created", "template.updated", "template.deleted"]


async def test_revoking_a_token_or_logging_out_ends_the_streams_it_opened(
    stack: FullStack,
) -> None:
    """A stream is authorised once, as it opens: without this, a revoked (say, leaked) token's
    stream went on carrying every event of the user, prompts included, for as long as it
    stayed connected."""
    async with signed_in(stack.gateway, "gus") as browser:
        created = await browser.post("/api/v1/tokens", json={"name": "leaked"})
        bearer = {"Authorization": f"Bearer {created.json()['token']}"}
        async with (
            httpx.AsyncClient(base_url=stack.gateway, headers=bearer) as script,
            listening(script) as by_token,
            listening(browser) as by_session,
        ):
            path = f"/api/v1/tokens/{created.json()['id']}"
            assert (await browser.delete(path)).status_code == 204
            await eventually(lambda: by_token.ended, what="the revoked token's stream ended")
            # The session's own stream is untouched: the next event still reaches it.
            await browser.post("/api/v1/projects", json={"name": "After the revocation"})
            await by_session.wait_for(lambda e: e.event == "project.created")
            assert not by_token.named("project.created")
            assert not by_session.ended

            assert (await browser.post("/api/v1/auth/logout")).status_code == 204
            await eventually(lambda: by_session.ended, what="the logged-out session's stream")
            async with listening(script) as again:  # reconnecting with the token is refused
                assert again.status == 401


SHORT_SESSION_S = 4.0


async def test_a_stream_ends_when_the_session_that_opened_it_expires(
    servers: Servers, tmp_path: Path
) -> None:
    """Checked once as it opens, a stream went on carrying the user's events after their
    session had expired (14 days on), for as long as the connection stayed open."""
    async with (
        full_stack(
            servers,
            storage_url=(tmp_path / "s").as_uri(),
            workers=0,
            gateway={**ACCOUNTS, "session_ttl_s": SHORT_SESSION_S, "sse_heartbeat_s": 0.3},
        ) as short_lived,
        signed_in(short_lived.gateway, "ida") as browser,
        listening(browser) as by_session,
    ):
        assert by_session.status == 200
        await eventually(
            lambda: by_session.ended,
            within=SHORT_SESSION_S + 10,
            what="the expired session's stream ended",
        )
        async with listening(browser) as again:  # reconnecting with it is refused
            assert again.status == 401


async def test_a_stream_ends_when_the_api_token_that_opened_it_expires(
    stack: FullStack, servers: Servers
) -> None:
    async with signed_in(stack.gateway, "jo") as browser:
        created = (
            await browser.post("/api/v1/tokens", json={"name": "short", "expires_in_days": 1})
        ).json()
        # A day is the shortest the API gives: the record is moved to a few seconds from now.
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
        try:
            await mongo[f"{servers.mongo_db_name}_gw"]["api_tokens"].update_one(
                {"_id": created["id"]}, {"$set": {"expires_ms": int(time.time() * 1000) + 3000}}
            )
        finally:
            await mongo.close()
        bearer = {"Authorization": f"Bearer {created['token']}"}
        async with (
            httpx.AsyncClient(base_url=stack.gateway, headers=bearer) as script,
            listening(script) as by_token,
            listening(browser) as by_session,
        ):
            assert by_token.status == 200
            await eventually(lambda: by_token.ended, what="the expired token's stream ended")
            assert not by_session.ended
            async with listening(script) as again:
                assert again.status == 401


async def test_resuming_with_last_event_id_on_another_gateway_misses_nothing(
    stack: FullStack,
) -> None:
    second_gateway = await stack.add_gateway()
    async with signed_in(stack.gateway, "carol") as carol:
        project = await _project(carol, "Resume")
        async with listening(carol) as first:
            job = await _generate(carol, project, "slow one")
            started = await first.wait_for(
                lambda e: e.event == "generation.started" and payload(e)["generation_id"] == job
            )

        # Disconnected; the job goes on and finishes meanwhile.
        async def finished() -> bool:
            response = await carol.get(f"/api/v1/generations/{job}")
            return bool(response.json()["status"] == "completed")

        await eventually(finished, within=30)

        async with (
            httpx.AsyncClient(
                base_url=second_gateway, cookies=carol.cookies, headers=carol.headers, timeout=30
            ) as elsewhere,
            listening(elsewhere, last_event_id=started.id) as resumed,
        ):
            await resumed.wait_for(
                lambda e: e.event == "asset.created" and payload(e)["generation_id"] == job
            )
            replayed = [e.event for e in resumed.of("generation_id", job)]
            assert resumed.events[0].event == "ready"
            assert "generation.started" not in replayed  # seen before the disconnect
            assert "generation.requested" not in replayed
            assert replayed.count("generation.completed") == 1
            _ids_increase(resumed.events[1:])
            assert positions(resumed.events[-1]) >= positions(started)


async def test_an_unknown_resume_point_gets_a_reset(stack: FullStack) -> None:
    async with signed_in(stack.gateway) as client:
        async with listening(client, last_event_id="not-an-id") as log:
            assert log.events[0].event == "reset"
        async with listening(client, last_event_id="999999-999999-999999") as log:
            assert log.events[0].event == "reset"  # ahead of the streams: another install's


async def test_project_filter_and_someone_elses_project(stack: FullStack) -> None:
    async with (
        signed_in(stack.gateway, "dan") as dan,
        signed_in(stack.gateway, "erin") as erin,
    ):
        first, second = await _project(dan, "One"), await _project(dan, "Two")
        erins = await _project(erin, "Erin's")
        refused = await dan.get("/api/v1/events", params={"project_id": erins})
        assert refused.status_code == 404
        assert refused.headers["content-type"] == "application/problem+json"
        malformed = await dan.get("/api/v1/events", params={"project_id": "x"})
        assert malformed.status_code == 422
        async with listening(dan, params={"project_id": first}) as log:
            await dan.post(
                f"/api/v1/projects/{second}/assets",
                files={"file": ("b.png", media_samples.png(8, 8))},
            )
            await dan.post(
                f"/api/v1/projects/{first}/assets",
                files={"file": ("a.png", media_samples.png(8, 8))},
            )
            created = await log.wait_for(lambda e: e.event == "asset.created")
            assert payload(created)["project_id"] == first
            assert all(payload(e)["project_id"] == first for e in log.events if e.event != "ready")


async def test_heartbeats_keep_an_idle_stream_alive(stack: FullStack) -> None:
    async with (
        signed_in(stack.gateway) as client,
        client.stream("GET", "/api/v1/events", timeout=httpx.Timeout(10, read=5)) as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        seen = ""
        async for chunk in response.aiter_text():
            seen += chunk
            if seen.count("event: ping") >= 2:
                break
        # The first message says how often to expect a heartbeat; heartbeats are events (a
        # browser's EventSource shows a page no comment), with data, or browsers drop them.
        ready = seen.split("\r\n\r\n")[0].replace("\r\n", "\n").split("\n")
        assert "event: ready" in ready
        assert json.loads(next(line[6:] for line in ready if line.startswith("data: "))) == {
            "heartbeat_s": 0.3
        }
        assert "event: ping\r\ndata: {}" in seen


async def test_a_closed_connection_is_let_go(stack: FullStack) -> None:
    async def connections() -> float:
        async with httpx.AsyncClient(base_url=stack.gateway) as client:
            metrics = (await client.get("/metrics")).text
        line = next(x for x in metrics.splitlines() if x.startswith("studio_sse_connections "))
        return float(line.split()[1])

    before = await connections()
    async with signed_in(stack.gateway) as client:
        async with listening(client):
            assert await connections() == before + 1
        await eventually(lambda: _equals(connections(), before), within=10)


async def _equals(value: Any, expected: float) -> bool:
    return bool(await value == expected)


async def test_a_gateway_told_to_stop_ends_its_event_streams_at_once(servers: Servers) -> None:
    """`python -m studio_gateway` as deployed, stopped with SIGTERM while a client listens: it
    exits without waiting out its shutdown grace (10 s here), the client's stream ends cleanly
    instead of being cut mid-write, and the log holds no traceback."""
    port = free_port()
    gateway = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "studio_gateway",
        env={**_without_studio(os.environ), **_gateway_env(servers, port)},
        stderr=asyncio.subprocess.PIPE,
    )
    assert gateway.stderr is not None
    logged = asyncio.create_task(gateway.stderr.read())
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            await eventually(lambda: _answers(client), within=30)
            async with client.stream("GET", "/api/v1/events") as response:
                lines = response.aiter_lines()
                async for line in lines:
                    if line == "event: ready":
                        break
                started = time.monotonic()
                gateway.send_signal(signal.SIGTERM)
                rest = [line async for line in lines]  # a stream cut mid-write raises here
            await asyncio.wait_for(gateway.wait(), 20 * patience())
            stopped_after = time.monotonic() - started
    finally:
        if gateway.returncode is None:
            gateway.kill()
            await gateway.wait()
    log = (await logged).decode(errors="replace")

    assert stopped_after < 5, (rest, log[-3000:])
    assert "Traceback" not in log, log[-3000:]
    assert "CancelledError" not in log, log[-3000:]


def _gateway_env(servers: Servers, port: int) -> dict[str, str]:
    return {
        "STUDIO_PORT": str(port),
        "STUDIO_MONGO_URL": servers.mongo_url,
        "STUDIO_MONGO_DB": servers.mongo_db_name,
        "STUDIO_NATS_URL": servers.nats_url,
        "STUDIO_NATS_PREFIX": servers.nats_prefix,
        "STUDIO_INTERNAL_SECRET": INTERNAL_SECRET,
        "STUDIO_SHUTDOWN_GRACE_S": "10",
        "STUDIO_SSE_HEARTBEAT_S": "0.3",
    }


def _without_studio(environ: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in environ.items() if not name.startswith("STUDIO_")}


async def _answers(client: httpx.AsyncClient) -> bool:
    try:
        return (await client.get("/healthz")).status_code == 200
    except httpx.TransportError:
        return False
