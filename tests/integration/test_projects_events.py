"""The projects service's events: what it publishes, the stats it keeps from other services'
events (counted once however often they arrive), and the deletion protocol's recovery."""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import nats
import pytest
from fastapi import FastAPI
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from studio_contracts.assets import Asset
from studio_contracts.enums import GenerationType, MediaType
from studio_contracts.events import (
    AssetCreated,
    AssetDeleted,
    Event,
    GenerationDeleted,
    GenerationRequested,
    ProjectCreated,
    ProjectDeleted,
)
from studio_contracts.subjects import ASSETS_STREAM, GENERATIONS_STREAM, subject
from studio_projects.events import STATS_DURABLES
from studio_projects.main import create_app
from studio_projects.repository import (
    APPLIED_EVENTS,
    PROJECTS,
    ProjectStore,
    StatsChange,
    StatsStore,
    ensure_indexes,
)
from studio_projects.settings import ProjectsSettings
from studio_projects.stats import StatsKeeper
from studio_runtime.clock import from_ms, to_ms
from studio_runtime.events import EventPublisher, delivery
from studio_runtime.internal_auth import Identity
from studio_runtime.nats import declare_stream

from tests.support.apps import identity_headers, make_settings, running
from tests.support.mongo_commands import CommandLog
from tests.support.waiting import patience

ALICE = "user-alice"
BOB = "user-bob"
Doc = dict[str, Any]
T = TypeVar("T")


