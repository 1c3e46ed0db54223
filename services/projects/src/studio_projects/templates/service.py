"""What the API does with user templates: create, read, list, update, delete, each change
announced on the PROJECTS stream (`template.created|updated|deleted`).

A record must not change without its event going out, so writes follow the project creation's
rule (see `studio_projects.service`): the event bus is checked before anything is written, and a
publish that is refused (the event was certainly not stored) undoes the write and answers 503.
A publish that timed out may still go out, so the write is kept, except a creation: its record is
removed and `template.deleted` follows, so a listener that did see the creation sees the removal
too. No service keeps data derived from templates (the events feed live views), so unlike a
project deletion nothing needs a sweep to finish.
"""

import contextlib
from functools import partial

import structlog
from studio_contracts.dtos import CursorPage
from studio_contracts.enums import GenerationType
from studio_contracts.templates import Template, TemplateCreate, TemplateUpdate
from studio_runtime.errors import Conflict, ServiceUnavailable
from studio_runtime.idempotency import DEFAULT_TTL_S

from studio_projects.announcing import announce_update
from studio_projects.events import ProjectEvents, PublishFailed
from studio_projects.once import Claim, KeyHeld, create_once
from studio_projects.ownership import find_owned
from studio_projects.templates.repository import TemplateStore, to_template

log = structlog.get_logger(__name__)


class TemplateService:
    def __init__(
        self,
        store: TemplateStore,
        events: ProjectEvents,
        *,
        per_user: int,
        idempotency_ttl_s: float = DEFAULT_TTL_S,
    ) -> None:
        self._store = store
        self._events = events
        self._per_user = per_user
        self._idempotency_ttl_s = idempotency_ttl_s

    async def create(
        self,
        owner: str,
        body: TemplateCreate,
        *,
        request_id: str | None,
        idempotency_key: str | None = None,
    ) -> Template:
        """A new template, announced; with an Idempotency-Key, the one the key made already if
        it did (`studio_projects.once`)."""
        return await create_once(
            owner,
            idempotency_key,
            body,
            lambda claim: self._create(owner, body, claim, request_id),
            self._store.keys,
            to_template,
            ttl_s=self._idempotency_ttl_s,
        )

    async def _create(
        self, owner: str, body: TemplateCreate, claim: Claim | None, request_id: str | None
    ) -> Template:
        refusal: Exception | None = None
        if not self._events.available():
            refusal = ServiceUnavailable("the event bus is unreachable; try again shortly")
        # Counted before the insert: requests of one user that race may pass the cap by as many
        # as are in flight together, which a bound on storage tolerates.
        elif await self._store.count(owner) >= self._per_user:
            refusal = Conflict(
                f"You have {self._per_user} template{'' if self._per_user == 1 else 's'}, the "
                "most one account may keep; "
                "delete some you no longer use before saving more."
            )
        if refusal is not None:
            if claim is not None and await self._store.keys.holder(claim):
                raise KeyHeld  # a repeat of a creation that was made: answered, not refused
            raise refusal
        template = await self._store.insert(owner, body, claim)
        try:
            await self._events.publish_template_created(owner, template, request_id=request_id)
        except PublishFailed as exc:
            await self._store.remove(owner, template.id)
            if exc.maybe_published:
                with contextlib.suppress(PublishFailed):
                    await self._events.publish_template_deleted(
                        owner, template.id, request_id=request_id
                    )
            log.warning("template.creation_abandoned", template_id=template.id, error=str(exc))
            raise ServiceUnavailable("the template could not be announced; try again") from exc
        if claim is not None:
            await self._store.keys.announced(template.id)
        log.info("template.created", template_id=template.id)
        return template

    async def get(self, owner: str, template_id: str) -> Template:
        return await find_owned("template", template_id, partial(self._store.get, owner))

    async def list_page(
        self,
        owner: str,
        *,
        search: str | None,
        type: GenerationType | None,
        cursor: str | None,
        limit: int,
    ) -> CursorPage[Template]:
        return await self._store.list_page(
            owner, search=search, type=type, cursor=cursor, limit=limit
        )

    async def update(
        self, owner: str, template_id: str, body: TemplateUpdate, *, request_id: str | None
    ) -> Template:
        changes = body.changes()
        if not changes:
            return await self.get(owner, template_id)
        self._require_events()
        change = await find_owned(
            "template", template_id, lambda found_id: self._store.update(owner, found_id, changes)
        )
        await announce_update(
            "template",
            template_id,
            changes,
            lambda: self._events.publish_template_updated(
                owner, template_id, changes, request_id=request_id
            ),
            lambda: self._store.undo(owner, template_id, change),
        )
        return change.template

    async def delete(self, owner: str, template_id: str, *, request_id: str | None) -> None:
        self._require_events()
        removed = await find_owned("template", template_id, partial(self._store.remove, owner))
        try:
            await self._events.publish_template_deleted(owner, template_id, request_id=request_id)
        except PublishFailed as exc:
            if exc.maybe_published:
                log.warning("template.deletion_unconfirmed", template_id=template_id)
                return
            await self._store.restore(removed)
            log.warning("template.deletion_refused", template_id=template_id, error=str(exc))
            raise ServiceUnavailable("the deletion could not be announced; try again") from exc
        log.info("template.deleted", template_id=template_id)

    def _require_events(self) -> None:
        # Refuse before writing anything: every change here must be announced.
        if not self._events.available():
            raise ServiceUnavailable("the event bus is unreachable; try again shortly")
