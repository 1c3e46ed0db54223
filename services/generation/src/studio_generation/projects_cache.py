"""Which projects exist, remembered for a short while so accepting a generation rarely has to
ask the projects service.

Only positive answers are kept (a project that exists and is the caller's), for `ttl_s`, and
every API replica forgets a project the moment `project.deleted` goes by (a plain NATS
subscription, so each replica sees every deletion, unlike a shared durable consumer)."""

import time

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from studio_contracts import subjects
from studio_contracts.events import ProjectDeleted
from studio_runtime.internal_auth import Identity
from studio_runtime.internal_http import ProjectsClient


class CachedProjects:
    def __init__(
        self, projects: ProjectsClient, *, ttl_s: float = 30, max_entries: int = 100_000
    ) -> None:
        self._projects = projects
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._known: dict[tuple[str, str], float] = {}
        self._subscription: Subscription | None = None

    async def require_project(self, identity: Identity, project_id: str) -> None:
        key = (identity.user_id, project_id)
        now = time.monotonic()
        if self._known.get(key, 0.0) > now:
            return
        await self._projects.require_project(identity, project_id)
        if len(self._known) >= self._max_entries:
            self._known.clear()
        self._known[key] = now + self._ttl_s

    async def follow_deletions(self, nc: NatsClient, *, prefix: str) -> None:
        async def forget(message: Msg) -> None:
            try:
                event = ProjectDeleted.model_validate_json(message.data)
            except ValueError:
                return
            self._known.pop((event.user_id, event.project_id), None)

        self._subscription = await nc.subscribe(
            subjects.subject(subjects.PROJECT_DELETED, prefix), cb=forget
        )

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()