@dataclass
class Studio:
    """The projects service running, with what a test needs to talk to it and around it."""

    app: FastAPI
    http: httpx.AsyncClient
    js: JetStreamContext
    publisher: EventPublisher
    db: AsyncDatabase[Doc]
    prefix: str
    project_events: list[Msg]

    @property
    def stats(self) -> StatsKeeper:
        keeper: StatsKeeper = self.app.state.stats
        return keeper

    async def create_project(self, name: str = "film") -> dict[str, Any]:
        response = await self.http.post("/api/v1/projects", json={"name": name})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def project(self, project_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/api/v1/projects/{project_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def published(self, kind: type[Event], count: int = 1) -> list[Msg]:
        """Wait until `count` messages of that event type were seen on `<prefix>.project.>`."""
        wanted = subject(kind.subject, self.prefix)

        async def seen() -> list[Msg] | None:
            messages = [m for m in self.project_events if m.subject == wanted]
            return messages if len(messages) >= count else None

        return await eventually(seen)


class NeverAsked:
    """The assets service for a keeper that deletes no cover, so never asks it."""

    async def newest_image_outputs(
        self, identity: Identity, project_id: str, *, limit: int
    ) -> list[Asset]:
        raise AssertionError("the assets service is asked only when a cover is deleted")


async def eventually(probe: Callable[[], Awaitable[T | None]]) -> T:
    """Poll until `probe` answers something other than None or False (10 s times patience())."""
    async with asyncio.timeout(10 * patience()):
        while True:
            result = await probe()
            if result is not None and result is not False:
                return result
            await asyncio.sleep(0.05)


FAST_SWEEP = {"deletion_grace_s": 0.2, "maintenance_interval_s": 0.1}


def settings_for(
    mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str, **extra: Any
) -> ProjectsSettings:
    return make_settings(
        ProjectsSettings,
        mongo_url=mongo_url,
        mongo_db=mongo_db_name,
        nats_url=nats_url,
        nats_prefix=nats_prefix,
        **extra,
    )


@pytest.fixture
async def db(mongo_url: str, mongo_db_name: str) -> AsyncIterator[AsyncDatabase[Doc]]:
    client: AsyncMongoClient[Doc] = AsyncMongoClient(mongo_url, tz_aware=True)
    yield client[mongo_db_name]
    await client.close()


@pytest.fixture
def sweep_settings() -> dict[str, Any]:
    """Overridden by tests that need the background sweep to run quickly."""
    return {}


@pytest.fixture
async def studio(
    mongo_url: str,
    mongo_db_name: str,
    nats_url: str,
    nats_prefix: str,
    nc: NatsClient,
    db: AsyncDatabase[Doc],
    sweep_settings: dict[str, Any],
) -> AsyncIterator[Studio]:
    js = nc.jetstream()
    # The streams the stats consumers bind to belong to the assets and generation services.
    for stream in (ASSETS_STREAM, GENERATIONS_STREAM):
        await declare_stream(js, stream.with_prefix(nats_prefix))
    seen: list[Msg] = []

    async def collect(message: Msg) -> None:
        seen.append(message)

    subscription = await nc.subscribe(f"{nats_prefix}.project.>", cb=collect)
    settings = settings_for(mongo_url, mongo_db_name, nats_url, nats_prefix, **sweep_settings)
    app = create_app(settings)
    async with (
        running(app) as url,
        httpx.AsyncClient(base_url=url, headers=identity_headers(ALICE)) as http,
    ):
        yield Studio(
            app=app,
            http=http,
            js=js,
            publisher=EventPublisher(js, prefix=nats_prefix),
            db=db,
            prefix=nats_prefix,
            project_events=seen,
        )
    await subscription.unsubscribe()


def asset_created(
    project_id: str,
    asset_id: str,
    *,
    kind: str = "output",
    media_type: MediaType = MediaType.IMAGE,
    user_id: str = ALICE,
    occurred_at: datetime | None = None,
) -> AssetCreated:
    return AssetCreated(
        user_id=user_id,
        project_id=project_id,
        asset_id=asset_id,
        kind=kind,
        media_type=media_type,
        occurred_at=occurred_at or datetime.now(UTC),
    )


def generation_requested(project_id: str, *, user_id: str = ALICE) -> GenerationRequested:
    return GenerationRequested(
        user_id=user_id,
        project_id=project_id,
        generation_id="g" * 24,
        type=GenerationType.TEXT_TO_IMAGE,
        model_id="local/image",
        prompt="a fox",
        params={},
    )


async def consumers_idle(studio: Studio) -> bool:
    """Every stats consumer has been handed everything in its stream and acked it all."""
    for stream, durable in zip(
        (ASSETS_STREAM, ASSETS_STREAM, GENERATIONS_STREAM, GENERATIONS_STREAM),
        STATS_DURABLES,
        strict=True,
    ):
        name = stream.with_prefix(studio.prefix).name
        try:
            info = await studio.js.consumer_info(name, durable)
        except nats.js.errors.NotFoundError:
            return False
        if info.num_pending or info.num_ack_pending or info.num_redelivered:
            return False
    return True


# --- what the service publishes --------------------------------------------------------------


async def test_create_and_delete_publish_their_events(studio: Studio) -> None:
    project = await studio.create_project("Launch film")
    [created_msg] = await studio.published(ProjectCreated)
    created = ProjectCreated.model_validate_json(created_msg.data)
    assert (created.project_id, created.name, created.user_id) == (
        project["id"],
        "Launch film",
        ALICE,
    )
    assert created.request_id  # ties the event to the request's log lines
    assert created_msg.headers is not None
    assert created_msg.headers["Nats-Msg-Id"] == created.event_id

    assert (await studio.http.delete(f"/api/v1/projects/{project['id']}")).status_code == 204
    [deleted_msg] = await studio.published(ProjectDeleted)
    deleted = ProjectDeleted.model_validate_json(deleted_msg.data)
    assert (deleted.project_id, deleted.user_id) == (project["id"], ALICE)
    assert deleted_msg.headers is not None
    assert deleted_msg.headers["Nats-Msg-Id"] == deleted.event_id
    assert set(json.loads(deleted_msg.data)) >= {"event_id", "occurred_at", "user_id"}


# --- stats from events -------------------------------------------------------------------------


async def test_generations_and_assets_update_the_stats(studio: Studio) -> None:
    project = await studio.create_project()
    other = await studio.create_project("untouched")
    pid = project["id"]

    await studio.publisher.publish(generation_requested(pid))
    await studio.publisher.publish(generation_requested(pid))
    stats = await eventually(lambda: _when(studio.project(pid), generation_count=2))
    assert stats["last_activity_at"] is not None
    assert stats["asset_count"] == 0

    # The counters and the cover are separate updates: wait for both.
    await studio.publisher.publish(asset_created(pid, "a" * 24))
    stats = await eventually(
        lambda: _when(studio.project(pid), asset_count=1, cover_asset_id="a" * 24)
    )
    # As times, not strings: "…07Z" sorts after "…07.226000Z" though it is earlier.
    at = datetime.fromisoformat(stats["last_activity_at"])
    assert at >= datetime.fromisoformat(project["created_at"])

    # An upload and a video output count, but neither becomes the cover.
    await studio.publisher.publish(asset_created(pid, "b" * 24, kind="upload"))
    await studio.publisher.publish(asset_created(pid, "c" * 24, media_type=MediaType.VIDEO))
    await eventually(lambda: consumers_idle(studio))  # every step of every handler done
    stats = await studio.project(pid)
    assert (stats["asset_count"], stats["cover_asset_id"]) == (3, "a" * 24)

    await studio.publisher.publish(AssetDeleted(user_id=ALICE, project_id=pid, asset_id="b" * 24))
    await eventually(lambda: _when(studio.project(pid), asset_count=2))
    await eventually(lambda: consumers_idle(studio))
    assert (await studio.project(pid))["cover_asset_id"] == "a" * 24

    await studio.publisher.publish(AssetDeleted(user_id=ALICE, project_id=pid, asset_id="a" * 24))
    stats = await eventually(lambda: _when(studio.project(pid), asset_count=1, cover_asset_id=None))
    assert stats["generation_count"] == 2

    # A deleted generation leaves the count.
    await studio.publisher.publish(
        GenerationDeleted(user_id=ALICE, project_id=pid, generation_id="g" * 24)
    )
    await eventually(lambda: _when(studio.project(pid), generation_count=1))

    untouched = await studio.project(other["id"])
    assert (untouched["generation_count"], untouched["asset_count"]) == (0, 0)
    assert untouched["last_activity_at"] is None


async def test_the_newest_image_output_is_the_cover(studio: Studio) -> None:
    pid = (await studio.create_project())["id"]
    now = datetime.now(UTC)
    newer = asset_created(pid, "b" * 24, occurred_at=now)
    older = asset_created(pid, "a" * 24, occurred_at=now - timedelta(seconds=5))
    await studio.stats.asset_created(newer)
    await studio.stats.asset_created(older)  # arrives late
    project = await studio.project(pid)
    assert project["cover_asset_id"] == "b" * 24
    assert project["asset_count"] == 2
    # Activity only moves forward, kept to the millisecond.
    assert datetime.fromisoformat(project["last_activity_at"]) == from_ms(to_ms(now))


async def test_a_new_image_output_is_counted_and_made_the_cover_in_one_update(
    studio: Studio, mongo_url: str, mongo_db_name: str
) -> None:
    pid = (await studio.create_project())["id"]
    commands = CommandLog()
    client: AsyncMongoClient[Doc] = AsyncMongoClient(mongo_url, event_listeners=[commands])
    try:
        keeper = StatsKeeper(StatsStore(client[mongo_db_name]), NeverAsked())
        await keeper.asset_created(asset_created(pid, "c" * 24))
        assert commands.count("update", "findAndModify") == 1
        # An older image arriving late is counted, and is not the cover.
        late = asset_created(pid, "d" * 24, occurred_at=datetime.now(UTC) - timedelta(minutes=1))
        await keeper.asset_created(late)
    finally:
        await client.close()
    project = await studio.project(pid)
    assert (project["asset_count"], project["cover_asset_id"]) == (2, "c" * 24)


async def test_a_burst_of_a_projects_events_is_counted_whole_in_a_few_updates(
    studio: Studio, mongo_url: str, mongo_db_name: str
) -> None:
    pid = (await studio.create_project())["id"]
    now = datetime.now(UTC)
    images = [
        asset_created(pid, f"{n:024d}", occurred_at=now + timedelta(seconds=n)) for n in range(30)
    ]
    requests = [generation_requested(pid) for _ in range(30)]
    commands = CommandLog()
    client: AsyncMongoClient[Doc] = AsyncMongoClient(mongo_url, event_listeners=[commands])
    try:
        keeper = StatsKeeper(StatsStore(client[mongo_db_name]), NeverAsked())
        await asyncio.gather(
            *(keeper.asset_created(image) for image in reversed(images)),
            *(keeper.generation_requested(request) for request in requests),
        )
    finally:
        await client.close()
    project = await studio.project(pid)
    assert (project["asset_count"], project["generation_count"]) == (30, 30)
    assert project["cover_asset_id"] == f"{29:024d}"  # the newest, though it came first
    assert datetime.fromisoformat(project["last_activity_at"]) == from_ms(
        to_ms(now + timedelta(seconds=29))
    )
    # One by one this is 60 updates (and 60 ledger inserts); a burst that holds an event
    # counted before is counted one by one (test_changes_counted_together_…).
    assert commands.count("update", "findAndModify") <= 10, commands.names


async def test_asset_count_never_goes_below_zero(studio: Studio) -> None:
    pid = (await studio.create_project())["id"]
    await studio.stats.asset_deleted(AssetDeleted(user_id=ALICE, project_id=pid, asset_id="x" * 24))
    assert (await studio.project(pid))["asset_count"] == 0


async def test_a_deletion_handled_before_its_creation_nets_out(studio: Studio) -> None:
    pid = (await studio.create_project())["id"]
    await studio.stats.asset_created(asset_created(pid, "k" * 24))
    created = asset_created(pid, "a" * 24)
    await studio.stats.asset_deleted(AssetDeleted(user_id=ALICE, project_id=pid, asset_id="a" * 24))
    await studio.stats.asset_created(created)
    project = await studio.project(pid)
    assert project["asset_count"] == 1
    # The deleted asset must not become the cover when its creation arrives late.
    assert project["cover_asset_id"] == "k" * 24


async def test_events_of_unknown_or_foreign_projects_are_acked_and_ignored(studio: Studio) -> None:
    pid = (await studio.create_project())["id"]
    await studio.publisher.publish(asset_created("0" * 24, "a" * 24))
    await studio.publisher.publish(generation_requested("0" * 24))
    await studio.publisher.publish(asset_created(pid, "b" * 24, user_id=BOB))
    await studio.publisher.publish(generation_requested(pid, user_id=BOB))
    await eventually(lambda: consumers_idle(studio))
    project = await studio.project(pid)
    assert (project["asset_count"], project["generation_count"]) == (0, 0)
    assert project["cover_asset_id"] is None


async def test_events_of_a_deleted_project_are_acked_and_ignored(studio: Studio) -> None:
    pid = (await studio.create_project())["id"]
    assert (await studio.http.delete(f"/api/v1/projects/{pid}")).status_code == 204
    await studio.publisher.publish(asset_created(pid, "a" * 24))
    await studio.publisher.publish(generation_requested(pid))
    await eventually(lambda: consumers_idle(studio))
    assert await studio.db[PROJECTS].count_documents({}) == 0


# --- each event counts once ----------------------------------------------------------------------


async def test_the_same_event_delivered_twice_counts_once(studio: Studio) -> None:
    pid = (await studio.create_project())["id"]
    events: list[Event] = [asset_created(pid, "a" * 24), generation_requested(pid)]
    for event in events:
        payload = event.model_dump_json().encode()
        # Different Nats-Msg-Ids get past the stream's de-duplication: a real second delivery.
        for copy in ("first", "second"):
            headers = {"Nats-Msg-Id": f"{event.event_id}-{copy}"}
            await studio.js.publish(subject(event.subject, studio.prefix), payload, headers=headers)
    await eventually(lambda: _when(studio.project(pid), asset_count=1, generation_count=1))
    await eventually(lambda: consumers_idle(studio))
    project = await studio.project(pid)
    assert (project["asset_count"], project["generation_count"]) == (1, 1)


async def test_a_handler_run_again_or_concurrently_counts_once(studio: Studio) -> None:
    pid = (await studio.create_project())["id"]
    created = asset_created(pid, "a" * 24)
    requested = generation_requested(pid)
    await studio.stats.asset_created(created)
    await studio.stats.asset_created(created)
    await asyncio.gather(*(studio.stats.generation_requested(requested) for _ in range(8)))
    await asyncio.gather(*(studio.stats.asset_created(created) for _ in range(8)))
    project = await studio.project(pid)
    assert (project["asset_count"], project["generation_count"]) == (1, 1)


async def test_a_crash_between_counting_and_the_ledger_does_not_count_twice(
    studio: Studio,
) -> None:
    pid = (await studio.create_project())["id"]
    event = asset_created(pid, "a" * 24)
    # Step 2 ran, then the process died before the cover and the ledger record.
    store = StatsStore(studio.db)
    change = StatsChange(
        project_id=pid,
        owner=ALICE,
        event_id=event.event_id,
        increments={"assets_added": 1},
        activity_ms=to_ms(event.occurred_at),
    )
    assert await store.apply(change)
    assert not await store.was_applied(event.event_id)

    await studio.stats.asset_created(event)  # the redelivery
    project = await studio.project(pid)
    assert project["asset_count"] == 1
    assert project["cover_asset_id"] == "a" * 24  # the missing step was done now
    assert await store.was_applied(event.event_id)


async def test_an_event_in_the_ledger_is_skipped_even_when_the_project_forgot_it(
    studio: Studio,
) -> None:
    pid = (await studio.create_project())["id"]
    event = generation_requested(pid)
    await studio.stats.generation_requested(event)
    # The project's own list only keeps recent events; the ledger remembers longer.
    await studio.db[PROJECTS].update_one({"_id": pid}, {"$set": {"applied_events": []}})
    with delivery(2):  # JetStream hands it out again
        await studio.stats.generation_requested(event)
    assert (await studio.project(pid))["generation_count"] == 1
    assert await studio.db[APPLIED_EVENTS].count_documents({"_id": event.event_id}) == 1


# --- the deletion protocol's recovery ---------------------------------------------------------


@pytest.mark.parametrize("sweep_settings", [FAST_SWEEP])
async def test_an_unconfirmed_deletion_is_hidden_then_finished_by_the_sweep(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = (await studio.create_project())["id"]
    real_publish = studio.publisher.__class__.publish
    calls: list[Event] = []

    async def publish_times_out_once(self: EventPublisher, event: Event) -> None:
        calls.append(event)
        if len(calls) == 1:
            raise NatsTimeoutError  # the ack never came: the event may or may not be out
        await real_publish(self, event)

    monkeypatch.setattr(EventPublisher, "publish", publish_times_out_once)
    response = await studio.http.delete(f"/api/v1/projects/{pid}")
    assert response.status_code == 202
    assert (await studio.http.get(f"/api/v1/projects/{pid}")).status_code == 404
    assert (await studio.http.get("/api/v1/projects")).json()["items"] == []

    [message] = await studio.published(ProjectDeleted)
    deleted = ProjectDeleted.model_validate_json(message.data)
    assert deleted.project_id == pid
    assert deleted.event_id == calls[0].event_id  # the same event, published again
    await eventually(lambda: _gone(studio, pid))


@pytest.mark.parametrize("sweep_settings", [FAST_SWEEP])
async def test_an_unconfirmed_creation_is_withdrawn_with_a_deletion(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_publish = EventPublisher.publish

    async def created_times_out(self: EventPublisher, event: Event) -> None:
        await real_publish(self, event)
        if isinstance(event, ProjectCreated):
            raise NatsTimeoutError  # stored, but the ack was "lost"

    monkeypatch.setattr(EventPublisher, "publish", created_times_out)
    response = await studio.http.post("/api/v1/projects", json={"name": "half"})
    assert response.status_code == 503
    assert (await studio.http.get("/api/v1/projects")).json()["items"] == []
    # Others may have seen project.created, so they get project.deleted too.
    [created] = await studio.published(ProjectCreated)
    [deleted] = await studio.published(ProjectDeleted)
    project_id = ProjectCreated.model_validate_json(created.data).project_id
    assert ProjectDeleted.model_validate_json(deleted.data).project_id == project_id
    await eventually(lambda: _gone(studio, project_id))


@pytest.mark.parametrize("sweep_settings", [FAST_SWEEP])
async def test_a_deletion_left_by_a_crash_is_finished_by_the_sweep(studio: Studio) -> None:
    pid = (await studio.create_project())["id"]
    # The process died right after marking the project.
    assert await ProjectStore(studio.db).mark_deleting(ALICE, pid, "e" * 32)
    assert (await studio.http.get(f"/api/v1/projects/{pid}")).status_code == 404

    [message] = await studio.published(ProjectDeleted)
    deleted = ProjectDeleted.model_validate_json(message.data)
    assert (deleted.project_id, deleted.event_id, deleted.user_id) == (pid, "e" * 32, ALICE)
    await eventually(lambda: _gone(studio, pid))


async def test_a_fresh_deletion_is_left_to_its_request(studio: Studio) -> None:
    """The sweep waits out the grace period, so it never races a request still deciding."""
    pid = (await studio.create_project())["id"]
    assert await ProjectStore(studio.db).mark_deleting(ALICE, pid, "e" * 32)
    await studio.app.state.projects.finish_deletions(
        started_before_ms=to_ms(datetime.now(UTC)) - 60_000
    )
    assert await studio.db[PROJECTS].count_documents({"_id": pid}) == 1


async def _gone(studio: Studio, project_id: str) -> bool:
    return await studio.db[PROJECTS].count_documents({"_id": project_id}) == 0


async def _when(project: Awaitable[dict[str, Any]], **expected: Any) -> dict[str, Any] | None:
    body = await project
    return body if all(body[key] == value for key, value in expected.items()) else None


# --- the stores on every MongoDB backend ---------------------------------------------------------


async def test_changes_counted_together_count_each_once_on_every_backend(
    any_db: AsyncDatabase[Doc],
) -> None:
    await ensure_indexes(any_db)
    project = await ProjectStore(any_db).insert(ALICE, "Burst", "")
    stats = StatsStore(any_db)
    at = to_ms(datetime.now(UTC))

    def added(event_id: str) -> StatsChange:
        return StatsChange(project.id, ALICE, event_id, {"assets_added": 1}, activity_ms=at)

    assert await stats.apply(added("seen"))
    answers = await asyncio.gather(
        *(stats.apply(added(f"new{n}")) for n in range(6)),
        stats.apply(added("seen")),  # applied before: the rest still count
        stats.apply(added("new0")),  # the same event twice in one burst
    )
    assert list(answers) == [True] * 6 + [False, False]
    covered = await asyncio.gather(
        *(stats.apply_as_cover(added(f"img{n}"), f"{n:024d}", at + n) for n in range(4))
    )
    assert covered == [True] * 4
    got = await ProjectStore(any_db).get(ALICE, project.id)
    assert got is not None
    assert (got.asset_count, got.cover_asset_id) == (11, f"{3:024d}")


async def test_the_stores_behave_the_same_on_every_backend(any_db: AsyncDatabase[Doc]) -> None:
    await ensure_indexes(any_db)  # before any document: nx-27017 must not be given an _id index
    projects, stats = ProjectStore(any_db), StatsStore(any_db)
    first = await projects.insert(ALICE, "Fox film", "")
    second = await projects.insert(ALICE, "Winter", "a FOX (draft)")
    await projects.insert(BOB, "fox of bob", "")

    page = await projects.list_page(ALICE, search=None, cursor=None, limit=1)
    assert ([p.id for p in page.items], page.next_cursor) == ([second.id], second.id)
    after = await projects.list_page(ALICE, search=None, cursor=page.next_cursor, limit=1)
    assert ([p.id for p in after.items], after.next_cursor) == ([first.id], None)
    foxes = await projects.list_page(ALICE, search="fox", cursor=None, limit=10)
    assert len(foxes.items) == 2
    drafts = await projects.list_page(ALICE, search="(DRAFT)", cursor=None, limit=10)
    assert len(drafts.items) == 1

    renamed = await projects.update(ALICE, first.id, {"name": "Renamed"})
    assert renamed is not None
    updated = renamed.project
    assert updated.name == "Renamed"
    assert updated.updated_at >= first.updated_at  # a timestamp written by $set reads back
    assert await projects.update(BOB, first.id, {"name": "x"}) is None
    # Undone only while nothing else wrote the project since.
    later = await projects.update(ALICE, first.id, {"name": "Later"})
    assert later is not None
    assert not await projects.undo(ALICE, first.id, renamed)
    assert await projects.undo(ALICE, first.id, later)
    restored = await projects.get(ALICE, first.id)
    assert restored is not None
    assert (restored.name, restored.updated_at) == ("Renamed", updated.updated_at)

    # Stats: a guarded update counts each event once, also when raced.
    at = to_ms(datetime.now(UTC))
    change = StatsChange(first.id, ALICE, "e1", {"assets_added": 1}, activity_ms=at)
    results = await asyncio.gather(*(stats.apply(change) for _ in range(8)))
    assert results.count(True) == 1
    assert not await stats.apply(StatsChange(first.id, BOB, "e2", {"assets_added": 1}))
    await stats.offer_cover(ALICE, first.id, "a" * 24, at)
    await stats.offer_cover(ALICE, first.id, "z" * 24, at - 1)  # older: ignored
    removal = StatsChange(first.id, ALICE, "e3", {"assets_removed": 1}, removed_asset_id="b" * 24)
    assert await stats.apply(removal)
    await stats.offer_cover(ALICE, first.id, "b" * 24, at + 1)  # deleted already: ignored
    got = await projects.get(ALICE, first.id)
    assert got is not None
    assert (got.asset_count, got.cover_asset_id) == (0, "a" * 24)
    assert got.last_activity_at == from_ms(at)
    await stats.clear_cover(ALICE, first.id, "a" * 24)
    got = await projects.get(ALICE, first.id)
    assert got is not None
    assert got.cover_asset_id is None

    # The deletion marks: hidden while marked, back when undone, gone when removed.
    assert await projects.mark_deleting(ALICE, first.id, "d1")
    assert await projects.get(ALICE, first.id) is None
    assert not await projects.mark_deleting(ALICE, first.id, "d2")
    [pending] = await projects.unfinished_deletions(to_ms(datetime.now(UTC)) + 1, 10)
    assert (pending.project_id, pending.owner, pending.event_id) == (first.id, ALICE, "d1")
    assert await projects.unfinished_deletions(to_ms(datetime.now(UTC)) - 60_000, 10) == []
    assert await projects.unmark_deleting(pending)
    assert await projects.get(ALICE, first.id) is not None
    await projects.remove(first.id)
    assert await projects.get(ALICE, first.id) is None

    await stats.remember_applied("e1", first.id)
    await stats.remember_applied("e1", first.id)  # a concurrent duplicate is fine
    assert await stats.was_applied("e1")
    assert await stats.forget_applied_before(to_ms(datetime.now(UTC)) + 1) == 1
    assert not await stats.was_applied("e1")
