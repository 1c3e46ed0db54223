"""What the API does with projects, including the protocol that keeps a deletion whole.

Deleting a project is two things that cannot be one transaction: removing the record here and
publishing `project.deleted`, from which the other services remove their data. Neither order
alone is safe (record gone and no event: nobody cleans up; event out and record kept: a live
project loses its data). So:

1. mark the project `deleting` (hidden from every read) with the event id to publish;
2. publish `project.deleted` with that event id;
3. remove the record.

If 2 is refused (the event was certainly not stored), the mark is undone and the caller gets a
503: nothing happened. If 2 times out, the event may be out already or may still go out when a
dropped connection comes back, so undoing would risk the second unsafe state; the deletion is
kept instead and finished by the background sweep, and the caller gets 202 (accepted, not yet
complete). After a crash between 1 and 3 the sweep finishes the deletion too: it publishes the
same event id again (JetStream drops the duplicate within its window; consumers are idempotent
after that) and removes the record.
"""

from enum import Enum
from functools import partial
from uuid import uuid4

import structlog
from studio_contracts.dtos import CursorPage
from studio_contracts.projects import Project, ProjectCreate, ProjectUpdate
from studio_runtime.errors import ServiceUnavailable
from studio_runtime.idempotency import DEFAULT_TTL_S
from studio_runtime.ids import is_id

from studio_projects.announcing import announce_update
from studio_projects.events import ProjectEvents, PublishFailed
from studio_projects.once import Claim, KeyHeld, create_once
from studio_projects.ownership import find_owned, not_found
from studio_projects.repository import Deletion, ProjectStore, to_project

log = structlog.get_logger(__name__)


class DeletionOutcome(Enum):
    DONE = "done"
    PENDING = "pending"
    """Hidden and bound to finish (by the sweep), but not confirmed yet."""


class ProjectService:
    def __init__(
        self,
        store: ProjectStore,
        events: ProjectEvents,
        *,
        idempotency_ttl_s: float = DEFAULT_TTL_S,
    ) -> None:
        self._store = store
        self._events = events
        self._idempotency_ttl_s = idempotency_ttl_s

    async def create(
        self,
        owner: str,
        body: ProjectCreate,
        *,
        request_id: str | None,
        idempotency_key: str | None = None,
    ) -> Project:
        """A new project, announced; with an Idempotency-Key, the one the key made already if
        it did (`studio_projects.once`)."""
        return await create_once(
            owner,
            idempotency_key,
            body,
            lambda claim: self._create(owner, body, claim, request_id),
            self._store.keys,
            to_project,
            ttl_s=self._idempotency_ttl_s,
        )

    async def _create(
        self, owner: str, body: ProjectCreate, claim: Claim | None, request_id: str | None
    ) -> Project:
        if not self._events.available() and claim and await self._store.keys.holder(claim):
            raise KeyHeld  # a repeat of a creation that was made: answered without the bus
        self._require_events()
        project = await self._store.insert(owner, body.name, body.description, claim)
        try:
            await self._events.publish_project_created(owner, project, request_id=request_id)
        except PublishFailed as exc:
            await self._abandon(owner, project.id, request_id, maybe_published=exc.maybe_published)
            raise ServiceUnavailable("the project could not be announced; try again") from exc
        if claim is not None:
            await self._store.keys.announced(project.id)
        log.info("project.created", project_id=project.id)
        return project

    async def get(self, owner: str, project_id: str) -> Project:
        return await find_owned("project", project_id, partial(self._store.get, owner))

    async def list_page(
        self, owner: str, *, search: str | None, cursor: str | None, limit: int
    ) -> CursorPage[Project]:
        return await self._store.list_page(owner, search=search, cursor=cursor, limit=limit)

    async def update(
        self, owner: str, project_id: str, body: ProjectUpdate, *, request_id: str | None
    ) -> Project:
        """Change the name or description and announce it (`project.updated`), so that open
        studios show the new name; a change that cannot be announced is undone."""
        changes = body.changes()
        if not changes:
            return await self.get(owner, project_id)
        self._require_events()
        change = await find_owned(
            "project", project_id, lambda found_id: self._store.update(owner, found_id, changes)
        )
        await announce_update(
            "project",
            project_id,
            changes,
            lambda: self._events.publish_project_updated(
                owner, change.project, changes, request_id=request_id
            ),
            lambda: self._store.undo(owner, project_id, change),
        )
        return change.project

    async def delete(
        self, owner: str, project_id: str, *, request_id: str | None
    ) -> DeletionOutcome:
        self._require_events()
        deletion = Deletion(project_id=project_id, owner=owner, event_id=uuid4().hex)
        if not is_id(project_id) or not await self._store.mark_deleting(
            owner, project_id, deletion.event_id
        ):
            raise not_found("project", project_id)
        try:
            await self._events.publish_project_deleted(deletion, request_id=request_id)
        except PublishFailed as exc:
            if exc.maybe_published:
                log.warning("project.deletion_unconfirmed", project_id=project_id)
                return DeletionOutcome.PENDING
            await self._store.unmark_deleting(deletion)
            log.warning("project.deletion_refused", project_id=project_id, error=str(exc))
            raise ServiceUnavailable("the deletion could not be announced; try again") from exc
        await self._store.remove(project_id)
        log.info("project.deleted", project_id=project_id)
        return DeletionOutcome.DONE

    async def finish_deletions(self, *, started_before_ms: int, batch: int = 100) -> int:
        """Finish deletions left unfinished (crash, unconfirmed publish); the sweep calls this."""
        finished = 0
        for deletion in await self._store.unfinished_deletions(started_before_ms, batch):
            # An exception stops the round: the next one retries with the same event id.
            await self._events.publish_project_deleted(deletion, request_id=None)
            await self._store.remove(deletion.project_id)
            log.info("project.deletion_finished", project_id=deletion.project_id)
            finished += 1
        return finished

    def _require_events(self) -> None:
        # Refuse before writing anything: every change here must be announced.
        if not self._events.available():
            raise ServiceUnavailable("the event bus is unreachable; try again shortly")

    async def _abandon(
        self, owner: str, project_id: str, request_id: str | None, *, maybe_published: bool
    ) -> None:
        """Undo a creation whose event did not go out. If it may have, other services may know
        the project, so it goes the deletion's way instead: hidden now, `project.deleted` and
        removal by the sweep."""
        if maybe_published:
            await self._store.mark_deleting(owner, project_id, uuid4().hex)
        else:
            await self._store.remove(project_id)
        log.warning("project.creation_abandoned", project_id=project_id, request_id=request_id)
